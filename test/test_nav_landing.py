"""Landing point beside / on a target, clear of every detected object (issue 19 §2), and its config's agreement
with config/nav.yaml."""
import dataclasses
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geotext_ros.nav.camera import Pose
from geotext_ros.nav.landing import BESIDE, ON, LandingConfig, plan_landing
from geotext_ros.nav.scene import SceneObject, distance_to_boundary, distance_to_polygon, inside_polygon, view_footprint
from geotext_ros.param_file import load_node_params
from scene_helpers import K, SIZE, seen


def square(kind, x, y, half, score=0.9):
    fp = ((x - half, y - half), (x + half, y - half), (x + half, y + half), (x - half, y + half))
    return SceneObject((0.5, 0.5, 0.1, 0.1), kind, score, (x, y), fp)


def test_config_is_the_nav_yaml_section_and_checks_its_values():
    nav = load_node_params("navigator")
    section = {k[len("landing."):]: v for k, v in nav.items() if k.startswith("landing.")}
    assert section == {f.name: f.default for f in dataclasses.fields(LandingConfig)}
    assert LandingConfig.from_params(nav) == LandingConfig()
    assert LandingConfig.from_params({"landing.clearance_m": 5}).clearance_m == 5.0
    with pytest.raises(ValueError, match=r"unknown parameter 'landing.clearance'.*known"):
        LandingConfig.from_params({"landing.clearance": 1.0})
    with pytest.raises(ValueError, match="landing.grid_step_m must be > 0"):
        LandingConfig(grid_step_m=0.0)
    with pytest.raises(ValueError, match="too fine"):
        LandingConfig(search_radius_m=100.0, grid_step_m=0.01)


def test_land_next_to_the_pool_keeps_the_margin_and_stays_close():
    objs = [square("pool", 0.0, 0.0, 5.0), square("building", 12.0, 0.0, 4.0)]
    plan = plan_landing(0, objs, BESIDE, LandingConfig(clearance_m=3.0))
    assert plan.point is not None and plan.mode == BESIDE
    # room for the margin: clearance_m + margin_m from the estimated pool (its real edge may be 2 m off)
    assert distance_to_polygon(plan.point, objs[0].footprint) == pytest.approx(3.0 + 2.0, abs=0.5)
    assert distance_to_polygon(plan.point, objs[1].footprint) >= 3.0 + 2.0
    assert plan.clearance >= 3.0 and "beside the pool" in plan.reason
    exact = plan_landing(0, objs, BESIDE, LandingConfig(clearance_m=3.0, margin_m=0.0))
    assert distance_to_polygon(exact.point, objs[0].footprint) == pytest.approx(3.0, abs=0.5)


def rect(kind, x0, y0, x1, y1):
    return SceneObject((0.5, 0.5, 0.1, 0.1), kind, 0.9, ((x0 + x1) / 2, (y0 + y1) / 2),
                       ((x0, y0), (x1, y0), (x1, y1), (x0, y1)))


def test_next_to_takes_the_middle_of_a_narrow_gap_rather_than_open_ground_far_away():
    # The pool walled in by buildings 7 m from its edge: the best point near it is in the gap with slack (mid-gap
    # 3.5 m from both, 4 m in its corners), not 3 m from the pool (no slack) nor the open ground beyond the walls
    # (14 m away, full slack).
    walls = [rect("building", 12, -16, 16, 16), rect("building", -16, -16, -12, 16),
             rect("building", -16, 12, 16, 16), rect("building", -16, -16, 16, -12)]
    objs = [square("pool", 0.0, 0.0, 5.0)] + walls
    plan = plan_landing(0, objs, BESIDE, LandingConfig(clearance_m=3.0, margin_m=2.0, next_to_m=7.0))
    assert plan.point is not None and 3.5 - 1e-9 <= plan.clearance < 5.0, plan
    assert distance_to_polygon(plan.point, objs[0].footprint) <= 7.0


def test_land_on_keeps_the_margin_from_cars_and_the_target_edge():
    lot, car = square("parking_lot", 0.0, 0.0, 10.0), square("car", 2.0, 0.0, 1.0)
    plan = plan_landing(0, [lot, car], ON, LandingConfig(clearance_m=3.0, margin_m=2.0))
    assert plan.point is not None and distance_to_polygon(plan.point, car.footprint) >= 5.0 - 1e-9, plan
    assert inside_polygon(plan.point, lot.footprint) and distance_to_boundary(plan.point, lot.footprint) >= 2.0
    # a lot too narrow for the margin: the point deepest inside it that still clears the car
    narrow = rect("parking_lot", -10.0, -2.0, 10.0, 2.0)
    plan = plan_landing(0, [narrow, car], ON, LandingConfig(clearance_m=3.0, margin_m=2.0))
    assert plan.point is not None and plan.point[1] == pytest.approx(0.0)
    assert distance_to_polygon(plan.point, car.footprint) >= 5.0 - 1e-9


def test_the_margin_and_next_to_are_checked():
    with pytest.raises(ValueError, match="landing.margin_m must be >= 0"):
        LandingConfig(margin_m=-1.0)
    with pytest.raises(ValueError, match="landing.next_to_m = 4.0 leaves no room"):
        LandingConfig(clearance_m=3.0, margin_m=2.0, next_to_m=4.0)


def test_land_on_the_helipad_picks_its_centre_unless_something_stands_there():
    pad = square("helipad", 10.0, 10.0, 6.0)
    assert plan_landing(0, [pad], ON).point == pytest.approx((10.0, 10.0))
    car = square("car", 10.0, 10.0, 1.0)
    plan = plan_landing(0, [pad, car], ON, LandingConfig(clearance_m=2.0))
    assert plan.point is not None and inside_polygon(plan.point, pad.footprint)
    assert distance_to_polygon(plan.point, car.footprint) >= 2.0
    crowded = [pad] + [square("car", 10.0 + dx, 10.0 + dy, 1.0) for dx in (-4, 0, 4) for dy in (-4, 0, 4)]
    none = plan_landing(0, crowded, ON, LandingConfig(clearance_m=2.0))
    assert none.point is None and "no point on the helipad clears every object by 2.0 m" in none.reason


def test_no_clear_point_gives_the_reason():
    # The target surrounded by a ring of buildings closer together than twice the margin.
    ring = [square("building", 14 * math.cos(a), 14 * math.sin(a), 6.0) for a in [k * math.pi / 4 for k in range(8)]]
    plan = plan_landing(0, [square("pool", 0, 0, 4.0)] + ring, BESIDE, LandingConfig(clearance_m=3.0,
                                                                                     search_radius_m=8.0))
    assert plan.point is None and "beside the pool" in plan.reason


def test_unplaced_objects_and_bad_arguments_are_refused():
    objs = [square("pool", 0, 0, 4.0), SceneObject((0.5, 0.1, 0.2, 0.2), "tree", 0.5, None, ())]
    plan = plan_landing(0, objs)
    assert plan.point is None and "[1] could not be placed" in plan.reason
    with pytest.raises(ValueError, match="landing mode"):
        plan_landing(0, objs[:1], "near")
    with pytest.raises(ValueError, match="target index 3"):
        plan_landing(3, objs[:1])


def test_the_point_stays_inside_what_the_camera_saw():
    pose = Pose(0.0, 0.0, 30.0, 0.3)
    view = view_footprint(SIZE, K, pose)   # 60 x 60 m at 30 m with a 90 degree lens
    objs = seen([("pool", (0.0, 0.0), 5.0, 0.9), ("building", (-12.0, 0.0), 5.0, 0.9)], pose)
    plan = plan_landing(0, objs, BESIDE, LandingConfig(clearance_m=3.0), view=view)
    assert plan.point is not None and distance_to_boundary(plan.point, view) >= 3.0
    # A target filling the view: every point beside it is too close to the unseen ground beyond the frame.
    level = Pose(0.0, 0.0, 30.0, 0.0)
    big = seen([("parking lot", (0.0, 0.0), 26.0, 0.9)], level)
    assert plan_landing(0, big, BESIDE).point is not None
    plan = plan_landing(0, big, BESIDE, view=view_footprint(SIZE, K, level))
    assert plan.point is None and "inside the view" in plan.reason


boxes = st.tuples(st.floats(-30, 30), st.floats(-30, 30), st.floats(0.5, 8.0))


@settings(max_examples=60, deadline=None)
@given(st.lists(boxes, min_size=1, max_size=8), st.floats(0.5, 6.0), st.sampled_from([BESIDE, ON]))
def test_any_plan_clears_every_object_by_the_margin(world, clearance, mode):
    objs = [square("thing", x, y, h) for x, y, h in world]
    cfg = LandingConfig(clearance_m=clearance, search_radius_m=15.0, grid_step_m=1.0, next_to_m=clearance + 4.0)
    plan = plan_landing(0, objs, mode, cfg)
    if plan.point is None:
        assert plan.reason and plan.clearance is None
        if mode == BESIDE and len(objs) == 1:
            raise AssertionError("a lone target always has room beside it")
        return
    others = objs[1:] if mode == ON else objs
    for o in others:   # checked with the scalar geometry, not the planner's vectorized one
        assert distance_to_polygon(plan.point, o.footprint) >= clearance - 1e-9
    if mode == ON:
        assert inside_polygon(plan.point, objs[0].footprint) or \
            distance_to_boundary(plan.point, objs[0].footprint) < 1e-9
    else:   # beside: no farther from the target than clearance + margin plus one grid diagonal, when nothing is
        if len(objs) == 1:   # in the way
            assert distance_to_polygon(plan.point, objs[0].footprint) <= \
                clearance + cfg.margin_m + cfg.grid_step_m * math.sqrt(2)
