"""Frames, poses, angles and camera intrinsics: the one definition the simulator, the navigator, the PX4 bridge
and the nodes share (docs/architecture.md, "Conventions").

World frame: ENU metres (x east, y north, z up); yaw in radians from east, counter-clockwise; vehicle attitude as
ROS REP 103 (positive pitch = nose down, positive roll = right side down). PX4 uses NED and a heading from north,
clockwise. Quaternions are (x, y, z, w) as in geometry_msgs. Intrinsics are pinhole, in pixels, with the image
size they belong to (sensor_msgs/CameraInfo: k and width x height).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple, Sequence


# -- angles and quaternions -----------------------------------------------------------------------------------------
def wrap_pi(angle: float) -> float:
    """Angle wrapped to [-pi, pi)."""
    return (float(angle) + math.pi) % (2.0 * math.pi) - math.pi


def yaw_from_quaternion(x: float, y: float, z: float, w: float) -> float:
    """Yaw (rad, CCW from east in ENU; rotation about +z) of a quaternion (x, y, z, w); roll and pitch ignored."""
    return math.atan2(2.0 * (w * z + x * y), 1.0 - 2.0 * (y * y + z * z))


def rpy_from_quaternion(x: float, y: float, z: float, w: float) -> tuple[float, float, float]:
    """(roll, pitch, yaw) in radians of a quaternion (x, y, z, w), ZYX convention (REP 103)."""
    norm = math.sqrt(x * x + y * y + z * z + w * w)
    if norm == 0.0:
        raise ValueError("quaternion (0, 0, 0, 0) has no orientation; check the odometry source")
    x, y, z, w = x / norm, y / norm, z / norm, w / norm
    roll = math.atan2(2.0 * (w * x + y * z), 1.0 - 2.0 * (x * x + y * y))
    pitch = math.asin(max(-1.0, min(1.0, 2.0 * (w * y - z * x))))
    return roll, pitch, yaw_from_quaternion(x, y, z, w)


def quaternion_from_yaw(yaw: float) -> tuple[float, float, float, float]:
    """Quaternion (x, y, z, w) of a pure rotation about +z by `yaw`."""
    return 0.0, 0.0, math.sin(yaw / 2.0), math.cos(yaw / 2.0)


# -- ENU (ROS) <-> NED (PX4) --------------------------------------------------------------------------------------
def enu_to_ned(x: float, y: float, z: float) -> tuple[float, float, float]:
    """ENU (east, north, up) -> NED (north, east, down). Also for velocities."""
    return float(y), float(x), -float(z)


def ned_to_enu(n: float, e: float, d: float) -> tuple[float, float, float]:
    """NED (north, east, down) -> ENU (east, north, up). Also for velocities."""
    return float(e), float(n), -float(d)


def yaw_enu_to_ned(yaw_enu: float) -> float:
    """Yaw from east counter-clockwise -> heading from north clockwise, wrapped to [-pi, pi)."""
    return wrap_pi(math.pi / 2.0 - float(yaw_enu))


def yaw_ned_to_enu(yaw_ned: float) -> float:
    """Heading from north clockwise -> yaw from east counter-clockwise, wrapped to [-pi, pi)."""
    return wrap_pi(math.pi / 2.0 - float(yaw_ned))


# -- poses and intrinsics -----------------------------------------------------------------------------------------
class Pose(NamedTuple):
    """Vehicle pose in ENU metres and radians (REP 103 attitude); z is the height above the ground plane."""

    x: float
    y: float
    z: float
    yaw: float
    roll: float = 0.0
    pitch: float = 0.0


@dataclass(frozen=True)
class Intrinsics:
    """Pinhole intrinsics in pixels of a width x height image."""

    fx: float
    fy: float
    cx: float
    cy: float
    width: int
    height: int

    def as_k(self) -> list[float]:
        """Row-major 3x3 K as in sensor_msgs/CameraInfo."""
        return [self.fx, 0.0, self.cx, 0.0, self.fy, self.cy, 0.0, 0.0, 1.0]

    @property
    def focal_centre(self) -> tuple[float, float, float, float]:
        """(fx, fy, cx, cy)."""
        return self.fx, self.fy, self.cx, self.cy

    @classmethod
    def from_k(cls, k: Sequence[float], width: int, height: int) -> "Intrinsics":
        """From a row-major 3x3 K and the image size (sensor_msgs/CameraInfo k, width, height); ValueError for a
        matrix that is not 9 values, an uncalibrated (zero) or non-finite one, or no image size."""
        if len(k) != 9:
            raise ValueError(f"camera matrix k must have 9 values (row-major 3x3), got {len(k)}: {list(k)!r:.120}")
        fx, fy, cx, cy = float(k[0]), float(k[4]), float(k[2]), float(k[5])
        if not (fx > 0 and fy > 0) or width <= 0 or height <= 0:   # `not >` also catches NaN
            raise ValueError(f"camera info not calibrated: fx={fx} fy={fy} size={width}x{height}")
        if not all(math.isfinite(v) for v in (fx, fy, cx, cy)):
            raise ValueError(f"camera info k holds a non-finite value: fx={fx} fy={fy} cx={cx} cy={cy}")
        return cls(fx, fy, cx, cy, int(width), int(height))


def intrinsics_for(width: int, height: int, hfov_deg: float = 60.0) -> Intrinsics:
    """Square-pixel intrinsics with the principal point at the image centre, for a horizontal field of view."""
    if not 1.0 < hfov_deg < 179.0:
        raise ValueError(f"hfov_deg={hfov_deg} must be in (1, 179) degrees")
    fx = (width / 2.0) / math.tan(math.radians(hfov_deg) / 2.0)
    return Intrinsics(fx=fx, fy=fx, cx=width / 2.0, cy=height / 2.0, width=int(width), height=int(height))
