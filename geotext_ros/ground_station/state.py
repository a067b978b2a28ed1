"""StationState: what the page shows, fed from any thread (ROS callbacks), read by the web server's loop."""
from __future__ import annotations

import math
import threading
import time
from collections import deque
from typing import Any, Optional

from geotext_ros.ground_station.config import GroundStationConfig


class StationState:
    """Newest status, camera frame (JPEG), pose, trajectory, map layers and the state timeline.

    `version` grows with every change, so the server pushes a snapshot only when something changed."""

    def __init__(self, config: GroundStationConfig) -> None:
        self.config = config
        self._lock = threading.Lock()
        self.version = 0
        self._status: dict[str, Any] = {}
        self._timeline: deque[dict[str, Any]] = deque(maxlen=int(config.timeline_entries))
        self._pose: Optional[list[float]] = None
        self._trajectory: deque[list[float]] = deque(maxlen=int(config.trajectory_points))
        self._map: dict[str, Any] = {}
        self._frame: Optional[bytes] = None
        self._frame_seq = 0
        self._frame_source = ""

    def on_status(self, status: dict[str, Any]) -> None:
        """A /geotext/status message; a new state, reason or instruction adds a timeline entry."""
        entry = {"state": status.get("state"), "reason": status.get("reason") or status.get("error") or "",
                 "instruction": status.get("instruction") or ""}
        with self._lock:
            self._status = dict(status)
            last = self._timeline[-1] if self._timeline else None
            if last is None or any(last[k] != entry[k] for k in entry):
                self._timeline.append({"t": time.time(), **entry})
            self.version += 1

    def on_pose(self, x: float, y: float, z: float, yaw: float) -> None:
        if not all(math.isfinite(v) for v in (x, y, z, yaw)):
            return
        with self._lock:
            self._pose = [x, y, z, yaw]
            last = self._trajectory[-1] if self._trajectory else None
            if last is None or math.hypot(x - last[0], y - last[1]) >= self.config.trajectory_spacing_m:
                self._trajectory.append([round(x, 2), round(y, 2)])
            self.version += 1

    def on_map(self, layers: dict[str, Any]) -> None:
        """Map layers in the world frame: places, geofence, target, waypoint, candidates, anchors."""
        with self._lock:
            if layers != self._map:
                self._map = dict(layers)
                self.version += 1

    def on_frame(self, jpeg: bytes, source: str) -> None:
        with self._lock:
            self._frame, self._frame_source = jpeg, source
            self._frame_seq += 1
            self.version += 1

    def frame(self) -> tuple[Optional[bytes], int]:
        with self._lock:
            return self._frame, self._frame_seq

    def status(self) -> dict[str, Any]:
        with self._lock:
            return dict(self._status)

    def snapshot(self) -> dict[str, Any]:
        """Everything the page draws, JSON-ready."""
        with self._lock:
            return {"type": "snapshot", "version": self.version, "status": self._status,
                    "timeline": list(self._timeline), "pose": self._pose, "trajectory": list(self._trajectory),
                    "map": self._map, "frame_seq": self._frame_seq, "frame_source": self._frame_source}
