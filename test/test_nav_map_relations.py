"""Map-frame relations and camera-frame relations frozen at instruction time (issue 19 §2), decided on the ground
through the real camera geometry."""
import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from geotext_ros.nav.camera import Pose
from geotext_ros.nav.map_relations import (CONE_HALF_ANGLE, FRAME_CAMERA, FRAME_MAP, MapRelation, bearing_word,
                                           camera_direction, choose_extreme, choose_from_anchor, compass_word,
                                           in_direction_of,
                                           map_direction, parse_map_relation, resolve_direction)
from geotext_ros.nav.scene import locate
from scene_helpers import K, SIZE, rotated, seen, square_box

POSE = Pose(0.0, 0.0, 60.0, 0.0)


@pytest.mark.parametrize("text, want", [
    ("the building north of the pool", MapRelation("building", "north", "the pool")),
    ("the pond south-west of the red building", MapRelation("pond", "south west", "the red building")),
    ("the red car to the northeast of the big plaza", MapRelation("red car", "north east", "the big plaza")),
    ("the eastern parking lot", MapRelation("parking lot", "east")),
    ("the north-western pool", MapRelation("pool", "north west")),
    ("the parking lot on the west side", MapRelation("parking lot", "west")),
    ("the building left of the pool", None),
    ("the northern", None),
    ("fly to the pool", None),
])
def test_parse_map_relation(text, want):
    assert parse_map_relation(text) == want


def test_compass_words_and_bearings():
    assert compass_word("North-Eastern") == "north east" and compass_word("southwest") == "south west"
    assert compass_word("left") is None
    assert map_direction("north").frame == FRAME_MAP and map_direction("north").angle == pytest.approx(math.pi / 2)
    assert bearing_word((0, 0), (10, 10)) == "north-east" and bearing_word((0, 0), (-5, 0)) == "west"
    assert bearing_word((1, 1), (1, 1)) is None


def test_camera_words_are_frozen_with_the_yaw_at_instruction():
    # Heading north (yaw 90 deg): image left is west, image top is north.
    left = camera_direction("left", math.pi / 2)
    assert left.frame == FRAME_CAMERA and math.cos(left.angle) == pytest.approx(-1.0)
    top = resolve_direction("top", math.pi / 2)
    assert math.sin(top.angle) == pytest.approx(1.0)
    assert resolve_direction("north", 1.0).frame == FRAME_MAP
    assert resolve_direction("sideways", 0.0) is None


def test_the_building_north_of_the_pool_is_chosen_on_the_ground():
    world = [("building", (5.0, 30.0), 5.0, 0.5), ("building", (30.0, 2.0), 5.0, 0.9),
             ("building", (-4.0, -28.0), 5.0, 0.8)]
    pool = locate(square_box((0.0, 0.0), 6.0, POSE), "pool", 0.9, SIZE, K, POSE).ground
    for yaw in (0.0, 1.0, 2.5, -2.0):
        objs = seen(world, rotated(POSE, yaw))
        got = choose_from_anchor(objs, pool, map_direction("north"))
        assert got.index == 0 and got.frame == FRAME_MAP, (yaw, got)
        assert choose_from_anchor(objs, pool, map_direction("south")).index == 2
        assert choose_extreme(objs, map_direction("eastern")).index == 1
    assert choose_from_anchor(objs, None, map_direction("north")).index is None
    assert in_direction_of(objs, pool, map_direction("north")) == [0]
    assert in_direction_of(objs, pool, map_direction("north east")) == [0, 1]   # both within 45 degrees
    assert choose_from_anchor(objs, pool, map_direction("north west")).index is None


world_st = st.lists(st.tuples(st.floats(-40, 40), st.floats(-40, 40), st.floats(0.05, 1.0)), min_size=2, max_size=6)


@settings(max_examples=60, deadline=None)
@given(world_st, st.floats(-40, 40), st.floats(-40, 40), st.sampled_from(sorted(["north", "south", "east", "west",
                                                                                 "north east", "south west"])),
       st.floats(-math.pi, math.pi), st.floats(-math.pi, math.pi), st.floats(0.0, 20.0))
def test_map_relation_choice_does_not_depend_on_the_heading(world, ax, ay, word, yaw0, yaw1, pitch):
    """Rotate the vehicle (and tilt the camera): the object chosen "north of the anchor" stays the same."""
    assume(len({round(s, 3) for _, _, s in world}) == len(world))   # distinct scores: no ties to break
    d = map_direction(word)
    for x, y, _ in world:   # nothing on the edge of the cone, where float noise could flip the answer
        dist = math.hypot(x - ax, y - ay)
        assume(dist > 2.0)
        cos = ((x - ax) * d.vector[0] + (y - ay) * d.vector[1]) / dist
        assume(abs(math.acos(max(-1.0, min(1.0, cos))) - CONE_HALF_ANGLE) > 1e-3)
    items = [("building", (x, y), 3.0, s) for x, y, s in world]
    pose0, pose1 = Pose(0.0, 0.0, 80.0, yaw0), Pose(0.0, 0.0, 80.0, yaw1)
    a0 = locate(square_box((ax, ay), 3.0, pose0, pitch), "pool", 1.0, SIZE, K, pose0, pitch).ground
    a1 = locate(square_box((ax, ay), 3.0, pose1, pitch), "pool", 1.0, SIZE, K, pose1, pitch).ground
    first = choose_from_anchor(seen(items, pose0, pitch), a0, d)
    second = choose_from_anchor(seen(items, pose1, pitch), a1, d)
    assert first.index == second.index and first.frame == second.frame == FRAME_MAP
    if first.index is not None:   # ... and it is the best-scoring object inside the cone
        x, y, _ = world[first.index]
        assert math.hypot(x - ax, y - ay) > 0 and first.index == max(
            (i for i, (x, y, _) in enumerate(world)
             if ((x - ax) * d.vector[0] + (y - ay) * d.vector[1]) / math.hypot(x - ax, y - ay)
             >= math.cos(CONE_HALF_ANGLE)), key=lambda i: world[i][2])


@settings(max_examples=40, deadline=None)
@given(st.floats(-math.pi, math.pi), st.floats(math.radians(90), math.radians(180)), st.booleans())
def test_camera_relation_keeps_its_target_when_the_drone_turns(yaw0, turn, clockwise):
    """"The building left of the pool" given at yaw0; the drone then turns 90-180 degrees while approaching. The
    frozen direction keeps the same building; re-reading "left" in the turned image would pick the other one."""
    pose0 = Pose(0.0, 0.0, 60.0, yaw0)
    left = (math.cos(yaw0 + math.pi / 2), math.sin(yaw0 + math.pi / 2))
    pool = (0.0, 0.0)
    # One building on the image's left at instruction time, one on its right (same score: only geometry decides).
    world = [("building", (25 * left[0], 25 * left[1]), 4.0, 0.8), ("building", (-25 * left[0], -25 * left[1]), 4.0, 0.8)]
    frozen = camera_direction("left", pose0.yaw)
    pose1 = rotated(pose0, yaw0 + (-turn if clockwise else turn))
    pool1 = locate(square_box(pool, 5.0, pose1), "pool", 1.0, SIZE, K, pose1).ground
    before = choose_from_anchor(seen(world, pose0), pool, frozen)
    after = choose_from_anchor(seen(world, pose1), pool1, frozen)
    assert before.index == after.index == 0 and after.frame == FRAME_CAMERA
    assert choose_extreme(seen(world, pose1), frozen).index == 0   # "the left one"
    if turn > math.radians(135):   # the naive reading (left in the turned image) changes its mind
        assert choose_from_anchor(seen(world, pose1), pool1, camera_direction("left", pose1.yaw)).index == 1
