"""The navigator's grounding thread: runs on the newest frame as soon as one arrives, at most `rate_hz` times a
second, off the ROS executor.

Why not a timer: a processing timer at 5 Hz made every frame wait for the next tick (up to 200 ms at low frame
rates) and, on a loaded machine, for the executor to get round to the timer; the soak measured the wait from
arrival to the start of grounding at p95 230 ms of a 340 ms image -> box p95 (docs/results.md, issue 16 section
6). The worker is woken by the image callback, so a frame waits only for the previous one to finish and for the
rate limit. Frames that come while it works are replaced, never queued (the callback keeps only the newest).
After a rest period it waits up to half a period for a fresh frame rather than ground one that came during the
rest (`_run`), so the arrival -> box latency is the grounding itself, not the rate limit.
"""
from __future__ import annotations

import threading
import time
from typing import Callable


class FrameWorker:
    """`process()` on a thread of its own after each `wake()`, no more often than `rate_hz`; `stop()` joins."""

    def __init__(self, process: Callable[[], None], rate_hz: float, on_error: Callable[[Exception], None],
                 name: str = "grounding") -> None:
        if not rate_hz > 0:
            raise ValueError(f"process_rate_hz must be > 0, got {rate_hz}")
        self._process, self._period, self._on_error = process, 1.0 / rate_hz, on_error
        self._wake, self._stop = threading.Event(), threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """A new frame is there (called from the image callback: cheap, never blocks)."""
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        """Finish the frame in hand, then end the thread (lifecycle deactivate / cleanup / shutdown)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        next_start = 0.0   # the rate limit: no step starts before this
        while True:
            self._wake.wait()
            self._wake.clear()
            if self._stop.is_set():   # stop() wakes the thread too: that is no frame
                return
            now = time.monotonic()
            if now < next_start:
                # A frame that came during the rest period would wait for its end and be grounded stale (at a
                # 10 Hz camera and 5 Hz grounding, up to 100 ms of arrival -> box): sleep out the period, then give
                # the next frame up to half a period to come and ground that one fresh, else the one in hand.
                if self._stop.wait(next_start - now):
                    return
                self._wake.clear()
                self._wake.wait(self._period / 2)
                self._wake.clear()
                if self._stop.is_set():
                    return
                now = next_start   # the schedule, not the wait: the configured rate holds on average
            next_start = now + self._period
            try:
                self._process()
            except Exception as e:   # a bug on one frame must not end grounding for the rest of the flight
                self._on_error(e)
