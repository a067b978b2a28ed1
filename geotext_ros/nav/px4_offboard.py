"""The PX4 offboard sequence without ROS: OffboardStateMachine (heartbeat, warm-up, offboard + arm requests) and
OffboardBridge (waypoints through the safety envelope to NED setpoints, with the waypoint watchdog). The messages
it asks for are built by nav/px4_messages.py.

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
from dataclasses import dataclass, field
from typing import Any, Sequence

from geotext_ros.nav.parser import parse_instruction
from geotext_ros.nav.px4_messages import (Command, LocalPositionENU, Px4Status, SetpointNED, arm_command,
                                          land_command, offboard_mode_command)
from geotext_ros.nav.safety import SafetyDecision, SafetyEnvelope

STALE_WAYPOINT = "stale_waypoint"   # violation code reported while the waypoint watchdog holds

_log = logging.getLogger("geotext_ros.px4")


# -- the offboard state machine ----------------------------------------------------------------------------------
class Phase(str, enum.Enum):
    WAITING = "waiting"            # no setpoint to stream yet (no valid local position)
    STREAMING = "streaming"        # heartbeat + setpoints, counting towards the warm-up
    REQUESTED = "requested"        # offboard (then arm) sent, waiting for VehicleStatus to confirm
    ACTIVE = "active"              # armed and in offboard: following setpoints
    OVERRIDDEN = "overridden"      # was active, then left offboard or disarmed: the pilot/PX4 has control
    FAILED = "failed"              # requests not confirmed after max_requests tries


@dataclass
class OffboardConfig:
    allow_arming: bool = False     # operator consent: without it no VehicleCommand is ever sent
    warmup_s: float = 1.0          # stream at least this long before requesting offboard (then arm)
    warmup_setpoints: int = 10     # ... and at least this many setpoints
    request_retry_s: float = 2.0   # re-send the requests when not confirmed after this long
    max_requests: int = 3          # give up (Phase.FAILED) after this many tries of one command
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
        self.state: Px4Status | None = None
        self.requests_sent = 0           # tries of the command now wanted (offboard, then arm)
        self._stream_start: float | None = None
        self._last_stream: float | None = None
        self._streamed = 0
        self._last_request: float | None = None
        self._wanted: int | None = None  # the VehicleCommand id being requested

    def set_allow_arming(self, allowed: bool) -> None:
        """Operator consent changed; granting it again after FAILED/OVERRIDDEN starts a fresh attempt."""
        if allowed and not self.config.allow_arming and self.phase in (Phase.FAILED, Phase.OVERRIDDEN):
            self.phase = Phase.STREAMING if self._stream_start is not None else Phase.WAITING
            self.requests_sent = 0
            self._last_request = None
        self.config.allow_arming = bool(allowed)

    def update_status(self, state: Px4Status) -> None:
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
        # Offboard first, and arm only once PX4 reports offboard: both in one tick armed the vehicle in its hold
        # mode whenever PX4 refused the offboard request (a stream it had not yet seen for 1 s; the PX4 contract
        # test caught it). The arm request follows the confirmation at once; each is retried on its own.
        command = offboard_mode_command() if not self.state.offboard else arm_command() if not self.state.armed \
            else None
        if command is None:
            return []
        if command.command != self._wanted:
            self._wanted, self.requests_sent, self._last_request = command.command, 0, None
        if self._last_request is not None and now - self._last_request < cfg.request_retry_s:
            return []
        if self.requests_sent >= cfg.max_requests:
            self.phase = Phase.FAILED
            return []
        self.requests_sent += 1
        self._last_request = now
        self.phase = Phase.REQUESTED
        return [command]


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
        self.land_requested = False    # the navigator reached LANDING: NAV_LAND sent (once per landing)
        self._land_pending = False

    def on_local_position(self, position: LocalPositionENU, now: float) -> None:
        if position.valid:
            self.position, self.position_time = position, now

    def on_status(self, state: Px4Status) -> None:
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

    def on_navigator_state(self, state: str) -> None:
        """The navigator's status state: LANDING (above the touchdown point, at the envelope's minimum altitude)
        hands over to the flight controller's land mode: VEHICLE_CMD_NAV_LAND goes out with the next heartbeat.
        Any other state arms the next landing again."""
        if state == "LANDING" and not self.land_requested:
            self.land_requested, self._land_pending = True, True
            self._log.info("navigator at the landing point: requesting land mode (VEHICLE_CMD_NAV_LAND)")
        elif state != "LANDING":
            self.land_requested = self._land_pending = False

    def tick(self, now: float) -> BridgeTick:
        if self.position is None:
            return BridgeTick(self.machine.tick(now, None), None, None)
        stale = self._update_staleness(now)
        # None asks the envelope for a hold: it latches the current position, and a fresh waypoint un-latches it.
        desired = None if stale else self._desired()
        decision = self.envelope.check(desired, self.position.pose, now, last_odom_time=self.position_time)
        if stale:
            decision.violations.append((STALE_WAYPOINT, self._stale_message(now)))
        setpoint = decision.waypoint if decision.waypoint is not None else self._last_setpoint
        self._last_setpoint = setpoint
        ned = SetpointNED.from_enu(*setpoint) if setpoint is not None else None
        offboard = self.machine.tick(now, ned)
        if self._land_pending and offboard.heartbeat and self.machine.state is not None:
            offboard.commands.append(land_command())
            self._land_pending = False
        return BridgeTick(offboard, decision, setpoint)

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
