"""The lifecycle bookkeeping px4_bridge and sim_world share: timers (and the work threads they kick) run only while
active, topics exist from configure to cleanup (or shutdown)."""
from __future__ import annotations

from typing import Any

from rclpy.lifecycle import LifecycleNode, LifecycleState, TransitionCallbackReturn

from geotext_ros.nodes.worker import LatestWork


class TimedLifecycleNode(LifecycleNode):
    """A LifecycleNode whose subclass puts its publishers and subscriptions in `self._entities` (configure) and
    its timers in `self._timers` and their LatestWork threads in `self._workers` (activate); deactivate stops the
    timers, then the threads; cleanup and shutdown release everything."""

    def __init__(self, name: str, **kwargs: Any) -> None:
        super().__init__(name, **kwargs)
        self._entities: list[Any] = []
        self._timers: list[Any] = []
        self._workers: list[LatestWork] = []

    def on_deactivate(self, state: LifecycleState) -> TransitionCallbackReturn:
        self._stop_timers()
        return TransitionCallbackReturn.SUCCESS

    def on_cleanup(self, state: LifecycleState) -> TransitionCallbackReturn:
        self._release()
        return TransitionCallbackReturn.SUCCESS

    def on_shutdown(self, state: LifecycleState) -> TransitionCallbackReturn:
        self._release()
        return TransitionCallbackReturn.SUCCESS

    def _stop_timers(self) -> None:
        for timer in self._timers:
            self.destroy_timer(timer)
        self._timers = []
        for worker in self._workers:   # after their timers: nothing kicks them any more
            worker.stop()
        self._workers = []

    def destroy_node(self) -> None:
        self._stop_timers()   # no work thread may run against a destroyed node
        super().destroy_node()

    def _release(self) -> None:
        self._stop_timers()
        for entity in self._entities:
            if hasattr(entity, "publish"):
                self.destroy_publisher(entity)
            else:
                self.destroy_subscription(entity)
        self._entities = []
