"""Spin one node until Ctrl-C or an external shutdown, then clean up: the tail of every node's main()."""
from __future__ import annotations

from typing import Any

import rclpy
from rclpy.executors import ExternalShutdownException, MultiThreadedExecutor


def spin_until_shutdown(node: Any, threads: int | None = None) -> int:
    """Spin `node` on a MultiThreadedExecutor (its callback groups may run in parallel); exit status 0."""
    executor = MultiThreadedExecutor(num_threads=threads)
    executor.add_node(node)
    try:
        executor.spin()
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        node.destroy_node()
        rclpy.try_shutdown()
    return 0
