"""The start of the spatial-language families (issue 19 §4: `mapframe`, `ordinal`) and the ground truth they are
checked on.

Like localize (geotext_ros.sim.scenarios), the drone starts 45 m above a random place, up to 10 m off, with a
random heading; LOCALIZE decides from where the instruction arrived, so every view within 2 m of the start must
agree. A family's sentence is chosen from ground truth (true centres and footprints of the world) and then
resolved with the navigator's own nav/map_relations.py / nav/order_size.py on those true positions: a sentence
that does not pick its target there is never asked.

    view = localize_start(seed, sim)             # geotext_ros.sim.scenarios: the localize start
    ids = same_kind_ids(view, "building")          # every building any of the views shows, even a sliver
    objs = truth_objects(view.camera.world, ids)   # SceneObjects at the true positions, for nav/ choosers
"""
from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np

from geotext_ros.nav.scene import SceneObject, locate
from geotext_ros.nav.spatial_choice import choose
from geotext_ros.sim.captions import describable
from geotext_ros.sim.instructions import PLAIN_TEMPLATES, Task
from geotext_ros.sim.scenarios import LocalizeStart
from geotext_ros.sim.world import World, footprint

def same_kind_ids(view: LocalizeStart, kind: str) -> list[int]:
    """Ids of every object of `kind` that any view shows, however little of it: the grounder may find any."""
    return sorted({o.object_id for objs in view.views for o in objs if o.kind == kind})


def clean_kind_ids(view: LocalizeStart, kind: str) -> Optional[list[int]]:
    """Ids of the objects of `kind` when every view shows the same ones, each describable (big, mostly in
    frame); None otherwise. Counting and size need every look-alike whole in every view."""
    ids = same_kind_ids(view, kind)
    for objs in view.views:
        whole = {o.object_id for o in describable(objs) if o.kind == kind}
        if whole != set(ids):
            return None
    return ids


def unique_anchors(view: LocalizeStart, not_kind: str) -> list[Any]:
    """Objects of the start view (VisibleObject) fit to be an anchor: describable in every view and the only
    object of their kind that any view shows (the anchor is grounded on its own), not of kind `not_kind`."""
    out = []
    for obj in view.main:
        if obj.kind == not_kind or same_kind_ids(view, obj.kind) != [obj.object_id]:
            continue
        if all(any(o.object_id == obj.object_id for o in describable(objs)) for objs in view.views):
            out.append(obj)
    return out


def truth_objects(world: World, ids: Sequence[int]) -> list[SceneObject]:
    """The objects as the navigator's choosers see them, at their true centre and footprint (score 1)."""
    out = []
    for i in ids:
        obj = world.objects[i]
        poly = tuple((float(x), float(y)) for x, y in footprint(obj))
        out.append(SceneObject((0.0, 0.0, 0.0, 0.0), obj.kind, 1.0, (obj.x, obj.y), poly))
    return out


def resolves(view: LocalizeStart, instruction: Any, ids: Sequence[int], target_id: int,
             anchor_id: Optional[int]) -> bool:
    """True when the navigator's chooser (nav/spatial_choice.choose) picks the target among the objects `ids`:
    on their true positions and footprints, and in every view from the objects' own frame boxes placed on the
    ground as the navigator places a detection (a perfect grounder: what remains is the sentence's margin)."""
    world, start = view.camera.world, view.start
    anchor = world.objects[anchor_id] if anchor_id is not None else None
    got = choose(instruction, truth_objects(world, ids), start.yaw, (start.x, start.y),
                 (anchor.x, anchor.y) if anchor is not None else None)
    if got.index is None or ids[got.index] != target_id:
        return False
    k = tuple(view.camera.k[i] for i in (0, 4, 2, 5))
    size = (view.camera.width, view.camera.height)
    for pose, objs in zip(view.poses, view.views):
        p4 = (pose.x, pose.y, pose.altitude, pose.yaw)
        seen = [o for o in objs if o.object_id in ids]
        placed = [locate(o.bbox, o.kind, 1.0, size, k, p4) for o in seen]
        anchor_xy = None
        if anchor_id is not None:
            box = next((o.bbox for o in objs if o.object_id == anchor_id), None)
            anchor_xy = None if box is None else locate(box, "anchor", 1.0, size, k, p4).ground
        got = choose(instruction, placed, start.yaw, (pose.x, pose.y), anchor_xy)
        if got.index is None or seen[got.index].object_id != target_id:
            return False
    return True


def boxes_in_views(view: LocalizeStart, object_id: int) -> list[tuple[float, float, float, float]]:
    """The object's frame box (normalized cx, cy, w, h) in every view (all views show it: clean_kind_ids)."""
    return [next(o.bbox for o in objs if o.object_id == object_id) for objs in view.views]


def sentence(rng: np.random.Generator, wording: str, phrase: str) -> str:
    """"fly to the <phrase>" in the wording's plain templates (the parser strips the request words)."""
    templates = PLAIN_TEMPLATES[wording]
    return templates[int(rng.integers(len(templates)))].format(t=phrase)


def make_task(world: World, text: str, target_id: int, anchor_id: Optional[int], kind: str, lookalikes: int,
              place_id: Optional[str] = None) -> Task:
    """A Task whose `relation` is the sentence type "<type>:<detail>" (per-type figures of the benchmark)."""
    truth = world.objects[target_id]
    return Task(text, truth.id, (truth.x, truth.y), place_id or truth.place_id, anchor_id, kind, lookalikes)
