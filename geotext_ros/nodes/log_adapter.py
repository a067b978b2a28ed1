"""Route the ROS-free core's logging-style calls (`log.warning("fmt %s", arg)`) to a node's rclpy logger, so
safety and input events reach /rosout instead of stdout."""
from __future__ import annotations

from typing import Any


class NodeLogAdapter:
    """`warning` / `info` / `error` with logging's ("fmt %s", arg) style on top of an rclpy logger (one string)."""

    def __init__(self, logger: Any) -> None:
        self._logger = logger

    def warning(self, fmt: str, *args: Any) -> None:
        self._logger.warning(fmt % args if args else fmt)

    def info(self, fmt: str, *args: Any) -> None:
        self._logger.info(fmt % args if args else fmt)

    def error(self, fmt: str, *args: Any) -> None:
        self._logger.error(fmt % args if args else fmt)
