"""Offboard heartbeat/arming state machine and the ROS-free bridge (goal -> envelope -> NED setpoint)."""
import math

import pytest

from geotext_ros.nav.px4_messages import (VEHICLE_CMD_COMPONENT_ARM_DISARM, VEHICLE_CMD_DO_SET_MODE,
                                          LocalPositionENU, Px4Status, SetpointNED)
from geotext_ros.nav.px4_offboard import OffboardBridge, OffboardConfig, OffboardStateMachine, Phase
from geotext_ros.nav.safety import SafetyConfig, SafetyEnvelope

SP = SetpointNED(0.0, 0.0, -10.0, 0.0)
DISARMED = Px4Status(armed=False, offboard=False, arming_state=1, nav_state=2)
ENGAGED = Px4Status(armed=True, offboard=True, arming_state=2, nav_state=14)
RATE = 10.0


def run(machine, t0, seconds, setpoint=SP):
    """Tick at 10 Hz for `seconds`; return [(time, tick)]."""
    out = []
    for i in range(int(round(seconds * RATE))):
        t = t0 + i / RATE
        out.append((t, machine.tick(t, setpoint)))
    return out


def commands(ticks):
    return [(t, c.command) for t, tick in ticks for c in tick.commands]


def test_no_setpoint_no_heartbeat():
    m = OffboardStateMachine(OffboardConfig(allow_arming=True))
    m.update_status(DISARMED)
    tick = m.tick(0.0, None)
    assert not tick.heartbeat and tick.setpoint is None and tick.commands == [] and m.phase == Phase.WAITING


def test_heartbeat_every_tick_but_never_commands_without_operator_consent():
    m = OffboardStateMachine(OffboardConfig(allow_arming=False))
    m.update_status(DISARMED)
    ticks = run(m, 0.0, 10.0)
    assert all(t.heartbeat and t.setpoint == SP for _, t in ticks)
    assert commands(ticks) == [] and m.phase == Phase.STREAMING


def test_offboard_after_one_second_of_setpoints_then_arm_only_once_px4_reports_offboard():
    m = OffboardStateMachine(OffboardConfig(allow_arming=True))
    m.update_status(DISARMED)
    ticks = run(m, 100.0, 1.5)
    sent = commands(ticks)
    assert [c for _, c in sent] == [VEHICLE_CMD_DO_SET_MODE]     # never arm in a mode the bridge does not fly
    first_time = sent[0][0]
    assert first_time - 100.0 >= 1.0 - 1e-9                     # >= 1 s of setpoints first
    assert sum(1 for t, _ in ticks if t < first_time) >= 10      # ... and >= 10 of them
    mode = ticks[[t for t, _ in ticks].index(first_time)][1].commands[0]
    assert (mode.param1, mode.param2) == (1.0, 6.0) and m.phase == Phase.REQUESTED
    m.update_status(Px4Status(armed=False, offboard=True, arming_state=1, nav_state=14))
    arm = run(m, 101.5, 0.1)[0][1].commands                      # at once, not a retry period later
    assert [c.command for c in arm] == [VEHICLE_CMD_COMPONENT_ARM_DISARM] and arm[0].param1 == 1.0


def test_no_commands_before_vehicle_status_is_heard():
    m = OffboardStateMachine(OffboardConfig(allow_arming=True))
    assert commands(run(m, 0.0, 5.0)) == []
    m.update_status(DISARMED)
    assert [c for _, c in commands(run(m, 5.0, 0.2))] == [VEHICLE_CMD_DO_SET_MODE]


def test_confirmation_makes_it_active_and_stops_requests():
    m = OffboardStateMachine(OffboardConfig(allow_arming=True))
    m.update_status(DISARMED)
    run(m, 0.0, 1.5)
    m.update_status(ENGAGED)
    assert m.phase == Phase.ACTIVE
    assert commands(run(m, 1.5, 10.0)) == []


def test_retries_then_gives_up():
    m = OffboardStateMachine(OffboardConfig(allow_arming=True, request_retry_s=2.0, max_requests=3))
    m.update_status(DISARMED)
    sent = commands(run(m, 0.0, 20.0))
    assert [c for _, c in sent] == [VEHICLE_CMD_DO_SET_MODE] * 3   # 3 tries of offboard; never an arm
    times = sorted({t for t, _ in sent})
    assert all(b - a >= 2.0 - 1e-9 for a, b in zip(times, times[1:]))
    assert m.phase == Phase.FAILED


def test_only_missing_request_is_sent():
    m = OffboardStateMachine(OffboardConfig(allow_arming=True))
    m.update_status(Px4Status(armed=True, offboard=False, arming_state=2, nav_state=2))
    assert [c for _, c in commands(run(m, 0.0, 1.5))] == [VEHICLE_CMD_DO_SET_MODE]


def test_pilot_takeover_is_respected():
    m = OffboardStateMachine(OffboardConfig(allow_arming=True))
    m.update_status(ENGAGED)
    run(m, 0.0, 1.0)
    m.update_status(Px4Status(armed=True, offboard=False, arming_state=2, nav_state=2))   # switched to POSCTL
    assert m.phase == Phase.OVERRIDDEN
    ticks = run(m, 1.0, 10.0)
    assert commands(ticks) == [] and all(t.heartbeat for _, t in ticks)


def test_consent_granted_again_starts_a_fresh_attempt():
    m = OffboardStateMachine(OffboardConfig(allow_arming=True, max_requests=1))
    m.update_status(DISARMED)
    run(m, 0.0, 5.0)
    assert m.phase == Phase.FAILED
    m.set_allow_arming(False)
    m.set_allow_arming(True)
    assert [c for _, c in commands(run(m, 5.0, 0.5))] == [VEHICLE_CMD_DO_SET_MODE]


def test_gap_in_the_stream_restarts_warmup():
    m = OffboardStateMachine(OffboardConfig(allow_arming=True))
    m.update_status(DISARMED)
    run(m, 0.0, 0.8)
    assert m.tick(0.9, None).heartbeat is False
    ticks = run(m, 1.0, 2.0)
    first = commands(ticks)[0][0]
    assert first - 1.0 >= 1.0 - 1e-9


def test_config_refuses_short_warmup():
    with pytest.raises(ValueError, match="warmup_s"):
        OffboardConfig(warmup_s=0.5)


# -- the bridge: goal -> safety envelope -> setpoint -> state machine ---------------------------------------------
def position(x=0.0, y=0.0, z=0.0, yaw=0.0):
    return LocalPositionENU(x, y, z, yaw, 0.0, 0.0, 0.0, True)


def bridge(waypoint_timeout_s: float = 2.0, **safety):
    cfg = dict(camera_timeout_s=0.0, max_horizontal_speed_mps=5.0, max_vertical_speed_mps=100.0,
               max_vertical_step_m=100.0)
    cfg.update(safety)
    return OffboardBridge(SafetyEnvelope(SafetyConfig(**cfg)), OffboardConfig(allow_arming=True),
                          takeoff_altitude_m=10.0, waypoint_timeout_s=waypoint_timeout_s)


def test_bridge_streams_nothing_before_a_valid_position():
    b = bridge()
    b.on_local_position(LocalPositionENU(0, 0, 0, 0, 0, 0, 0, False), 0.0)
    tick = b.tick(0.0)
    assert not tick.offboard.heartbeat and tick.setpoint_enu is None


def test_bridge_takes_off_to_the_takeoff_altitude_before_any_goal():
    b = bridge()
    b.on_local_position(position(3.0, 4.0, 0.0, 0.0), 0.0)
    tick = b.tick(0.0)
    assert tick.setpoint_enu == pytest.approx((3.0, 4.0, 10.0, 0.0))
    assert (tick.offboard.setpoint.n, tick.offboard.setpoint.e, tick.offboard.setpoint.d) == pytest.approx(
        (4.0, 3.0, -10.0))


def test_bridge_walks_the_setpoint_to_a_far_goal_at_the_speed_limit():
    b = bridge(max_step_m=1000.0, geofence_radius_m=1000.0)
    b.on_local_position(position(0.0, 0.0, 20.0), 0.0)
    b.on_goal(100.0, 0.0, 20.0, 0.0, now=0.0)
    xs = []
    for i in range(11):
        t = i / RATE
        b.on_local_position(position(0.0, 0.0, 20.0), t)
        xs.append(b.tick(t).setpoint_enu[0])
    assert xs[0] == pytest.approx(100.0)   # the first command has no previous setpoint: only step/fence bound it
    b2 = bridge(max_step_m=1000.0, geofence_radius_m=1000.0)
    b2.on_local_position(position(0.0, 0.0, 20.0), 0.0)
    b2.tick(0.0)                            # streaming the take-off hover first
    b2.on_goal(100.0, 0.0, 20.0, 0.0, now=0.0)
    xs = []
    for i in range(1, 11):
        b2.on_local_position(position(0.0, 0.0, 20.0), i / RATE)
        xs.append(b2.tick(i / RATE).setpoint_enu[0])
    assert xs == pytest.approx([0.5 * i for i in range(1, 11)])   # 5 m/s at 10 Hz


def test_bridge_clamps_a_goal_outside_the_geofence():
    b = bridge(geofence_radius_m=50.0, max_step_m=0.0, max_horizontal_speed_mps=0.0)
    b.on_local_position(position(0.0, 0.0, 20.0), 0.0)
    b.on_goal(0.0, 500.0, 20.0, math.pi / 2, now=0.0)
    tick = b.tick(0.0)
    assert tick.setpoint_enu[:2] == pytest.approx((0.0, 50.0)) and "geofence" in tick.decision.codes
    assert tick.offboard.setpoint.yaw == pytest.approx(0.0)       # ENU north = NED heading 0


def test_bridge_stop_holds_and_a_new_instruction_resumes_from_there():
    # no waypoints arrive after t=0 here: a long watchdog keeps this test about stop/resume only
    b = bridge(max_horizontal_speed_mps=0.0, max_step_m=0.0, waypoint_timeout_s=60.0)
    b.on_local_position(position(0.0, 0.0, 20.0), 0.0)
    b.on_goal(30.0, 0.0, 20.0, 0.0, now=0.0)
    assert b.tick(0.0).setpoint_enu[0] == pytest.approx(30.0)
    assert b.on_instruction("stop") == "stop"
    b.on_local_position(position(12.0, 0.0, 20.0), 1.0)
    held = b.tick(1.0)
    assert held.decision.hold and held.setpoint_enu[:3] == pytest.approx((12.0, 0.0, 20.0))
    assert b.on_instruction("fly to the red building") == "resume"
    b.on_local_position(position(12.5, 0.0, 20.0), 2.0)
    resumed = b.tick(2.0)
    assert not resumed.decision.hold and resumed.setpoint_enu[:3] == pytest.approx((12.0, 0.0, 20.0))


def test_bridge_holds_when_position_goes_stale():
    b = bridge(odom_timeout_s=1.0, max_horizontal_speed_mps=0.0, max_step_m=0.0)
    b.on_local_position(position(0.0, 0.0, 20.0), 0.0)
    b.on_goal(30.0, 0.0, 20.0, 0.0, now=0.0)
    b.tick(0.5)
    tick = b.tick(2.0)
    assert tick.decision.hold and "stale_odom" in tick.decision.codes
    assert tick.setpoint_enu[:3] == pytest.approx((0.0, 0.0, 20.0)) and tick.offboard.heartbeat


def test_bridge_return_home():
    b = bridge(home_x=0.0, home_y=0.0, return_altitude_m=25.0, max_horizontal_speed_mps=0.0, max_step_m=0.0)
    b.on_local_position(position(40.0, 0.0, 20.0, 1.0), 0.0)
    b.on_goal(80.0, 0.0, 20.0, 0.0, now=0.0)
    assert b.on_instruction("return home") == "return_home"
    tick = b.tick(0.0)
    assert tick.setpoint_enu == pytest.approx((0.0, 0.0, 25.0, 1.0))
    assert b.status()["returning_home"] is True
