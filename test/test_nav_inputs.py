"""Issue 16 section 3, ROS-free: the validators of nav/inputs.py (odometry frame, quaternion, stamp order and age;
CameraInfo K; image headers), the counts and rate-limited logging of InputMonitor, and stale_inputs."""
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geotext_ros.nav.inputs import (InputConfig, InputMonitor, camera_info_problem, image_problem,
                                    odometry_problem, stale_inputs)

CFG = InputConfig(map_frame="map", quaternion_tolerance=0.05, max_odom_age_s=1.0)
LEVEL = (0.0, 0.0, 0.0, 1.0)
K_OK = [60.0, 0.0, 48.0, 0.0, 60.0, 40.0, 0.0, 0.0, 1.0]


@pytest.mark.parametrize("frame, stamp, last, q, code", [
    ("odom", 100.0, None, LEVEL, "wrong_frame"),
    ("map", 100.0, None, (0.0, 0.0, 0.0, 0.0), "bad_quaternion"),
    ("map", 100.0, None, (0.0, 0.0, 0.0, 2.0), "bad_quaternion"),
    ("map", 99.5, 99.9, LEVEL, "stamp_backwards"),
    ("map", 84.0, None, LEVEL, "stale_stamp"),            # 16 s old
    ("map", 100.0, None, (math.nan, 0.0, 0.0, 1.0), "non_finite"),
])
def test_bad_odometry_is_named(frame, stamp, last, q, code):
    problem = odometry_problem(CFG, frame, stamp, 100.0, last, (1.0, 2.0, 3.0), q)
    assert problem is not None and problem.code == code and problem.input == "odom", problem


def test_good_odometry_and_the_age_check_switched_off():
    assert odometry_problem(CFG, "map", 99.9, 100.0, 99.8, (1.0, 2.0, 3.0), (0.0, 0.0, 0.7071, 0.7071)) is None
    off = InputConfig(max_odom_age_s=0.0)
    assert odometry_problem(off, "map", 0.0, 1e9, 0.0, (0, 0, 0), LEVEL) is None   # unstamped, no age check


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True, width=32), min_size=4, max_size=4))
def test_property_only_unit_quaternions_pass(q):
    problem = odometry_problem(CFG, "map", 100.0, 100.0, None, (0.0, 0.0, 0.0), q)
    if problem is None:
        assert abs(math.sqrt(sum(v * v for v in q)) - 1.0) <= CFG.quaternion_tolerance


@pytest.mark.parametrize("k, code", [([0.0] * 9, "bad_focal_length"), ([math.nan] + K_OK[1:], "non_finite"),
                                     ([-60.0] + K_OK[1:], "bad_focal_length"),
                                     (K_OK[:2] + [480.0] + K_OK[3:], "principal_point_outside"),
                                     (K_OK[:8], "non_finite")])
def test_bad_camera_info_is_named(k, code):
    problem = camera_info_problem(k, 96, 80)
    assert problem is not None and problem.code == code, problem


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True, width=32), min_size=9, max_size=9),
       st.integers(-2, 4000), st.integers(-2, 4000))
def test_property_accepted_camera_info_is_a_usable_pinhole(k, width, height):
    if camera_info_problem(k, width, height) is None:
        assert all(math.isfinite(v) for v in k) and k[0] > 0 and k[4] > 0
        assert 0 <= k[2] <= width and 0 <= k[5] <= height and width > 0 and height > 0


@pytest.mark.parametrize("args, code", [((80, 96, "yuv422", 192, 15360, None), "unsupported_encoding"),
                                        ((0, 0, "rgb8", 0, 0, 3), "zero_size"),
                                        ((80, 96, "rgb8", 287, 22960, 3), "bad_step"),
                                        ((80, 96, "rgb8", 288, 23033, 3), "bad_size")])
def test_bad_image_headers_are_named(args, code):
    assert image_problem(*args).code == code
    assert image_problem(80, 96, "rgb8", 288, 288 * 80, 3) is None


def test_monitor_counts_by_reason_keeps_last_good_and_rate_limits_logs():
    m = InputMonitor(InputConfig(log_interval_s=2.0, max_odom_age_s=0.0))
    assert m.check_odometry("map", 1.0, 1.0, (0, 0, 0), LEVEL, arrival=10.0) is None
    p = m.check_odometry("odom", 2.0, 2.0, (0, 0, 0), LEVEL, arrival=11.0)
    m.check_odometry("odom", 3.0, 3.0, (0, 0, 0), LEVEL, arrival=11.5)
    assert m.should_log(p, 11.0) and not m.should_log(p, 12.0) and m.should_log(p, 13.1)
    m.check_camera_info([0.0] * 9, 96, 80, arrival=12.0)
    block = m.status(now=14.0)
    assert block["odom"] == {"last_good_age_s": 4.0, "rejected": {"wrong_frame": 2}}
    assert block["camera_info"]["rejected"] == {"bad_focal_length": 1} and "not calibrated" in block["camera_unusable"]
    m.check_camera_info(K_OK, 96, 80, arrival=15.0)
    assert m.camera_problem is None and m.status(16.0)["camera_unusable"] is None


def test_stale_inputs_only_for_inputs_that_were_received():
    assert stale_inputs(10.0, None, None, 1.0, 1.0) == []
    assert stale_inputs(10.0, 8.0, 9.5, 1.0, 1.0) == ["no camera for 2.0 s (> 1 s)"]
    assert stale_inputs(10.0, 8.0, 5.0, 0.0, 1.0) == ["no odometry for 5.0 s (> 1 s)"]


def test_config_from_params_and_bad_values():
    cfg = InputConfig.from_params({"map_frame": "world", "safety.odom_timeout_s": 0.5,
                                   "inputs.quaternion_tolerance": 0.1, "inputs.log_interval_s": 1})
    assert cfg == InputConfig("world", 0.1, 0.5, 1.0)
    with pytest.raises(ValueError, match="inputs.quaternion_tol"):
        InputConfig.from_params({"inputs.quaternion_tol": 0.1})
    with pytest.raises(ValueError, match="quaternion_tolerance"):
        InputConfig(quaternion_tolerance=math.nan)


def test_nav_yaml_repeats_the_dataclass_defaults():
    from geotext_ros.nav.mission import MissionConfig
    from geotext_ros.nodes.params import load_node_params

    params = load_node_params("navigator")
    defaults = InputConfig()
    assert InputConfig.from_params(params) == InputConfig(params["map_frame"], defaults.quaternion_tolerance,
                                                          params["safety.odom_timeout_s"], defaults.log_interval_s)
    assert params["map_frame"] == defaults.map_frame and params["safety.odom_timeout_s"] == defaults.max_odom_age_s
    for name in ("grounded_within_frames", "resume_after_stale"):
        assert params[f"mission.{name}"] == getattr(MissionConfig(), name)
