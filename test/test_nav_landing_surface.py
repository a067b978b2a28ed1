"""The image check of a touchdown point (geotext_ros/nav/landing_surface.py): a nadir camera 30 m up looks at a
painted ground; each point's disc of clearance_m must be clear ground beside the target, or, for "on", the target's
surface with nothing of another colour inside its outline (a car on a lot)."""
import cv2
import numpy as np
import pytest

from geotext_ros.nav.camera import Pose, ground_to_pixel
from geotext_ros.nav.landing import BESIDE, ON, LandingConfig, plan_landing
from geotext_ros.nav.landing_surface import SurfaceCheck
from scene_helpers import K, SIZE, seen

POSE = Pose(0.0, 0.0, 30.0, 0.0)
GRASS, ASPHALT, CAR, PAINT = (70, 110, 55), (85, 80, 85), (200, 30, 30), (235, 235, 235)
LOT = ((-6.0, -6.0), (6.0, 6.0))   # the target: a 12 m parking lot centred under the drone
CONFIG = LandingConfig(clearance_m=3.0)


def paint(rgb, lo, hi, colour):
    """Fill the ground rectangle lo..hi (ENU corners) in the nadir image."""
    corners = [ground_to_pixel(x, y, K, POSE) for x, y in ((lo[0], lo[1]), (hi[0], lo[1]), (hi[0], hi[1]),
                                                           (lo[0], hi[1]))]
    cv2.fillPoly(rgb, [np.round(corners).astype(np.int32)], colour)


def scene(cars=(), lines=True):
    """Grass with a little texture, the lot, its paint lines (20 cm: a pixel at this height, as the simulator
    draws them) and cars [(east, north)] of 2 x 4 m."""
    rng = np.random.default_rng(0)
    rgb = np.clip(np.array(GRASS) + rng.normal(0, 12, (SIZE[1], SIZE[0], 3)), 0, 255).astype(np.uint8)
    paint(rgb, *LOT, ASPHALT)
    if lines:
        for x in (-3.0, 0.0, 3.0):   # one pixel wide
            ends = [np.round(ground_to_pixel(x, y, K, POSE)).astype(int) for y in (-5.0, 5.0)]
            cv2.line(rgb, tuple(map(int, ends[0])), tuple(map(int, ends[1])), PAINT, 1)
    for east, north in cars:
        paint(rgb, (east - 1.0, north - 2.0), (east + 1.0, north + 2.0), CAR)
    return rgb


def check(rgb, mode):
    lot = seen([("parking_lot", (0.0, 0.0), 6.0, 0.9)], POSE)[0]
    return SurfaceCheck(rgb, K, POSE, CONFIG, lot.box, mode)


def test_beside_accepts_clear_grass_and_rejects_the_target_an_object_and_the_frame_edge():
    c = check(scene(cars=[(12.0, 0.0)]), BESIDE)
    assert c((0.0, 12.0))                 # grass, 6 m from the lot
    assert not c((0.0, 0.0))              # on the lot itself: the target's colour
    assert not c((12.0, 1.0))             # a car the model did not ground
    assert not c((0.0, 8.0))              # the disc reaches the lot's edge: two surfaces
    assert not c((28.0, 0.0))             # the disc leaves the frame (30 m up, 90 degrees: 30 m each side)
    assert not c((0.0, 8.3))              # the disc's edge cuts the lot 0.7 m deep: a sliver, but of a large object
    assert (c.checked, c.rejected) == (6, 5)


def test_on_rejects_discs_with_a_car_but_not_paint_lines_or_the_ground_beyond_the_edge():
    c = check(scene(cars=[(3.0, 3.0)]), ON)
    assert not c((3.0, 1.0)) and not c((1.0, 3.0))   # the car, another colour inside the lot, within 3 m
    assert c((-3.0, -3.5))                           # paint lines cross the disc: not an obstacle
    assert c((-4.5, -4.5))                           # the disc reaches beyond the lot's edge: the geometry's business
    assert not c((10.0, 10.0))                       # not on the lot's colour
    lineless = check(scene(cars=[(3.0, 3.0)], lines=False), ON)
    assert lineless((-3.0, -3.5)) and not lineless((3.0, 1.0))
    at_edge = check(scene(cars=[(5.5, 0.0)]), ON)   # a car over the lot's edge: not enclosed, still inside its outline
    assert not at_edge((3.0, 0.0)) and at_edge((-3.0, 0.5))


def test_plan_landing_takes_the_best_point_the_check_accepts():
    lot = seen([("parking_lot", (0.0, 0.0), 6.0, 0.9)], POSE)
    blind = plan_landing(0, lot, ON, CONFIG)
    assert blind.point is not None
    car_there = check(scene(cars=[blind.point]), ON)
    plan = plan_landing(0, lot, ON, CONFIG, accept=car_there)
    assert plan.point is not None and car_there.rejected >= 1
    assert np.hypot(plan.point[0] - blind.point[0], plan.point[1] - blind.point[1]) >= 2.0
    full = check(scene(cars=[(x, y) for x in (-4.0, 0.0, 4.0) for y in (-4.0, 0.0, 4.0)]), ON)
    refused = plan_landing(0, lot, ON, CONFIG, accept=full)
    assert refused.point is None and "looks like clear ground in the image" in refused.reason


@pytest.mark.parametrize("bad", [{"surface_tolerance": 0.0}, {"surface_line_px": -1}])
def test_config_checks_the_surface_values(bad):
    with pytest.raises(ValueError, match="landing.surface_"):
        LandingConfig(**bad)
