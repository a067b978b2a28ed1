"""The image check of a touchdown point (geotext_ros/nav/landing_surface.py): a nadir camera 30 m up looks at a
painted ground; each point's disc of clearance_m must be clear ground beside the target, or, for "on", the target's
surface with nothing of another colour inside its outline (a car on a lot)."""
import math

import cv2
import numpy as np
import pytest

from geotext_ros.nav.camera import Pose, ground_to_pixel
from geotext_ros.nav.landing import BESIDE, ON, LandingConfig, plan_landing
from geotext_ros.nav.landing_surface import EDGE_PX, MEDIAN_PX, SurfaceCheck
from geotext_ros.nav.scene import distance_to_polygon
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


def test_on_sees_light_cars_with_dark_cabins():
    """Seen from 45 m (3.6 pixels a metre, the simulator's lots at the landing frame: 3.6-5.6), light cars of 2 x 4
    m with a dark 1.5 x 2.4 m cabin: a box blur averages body and cabin into the asphalt's grey and the 8 pixel
    opening took the rest (land episodes 100008, 800003); the median-filtered frame keeps them."""
    high = Pose(0.0, 0.0, 45.0, 0.0)
    cars = [(3.0, 3.0), (-3.0, -2.0)]
    shapes = [(square(6.0), ASPHALT)]
    for east, north in cars:
        shapes += [(_rect(east, north, 1.0, 2.0), (215, 215, 220)), (_rect(east, north, 0.75, 1.2), (25, 25, 30))]
    rgb = painted(*shapes, pose=high)
    lot = seen([("parking_lot", (0.0, 0.0), 6.0, 0.9)], high)[0]
    c = SurfaceCheck(rgb, K, high, CONFIG, lot.box, ON)
    for east, north in cars:
        assert not c((east, north - 3.0)) and not c((east - 2.5, north)), (east, north)   # 1-1.5 m from the car
    assert c((3.0, -3.0))                                                                  # 3.8 m and more away


def _rect(east, north, half_e, half_n):
    return [(east - half_e, north - half_n), (east + half_e, north - half_n), (east + half_e, north + half_n),
            (east - half_e, north + half_n)]


def test_on_takes_the_lots_edge_beside_grass_but_not_beside_a_tree():
    """The disc of a point at the lot's edge is half grass: the ground, no obstacle (the blurred rim where the
    lot meets the grass used to be taken for a car, so no point near the edge, where a full lot has its room,
    passed). A tree beside the lot is neither the lot nor the ground: an obstacle."""
    c = check(scene(), ON)
    assert c((-5.5, 0.0)) and c((0.0, 5.5))
    tree = check(painted((square(6.0), ASPHALT), ([(-9.0, -1.0), (-7.0, -1.0), (-7.0, 1.0), (-9.0, 1.0)],
                                                   (25, 60, 25))), ON)
    assert not tree((-5.5, 0.0)) and tree((0.0, 5.5))


def test_beside_accepts_no_disc_on_the_targets_edge():
    """Points walked out from a pond across its edge: a disc about half on the water has a median halfway between
    water and grass (71 apart), within the tolerance of both and far enough from the water's colour, so the median
    rules passed one (6.1 m from the centre, 0.1 m off the water: land episode 100040 planned on a pond's shore);
    the pond's colour in the disc does not pass."""
    pond = painted((square(6.0), (36, 61, 75)), ground=(86, 108, 55))
    c = SurfaceCheck(pond, K, POSE, CONFIG, seen([("pond", (0.0, 0.0), 6.0, 0.9)], POSE)[0].box, BESIDE)
    for east in np.arange(0.0, 12.0, 0.05):
        for xy in ((east, 0.0), (0.0, -east)):
            assert not c(xy) or east - 6.0 >= 3.0 - 0.2, xy
    assert c((0.0, 10.0)) and c((10.0, 0.0))


def test_beside_accepts_no_disc_on_a_tree_in_shade():
    """A dark tree with its shadow on grass beside a green hall nobody grounded (land episode 1000009, a fresh
    seed: the plan was on the tree): the tree and the shade pull a disc's median off the grass, within the
    tolerance of both, so the median rules passed it; every pixel is held to the ground's colour too."""
    tree = [(12.0 + 2.0 * math.cos(a), 2.0 * math.sin(a)) for a in np.linspace(0, 2 * math.pi, 24, endpoint=False)]
    shade = [(x - 1.5, y - 1.5) for x, y in tree]
    rgb = painted((square(6.0), (70, 103, 55)), (shade, (60, 80, 42)), (tree, (36, 72, 38)), ground=(88, 109, 55))
    c = SurfaceCheck(rgb, K, POSE, CONFIG, seen([("hall", (0.0, 0.0), 6.0, 0.9)], POSE)[0].box, BESIDE)
    for east in np.arange(9.0, 20.0, 0.25):
        for north in (-3.0, -1.5, 0.0, 1.5, 3.0):
            assert not c((east, north)) or math.hypot(east - 12.0, north) >= 2.0 + 3.0 - 0.3, (east, north)


def test_beside_in_fields_of_the_targets_grey():
    """The held-out look's fields (land episode 100057, --style ood): grey ground with olive strips, and a lot whose
    asphalt is the ground's grey. X's colour is everywhere there, so it says nothing about X: a disc on the strips
    is accepted (counting the grey strips as X left only a brown roof, where the drone set down)."""
    grey, olive = (85, 88, 80), (110, 108, 72)
    strips = [([(x, -30.0), (x + 3.0, -30.0), (x + 3.0, 30.0), (x, 30.0)], olive) for x in np.arange(9.0, 30.0, 5.0)]
    rgb = painted(*strips, (square(6.0), (80, 83, 87)), ground=grey)
    c = SurfaceCheck(rgb, K, POSE, CONFIG, seen([("parking_lot", (0.0, 0.0), 6.0, 0.9)], POSE)[0].box, BESIDE)
    assert any(c((x, 0.0)) for x in np.arange(14.0, 22.0, 0.25))


def test_the_disc_is_grown_by_the_filters_reach():
    """Beside: the box blur moves an edge EDGE_PX pixels, on: the median one; the disc's outline is that much
    beyond clearance_m's projection (a 30 m nadir view: 160 / 30 pixels a metre)."""
    rgb = scene()
    for mode, grow in ((BESIDE, EDGE_PX), (ON, MEDIAN_PX // 2)):
        c = check(rgb, mode)
        outline = c._outline((2.0, 1.0))
        centre = np.array(ground_to_pixel(2.0, 1.0, K, POSE))
        radii = np.hypot(*(outline - centre).T)
        assert np.allclose(radii, 3.0 * 160.0 / 30.0 + grow, atol=1e-6), (mode, radii)


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


def painted(*shapes, ground=GRASS, pose=POSE):
    """Textured ground with ground polygons [(ENU corners, colour)] painted in order, seen from `pose`."""
    rgb = np.clip(np.array(ground) + np.random.default_rng(0).normal(0, 12, (SIZE[1], SIZE[0], 3)), 0, 255)
    rgb = rgb.astype(np.uint8)
    for corners, colour in shapes:
        cv2.fillPoly(rgb, [np.round([ground_to_pixel(x, y, K, pose) for x, y in corners]).astype(np.int32)], colour)
    return rgb


def square(half, turned=False):
    """A ground square centred under the drone, its sides along the axes or turned 45 degrees."""
    if turned:
        r = half * math.sqrt(2.0)
        return [(r, 0.0), (0.0, r), (-r, 0.0), (0.0, -r)]
    return [(-half, -half), (half, -half), (half, half), (-half, half)]


def outline_of(rgb, half_box):
    """SurfaceCheck.target_footprint with the model's box = the image of a square of half_box m."""
    box = seen([("target", (0.0, 0.0), half_box, 0.9)], POSE)[0].box
    return SurfaceCheck(rgb, K, POSE, CONFIG, box, BESIDE).target_footprint()


def extent(outline):
    return max(max(abs(x), abs(y)) for x, y in outline)


PLAZA, PITCH, TRACK, INFIELD = (225, 215, 205), (50, 140, 60), (190, 70, 60), (150, 190, 140)


def test_the_outline_reaches_the_corners_a_turned_targets_box_misses():
    """A plaza turned 45 degrees: the model's box is the square inscribed in it (its corners 3.5 m outside);
    the outline read from the image reaches them to within the smoothing and the opening, which round a corner."""
    outline = outline_of(painted((square(6.0, turned=True), PLAZA)), 6.0 / math.sqrt(2.0))
    corners = square(6.0, turned=True)
    assert outline is not None
    assert max(distance_to_polygon(c, outline) for c in corners) <= 1.0, outline
    assert min(distance_to_polygon(c, square(6.0 / math.sqrt(2.0))) for c in corners) >= 3.0   # the box's


def test_the_outline_is_the_target_not_its_loose_box():
    """A pitch on grass of a close colour (36 from it, under the tolerance): the model's box is 1.7 x too large
    on each side; the outline is the pitch."""
    outline = outline_of(painted((square(6.0), PITCH)), 10.0)
    assert outline is not None and 5.5 <= extent(outline) <= 6.6, outline


def test_the_outline_takes_in_the_targets_parts_of_other_colours():
    """A running track: the middle of its box is the green infield (X's colour), the red ring around it is not
    the ground's colour and touches it, so it is part of the outline too (without it: the infield, 2 m short)."""
    outline = outline_of(painted((square(6.0), TRACK), (square(4.0), INFIELD)), 6.0)
    assert outline is not None and 5.5 <= extent(outline) <= 6.6, outline


def test_beside_rejects_a_surface_that_is_not_the_ground_around_the_target():
    """A roof of one colour beside the lot that the model did not ground: a disc on it is one surface and not
    the lot's colour, but it is not the grass the lot stands on."""
    roof = [(10.0, -8.0), (22.0, -8.0), (22.0, 8.0), (10.0, 8.0)]
    rgb = painted((square(6.0), ASPHALT), (roof, (60, 50, 70)))
    c = SurfaceCheck(rgb, K, POSE, CONFIG, seen([("parking_lot", (0.0, 0.0), 6.0, 0.9)], POSE)[0].box, BESIDE)
    assert not c((16.0, 0.0))          # the middle of the roof
    assert c((0.0, 12.0))              # grass


@pytest.mark.parametrize("shapes, half_box, why", [
    ((), 3.0, "X's colour is the ground's: the region runs over the whole frame"),
    (((square(3.0), PLAZA),), 8.0, "X's colour fills 0.14 of its box: more likely a part of X than X"),
    (((square(6.0), PITCH), ([(-1.0, -6.0), (1.0, -6.0), (1.0, -40.0), (-1.0, -40.0)], PITCH)), 6.0,
     "X's colour runs on to the frame's edge, which its box does not reach: shade or grass of its colour"),
])
def test_no_outline_when_the_frame_does_not_show_the_target_apart(shapes, half_box, why):
    assert outline_of(painted(*shapes), half_box) is None, why


@pytest.mark.parametrize("bad", [{"surface_tolerance": 0.0}, {"surface_line_px": -1}])
def test_config_checks_the_surface_values(bad):
    with pytest.raises(ValueError, match="landing.surface_"):
        LandingConfig(**bad)
