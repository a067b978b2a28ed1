"""Which candidate a map-frame relation or an ordinal / superlative picks (issue 19 §2), ROS-free: the glue from a
parsed Instruction (map_relation / selector) to nav/map_relations.py and nav/order_size.py.

Camera words ("from the left") are frozen with the vehicle's yaw when the instruction was given, compass words are
map-frame (ENU): the choice does not change when the drone turns. The result names the frame used."""
from __future__ import annotations

from typing import Any, NamedTuple, Optional, Sequence

from geotext_ros.nav.map_relations import choose_extreme, choose_from_anchor, map_direction
from geotext_ros.nav.order_size import SIZE, select
from geotext_ros.nav.scene import XY, SceneObject


# A candidate region smaller than this on the ground (m²) is a speck of the dense map, not an object: the guided
# 64x64 map cuts regions of one or two cells, 2-4 m² at 45 m, while the smallest describable object of the
# simulated worlds covers about 100 m² (a car 8 m²). Order, extremes and nearest count every candidate, so specks
# must not take part (bench/episodes.py --family ordinal: "number 2 of 16 from the left", two parking lots in view).
MIN_REGION_M2 = 10.0
# ... and a region under this fraction of the largest candidate's footprint is a fragment of the dense map (a
# piece of asphalt lit for "the tennis court", half of a parking lot): counting, nearest and compass choices skip it
# ("the blue tennis court closest to the parking area": a 20 m² fragment beside the lot against two 270 m² courts).
# Not for size words: there the area is the answer ("the smallest building" may be a shed beside a warehouse).
# Chosen on the tuning seeds (ordinal 200000+ / 300000+: 72 -> 76 %, 68 -> 72 %; 0.5: 66 %), docs/results.md.
MIN_REGION_FRACTION = 0.25


class SpatialChoice(NamedTuple):
    """index into the objects (None: none passes), frame used ("map", "camera at instruction", or None), reason."""

    index: Optional[int]
    frame: Optional[str]
    reason: str


def needs_spatial_choice(instruction: Any) -> bool:
    return getattr(instruction, "map_relation", None) is not None or getattr(instruction, "selector", None) is not None


def choose(instruction: Any, objects: Sequence[SceneObject], yaw_at_instruction: float,
           vehicle_xy: Optional[XY], anchor_xy: Optional[XY]) -> SpatialChoice:
    """The candidate the instruction's map relation or selector picks among `objects` (all the target's
    candidates in one frame, on the ground). anchor_xy: the anchor's ground point, None when not found."""
    keep = [i for i, o in enumerate(objects) if not o.footprint or o.area >= MIN_REGION_M2]
    if not keep:
        return SpatialChoice(None, None, "no candidate" if not objects else
                             f"no candidate region of {MIN_REGION_M2:.0f} m² or more")
    dropped = len(objects) - len(keep)
    note = f"; {dropped} region(s) under {MIN_REGION_M2:.0f} m² ignored" if dropped else ""
    whole = _without_fragments(instruction, objects, keep)
    if len(whole) < len(keep):
        note += f"; {len(keep) - len(whole)} fragment(s) under {MIN_REGION_FRACTION:.0%} of the largest ignored"
    got = _choose(instruction, [objects[i] for i in whole], yaw_at_instruction, vehicle_xy, anchor_xy)
    return SpatialChoice(None if got.index is None else whole[got.index], got.frame, got.reason + note)


def _without_fragments(instruction: Any, objects: Sequence[SceneObject], keep: list[int]) -> list[int]:
    """`keep` less the regions under MIN_REGION_FRACTION of the largest footprint (all of them for size words)."""
    selector = instruction.selector if instruction.map_relation is None else None
    areas = [objects[i].area for i in keep if objects[i].footprint]
    if (selector is not None and selector.measure == SIZE) or not areas:
        return keep
    floor = MIN_REGION_FRACTION * max(areas)
    return [i for i in keep if not objects[i].footprint or objects[i].area >= floor]


def _choose(instruction: Any, objects: Sequence[SceneObject], yaw_at_instruction: float,
            vehicle_xy: Optional[XY], anchor_xy: Optional[XY]) -> SpatialChoice:
    relation, selector = instruction.map_relation, instruction.selector
    if relation is not None:
        direction = map_direction(relation.direction)
        if direction is None:
            return SpatialChoice(None, None, f"unknown direction {relation.direction!r}")
        if relation.anchor is not None:
            if anchor_xy is None:
                return SpatialChoice(None, direction.frame, f"{relation.anchor} not found")
            got = choose_from_anchor(objects, anchor_xy, direction)
        else:
            got = choose_extreme(objects, direction)
        return SpatialChoice(got.index, got.frame, got.reason)
    if selector.anchor is not None and anchor_xy is None:
        return SpatialChoice(None, None, f"{selector.anchor} not found")
    got = select(selector, objects, yaw_at_instruction, vehicle_xy, anchor_xy)
    return SpatialChoice(got.index, got.frame, got.reason)
