"""Spin one node until Ctrl-C or an external shutdown, then clean up: the tail of every node's main()."""
from __future__ import annotations

import sys
import time
from typing import Any, Callable, Optional

import rclpy
from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor


def spin_until_shutdown(node: Any) -> int:
    """Spin `node` on a SingleThreadedExecutor (heavy work runs on the node's own LatestWork thread, nodes/worker.py,
    not in a second executor thread); exit status 0."""
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    try:
        executor.spin()
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        stop_executor(executor)
        node.destroy_node()
        rclpy.try_shutdown()
    return 0


def stop_executor(executor: Any, timeout: float = 5.0) -> None:
    """Shut an executor down that no longer spins, after the callbacks still in flight have finished; destroy its
    nodes only after this. rclpy's Executor.shutdown(timeout_sec) destroys its guard condition without waiting for
    them (the wait is skipped once its shutdown flag is set); each then triggers that guard when it ends and fails
    with "cannot use Destroyable", printed at exit as "The following exception was never retrieved"."""
    end = time.monotonic() + timeout
    for future in list(getattr(executor, "_futures", [])):
        while not future.done() and time.monotonic() < end:
            time.sleep(0.01)
    executor.shutdown(timeout_sec=max(0.0, end - time.monotonic()))


def run_node(name: str, factory: Callable[[], Any], argv: Optional[list[str]] = None) -> int:
    """A node's console-script main: init rclpy, build the node (a failure is one line and exit 1), spin."""
    rclpy.init(args=argv if argv is not None else sys.argv)
    try:
        node = factory()
    except Exception as e:
        print(f"{name}: cannot start: {e}", file=sys.stderr)
        rclpy.try_shutdown()
        return 1
    return spin_until_shutdown(node)
