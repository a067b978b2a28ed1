"""PX4 offboard control without ROS: frame conversions, px4_msgs field mapping, and the offboard state machine.

Frames: ROS uses ENU (x east, y north, z up; yaw from east, counter-clockwise); PX4 uses NED (x north, y east,
z down; yaw/heading from north, clockwise). Positions map (e, n, u) <-> (n, e, -u); yaw_ned = pi/2 - yaw_enu, wrapped.
Timestamps on PX4 messages are microseconds.

Message construction takes the px4_msgs classes as arguments, so this module never imports px4_msgs (only the
px4_bridge node does) and the field mapping can be checked without it.

The offboard sequence (PX4 docs, "ROS 2 Offboard Control Example"): stream OffboardControlMode (heartbeat, >2 Hz,
we use 10 Hz) and TrajectorySetpoint; after >= 1 s of setpoints send VEHICLE_CMD_DO_SET_MODE (param1 = 1 custom
mode, param2 = 6 offboard) and VEHICLE_CMD_COMPONENT_ARM_DISARM (param1 = 1) - only when the operator allowed
arming. Once the vehicle is armed in offboard, leaving either state is the pilot's (or PX4's failsafe) decision:
the bridge never re-requests it by itself.

Waypoint watchdog: PX4 keeps flying to whatever setpoint it is streamed, so a goal that is no longer refreshed
(navigator dead, hung or cut off) must not be streamed forever. `OffboardBridge` holds the current position once
no waypoint has arrived for `waypoint_timeout_s`, and follows again on the next waypoint.
"""
from __future__ import annotations

import enum
import logging
import math
import re
from dataclasses import dataclass, field
from typing import Any, Sequence

from geotext_ros.nav.parser import parse_instruction
from geotext_ros.nav.safety import SafetyDecision, SafetyEnvelope, wrap_pi

# MAVLink / PX4 constants (stable numbers; px4_msgs VehicleCommand/VehicleStatus carry the same values).
VEHICLE_CMD_DO_SET_MODE = 176
VEHICLE_CMD_COMPONENT_ARM_DISARM = 400
PX4_CUSTOM_MAIN_MODE_OFFBOARD = 6.0
MAV_MODE_FLAG_CUSTOM_MODE_ENABLED = 1.0
ARMING_STATE_ARMED = 2
NAVIGATION_STATE_OFFBOARD = 14

_VERSION_SUFFIX = re.compile(r"_v\d+$")
STALE_WAYPOINT = "stale_waypoint"   # violation code reported while the waypoint watchdog holds

_log = logging.getLogger("geotext_ros.px4")


# -- frames and time ----------------------------------------------------------------------------------------------
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


def yaw_to_quaternion(yaw: float) -> tuple[float, float, float, float]:
    """Rotation about +z by `yaw` as (x, y, z, w)."""
    return 0.0, 0.0, math.sin(yaw / 2.0), math.cos(yaw / 2.0)


def quaternion_to_yaw(x: float, y: float, z: float, w: float) -> float:
    """Yaw (rotation about +z) of a quaternion (x, y, z, w); roll and pitch are ignored."""
    return math.atan2(2.0 * (w * z + x * y), 1.0 - 2.0 * (y * y + z * z))


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

    @property
    def pose(self) -> tuple[float, float, float, float]:
        return self.x, self.y, self.z, self.yaw

    def body_velocity(self) -> tuple[float, float, float]:
        """World ENU velocity rotated into the yaw-only body frame (x forward, y left, z up) for Odometry.twist."""
        c, s = math.cos(self.yaw), math.sin(self.yaw)
        return c * self.vx + s * self.vy, -s * self.vx + c * self.vy, self.vz


def local_position_to_enu(msg: Any) -> LocalPositionENU:
    """px4_msgs/VehicleLocalPosition -> LocalPositionENU (valid = xy_valid and z_valid and all finite)."""
    x, y, z = ned_to_enu(msg.x, msg.y, msg.z)
    vx, vy, vz = ned_to_enu(msg.vx, msg.vy, msg.vz)
    heading = float(msg.heading)
    yaw = yaw_ned_to_enu(heading) if math.isfinite(heading) else float("nan")
    finite = all(math.isfinite(v) for v in (x, y, z, yaw))
    valid = bool(msg.xy_valid) and bool(msg.z_valid) and finite
    return LocalPositionENU(x, y, z, yaw, vx, vy, vz, valid, int(getattr(msg, "timestamp", 0)))


@dataclass(frozen=True)
class VehicleState:
    """The parts of px4_msgs/VehicleStatus the bridge acts on."""

    armed: bool
    offboard: bool
    arming_state: int
    nav_state: int
    failsafe: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"armed": self.armed, "offboard": self.offboard, "arming_state": self.arming_state,
                "nav_state": self.nav_state, "failsafe": self.failsafe}


def vehicle_state(msg: Any) -> VehicleState:
    """px4_msgs/VehicleStatus -> VehicleState, using the class constants when it has them."""
    armed_value = getattr(msg, "ARMING_STATE_ARMED", ARMING_STATE_ARMED)
    offboard_value = getattr(msg, "NAVIGATION_STATE_OFFBOARD", NAVIGATION_STATE_OFFBOARD)
    arming, nav = int(msg.arming_state), int(msg.nav_state)
    return VehicleState(armed=arming == armed_value, offboard=nav == offboard_value, arming_state=arming,
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


# -- the offboard state machine ----------------------------------------------------------------------------------
class Phase(str, enum.Enum):
    WAITING = "waiting"            # no setpoint to stream yet (no valid local position)
    STREAMING = "streaming"        # heartbeat + setpoints, counting towards the warm-up
    REQUESTED = "requested"        # offboard + arm sent, waiting for VehicleStatus to confirm
    ACTIVE = "active"              # armed and in offboard: following setpoints
    OVERRIDDEN = "overridden"      # was active, then left offboard or disarmed: the pilot/PX4 has control
    FAILED = "failed"              # requests not confirmed after max_requests tries


@dataclass
class OffboardConfig:
    allow_arming: bool = False     # operator consent: without it no VehicleCommand is ever sent
    warmup_s: float = 1.0          # stream at least this long before requesting offboard + arm
    warmup_setpoints: int = 10     # ... and at least this many setpoints
    request_retry_s: float = 2.0   # re-send the requests when not confirmed after this long
    max_requests: int = 3          # give up (Phase.FAILED) after this many tries
    stream_gap_s: float = 0.5      # a gap in the stream this long restarts the warm-up

    def __post_init__(self) -> None:
        if self.warmup_s < 1.0:
            raise ValueError(f"warmup_s = {self.warmup_s}: PX4 needs >= 1 s of setpoints before offboard")
        if self.max_requests < 1 or self.request_retry_s <= 0 or self.warmup_setpoints < 1:
            raise ValueError(f"max_requests ({self.max_requests}), warmup_setpoints ({self.warmup_setpoints}) "
                             f"and request_retry_s ({self.request_retry_s}) must be positive")


@dataclass
class OffboardTick:
    """What to publish this tick: heartbeat + setpoint (both or neither) and any vehicle commands."""

    heartbeat: bool
    setpoint: SetpointNED | None
    commands: list[Command] = field(default_factory=list)
    phase: Phase = Phase.WAITING


class OffboardStateMachine:
    """Heartbeat/warm-up/arming sequence. Drive it with `tick(now, setpoint)` at the heartbeat rate (10 Hz)."""

    def __init__(self, config: OffboardConfig | None = None) -> None:
        self.config = config or OffboardConfig()
        self.phase = Phase.WAITING
        self.state: VehicleState | None = None
        self.requests_sent = 0
        self._stream_start: float | None = None
        self._last_stream: float | None = None
        self._streamed = 0
        self._last_request: float | None = None

    def set_allow_arming(self, allowed: bool) -> None:
        """Operator consent changed; granting it again after FAILED/OVERRIDDEN starts a fresh attempt."""
        if allowed and not self.config.allow_arming and self.phase in (Phase.FAILED, Phase.OVERRIDDEN):
            self.phase = Phase.STREAMING if self._stream_start is not None else Phase.WAITING
            self.requests_sent = 0
            self._last_request = None
        self.config.allow_arming = bool(allowed)

    def update_status(self, state: VehicleState) -> None:
        self.state = state
        engaged = state.armed and state.offboard
        if engaged and self.phase in (Phase.WAITING, Phase.STREAMING, Phase.REQUESTED):
            self.phase = Phase.ACTIVE
        elif not engaged and self.phase == Phase.ACTIVE:
            self.phase = Phase.OVERRIDDEN

    def tick(self, now: float, setpoint: SetpointNED | None) -> OffboardTick:
        if setpoint is None:
            self._reset_stream()
            return OffboardTick(False, None, [], self.phase)
        self._count_stream(now)
        commands = self._requests(now)
        return OffboardTick(True, setpoint, commands, self.phase)

    def _reset_stream(self) -> None:
        self._stream_start = self._last_stream = None
        self._streamed = 0
        if self.phase in (Phase.STREAMING, Phase.REQUESTED):
            self.phase = Phase.WAITING

    def _count_stream(self, now: float) -> None:
        if self._last_stream is None or now - self._last_stream > self.config.stream_gap_s:
            self._stream_start, self._streamed = now, 0
        self._last_stream = now
        self._streamed += 1
        if self.phase == Phase.WAITING:
            self.phase = Phase.STREAMING

    def _requests(self, now: float) -> list[Command]:
        cfg = self.config
        if not cfg.allow_arming or self.phase not in (Phase.STREAMING, Phase.REQUESTED):
            return []
        warmed = now - self._stream_start >= cfg.warmup_s and self._streamed >= cfg.warmup_setpoints
        if not warmed or self.state is None:   # no VehicleStatus yet: the link is not up, do not command
            return []
        if self._last_request is not None and now - self._last_request < cfg.request_retry_s:
            return []
        if self.requests_sent >= cfg.max_requests:
            self.phase = Phase.FAILED
            return []
        self.requests_sent += 1
        self._last_request = now
        self.phase = Phase.REQUESTED
        commands = [] if self.state.offboard else [offboard_mode_command()]
        return commands + ([] if self.state.armed else [arm_command()])


# -- the bridge logic, ROS-free ----------------------------------------------------------------------------------
@dataclass
class BridgeTick:
    """One heartbeat period of the bridge: what to publish and why."""

    offboard: OffboardTick
    decision: SafetyDecision | None
    setpoint_enu: tuple[float, float, float, float] | None


class OffboardBridge:
    """Goal (from /geotext/waypoint) -> safety envelope -> NED setpoint -> offboard state machine.

    Runs at the heartbeat rate: the goal is re-checked every tick against the newest vehicle position, so the
    envelope's speed limit walks the setpoint towards a far goal instead of jumping to it. Before any goal the
    setpoint is the current position at >= takeoff_altitude_m (take off and hover). When no waypoint has arrived
    for waypoint_timeout_s (0 = never), the setpoint is a hold at the current position (violation
    "stale_waypoint") until the next waypoint: in every phase, because a streamed setpoint becomes the target the
    moment offboard engages.
    """

    def __init__(self, envelope: SafetyEnvelope, config: OffboardConfig | None = None,
                 takeoff_altitude_m: float = 10.0, waypoint_timeout_s: float = 2.0, logger: Any = None) -> None:
        self.envelope = envelope
        self.machine = OffboardStateMachine(config)
        self.takeoff_altitude_m = float(takeoff_altitude_m)
        self.waypoint_timeout_s = _check_waypoint_timeout(waypoint_timeout_s)
        self.position: LocalPositionENU | None = None
        self.position_time: float | None = None
        self.goal: tuple[float, float, float, float] | None = None
        self.goal_time: float | None = None
        self.waypoint_stale = False
        self._log = logger or _log
        self._initial: tuple[float, float, float, float] | None = None
        self._last_setpoint: tuple[float, float, float, float] | None = None

    def on_local_position(self, position: LocalPositionENU, now: float) -> None:
        if position.valid:
            self.position, self.position_time = position, now

    def on_status(self, state: VehicleState) -> None:
        self.machine.update_status(state)

    def on_goal(self, x: float, y: float, z: float, yaw: float, now: float) -> None:
        """A waypoint arrived at `now` (same clock as `tick`): follow it, and restart the waypoint watchdog."""
        self.goal = (float(x), float(y), float(z), float(yaw))
        self.goal_time = float(now)

    def on_instruction(self, text: str) -> str | None:
        """Apply an operator override or lift one, deciding with the navigator's parser (one command vocabulary).

        stop / hold -> "stop"; return -> "return_home"; "resume" / "continue" or an instruction the navigator will
        act on (an understood goto) lifts a previous override -> "resume". An instruction the navigator does not
        understand (it answers NOT_UNDERSTOOD and does not move) changes nothing here either. Lifting an override
        keeps the vehicle where the override left it (the goal becomes the last setpoint) until the navigator
        publishes waypoints for the new instruction. Returns the override applied, or None.
        """
        ins = parse_instruction(str(text))
        if ins.command in ("stop", "hold"):
            self.envelope.stop()
            return "stop"
        if ins.command == "return":
            self.envelope.return_to_home()
            return "return_home"
        if ins.understood and (self.envelope.stopped or self.envelope.returning):
            self.envelope.resume()
            if self._last_setpoint is not None:
                self.goal = self._last_setpoint
            return "resume"
        return None

    def tick(self, now: float) -> BridgeTick:
        if self.position is None:
            return BridgeTick(self.machine.tick(now, None), None, None)
        stale = self._update_staleness(now)
        # None asks the envelope for a hold: it latches the current position, and a fresh waypoint un-latches it.
        desired = None if stale else self._desired()
        decision = self.envelope.check(desired, self.position.pose, now, confidence=1.0,
                                       last_odom_time=self.position_time)
        if stale:
            decision.violations.append((STALE_WAYPOINT, self._stale_message(now)))
        setpoint = decision.waypoint if decision.waypoint is not None else self._last_setpoint
        self._last_setpoint = setpoint
        ned = SetpointNED.from_enu(*setpoint) if setpoint is not None else None
        return BridgeTick(self.machine.tick(now, ned), decision, setpoint)

    def _goal_is_stale(self, now: float) -> bool:
        # Only a goal from /geotext/waypoint can go stale: the take-off hover needs no navigator, and neither does
        # return-to-home (the envelope flies home by itself, so holding would strand the vehicle where it is).
        if self.waypoint_timeout_s <= 0 or self.goal_time is None or self.envelope.returning:
            return False
        return now - self.goal_time > self.waypoint_timeout_s

    def _update_staleness(self, now: float) -> bool:
        """Whether the goal is stale now; logs the change once (the tick runs at 10 Hz)."""
        stale = self._goal_is_stale(now)
        if stale and not self.waypoint_stale:
            self._log.warning("%s", self._stale_message(now))
        elif self.waypoint_stale and not stale:
            self._log.info("waypoint watchdog: waypoints arrive again, following the goal")
        self.waypoint_stale = stale
        return stale

    def _stale_message(self, now: float) -> str:
        return (f"hold: no waypoint for more than waypoint_timeout_s = {self.waypoint_timeout_s:g} s (last "
                f"{now - self.goal_time:.2f} s ago); holding the current position until a new waypoint arrives")

    def _desired(self) -> tuple[float, float, float, float]:
        if self.goal is not None:
            return self.goal
        if self._initial is None:   # latch where we started, so the take-off goal does not drift with the pose
            p = self.position
            self._initial = (p.x, p.y, max(p.z, self.takeoff_altitude_m), p.yaw)
        return self._initial

    def status(self) -> dict[str, Any]:
        """JSON-ready summary for the bridge's status topic."""
        state = self.machine.state
        return {"phase": self.machine.phase.value, "allow_arming": self.machine.config.allow_arming,
                "requests_sent": self.machine.requests_sent, "vehicle": state.as_dict() if state else None,
                "goal": list(self.goal) if self.goal else None,
                "setpoint": list(self._last_setpoint) if self._last_setpoint else None,
                "stopped": self.envelope.stopped, "returning_home": self.envelope.returning,
                "waypoint_stale": self.waypoint_stale}


def _check_waypoint_timeout(value: float) -> float:
    timeout = float(value)
    if not math.isfinite(timeout) or timeout < 0:
        raise ValueError(f"waypoint_timeout_s = {value!r}: must be a finite number of seconds >= 0 "
                         "(0 switches the waypoint watchdog off)")
    return timeout


def command_names(commands: Sequence[Command]) -> list[str]:
    return [c.name or str(c.command) for c in commands]
