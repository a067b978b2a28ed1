"""mission.centre_from_outline (ROS-free): over the target, the point a detection refines it with is the centre of the
target's outline in the frame (geotext_ros/nav/image_outline.py), not the centre of a box the model lit only part of."""
import math

import cv2
import numpy as np
import pytest

from geotext_ros.geometry import Pose
from geotext_ros.nav.camera import ground_to_pixel, pixel_to_normalized
from geotext_ros.nav.candidates import Candidate
from geotext_ros.nav.grounding import GroundingResult
from geotext_ros.nav.mission import Mission, MissionConfig
from geotext_ros.nav.pipeline import NavPipeline
from geotext_ros.nav.safety import SafetyConfig, SafetyEnvelope
from geotext_ros.nav.scene import polygon_centroid
from scene_helpers import K, SIZE

HALL, HALF = (12.0, 0.0), 8.0          # a white hall 16 x 16 m
GRASS, ROOF = (70, 110, 55), (230, 228, 225)
SAFETY = SafetyConfig(camera_timeout_s=0.0, odom_timeout_s=0.0, max_step_m=0.0, max_horizontal_speed_mps=0.0,
                      max_vertical_speed_mps=0.0, max_vertical_step_m=0.0)


def rectangle_box(lo, hi, pose):
    """Normalized (cx, cy, w, h) box around the image of the ground rectangle lo..hi."""
    pts = [pixel_to_normalized(*ground_to_pixel(x, y, K, pose), SIZE) for x in (lo[0], hi[0]) for y in (lo[1], hi[1])]
    us, vs = [p[0] for p in pts], [p[1] for p in pts]
    return (min(us) + max(us)) / 2, (min(vs) + max(vs)) / 2, max(us) - min(us), max(vs) - min(vs)


class ThirdGrounder:
    """Lights the hall's western third only, from wherever the drone is (the model on a white hall, plain 800005)."""

    def __init__(self):
        self.pose = Pose(0.0, 0.0, 30.0, 0.0)

    def ground(self, rgb, instruction):
        west = HALL[0] - HALF
        box = rectangle_box((west, -HALF), (west + 2 * HALF / 3, HALF), self.pose)
        return GroundingResult(box, 0.9, [Candidate(box, 0.9, 9)], 0, phrase=instruction.target, confidence=0.9)


def frame(pose):
    rng = np.random.default_rng(0)
    rgb = np.clip(np.array(GRASS) + rng.normal(0, 10, (SIZE[1], SIZE[0], 3)), 0, 255).astype(np.uint8)
    corners = [ground_to_pixel(HALL[0] + sx * HALF, HALL[1] + sy * HALF, K, pose)
               for sx, sy in ((-1, -1), (1, -1), (1, 1), (-1, 1))]
    cv2.fillPoly(rgb, [np.round(corners).astype(np.int32)], ROOF)
    return rgb


def fly(centre_from_outline):
    g = ThirdGrounder()
    p = NavPipeline(g, Mission(MissionConfig(localize_votes=1, min_confidence=0.5, approach_altitude=None,
                                             centre_from_outline=centre_from_outline)), SafetyEnvelope(SAFETY))
    p.set_instruction("fly to the white hall", 0.0, tuple(g.pose))
    states = []
    for t in range(1, 40):
        p.process_frame(frame(g.pose), K, tuple(g.pose), float(t))
        wp, status = p.tick(tuple(g.pose), t + 0.5, None, None)
        states.append(status["state"])
        if wp is not None:
            g.pose = Pose(wp[0], wp[1], wp[2], 0.0)
    return p.mission.target, states


@pytest.mark.parametrize("centre_from_outline", [True, False])
def test_over_the_target_the_outline_centre_refines_it_not_a_part_lit_box(centre_from_outline):
    target, states = fly(centre_from_outline)
    assert "ARRIVED" in states, states
    off = math.dist(target, HALL)
    if centre_from_outline:
        assert off <= 1.0, target
    else:
        assert off >= 4.0, target   # the lit third's centre: 5.3 m from the hall's


def test_polygon_centroid_is_the_area_centre():
    assert polygon_centroid([(0, 0), (4, 0), (4, 2), (0, 2)]) == pytest.approx((2.0, 1.0))
    # vertices crowded on one side do not pull the centre (the mean of these would be 2.6 m east)
    crowded = [(0, 0), (4, 0), (4, 1), (4, 2), (4, 3), (4, 4), (0, 4)]
    assert polygon_centroid(crowded) == pytest.approx((2.0, 2.0))
    assert polygon_centroid([(0, 0), (1, 1), (2, 2)]) == pytest.approx((1.0, 1.0))   # no area: the mean
