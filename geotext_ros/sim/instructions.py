"""Instructions with known answers in the procedural world, for the demo, bench/episodes.py and closed-loop tests.

A task names one describable object the drone will see from a given pose. When the object has same-kind
look-alikes in that view, the instruction adds a relation to another object ("the green tennis court to the left
of the blue basketball court") that singles it out: computed with the 3x3 rule (geotext_ros.relations) and
required to hold from every pose in `views` (the view the drone will have, give or take where it stops), so the
answer does not flip with a few metres of position error. For search tasks (the target is at another place) the
described pair must also occur at no other place of the world, so the sentence names one place.

    views = [renderer.render(pose, k).objects for pose in poses_around(pose)]
    task = referring_task(views, world, rng, wording="train")     # -> Task or None
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from geotext_ros.relations import relation_labels
from geotext_ros.sim.camera import CameraPose
from geotext_ros.sim import vocab_ood
from geotext_ros.sim.captions import describable, object_phrase
from geotext_ros.sim.world import DESCRIBABLE_KINDS, World

# (axis, class) of the 3x3 rule -> words; axis 0 = horizontal, 1 = vertical (parser.RELATION_LABELS agrees)
RELATION_WORDS = {(0, 0): "to the left of", (0, 2): "to the right of", (1, 0): "above", (1, 2): "below"}
TEMPLATES = {
    "train": ("fly to the {t} {r} the {a}", "go to the {t} {r} the {a}"),
    "heldout": ("could you take the drone over to the {t} {r} the {a}", "i need eyes on the {t} {r} the {a}",
                "get above the {t} that is {r} the {a}"),
    "ood": vocab_ood.INSTRUCTIONS,
}
PLAIN_TEMPLATES = {"train": ("fly to the {t}", "go to the {t}"),
                   "heldout": ("could you take the drone over to the {t}", "i need eyes on the {t}"),
                   "ood": vocab_ood.PLAIN_INSTRUCTIONS}


@dataclass(frozen=True)
class Task:
    """An instruction and its answer: the target object (world id, centre in ENU metres), the place it belongs
    to, the anchor object and relation words used (None without a relation), and how many other objects of the
    target's kind the view holds."""

    instruction: str
    target_id: int
    target_xy: tuple[float, float]
    place_id: Optional[str]
    anchor_id: Optional[int] = None
    relation: Optional[str] = None
    lookalikes: int = 0

    def to_dict(self) -> dict:
        return {"instruction": self.instruction, "target_id": self.target_id, "target_xy": list(self.target_xy),
                "place_id": self.place_id, "anchor_id": self.anchor_id, "relation": self.relation,
                "lookalikes": self.lookalikes}


def poses_around(pose: CameraPose, radius: float = 4.0) -> list[CameraPose]:
    """`pose` first, then four poses `radius` metres away: the spread of where the drone may hover."""
    offsets = [(0.0, 0.0), (radius, 0.0), (-radius, 0.0), (0.0, radius), (0.0, -radius)]
    return [CameraPose(pose.x + dx, pose.y + dy, pose.altitude, pose.yaw) for dx, dy in offsets]


def referring_task(views: Sequence[Sequence], world: World, rng: np.random.Generator, wording: str = "train",
                   unique_in_world: bool = False, prefer_lookalikes: bool = True,
                   require_lookalikes: bool = False) -> Optional[Task]:
    """A task for an object in views[0] (VisibleObject lists of render() frames) that every view agrees on.

    unique_in_world: the target (and anchor) description must match objects of no other place.
    prefer_lookalikes: try targets with same-kind look-alikes (they need a relation) first.
    require_lookalikes: only such targets. None when nothing qualifies."""
    main = describable(views[0])
    kinds = Counter(o.kind for o in main)
    order = list(main)
    rng.shuffle(order)
    if prefer_lookalikes or require_lookalikes:
        order.sort(key=lambda o: kinds[o.kind] < 2)   # stable: look-alike targets first, shuffled within
    for target in order:
        if kinds[target.kind] >= 2:
            task = _relation_task(views, world, target, rng, wording, unique_in_world)
        elif not require_lookalikes:
            task = _plain_task(views, world, target, rng, wording, unique_in_world)
        else:
            task = None
        if task is not None:
            return task
    return None


def _relation_task(views, world: World, target, rng, wording: str, unique: bool) -> Optional[Task]:
    main = describable(views[0])
    anchors = [o for o in main if o.kind != target.kind]
    rng.shuffle(anchors)
    for anchor in anchors:
        for axis, cls in _relations_that_single_out(views, target, anchor):
            if unique and not _only_here(world, [target.object_id, anchor.object_id]):
                continue
            words = RELATION_WORDS[(axis, cls)]
            template = _pick(rng, TEMPLATES[wording])
            text = template.format(t=object_phrase(target, rng, wording), r=words,
                                   a=object_phrase(anchor, rng, wording))
            return _task(world, text, target, anchor.object_id, words,
                         sum(o.kind == target.kind for o in main) - 1)
    return None


def _plain_task(views, world: World, target, rng, wording: str, unique: bool) -> Optional[Task]:
    for objs in views:   # visible in every view, and still the only one of its kind
        same = [o for o in describable(objs) if o.kind == target.kind]
        if [o.object_id for o in same] != [target.object_id]:
            return None
    if unique and not _only_here(world, [target.object_id]):
        return None
    text = _pick(rng, PLAIN_TEMPLATES[wording]).format(t=object_phrase(target, rng, wording))
    return _task(world, text, target, None, None, 0)


def _relations_that_single_out(views, target, anchor) -> list[tuple[int, int]]:
    """(axis, class) relations of target to anchor that, in every view, no other object of its kind shares."""
    found = []
    for axis in (0, 1):
        ok, cls0 = True, None
        for objs in views:
            objs = describable(objs)
            by_id = {o.object_id: o for o in objs}
            if target.object_id not in by_id or anchor.object_id not in by_id:
                ok = False
                break
            a = by_id[anchor.object_id]
            cls = relation_labels(by_id[target.object_id].bbox, a.bbox)[axis]
            same = [o for o in objs if o.kind == target.kind and relation_labels(o.bbox, a.bbox)[axis] == cls]
            if cls == 1 or len(same) != 1 or (cls0 is not None and cls != cls0):
                ok = False
                break
            cls0 = cls
        if ok and cls0 is not None:
            found.append((axis, cls0))
    return found


def _only_here(world: World, object_ids: list[int]) -> bool:
    """True when no other place has objects that the same canonical phrases describe (all of them)."""
    objs = [world.objects[i] for i in object_ids]
    home = objs[0].place_id
    phrases = [object_phrase(o) for o in objs]
    for place in world.places:
        if place.place_id == home:
            continue
        there = {object_phrase(world.objects[i]) for i in place.object_ids
                 if world.objects[i].kind in DESCRIBABLE_KINDS}
        if all(p in there for p in phrases):
            return False
    return True


def _task(world: World, text: str, target, anchor_id: Optional[int], words: Optional[str], lookalikes: int) -> Task:
    truth = world.objects[target.object_id]
    return Task(text, truth.id, (truth.x, truth.y), truth.place_id, anchor_id, words, lookalikes)


def _pick(rng: np.random.Generator, options: Sequence[str]) -> str:
    return options[int(rng.integers(len(options)))]


def nearest_place(world: World, x: float, y: float) -> str:
    """Id of the place whose centre is closest to (x, y)."""
    return min(world.places, key=lambda p: math.hypot(p.x - x, p.y - y)).place_id
