"""Family `mapframe` (issue 19 §4, "map-frame relations (headings random)"): the target has a same-kind
look-alike in view and is named by a compass word, so the answer must not depend on where the camera points:

  anchor   "fly to the red oblong edifice north-west of the outdoor pool": the target's bearing from the anchor
           lies within ALIGN_DEG of the word's direction and every look-alike's at least CLEAR_DEG from it (the
           navigator's cone is 45 degrees, nav/map_relations.CONE_HALF_ANGLE); the anchor is the only object of
           its kind in view, at least MIN_ANCHOR_M from the target;
  extreme  "fly to the eastern parking area": the target lies farther along the direction than every
           look-alike by EXTREME_MARGIN_M.

Look-alikes are every object of the target's kind any view near the start shows (family_view.same_kind_ids).
The sentence is asked only when the navigator's own chooser picks the target on the true positions and on
perfect frame boxes (family_view.resolves). Task.relation is "anchor:<word>" or "extreme:<word>".
"""
from __future__ import annotations

import math
from collections import Counter
from pathlib import Path
from typing import Any, Mapping, Optional

import numpy as np

from geotext_ros.nav.parser import parse_instruction
from geotext_ros.sim.captions import object_phrase
from geotext_ros.sim.family_view import (make_task, resolves, same_kind_ids, sentence,
                                         unique_anchors)
from geotext_ros.sim.scenarios import Episode, LocalizeStart, localize_start

COMPASS_DEG = {"east": 0.0, "north-east": 45.0, "north": 90.0, "north-west": 135.0, "west": 180.0,
               "south-west": 225.0, "south": 270.0, "south-east": 315.0}
ALIGN_DEG = 30.0        # the target's bearing from the anchor is this close to the word's direction
CLEAR_DEG = 60.0        # every look-alike's bearing is at least this far from it (15 degrees outside the cone)
MIN_ANCHOR_M = 8.0      # target this far from the anchor at least: a few metres of error keep the bearing
EXTREME_MARGIN_M = 6.0  # "the eastern X": X lies this much farther east than every look-alike
ANCHOR_FORMS = ("{t} {w} of the {a}", "{t} to the {w} of the {a}")
EXTREME_FORMS = ("{adj} {t}", "{t} on the {w} side")


def make_mapframe_episode(seed: int, sim: Mapping[str, Any], wording: str = "heldout",
                          gallery_root: Optional[Path] = None) -> Optional[Episode]:
    """A localize start whose target (with a look-alike in view) a compass relation singles out; None when this
    view has none. Anchor relations first (views allow them less often), then extremes."""
    view = localize_start(seed, sim)
    kinds = Counter(o.kind for o in view.main)
    targets = [o for o in view.main if kinds[o.kind] >= 2]
    view.rng.shuffle(targets)
    for maker in (_anchor_task, _extreme_task):
        for target in targets:
            task = maker(view, target, wording)
            if task is not None:
                return Episode(seed, view.camera, view.start, task)
    return None


def _anchor_task(view: LocalizeStart, target: Any, wording: str) -> Optional[Any]:
    world, rng = view.camera.world, view.rng
    ids = same_kind_ids(view, target.kind)
    t_obj = world.objects[target.object_id]
    anchors = unique_anchors(view, target.kind)
    rng.shuffle(anchors)
    for anchor in anchors:
        a_obj = world.objects[anchor.object_id]
        if math.dist((t_obj.x, t_obj.y), (a_obj.x, a_obj.y)) < MIN_ANCHOR_M:
            continue
        for word in _words_singling_out(world, ids, target.object_id, (a_obj.x, a_obj.y), rng):
            form = ANCHOR_FORMS[int(rng.integers(len(ANCHOR_FORMS)))]
            phrase = form.format(t=object_phrase(target, rng, wording), w=word,
                                 a=object_phrase(anchor, rng, wording))
            text = sentence(rng, wording, phrase)
            ins = parse_instruction(text)
            if ins.map_relation is not None and resolves(view, ins, ids, target.object_id, anchor.object_id):
                return make_task(world, text, target.object_id, anchor.object_id, f"anchor:{word}", len(ids) - 1)
    return None


def _words_singling_out(world: Any, ids: list[int], target_id: int, anchor_xy: tuple[float, float],
                        rng: np.random.Generator) -> list[str]:
    """Compass words (random order) with the target within ALIGN_DEG and every look-alike CLEAR_DEG away."""
    bearings = {i: _bearing(anchor_xy, (world.objects[i].x, world.objects[i].y)) for i in ids}
    words = [w for w, deg in COMPASS_DEG.items()
             if _angle_between(bearings[target_id], deg) <= ALIGN_DEG
             and all(_angle_between(b, deg) >= CLEAR_DEG for i, b in bearings.items() if i != target_id)]
    rng.shuffle(words)
    return words


def _extreme_task(view: LocalizeStart, target: Any, wording: str) -> Optional[Any]:
    world, rng = view.camera.world, view.rng
    ids = same_kind_ids(view, target.kind)
    words = list(COMPASS_DEG)
    rng.shuffle(words)
    for word in words:
        rad = math.radians(COMPASS_DEG[word])
        along = {i: world.objects[i].x * math.cos(rad) + world.objects[i].y * math.sin(rad) for i in ids}
        if any(along[target.object_id] - v < EXTREME_MARGIN_M for i, v in along.items() if i != target.object_id):
            continue
        form = EXTREME_FORMS[int(rng.integers(len(EXTREME_FORMS)))]
        phrase = form.format(adj=f"{word}ern", t=object_phrase(target, rng, wording), w=word)
        text = sentence(rng, wording, phrase)
        ins = parse_instruction(text)
        if ins.map_relation is not None and resolves(view, ins, ids, target.object_id, None):
            return make_task(world, text, target.object_id, None, f"extreme:{word}", len(ids) - 1)
    return None


def _bearing(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Direction a -> b in degrees, counter-clockwise from east (ENU), in [0, 360)."""
    return math.degrees(math.atan2(b[1] - a[1], b[0] - a[0])) % 360.0


def _angle_between(a: float, b: float) -> float:
    return abs((a - b + 180.0) % 360.0 - 180.0)
