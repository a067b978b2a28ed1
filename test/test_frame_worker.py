"""nodes/frame_worker.py: the grounding thread runs on the newest frame at once, never faster than its rate,
survives an exception in one step, and stops."""
import threading
import time

import pytest

pytest.importorskip("rclpy")
from geotext_ros.nodes.frame_worker import FrameWorker  # noqa: E402


def test_runs_once_per_wake_at_once_and_not_faster_than_the_rate() -> None:
    starts: list[float] = []
    done = threading.Event()

    def step() -> None:
        starts.append(time.monotonic())
        done.set()

    w = FrameWorker(step, rate_hz=10.0, on_error=lambda e: None)
    try:
        t0 = time.monotonic()
        w.wake()
        assert done.wait(2.0) and starts[0] - t0 < 0.05      # the first frame does not wait for a tick
        for _ in range(30):                                    # a 300 Hz camera: woken far more often than 10 Hz
            w.wake()
            time.sleep(1 / 300)
        span = time.monotonic() - starts[0]
        time.sleep(0.25)
        gaps = [b - a for a, b in zip(starts, starts[1:])]
        # woken 30 times in `span` seconds: one step per 0.1 s period at most (plus the one in hand), never closer
        assert 1 <= len(gaps) <= span / 0.1 + 1 and min(gaps) >= 0.095, (gaps, span)
        n = len(starts)
        time.sleep(0.3)
        assert len(starts) == n                                # no wake, no step: nothing is queued
    finally:
        w.stop()
    assert not w.alive


def test_an_exception_is_reported_and_the_worker_goes_on() -> None:
    errors: list[Exception] = []
    calls: list[int] = []

    def step() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("bad frame")

    w = FrameWorker(step, rate_hz=50.0, on_error=errors.append)
    try:
        w.wake()
        time.sleep(0.1)
        w.wake()
        time.sleep(0.1)
    finally:
        w.stop()
    assert len(calls) == 2 and [str(e) for e in errors] == ["bad frame"]


def test_a_rate_that_is_not_positive_is_refused() -> None:
    with pytest.raises(ValueError, match="process_rate_hz must be > 0, got 0"):
        FrameWorker(lambda: None, rate_hz=0.0, on_error=lambda e: None)


def test_a_frame_from_the_rest_period_is_not_grounded_stale_when_a_fresh_one_comes() -> None:
    """Frames at 10 Hz, grounding at 5 Hz: each step starts right after a frame arrives (the frame it takes is
    fresh), and the 5 Hz rate holds."""
    wakes: list[float] = []
    starts: list[float] = []
    w = FrameWorker(lambda: starts.append(time.monotonic()), rate_hz=5.0, on_error=lambda e: None)
    try:
        t_end = time.monotonic() + 1.5
        while time.monotonic() < t_end:
            wakes.append(time.monotonic())
            w.wake()
            time.sleep(0.1)
    finally:
        w.stop()
    waits = [s - max(t for t in wakes if t <= s) for s in starts]
    assert max(waits) < 0.05, waits          # not up to 100 ms, as grounding the frame that came mid-rest would
    assert len(starts) >= 6, starts          # ~7 at 5 Hz in 1.5 s
