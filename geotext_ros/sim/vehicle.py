"""A point-mass multirotor for sim_world: flies toward a waypoint within speed, acceleration and yaw-rate limits.

ROS-free so the benchmark (bench/episodes.py) flies the same vehicle without DDS.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, Mapping, Optional

from geotext_ros.geometry import wrap_pi
from geotext_ros.param_file import config_values


@dataclass(frozen=True)
class VehicleLimits:
    """sim_world's vehicle parameters of config/nav.yaml (same names), defined here only
    (test/test_config_defaults.py checks the file against these defaults)."""

    max_speed: float = 8.0            # m/s horizontal
    max_vertical_speed: float = 3.0   # m/s
    max_accel: float = 3.0            # m/s^2, applied to the velocity change in 3D
    max_yaw_rate: float = 0.8         # rad/s

    def __post_init__(self) -> None:
        for name in ("max_speed", "max_vertical_speed", "max_accel", "max_yaw_rate"):
            if not getattr(self, name) > 0:
                raise ValueError(f"vehicle limit {name} must be > 0, got {getattr(self, name)}")

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> "VehicleLimits":
        """From sim_world's flattened parameters (the other sim_world parameters are not vehicle limits)."""
        return cls(**config_values(cls, {k: v for k, v in params.items() if k in _LIMIT_NAMES}, ""))


_LIMIT_NAMES = ("max_speed", "max_vertical_speed", "max_accel", "max_yaw_rate")


@dataclass(frozen=True)
class VehicleState:
    x: float = 0.0      # ENU metres
    y: float = 0.0
    z: float = 40.0     # altitude above ground
    yaw: float = 0.0    # rad, 0 = east, counter-clockwise
    vx: float = 0.0
    vy: float = 0.0
    vz: float = 0.0

    @property
    def speed(self) -> float:
        return math.hypot(self.vx, self.vy)


@dataclass(frozen=True)
class Setpoint:
    x: float
    y: float
    z: float
    yaw: Optional[float] = None     # None = keep the current heading


def _braking_speed(distance: float, accel: float, cap: float) -> float:
    # Fastest speed from which the vehicle can still stop within `distance`: no overshoot at the waypoint.
    return min(cap, math.sqrt(2.0 * accel * max(distance, 0.0)))


def step_vehicle(state: VehicleState, target: Optional[Setpoint], dt: float, limits: VehicleLimits) -> VehicleState:
    """Advance the vehicle by dt seconds toward `target` (None = hover in place)."""
    if dt <= 0:
        return state
    if target is None:
        target = Setpoint(state.x, state.y, state.z)
    dx, dy, dz = target.x - state.x, target.y - state.y, target.z - state.z
    dist_h = math.hypot(dx, dy)
    speed_h = _braking_speed(dist_h, limits.max_accel * 0.9, limits.max_speed)
    want_vx, want_vy = (dx / dist_h * speed_h, dy / dist_h * speed_h) if dist_h > 1e-6 else (0.0, 0.0)
    want_vz = math.copysign(_braking_speed(abs(dz), limits.max_accel * 0.9, limits.max_vertical_speed), dz)
    # Limit the velocity change (acceleration) as one 3D vector.
    ax, ay, az = want_vx - state.vx, want_vy - state.vy, want_vz - state.vz
    change = math.sqrt(ax * ax + ay * ay + az * az)
    scale = min(1.0, limits.max_accel * dt / change) if change > 1e-9 else 0.0
    vx, vy, vz = state.vx + ax * scale, state.vy + ay * scale, state.vz + az * scale
    x, y, z = state.x + vx * dt, state.y + vy * dt, max(0.0, state.z + vz * dt)
    # Snap when the waypoint is closer than one step: avoids dithering around it forever.
    if dist_h < 0.05 and math.hypot(vx, vy) < 0.2:
        x, y, vx, vy = target.x, target.y, 0.0, 0.0
    if abs(dz) < 0.05 and abs(vz) < 0.2:
        z, vz = target.z, 0.0
    yaw = state.yaw
    if target.yaw is not None:
        err = wrap_pi(target.yaw - state.yaw)
        yaw = wrap_pi(state.yaw + max(-limits.max_yaw_rate * dt, min(limits.max_yaw_rate * dt, err)))
    return replace(state, x=x, y=y, z=z, yaw=yaw, vx=vx, vy=vy, vz=vz)
