"""Detected boxes placed on the ground (geotext_ros/nav/scene.py) through the real camera geometry."""
import math

import pytest

from geotext_ros.nav.camera import Pose
from geotext_ros.nav.scene import (SceneObject, distance_to_boundary, distance_to_polygon, inside_polygon, locate,
                                   polygon_area, view_footprint)
from scene_helpers import K, SIZE, seen


@pytest.mark.parametrize("yaw", [0.0, math.pi / 2, math.pi, -math.pi / 2])
def test_a_square_lands_where_it_is_with_its_area(yaw):
    pose = Pose(5.0, -3.0, 50.0, yaw)
    obj = seen([("pool", (12.0, 7.0), 5.0, 0.8)], pose)[0]
    assert obj.ground == pytest.approx((12.0, 7.0), abs=1e-6)
    assert obj.area == pytest.approx(100.0, rel=1e-6)
    assert inside_polygon((12.0, 7.0), obj.footprint) and not inside_polygon((18.0, 7.0), obj.footprint)


def test_corners_beyond_the_horizon_leave_no_footprint():
    # Camera tilted 80 degrees from nadir: the top of the image looks above the horizon.
    obj = locate((0.5, 0.05, 0.2, 0.1), "building", 0.5, SIZE, K, Pose(0.0, 0.0, 30.0, 0.0), camera_pitch_deg=80.0)
    assert obj.footprint == () and obj.area == 0.0
    assert view_footprint(SIZE, K, Pose(0.0, 0.0, 30.0, 0.0), camera_pitch_deg=80.0) == ()
    assert isinstance(obj, SceneObject)


def test_polygon_helpers():
    sq = ((0.0, 0.0), (4.0, 0.0), (4.0, 4.0), (0.0, 4.0))
    assert polygon_area(sq) == 16.0 and polygon_area(sq[:2]) == 0.0
    assert distance_to_polygon((2.0, 2.0), sq) == 0.0 and distance_to_boundary((2.0, 2.0), sq) == 2.0
    assert distance_to_polygon((7.0, 8.0), sq) == pytest.approx(5.0)
    corners = [c for xy in view_footprint(SIZE, K, Pose(0.0, 0.0, 10.0, 0.0)) for c in xy]
    assert corners == pytest.approx([10.0, 10.0, 10.0, -10.0, -10.0, -10.0, -10.0, 10.0])
