"""Ordinals, superlatives, nearest and "of the two" (issue 19 §2): the phrase parser and the choice among
candidates seen through the real camera geometry."""
import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from geotext_ros.nav.camera import Pose
from geotext_ros.nav.map_relations import FRAME_CAMERA, FRAME_MAP
from geotext_ros.nav.order_size import DISTANCE, ORDER, SIZE, Selector, parse_selector, select
from scene_helpers import rotated, seen

POSE = Pose(0.0, 0.0, 60.0, math.pi / 2)   # heading north: image left = west


@pytest.mark.parametrize("text, want", [
    ("the second building from the left", Selector("building", ORDER, 2, "left")),
    ("The 3rd pool from the north.", Selector("pool", ORDER, 3, "north")),
    ("the last car from the right", Selector("car", ORDER, -1, "right")),
    ("the second to last house from the top", Selector("house", ORDER, -2, "top")),
    ("the leftmost building", Selector("building", ORDER, 1, "left")),
    ("the second northernmost pool", Selector("pool", ORDER, 2, "north")),
    ("the largest parking lot", Selector("parking lot", SIZE, 1, None, True)),
    ("the second biggest pool", Selector("pool", SIZE, 2, None, True)),
    ("the smallest red building", Selector("red building", SIZE, 1, None, False)),
    ("the nearest pool", Selector("pool", DISTANCE, 1, None, False)),
    ("the pool nearest the red building", Selector("pool", DISTANCE, 1, None, False, "the red building")),
    ("the pool closest to me", Selector("pool", DISTANCE, 1, None, False, None)),
    ("the tree farthest from the road", Selector("tree", DISTANCE, 1, None, True, "the road")),
    ("the smaller of the two courts", Selector("court", SIZE, 1, None, False, None, 2)),
    ("the larger one of the three pools", Selector("pool", SIZE, 1, None, True, None, 3)),
    ("the red building left of the pool", None),
    ("fly to the pool", None),
    ("", None),
])
def test_parse_selector(text, want):
    assert parse_selector(text) == want


# Three buildings in a west-east row, of different sizes; a red building to the north-east.
ROW = [("building", (-30.0, 0.0), 4.0, 0.7), ("building", (0.0, 5.0), 7.0, 0.6), ("building", (30.0, -5.0), 2.0, 0.8)]


@pytest.mark.parametrize("text, want", [
    ("the first building from the left", 0), ("the second building from the left", 1),
    ("the second building from the right", 1), ("the last building from the left", 2),
    ("the leftmost building", 0), ("the first building from the north", 1),
    ("the largest building", 1), ("the smallest building", 2), ("the second largest building", 0),
    ("the building nearest the red building", 2), ("the building farthest from the red building", 0),
    ("the nearest building", 1),
])
def test_select_on_a_row(text, want):
    objs = seen(ROW, POSE)
    red = (35.0, 25.0)
    got = select(parse_selector(text), objs, POSE.yaw, vehicle_xy=(0.0, 0.0), anchor_xy=red)
    assert got.index == want, got


def test_frames_and_refusals():
    objs = seen(ROW, POSE)
    assert select(parse_selector("the leftmost building"), objs, POSE.yaw).frame == FRAME_CAMERA
    assert select(parse_selector("the first building from the west"), objs, POSE.yaw).frame == FRAME_MAP
    fourth = select(parse_selector("the fourth building from the left"), objs, POSE.yaw)
    assert fourth.index is None and "found 3" in fourth.reason
    no_anchor = select(parse_selector("the building nearest the red building"), objs, POSE.yaw)
    assert no_anchor.index is None and "red building" in no_anchor.reason
    assert select(parse_selector("the largest building"), [], POSE.yaw).index is None
    too_few = select(parse_selector("the smaller of the three buildings"), objs[:2], POSE.yaw)
    assert too_few.index is None and "found 2" in too_few.reason


def test_smaller_of_the_two_courts_uses_the_two_best_scoring():
    world = [("court", (-15.0, 0.0), 6.0, 0.9), ("court", (15.0, 0.0), 4.0, 0.85), ("court", (0.0, 30.0), 1.0, 0.2)]
    got = select(parse_selector("the smaller of the two courts"), seen(world, POSE), POSE.yaw)
    assert got.index == 1 and "2 best-scoring of 3" in got.reason


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(-40, 40), st.floats(-40, 40), st.floats(1.0, 8.0)), min_size=2, max_size=5),
       st.floats(-math.pi, math.pi), st.floats(math.radians(90), math.radians(180)),
       st.sampled_from(["the second building from the left", "the last building from the top",
                        "the largest building", "the smallest building", "the first building from the south east",
                        "the building nearest the pool"]))
def test_choice_survives_a_turn_after_the_instruction(world, yaw0, turn, text):
    """Given at yaw0, evaluated again after a 90-180 degree turn: the same object (order along the frozen
    direction, ground areas, ground distances)."""
    xs = sorted(x for x, _, _ in world)
    assume(all(b - a > 0.5 for a, b in zip(xs, xs[1:])))
    sizes = sorted(h for _, _, h in world)
    assume(all(b - a > 0.05 for a, b in zip(sizes, sizes[1:])))
    items = [("building", (x, y), h, 0.5) for x, y, h in world]
    pose0 = Pose(0.0, 0.0, 70.0, yaw0)
    pose1 = rotated(pose0, yaw0 + turn)
    sel = parse_selector(text)
    pool = (3.0, -7.0)
    objs0, objs1 = seen(items, pose0), seen(items, pose1)
    for objs in (objs0, objs1):   # projections and distances far from ties, so float noise cannot flip them
        d = [math.dist(o.ground, pool) for o in objs]
        assume(all(abs(a - b) > 1e-3 for i, a in enumerate(d) for b in d[i + 1:]))
    if sel.measure == ORDER:
        from geotext_ros.nav.map_relations import resolve_direction
        v = resolve_direction(sel.direction, yaw0).vector
        proj = sorted(o.ground[0] * v[0] + o.ground[1] * v[1] for o in objs0)
        assume(all(b - a > 1e-3 for a, b in zip(proj, proj[1:])))
    first = select(sel, objs0, yaw0, anchor_xy=pool)
    second = select(sel, objs1, yaw0, anchor_xy=pool)   # the yaw at instruction, not the current one
    assert first.index == second.index is not None


@pytest.mark.parametrize("plural,singular", [
    ("courts", "court"), ("water bodies", "water body"), ("football pitches", "football pitch"),
    ("courts for tennis", "court for tennis"), ("grass", "grass"), ("bus", "bus"), ("red boxes", "red box"),
    ("glasses", "glass"), ("piles of sand", "pile of sand"), ("parking lots", "parking lot")])
def test_the_smaller_of_the_two_names_the_singular_head_noun(plural: str, singular: str) -> None:
    from geotext_ros.nav.order_size import _singular

    assert _singular(plural) == singular
