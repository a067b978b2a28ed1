"""GroundStationConfig: the ground station's settings, the one home of their defaults (nav.yaml's
`ground_station` section mirrors them; test/test_ground_station_app.py checks that the two agree)."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Mapping

from geotext_ros.nav.parser import MAX_INPUT_CHARS


@dataclass(frozen=True)
class GroundStationConfig:
    # Loopback only by default: the page can steer the drone. Binding another address is the operator's choice.
    host: str = "127.0.0.1"
    port: int = 8765                      # 0 = any free port (tests)
    # Extra host names (comma-separated) the page may be reached by (Host header), besides the bind address,
    # localhost and the loopback addresses; any other Host is refused (DNS rebinding: evil.com -> 127.0.0.1).
    allowed_hosts: str = ""
    max_message_bytes: int = 4096         # largest websocket message a page may send (aiohttp closes with 1009)
    max_instruction_chars: int = MAX_INPUT_CHARS   # the navigator's own input limit (geotext_ros.nav.parser)
    update_rate_hz: float = 5.0           # snapshots pushed to the page at most this often
    trajectory_points: int = 2000         # drone positions kept for the map
    trajectory_spacing_m: float = 0.5     # a new trajectory point after moving this far
    timeline_entries: int = 100           # state changes kept for the timeline
    jpeg_quality: int = 80
    max_frame_width: int = 640            # frames wider than this are scaled down for the page
    annotated_priority_s: float = 1.0     # show the raw camera only when no annotated frame came for this long
    # Topics
    status_topic: str = "/geotext/status"
    annotated_topic: str = "/geotext/annotated"
    camera_topic: str = "/camera/image_raw"
    odom_topic: str = "/odom"
    markers_topic: str = "/geotext/markers"
    instruction_topic: str = "/instruction"

    def __post_init__(self) -> None:
        if not 0 <= int(self.port) <= 65535:
            raise ValueError(f"ground_station.port {self.port} is not a TCP port (0-65535; 0 = any free port)")
        for name in ("max_message_bytes", "max_instruction_chars", "trajectory_points", "timeline_entries",
                     "max_frame_width"):
            if int(getattr(self, name)) <= 0:
                raise ValueError(f"ground_station.{name} must be > 0, got {getattr(self, name)}")
        if not self.update_rate_hz > 0:
            raise ValueError(f"ground_station.update_rate_hz must be > 0, got {self.update_rate_hz}")
        if not 1 <= int(self.jpeg_quality) <= 95:
            raise ValueError(f"ground_station.jpeg_quality must be in 1..95, got {self.jpeg_quality}")

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> "GroundStationConfig":
        """From the node's (flattened) parameters; an unknown name is an error that lists the known ones."""
        names = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(params) - set(names))
        if unknown:
            raise ValueError(f"unknown ground_station parameters {unknown}; known: {sorted(names)}")
        values: dict[str, Any] = {}
        for key, value in params.items():
            default = names[key].default
            if isinstance(default, bool) or isinstance(default, str):
                values[key] = value
            elif isinstance(default, int):
                values[key] = int(value)
            elif isinstance(default, float):
                values[key] = float(value)
        return cls(**values)

    @property
    def extra_hosts(self) -> tuple[str, ...]:
        return tuple(h.strip() for h in self.allowed_hosts.split(",") if h.strip())

    def to_params(self) -> dict[str, Any]:
        """The parameter values, as nav.yaml writes them."""
        return dataclasses.asdict(self)
