"""px4_bridge's waypoint watchdog (ROS-free OffboardBridge, injected clock): a goal that is no longer refreshed is
not streamed forever; the bridge holds the current position until the next waypoint."""
import inspect
import math
import re

import pytest

from geotext_ros.nav.px4_messages import LocalPositionENU, Px4Status
from geotext_ros.nav.px4_offboard import STALE_WAYPOINT, OffboardBridge, OffboardConfig, Phase
from geotext_ros.nav.safety import SafetyConfig, SafetyEnvelope
from geotext_ros.param_file import load_node_params

RATE = 10.0                       # heartbeat rate of the tests' clock
GOAL = (40.0, 10.0, 25.0, 0.5)
ENGAGED = Px4Status(armed=True, offboard=True, arming_state=2, nav_state=14)


class RecordingLogger:
    """Collects what the bridge logs, formatted like the node's adapter does."""

    def __init__(self):
        self.warnings, self.infos = [], []

    def warning(self, fmt, *args):
        self.warnings.append(fmt % args if args else fmt)

    def info(self, fmt, *args):
        self.infos.append(fmt % args if args else fmt)


def position(x=0.0, y=0.0, z=20.0, yaw=0.0):
    return LocalPositionENU(x, y, z, yaw, 0.0, 0.0, 0.0, True)


def make_bridge(timeout=2.0, logger=None, **safety):
    # Speed and step limits off: the setpoint is the goal itself, so "following" is an exact comparison.
    cfg = dict(camera_timeout_s=0.0, odom_timeout_s=0.0, max_horizontal_speed_mps=0.0, max_vertical_speed_mps=0.0,
               max_step_m=0.0, max_vertical_step_m=0.0)
    cfg.update(safety)
    b = OffboardBridge(SafetyEnvelope(SafetyConfig(**cfg)), OffboardConfig(allow_arming=True),
                       takeoff_altitude_m=10.0, waypoint_timeout_s=timeout, logger=logger or RecordingLogger())
    b.on_status(ENGAGED)   # armed in offboard: the bridge is following goals
    return b


def step(b, t, pos):
    b.on_local_position(pos, t)
    return b.tick(t)


def ticks(t0, t1):
    """Heartbeat times from t0 up to and including t1 (integer tenths: no float drift on the boundary)."""
    return [i / RATE for i in range(int(round(t0 * RATE)), int(round(t1 * RATE)) + 1)]


def test_default_timeout_is_the_one_in_config_nav_yaml():
    default = inspect.signature(OffboardBridge).parameters["waypoint_timeout_s"].default
    assert load_node_params("px4_bridge")["waypoint_timeout_s"] == default == 2.0


def test_goal_is_followed_while_waypoints_are_fresh():
    log = RecordingLogger()
    b = make_bridge(logger=log)
    for t in ticks(0.0, 10.0):
        if round(t * RATE) % 5 == 0:                 # the navigator's 5 Hz (every 0.5 s here: still fresh)
            b.on_goal(*GOAL, now=t)
        tick = step(b, t, position(x=t))
        assert tick.setpoint_enu == pytest.approx(GOAL), t
        assert not tick.decision.hold and STALE_WAYPOINT not in tick.decision.codes, t
        assert tick.offboard.heartbeat and tick.offboard.phase == Phase.ACTIVE
    assert b.status()["waypoint_stale"] is False and log.warnings == []


def test_after_the_timeout_the_setpoint_holds_the_current_position_and_warns_once():
    log = RecordingLogger()
    b = make_bridge(timeout=2.0, logger=log)
    b.on_goal(*GOAL, now=1.0)
    for t in ticks(1.0, 3.0):                        # age <= 2.0 s: still following
        assert step(b, t, position(x=t)).setpoint_enu == pytest.approx(GOAL), t
    held = step(b, 3.1, position(x=3.1, y=-2.0, z=18.0, yaw=0.25))
    assert held.decision.hold and held.setpoint_enu == pytest.approx((3.1, -2.0, 18.0, 0.25))
    assert held.decision.codes == [STALE_WAYPOINT]
    n, e, d = held.offboard.setpoint.n, held.offboard.setpoint.e, held.offboard.setpoint.d
    assert (n, e, d) == pytest.approx((-2.0, 3.1, -18.0))          # streamed to PX4 in NED
    assert held.offboard.heartbeat and held.offboard.phase == Phase.ACTIVE   # PX4 stays in offboard, holding
    for t in ticks(3.2, 8.0):                        # the vehicle drifts: the hold point stays latched
        tick = step(b, t, position(x=t, y=-2.0, z=18.0))
        assert tick.setpoint_enu == pytest.approx((3.1, -2.0, 18.0, 0.25)), t
    assert len(log.warnings) == 1 and "waypoint_timeout_s = 2 s" in log.warnings[0]
    assert b.status()["waypoint_stale"] is True
    message = dict(tick.decision.violations)[STALE_WAYPOINT]
    assert "waypoint_timeout_s = 2 s" in message and "last 7.00 s ago" in message


def test_a_new_waypoint_resumes_following():
    log = RecordingLogger()
    b = make_bridge(logger=log)
    b.on_goal(*GOAL, now=0.0)
    step(b, 0.0, position())
    assert step(b, 5.0, position(x=1.0)).decision.hold
    new_goal = (-30.0, 5.0, 30.0, -1.0)
    b.on_goal(*new_goal, now=5.1)
    resumed = step(b, 5.1, position(x=1.0))
    assert not resumed.decision.hold and resumed.setpoint_enu == pytest.approx(new_goal)
    assert STALE_WAYPOINT not in resumed.decision.codes and b.status()["waypoint_stale"] is False
    assert len(log.infos) == 1 and "following" in log.infos[0]
    assert step(b, 7.2, position(x=1.0)).decision.hold       # ... and the watchdog is armed again
    assert len(log.warnings) == 2


def test_a_timeout_of_zero_disables_the_watchdog():
    log = RecordingLogger()
    b = make_bridge(timeout=0.0, logger=log)
    b.on_goal(*GOAL, now=0.0)
    for t in (0.0, 2.1, 60.0, 3600.0):
        tick = step(b, t, position(x=1.0))
        assert tick.setpoint_enu == pytest.approx(GOAL) and not tick.decision.hold, t
    assert log.warnings == [] and b.status()["waypoint_stale"] is False


@pytest.mark.parametrize("bad", [-1.0, -0.001, math.nan, math.inf])
def test_a_negative_or_non_finite_timeout_is_rejected_naming_the_value(bad):
    with pytest.raises(ValueError, match=rf"waypoint_timeout_s = {re.escape(repr(bad))}.*0 switches"):
        make_bridge(timeout=bad)


def test_the_take_off_hover_before_any_goal_never_goes_stale():
    b = make_bridge()
    for t in (0.0, 5.0, 30.0):
        tick = step(b, t, position(x=3.0, z=0.0))
        assert tick.setpoint_enu == pytest.approx((3.0, 0.0, 10.0, 0.0)) and not tick.decision.hold, t


def test_return_home_goes_on_without_waypoints():
    b = make_bridge(home_x=0.0, home_y=0.0, return_altitude_m=25.0)
    b.on_goal(*GOAL, now=0.0)
    assert b.on_instruction("return home") == "return_home"
    tick = step(b, 10.0, position(x=50.0, yaw=1.0))                # navigator long silent
    assert tick.setpoint_enu == pytest.approx((0.0, 0.0, 25.0, 1.0)) and STALE_WAYPOINT not in tick.decision.codes

