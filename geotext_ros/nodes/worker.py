"""Heavy periodic work (grounding a frame, rendering one) on its own thread, off the executor.

Every node spins on a SingleThreadedExecutor (nodes/spin.py). A timer callback there only calls `kick()`; the work
runs here, so subscriptions, heartbeats and status keep being served while a frame takes 100-300 ms. Kicks that
arrive while the work runs collapse into one more run: the work always starts from the newest input, never from a
queue of old ones.

Why not rclpy's MultiThreadedExecutor with a callback group per timer (what the nodes used until 2026-12): when a
timer is ready while its mutually exclusive group is still busy, rclpy's wait returns at once, again and again
(ros2/rclpy#1223, "Timer hanging and high CPU load when using MultiThreadedExecutor"). Measured in the PX4 contract
test: px4_bridge's 10 Hz heartbeat reached the emulator with 38 gaps over 0.25 s (worst 3.0 s) in 20 s, and PX4
refused offboard for lack of a 2 Hz stream; on a SingleThreadedExecutor, none (docs/results.md).
"""
from __future__ import annotations

import threading
from typing import Any, Callable


class LatestWork:
    """Runs `work()` on a daemon thread once per `kick()`; kicks during a run make exactly one more run."""

    def __init__(self, name: str, work: Callable[[], None], logger: Any) -> None:
        self._work, self._logger = work, logger
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def kick(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop after the run in progress (if any); returns once the thread has ended or `timeout` passed."""
        self._stopped.set()
        self._wake.set()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            if self._stopped.is_set():
                return
            try:
                self._work()
            except Exception as e:   # one failed run must not end the thread: the next kick tries again
                self._logger.error(f"{self._thread.name} failed: {type(e).__name__}: {e}",
                                   throttle_duration_sec=2.0)
