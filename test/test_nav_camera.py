"""Camera geometry: nadir formula from docs/architecture.md, round trips, tilt, horizon."""
import math

import pytest
from hypothesis import given, settings, strategies as st

from geotext_ros.geometry import Intrinsics, Pose, quaternion_from_yaw, rpy_from_quaternion, yaw_from_quaternion
from geotext_ros.nav.camera import (box_center_to_ground, ground_to_pixel, normalized_to_pixel, pixel_to_ground,
                                    pixel_to_normalized)

K = Intrinsics(400.0, 420.0, 320.0, 240.0, 640, 480)


def _doc_formula(u, v, k, x, y, h, yaw):
    forward = -(v - k.cy) * h / k.fy
    left = -(u - k.cx) * h / k.fx
    return (x + forward * math.cos(yaw) - left * math.sin(yaw),
            y + forward * math.sin(yaw) + left * math.cos(yaw))


def test_nadir_centre_is_below_vehicle():
    assert pixel_to_ground(320, 240, K, (5.0, -3.0, 50.0, 1.0)) == pytest.approx((5.0, -3.0))


def test_nadir_hand_checked():
    # yaw 0 (facing east), 100 m up: 42 px above the centre = 42*100/420 = 10 m forward (east);
    # 40 px left of centre = 40*100/400 = 10 m left (north).
    assert pixel_to_ground(280, 198, K, (0, 0, 100, 0)) == pytest.approx((10.0, 10.0))
    # Facing north (yaw 90 deg): forward is north and left is west.
    assert pixel_to_ground(280, 198, K, (0, 0, 100, math.pi / 2)) == pytest.approx((-10.0, 10.0))


@settings(max_examples=200, deadline=None)
@given(u=st.floats(0, 640), v=st.floats(0, 480), x=st.floats(-500, 500), y=st.floats(-500, 500),
       h=st.floats(1, 300), yaw=st.floats(-math.pi, math.pi))
def test_nadir_matches_architecture_formula(u, v, x, y, h, yaw):
    got = pixel_to_ground(u, v, K, Pose(x, y, h, yaw))
    assert got == pytest.approx(_doc_formula(u, v, K, x, y, h, yaw), abs=1e-6)


def test_ground_z_is_relative_altitude():
    assert pixel_to_ground(280, 198, K, (0, 0, 110, 0), ground_z=10.0) == pytest.approx((10.0, 10.0))


@settings(max_examples=200, deadline=None)
@given(u=st.floats(0, 640), v=st.floats(0, 480), h=st.floats(5, 300), yaw=st.floats(-math.pi, math.pi),
       roll=st.floats(-0.3, 0.3), pitch=st.floats(-0.3, 0.3), tilt=st.floats(0, 40))
def test_round_trip_pixel_ground_pixel(u, v, h, yaw, roll, pitch, tilt):
    pose = Pose(12.0, -7.0, h, yaw, roll, pitch)
    g = pixel_to_ground(u, v, K, pose, camera_pitch_deg=tilt)
    if g is None:
        return
    back = ground_to_pixel(g[0], g[1], K, pose, camera_pitch_deg=tilt)
    assert back == pytest.approx((u, v), abs=1e-4)


def test_tilt_forward_moves_centre_ahead():
    # Tilt 45 deg at 20 m altitude, facing east: the optical axis hits 20 m ahead.
    assert pixel_to_ground(320, 240, K, (0, 0, 20, 0), camera_pitch_deg=45) == pytest.approx((20.0, 0.0))
    # Facing north, the same point is 20 m north.
    assert pixel_to_ground(320, 240, K, (0, 0, 20, math.pi / 2), camera_pitch_deg=45) == pytest.approx((0.0, 20.0))


def test_vehicle_pitch_nose_down_equals_camera_tilt():
    # REP 103: positive pitch = nose down, which turns a nadir camera aft; nose up (negative) looks ahead.
    a = pixel_to_ground(320, 240, K, Pose(0, 0, 20, 0, 0.0, math.radians(-30)))
    b = pixel_to_ground(320, 240, K, (0, 0, 20, 0), camera_pitch_deg=30)
    assert a == pytest.approx(b)


def test_roll_right_side_down_points_belly_camera_left():
    # Banking right (positive roll) turns the belly, and a nadir camera, towards the left: north at yaw 0.
    east, north = pixel_to_ground(320, 240, K, Pose(0, 0, 10, 0, math.radians(45), 0.0))
    assert east == pytest.approx(0.0, abs=1e-9) and north == pytest.approx(10.0)


def test_beyond_horizon_is_none():
    # Tilted 80 deg: the top rows look above the horizon.
    assert pixel_to_ground(320, 0, K, (0, 0, 20, 0), camera_pitch_deg=80) is None
    assert pixel_to_ground(320, 240, K, (0, 0, 20, 0), camera_pitch_deg=90) is None
    assert pixel_to_ground(320, 479, K, (0, 0, 20, 0), camera_pitch_deg=80) is not None


def test_camera_below_ground_is_none():
    assert pixel_to_ground(320, 240, K, (0, 0, -1, 0)) is None
    assert pixel_to_ground(320, 240, K, (0, 0, 5, 0), ground_z=5) is None


def test_max_distance():
    assert pixel_to_ground(320, 240, K, (0, 0, 20, 0), camera_pitch_deg=80, max_distance=50) is None
    assert pixel_to_ground(320, 240, K, (0, 0, 20, 0), camera_pitch_deg=80) is not None


def test_point_behind_camera_has_no_pixel():
    assert ground_to_pixel(-50.0, 0.0, K, (0, 0, 20, 0), camera_pitch_deg=80) is None
    assert ground_to_pixel(0.0, 0.0, K, (0, 0, 20, 0)) == pytest.approx((320.0, 240.0))


def test_box_center_to_ground_matches_sim_pixel_convention():
    # 640x480 image, principal point (320, 240) as the sim sets it: a centred box hits the nadir point.
    k = Intrinsics(400.0, 400.0, 320.0, 240.0, 640, 480)
    assert box_center_to_ground((0.5, 0.5, 0.2, 0.2), (640, 480), k, (3, 4, 50, 0.3)) == pytest.approx((3, 4))
    u, v = normalized_to_pixel(0.25, 0.75, (640, 480))
    assert pixel_to_normalized(u, v, (640, 480)) == pytest.approx((0.25, 0.75))
    # A box in the upper half is ahead of the vehicle (forward = east at yaw 0).
    east, north = box_center_to_ground((0.5, 0.25, 0.1, 0.1), (640, 480), k, (0, 0, 50, 0))
    assert east > 0 and north == pytest.approx(0.0)


def test_intrinsics_from_camera_info_k():
    assert Intrinsics.from_k([400, 0, 320, 0, 420, 240, 0, 0, 1], 640, 480) == K
    with pytest.raises(ValueError, match="9 values"):
        Intrinsics.from_k([1, 2, 3], 640, 480)


def test_bad_inputs_name_the_value():
    with pytest.raises(ValueError, match="focal"):
        pixel_to_ground(0, 0, (0, 1, 0, 0), (0, 0, 10, 0))
    with pytest.raises(ValueError, match="pose"):
        pixel_to_ground(0, 0, K, (0, 0, "high", 0))


@settings(max_examples=100, deadline=None)
@given(yaw=st.floats(-3.1, 3.1), roll=st.floats(-1.0, 1.0), pitch=st.floats(-1.0, 1.0))
def test_quaternion_helpers(yaw, roll, pitch):
    assert yaw_from_quaternion(*quaternion_from_yaw(yaw)) == pytest.approx(yaw, abs=1e-9)
    cr, sr = math.cos(roll / 2), math.sin(roll / 2)
    cp, sp = math.cos(pitch / 2), math.sin(pitch / 2)
    cy, sy = math.cos(yaw / 2), math.sin(yaw / 2)
    q = (sr * cp * cy - cr * sp * sy, cr * sp * cy + sr * cp * sy, cr * cp * sy - sr * sp * cy,
         cr * cp * cy + sr * sp * sy)
    assert rpy_from_quaternion(*q) == pytest.approx((roll, pitch, yaw), abs=1e-9)
    with pytest.raises(ValueError, match="quaternion"):
        rpy_from_quaternion(0, 0, 0, 0)


def test_agrees_with_the_sim_camera():
    import numpy as np
    from geotext_ros.geometry import intrinsics_for
    from geotext_ros.sim.camera import CameraPose, pixel_to_world, world_to_pixel

    k = intrinsics_for(640, 480, 70.0)
    pose = CameraPose(30.0, -12.0, 80.0, 0.7)
    uv = np.array([[10.0, 20.0], [600.0, 400.0], [320.0, 240.0]])
    for (u, v), (e, n) in zip(uv, pixel_to_world(pose, k, uv)):
        assert pixel_to_ground(u, v, k, pose) == pytest.approx((e, n), abs=1e-6)
        assert ground_to_pixel(e, n, k, pose) == pytest.approx(tuple(world_to_pixel(pose, k, np.array([[e, n]]))[0]),
                                                              abs=1e-6)
