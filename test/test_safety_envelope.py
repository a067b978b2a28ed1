"""Safety envelope: every limit on its own, then properties over random inputs."""
import dataclasses
import logging
import math

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from geotext_ros.nav.safety import (SafetyConfig, SafetyEnvelope, clamp_to_polygon,
                                    point_in_polygon)

NOW = 100.0
POSE = (0.0, 0.0, 20.0, 0.0)


def fresh(**overrides):
    return SafetyEnvelope(SafetyConfig(**overrides))


FRESH = object()   # "received just now"


def check(env, waypoint, pose=POSE, now=NOW, cam=FRESH, odom=FRESH):
    cam = now if cam is FRESH else cam
    odom = now if odom is FRESH else odom
    return env.check(waypoint, pose, now, last_camera_time=cam, last_odom_time=odom)


def test_waypoint_within_limits_passes_unchanged():
    d = check(fresh(), (10.0, -5.0, 25.0, 0.5))
    assert d.waypoint == pytest.approx((10.0, -5.0, 25.0, 0.5))
    assert not d.hold and d.violations == []


@pytest.mark.parametrize("field, bad", [("waypoint", (1.0, math.nan, 20.0, 0.0)),
                                        ("waypoint", (1.0, 2.0, math.inf, 0.0)),
                                        ("waypoint", (1.0, 2.0, 20.0, math.nan)),
                                        ("now", math.inf), ("odom", -math.inf)])
def test_non_finite_input_holds_at_current_position(field, bad):
    kwargs = {"waypoint": (10.0, 0.0, 20.0, 0.0), "now": NOW, "odom": NOW}
    kwargs[field] = bad
    d = check(fresh(), kwargs["waypoint"], now=kwargs["now"], odom=kwargs["odom"], cam=NOW)
    # (the stale-input checks never run on non-finite input: one clear reason, not several)
    assert d.hold and d.waypoint == POSE
    assert d.codes == ["non_finite"]


def test_non_finite_vehicle_pose_gives_nothing_to_send():
    d = check(fresh(), (10.0, 0.0, 20.0, 0.0), pose=(0.0, math.nan, 20.0, 0.0))
    assert d.hold and d.waypoint is None and d.codes == ["non_finite"]


def test_unknown_vehicle_pose_gives_nothing_to_send():
    d = check(fresh(), (10.0, 0.0, 20.0, 0.0), pose=None)
    assert d.waypoint is None and "non_finite" in d.codes


def test_stale_odometry_holds():
    d = check(fresh(odom_timeout_s=1.0), (10.0, 0.0, 20.0, 0.0), odom=NOW - 1.5)
    assert d.hold and d.waypoint == POSE and d.codes == ["stale_odom"]


def test_odometry_never_received_holds():
    d = check(fresh(), (10.0, 0.0, 20.0, 0.0), odom=None)
    assert d.hold and d.codes == ["stale_odom"]


def test_stale_camera_holds_and_watchdog_can_be_switched_off():
    d = check(fresh(camera_timeout_s=2.0), (10.0, 0.0, 20.0, 0.0), cam=NOW - 3.0)
    assert d.hold and d.codes == ["stale_camera"]
    d = check(fresh(camera_timeout_s=0.0), (10.0, 0.0, 20.0, 0.0), cam=None)
    assert not d.hold and d.waypoint[0] == pytest.approx(10.0)


def test_stop_holds_until_resume():
    env = fresh()
    env.stop()
    d = check(env, (10.0, 0.0, 20.0, 0.0))
    assert d.hold and d.waypoint == POSE and d.codes == ["stop"]
    env.resume()
    d = check(env, (10.0, 0.0, 20.0, 0.0), now=NOW + 10)
    assert not d.hold and d.waypoint[0] == pytest.approx(10.0)


def test_nothing_requested_holds_without_violation():
    d = check(fresh(), None)
    assert d.hold and d.waypoint == POSE and d.violations == []


def test_hold_point_is_latched_while_the_pose_drifts():
    env = fresh()
    env.stop()
    first = check(env, (10.0, 0.0, 20.0, 0.0)).waypoint
    second = check(env, (10.0, 0.0, 20.0, 0.0), pose=(3.0, 1.0, 21.0, 0.2), now=NOW + 0.1).waypoint
    assert first == second == POSE


def test_return_home_flies_home_at_return_altitude_regardless_of_request():
    env = fresh(home_x=5.0, home_y=-5.0, return_altitude_m=30.0, max_vertical_step_m=50.0)
    env.return_to_home()
    d = check(env, (100.0, 100.0, 50.0, 1.0), pose=(20.0, 20.0, 20.0, 0.3))
    assert d.waypoint == pytest.approx((5.0, -5.0, 30.0, 0.3))
    assert "return_home" in d.codes and not d.hold


def test_stop_wins_over_return_home():
    env = fresh()
    env.return_to_home()
    env.stop()
    d = check(env, (10.0, 0.0, 20.0, 0.0))
    assert d.hold and "stop" in d.codes


def test_safety_min_confidence_is_gone_and_a_param_file_that_sets_it_is_told_where_it_went():
    # The mission is the one place that sees the grounding confidence (mission.min_confidence, also required within
    # the last N frames); the PX4 bridge's envelope gets waypoints, never groundings. A second threshold here only
    # ever saw confidence 1.0 from both callers.
    assert "min_confidence" not in {f.name for f in dataclasses.fields(SafetyConfig)}
    with pytest.raises(ValueError, match="set mission.min_confidence instead"):
        SafetyConfig.from_params({"safety.min_confidence": 0.3})


def test_circular_geofence_clamps_onto_the_fence_along_the_direction():
    env = fresh(geofence_radius_m=100.0, max_step_m=0.0)
    d = check(env, (300.0, 400.0, 20.0, 0.0), pose=(50.0, 0.0, 20.0, 0.0))
    assert d.waypoint[:2] == pytest.approx((60.0, 80.0))
    assert d.codes == ["geofence"] and not d.hold


def test_geofence_reject_holds_instead():
    env = fresh(geofence_radius_m=100.0, geofence_action="reject")
    d = check(env, (300.0, 0.0, 20.0, 0.0))
    assert d.hold and d.waypoint == POSE and d.codes == ["geofence_reject"]


def test_polygon_geofence_replaces_the_circle_and_clamps_to_nearest_edge():
    square = [[-10.0, -10.0], [10.0, -10.0], [10.0, 10.0], [-10.0, 10.0]]
    env = fresh(geofence_polygon=square, geofence_radius_m=1000.0)
    assert check(env, (5.0, 5.0, 20.0, 0.0)).violations == []
    d = check(env, (30.0, 4.0, 20.0, 0.0), now=NOW + 100)
    assert d.waypoint[:2] == pytest.approx((10.0, 4.0)) and d.codes == ["geofence"]


def test_polygon_helpers_on_a_non_convex_shape():
    ell = [(0, 0), (10, 0), (10, 5), (5, 5), (5, 10), (0, 10)]
    assert point_in_polygon((2, 8), ell) and not point_in_polygon((8, 8), ell)
    assert point_in_polygon((10, 2), ell)                     # on the boundary counts as inside
    assert clamp_to_polygon((8, 9), ell) == pytest.approx((5, 9))


def test_altitude_floor_and_ceiling_clamp():
    env = fresh(min_altitude_m=5.0, max_altitude_m=50.0, max_vertical_step_m=0.0, max_vertical_speed_mps=0.0)
    low = check(env, (0.0, 0.0, 1.0, 0.0))
    assert low.waypoint[2] == 5.0 and low.codes == ["altitude_floor"]
    high = check(env, (0.0, 0.0, 80.0, 0.0), now=NOW + 1)
    assert high.waypoint[2] == 50.0 and high.codes == ["altitude_ceiling"]


def test_max_step_clamps_along_the_direction():
    d = check(fresh(max_step_m=10.0), (30.0, 40.0, 20.0, 0.0))
    assert d.waypoint[:2] == pytest.approx((6.0, 8.0)) and d.codes == ["max_step"]


def test_max_vertical_step_clamps():
    d = check(fresh(max_vertical_step_m=5.0), (0.0, 0.0, 40.0, 0.0))
    assert d.waypoint[2] == pytest.approx(25.0) and d.codes == ["max_vertical_step"]


def test_setpoint_speed_is_limited_between_commands():
    env = fresh(max_horizontal_speed_mps=5.0, max_vertical_speed_mps=1.0, max_step_m=100.0)
    assert check(env, (2.0, 0.0, 20.0, 0.0)).violations == []
    d = check(env, (50.0, 0.0, 30.0, 0.0), now=NOW + 0.5)       # 0.5 s: 2.5 m horizontally, 0.5 m up
    assert d.waypoint[:3] == pytest.approx((4.5, 0.0, 20.5))
    assert set(d.codes) == {"max_speed", "max_vertical_speed"}


def test_yaw_is_wrapped():
    d = check(fresh(), (1.0, 0.0, 20.0, 3 * math.pi))
    assert d.waypoint[3] == pytest.approx(-math.pi)


def test_each_violation_is_logged_once_per_change(caplog):
    env = fresh(max_step_m=10.0)
    with caplog.at_level(logging.WARNING, logger="geotext_ros.safety"):
        check(env, (30.0, 40.0, 20.0, 0.0))
        check(env, (30.0, 40.0, 20.0, 0.0), now=NOW + 100)
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1 and "max_step" in lines[0]


@pytest.mark.parametrize("overrides, word", [({"min_altitude_m": 50.0, "max_altitude_m": 40.0}, "min_altitude_m"),
                                             ({"geofence_action": "bounce"}, "geofence_action"),
                                             ({"max_step_m": -1.0}, "max_step_m"),
                                             ({"geofence_polygon": [1.0, 2.0, 3.0]}, "geofence_polygon"),
                                             ({"geofence_polygon": [[0, 0], [1, 1]]}, "geofence_polygon"),
                                             ({"geofence_radius_m": 0.0}, "geofence")])
def test_bad_config_names_the_field(overrides, word):
    with pytest.raises(ValueError, match=word):
        SafetyConfig(**overrides)


def test_params_round_trip_and_flat_polygon():
    cfg = SafetyConfig(geofence_polygon=[[0, 0], [10, 0], [10, 10]], max_step_m=7.0)
    params = cfg.to_params()
    assert params["safety.geofence_polygon"] == [0.0, 0.0, 10.0, 0.0, 10.0, 10.0]
    assert SafetyConfig.from_params(params) == cfg
    with pytest.raises(ValueError, match="safety.max_stepp"):
        SafetyConfig.from_params({"safety.max_stepp": 1.0})


coord = st.floats(-500, 500, allow_nan=False)
TOL_M = 1e-3


@settings(max_examples=200, deadline=None)
@example(wx=0.0, wy=100.0, wz=0.0, px=62.0, py=90.0, pz=0.0, dt=5.0)    # vehicle outside the fence
@example(wx=0.0, wy=54.0, wz=0.0, px=90.0, py=90.0, pz=0.0, dt=2.0)     # fence and reachable disc barely meet
@given(wx=coord, wy=coord, wz=st.floats(-50, 300), px=st.floats(-90, 90), py=st.floats(-90, 90),
       pz=st.floats(0, 100), dt=st.floats(0, 5))
def test_property_output_always_within_every_limit(wx, wy, wz, px, py, pz, dt):
    cfg = SafetyConfig(geofence_radius_m=100.0, max_step_m=30.0, max_vertical_step_m=10.0,
                       max_horizontal_speed_mps=6.0, max_vertical_speed_mps=2.0)
    env = SafetyEnvelope(cfg)
    pose = (px, py, pz, 0.0)
    first = check(env, (px, py, min(max(pz, 5.0), 120.0), 0.0), pose=pose)
    d = check(env, (wx, wy, wz, 0.0), pose=pose, now=NOW + dt)
    x, y, z, _ = d.waypoint
    # 1 mm: when the fence and the reachable disc barely meet, alternating projections converge asymptotically
    assert math.hypot(x, y) <= 100.0 + TOL_M
    assert cfg.min_altitude_m - TOL_M <= z <= cfg.max_altitude_m + TOL_M or "max_vertical_step" in d.codes
    assert math.hypot(x - px, y - py) <= 30.0 + TOL_M
    assert math.hypot(x - first.waypoint[0], y - first.waypoint[1]) <= 6.0 * dt + TOL_M
    assert abs(z - first.waypoint[2]) <= 2.0 * dt + TOL_M


@pytest.mark.parametrize("start, goal, word", [(25.0, 40.0, "climbed"), (40.0, 25.0, "descended")])
def test_vertical_speed_message_says_which_way_the_setpoint_moved(start, goal, word):
    env = SafetyEnvelope(SafetyConfig(max_vertical_step_m=0.0, max_vertical_speed_mps=3.0, camera_timeout_s=0.0,
                                      odom_timeout_s=0.0))
    env.check((0.0, 0.0, start, 0.0), (0.0, 0.0, start, 0.0), 0.0)
    decision = env.check((0.0, 0.0, goal, 0.0), (0.0, 0.0, start, 0.0), 1.0)
    message = dict(decision.violations)["max_vertical_speed"]
    assert message.startswith(f"setpoint {word} 15.00 m in 1.00 s"), message
