"""PX4 constants and px4_msgs field mapping without ROS (the offboard sequence is nav/px4_offboard.py).

Frames (geotext_ros.geometry): ROS uses ENU (x east, y north, z up; yaw from east, counter-clockwise); PX4 uses
NED (x north, y east, z down; yaw/heading from north, clockwise). Positions map (e, n, u) <-> (n, e, -u);
yaw_ned = pi/2 - yaw_enu, wrapped. Timestamps on PX4 messages are microseconds.

Message construction takes the px4_msgs classes as arguments, so this module never imports px4_msgs (only the
px4_bridge node does) and the field mapping can be checked without it.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from geotext_ros.geometry import enu_to_ned, ned_to_enu, yaw_enu_to_ned, yaw_ned_to_enu

# MAVLink / PX4 constants (stable numbers; px4_msgs VehicleCommand/VehicleStatus carry the same values).
VEHICLE_CMD_DO_SET_MODE = 176
VEHICLE_CMD_COMPONENT_ARM_DISARM = 400
VEHICLE_CMD_NAV_LAND = 21   # land at the current position (PX4 AUTO_LAND)
PX4_CUSTOM_MAIN_MODE_OFFBOARD = 6.0
MAV_MODE_FLAG_CUSTOM_MODE_ENABLED = 1.0
ARMING_STATE_ARMED = 2
NAVIGATION_STATE_OFFBOARD = 14

_VERSION_SUFFIX = re.compile(r"_v\d+$")


# -- frames and time ----------------------------------------------------------------------------------------------
def nanoseconds_to_px4_us(nanoseconds: int) -> int:
    """ROS time in nanoseconds -> PX4 timestamp in integer microseconds."""
    return int(nanoseconds) // 1000


def versioned_topic(name: str, msg_class: Any = None) -> str:
    """`name` with PX4's `_v<N>` suffix from the compiled message's MESSAGE_VERSION (PX4 >= 1.16).

    Version 0 (or a message class without MESSAGE_VERSION, PX4 <= 1.15) means no suffix; a name that already ends
    in `_v<N>` is returned as given, so an operator can always pin the exact topic.
    """
    if _VERSION_SUFFIX.search(name):
        return name
    version = int(getattr(msg_class, "MESSAGE_VERSION", 0) or 0)
    return f"{name}_v{version}" if version > 0 else name


# -- what PX4 tells us -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LocalPositionENU:
    """VehicleLocalPosition in ROS terms: ENU position (m), yaw (rad), ENU world-frame velocity (m/s)."""

    x: float
    y: float
    z: float
    yaw: float
    vx: float
    vy: float
    vz: float
    valid: bool
    timestamp_us: int = 0
    velocity_xy_valid: bool = True   # PX4's v_xy_valid: vx, vy usable
    velocity_z_valid: bool = True    # PX4's v_z_valid: vz usable

    @property
    def pose(self) -> tuple[float, float, float, float]:
        return self.x, self.y, self.z, self.yaw

    def body_velocity(self) -> tuple[float, float, float]:
        """World ENU velocity rotated into the yaw-only body frame (x forward, y left, z up) for Odometry.twist.

        A component PX4 marks invalid is NaN ("unknown"), never a plausible-looking number.
        """
        if not self.velocity_xy_valid:
            forward = left = float("nan")
        else:
            c, s = math.cos(self.yaw), math.sin(self.yaw)
            forward, left = c * self.vx + s * self.vy, -s * self.vx + c * self.vy
        return forward, left, self.vz if self.velocity_z_valid else float("nan")


def local_position_to_enu(msg: Any) -> LocalPositionENU:
    """px4_msgs/VehicleLocalPosition -> LocalPositionENU.

    valid (the pose: /odom and the bridge's setpoints) = xy_valid and z_valid and heading_good_for_control and all
    finite: a pose with an unusable heading would point the camera projection the wrong way. The velocities carry
    v_xy_valid / v_z_valid separately, so an invalid velocity never hides a good pose.
    """
    x, y, z = ned_to_enu(msg.x, msg.y, msg.z)
    heading = float(msg.heading)
    yaw = yaw_ned_to_enu(heading) if math.isfinite(heading) else float("nan")
    finite = all(math.isfinite(v) for v in (x, y, z, yaw))
    valid = bool(msg.xy_valid) and bool(msg.z_valid) and bool(msg.heading_good_for_control) and finite
    vx, vy, vz = ned_to_enu(msg.vx, msg.vy, msg.vz)
    v_xy_valid = bool(msg.v_xy_valid) and math.isfinite(vx) and math.isfinite(vy)
    v_z_valid = bool(msg.v_z_valid) and math.isfinite(vz)
    return LocalPositionENU(x, y, z, yaw, vx, vy, vz, valid, int(getattr(msg, "timestamp", 0)),
                            velocity_xy_valid=v_xy_valid, velocity_z_valid=v_z_valid)


@dataclass(frozen=True)
class Px4Status:
    """The parts of px4_msgs/VehicleStatus the bridge acts on."""

    armed: bool
    offboard: bool
    arming_state: int
    nav_state: int
    failsafe: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"armed": self.armed, "offboard": self.offboard, "arming_state": self.arming_state,
                "nav_state": self.nav_state, "failsafe": self.failsafe}


def px4_status(msg: Any) -> Px4Status:
    """px4_msgs/VehicleStatus -> Px4Status, using the class constants when it has them."""
    armed_value = getattr(msg, "ARMING_STATE_ARMED", ARMING_STATE_ARMED)
    offboard_value = getattr(msg, "NAVIGATION_STATE_OFFBOARD", NAVIGATION_STATE_OFFBOARD)
    arming, nav = int(msg.arming_state), int(msg.nav_state)
    return Px4Status(armed=arming == armed_value, offboard=nav == offboard_value, arming_state=arming,
                        nav_state=nav, failsafe=bool(getattr(msg, "failsafe", False)))


# -- what we tell PX4 --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SetpointNED:
    """A position setpoint in PX4's frame: north, east, down (m) and heading (rad)."""

    n: float
    e: float
    d: float
    yaw: float

    @classmethod
    def from_enu(cls, x: float, y: float, z: float, yaw: float) -> "SetpointNED":
        n, e, d = enu_to_ned(x, y, z)
        return cls(n, e, d, yaw_enu_to_ned(yaw))


@dataclass(frozen=True)
class Command:
    """A VehicleCommand to send: MAVLink command id and its first two parameters."""

    command: int
    param1: float = 0.0
    param2: float = 0.0
    name: str = ""


def offboard_mode_command() -> Command:
    return Command(VEHICLE_CMD_DO_SET_MODE, MAV_MODE_FLAG_CUSTOM_MODE_ENABLED, PX4_CUSTOM_MAIN_MODE_OFFBOARD,
                   "set offboard mode")


def arm_command() -> Command:
    return Command(VEHICLE_CMD_COMPONENT_ARM_DISARM, 1.0, 0.0, "arm")


def land_command() -> Command:
    return Command(VEHICLE_CMD_NAV_LAND, 0.0, 0.0, "land")


def make_offboard_control_mode(cls: Any, timestamp_us: int) -> Any:
    """OffboardControlMode heartbeat for position control (every other control flag False)."""
    msg = cls()
    for name in ("velocity", "acceleration", "attitude", "body_rate", "thrust_and_torque", "direct_actuator"):
        if hasattr(msg, name):   # the last two exist only in newer px4_msgs
            setattr(msg, name, False)
    msg.position = True
    msg.timestamp = int(timestamp_us)
    return msg


def make_trajectory_setpoint(cls: Any, setpoint: SetpointNED, timestamp_us: int) -> Any:
    """TrajectorySetpoint with position + yaw; NaN marks velocity/acceleration/jerk/yawspeed as not controlled."""
    nan = float("nan")
    msg = cls()
    msg.position = [float(setpoint.n), float(setpoint.e), float(setpoint.d)]
    for name in ("velocity", "acceleration", "jerk"):
        if hasattr(msg, name):
            setattr(msg, name, [nan, nan, nan])
    msg.yaw = float(setpoint.yaw)
    msg.yawspeed = nan
    msg.timestamp = int(timestamp_us)
    return msg


def make_vehicle_command(cls: Any, command: Command, timestamp_us: int, target_system: int = 1,
                         target_component: int = 1, source_system: int = 1, source_component: int = 1) -> Any:
    """VehicleCommand addressed to the autopilot, marked as coming from an external source."""
    msg = cls()
    msg.command = int(command.command)
    msg.param1 = float(command.param1)
    msg.param2 = float(command.param2)
    msg.target_system = int(target_system)
    msg.target_component = int(target_component)
    msg.source_system = int(source_system)
    msg.source_component = int(source_component)
    msg.from_external = True
    msg.timestamp = int(timestamp_us)
    return msg
