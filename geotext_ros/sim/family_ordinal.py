"""Family `ordinal` (issue 19 §4, "ordinals and superlatives"): the target is one of two or more look-alikes in
view named alike (the kind's noun, with their shared colour for kinds whose colour is said: "red hall", "parking
area"), picked by a selector the parser reads (nav/order_size.py):

  order    "the second parking area from the left": camera words, frozen with the yaw at instruction time;
           the target's position along that direction is ORDER_GAP_M from each look-alike's;
  size     "the largest edifice" / "the smallest edifice": ground areas differ by SIZE_RATIO or more, both the
           true footprints and the frame boxes the navigator measures (every view);
  nearest  "the edifice nearest (to) the outdoor pool": the anchor is the only one of its kind in view; the
           target is NEAR_MARGIN_M and NEAR_RATIO nearer to it than every look-alike;
  group    "the smaller / larger of the two tennis grounds": exactly two of the kind in view, sizes as `size`.

Margins are measured against every object of the kind in view (other colours too), and the sentence must pick
the target both among its look-alikes and among all of them: the grounder may offer any. Order, size and group
need every one whole in every view near the start (family_view.clean_kind_ids). The sentence is asked only when the navigator's own chooser picks the
target on the true positions and on perfect frame boxes (family_view.resolves). Task.relation is
"<type>:<words>", e.g. "order:second from the left".
"""
from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any, Callable, Mapping, NamedTuple, Optional

from geotext_ros.nav.parser import parse_instruction
from geotext_ros.sim import vocab
from geotext_ros.sim.captions import object_phrase
from geotext_ros.sim.family_view import (boxes_in_views, clean_kind_ids, make_task, resolves,
                                         same_kind_ids, sentence, truth_objects, unique_anchors)
from geotext_ros.sim.instructions import Task
from geotext_ros.sim.scenarios import Episode, LocalizeStart, localize_start

ORDER_GAP_M = 6.0      # along the counting direction, the target is this far from every look-alike
SIZE_RATIO = 1.25      # the larger area is at least this times the smaller (true footprints and frame boxes)
NEAR_MARGIN_M = 6.0    # "nearest the anchor": every look-alike is this much farther from the anchor...
NEAR_RATIO = 1.3       # ...and this many times as far
ORDINALS = {2: "second", 3: "third"}
NEAR_FORMS = ("{t} nearest the {a}", "{t} nearest to the {a}", "{t} closest to the {a}")
RARE_FIRST = ("size", "nearest", "group")


def make_ordinal_episode(seed: int, sim: Mapping[str, Any], wording: str = "heldout",
                         gallery_root: Optional[Path] = None) -> Optional[Episode]:
    """A localize start with an ordinal / superlative task; None when this view has none. The types that views
    rarely allow (size, nearest, group) are tried first, in a random order, then order: so the benchmark's mix is
    not nearly all "the second X from the left"."""
    view = localize_start(seed, sim)
    makers: dict[str, Callable[[LocalizeStart, Group, str], Optional[Task]]] = {
        "order": _order_task, "size": _size_task, "nearest": _nearest_task, "group": _group_task}
    groups = _groups(view, wording)
    view.rng.shuffle(groups)
    for name in [*view.rng.permutation(RARE_FIRST), "order"]:
        for group in groups:
            task = makers[str(name)](view, group, wording)
            if task is not None:
                return Episode(seed, view.camera, view.start, task)
    return None


class Group(NamedTuple):
    """Look-alikes the sentence names alike: the phrase ("red hall", "parking area"), their ids, the ids of every
    object of their kind in view (the grounder may offer any of them), and whether all of those are whole in
    every view (family_view.clean_kind_ids)."""

    phrase: str
    ids: list[int]
    kind_ids: list[int]
    clean: bool


def _groups(view: LocalizeStart, wording: str) -> list[Group]:
    """The look-alike groups of the start view: per kind, the objects of one colour (kinds whose colour is said,
    sim.vocab.COLORED_KINDS) or all of them; a group has two or more describable members. The phrase is the
    kind's noun with the shared colour: the default model grounds a bare "building" poorly (peak below
    grounding.min_score), and "the second building" among buildings of other colours is what captions never
    say."""
    world, out = view.camera.world, []
    main = {o.object_id for o in view.main}
    for kind in sorted({o.kind for o in view.main}):
        kind_ids = same_kind_ids(view, kind)
        clean = clean_kind_ids(view, kind) is not None
        colours = sorted({world.objects[i].color for i in kind_ids}) if kind in vocab.COLORED_KINDS else [None]
        for colour in colours:
            ids = [i for i in kind_ids if colour is None or world.objects[i].color == colour]
            if sum(i in main for i in ids) < 2:
                continue
            noun = _noun(view, kind, wording)
            phrase = noun if colour is None else f"{vocab.COLORS[wording].get(colour, colour)} {noun}"
            out.append(Group(phrase, ids, kind_ids, clean))
    return out


def _noun(view: LocalizeStart, kind: str, wording: str) -> str:
    nouns = vocab.NOUNS[kind][wording]
    return nouns[int(view.rng.integers(len(nouns)))]


def _ask(view: LocalizeStart, wording: str, phrase: str, group: Group, target_id: int, anchor_id: Optional[int],
         relation: str) -> Optional[Task]:
    """The task when the sentence parses as a selector and resolves to the target both among the group and among
    every object of its kind in view; else None."""
    text = sentence(view.rng, wording, phrase)
    ins = parse_instruction(text)
    if ins.selector is None or not all(resolves(view, ins, ids, target_id, anchor_id)
                                       for ids in (group.ids, group.kind_ids)):
        return None
    return make_task(view.camera.world, text, target_id, anchor_id, relation, len(group.ids) - 1)


def _order_task(view: LocalizeStart, group: Group, wording: str) -> Optional[Task]:
    if not group.clean:
        return None
    world, yaw = view.camera.world, view.start.yaw
    for side in view.rng.permutation(("left", "right")):
        angle = yaw + (math.pi / 2 if side == "left" else -math.pi / 2)   # image left = heading + 90 degrees
        along = sorted(group.ids, key=lambda i: -_along(world, i, angle))
        for rank in view.rng.permutation(list(ORDINALS)):
            rank = int(rank)
            if rank > len(along) or not _separated(world, along[rank - 1], group.kind_ids, angle):
                continue
            phrase = f"{ORDINALS[rank]} {group.phrase} from the {side}"
            task = _ask(view, wording, phrase, group, along[rank - 1], None,
                        f"order:{ORDINALS[rank]} from the {side}")
            if task is not None:
                return task
    return None


def _along(world: Any, i: int, angle: float) -> float:
    return world.objects[i].x * math.cos(angle) + world.objects[i].y * math.sin(angle)


def _separated(world: Any, target: int, ids: list[int], angle: float) -> bool:
    """The target's position along `angle` is ORDER_GAP_M from every other object's of `ids`."""
    return all(abs(_along(world, target, angle) - _along(world, i, angle)) >= ORDER_GAP_M
               for i in ids if i != target)


def _size_task(view: LocalizeStart, group: Group, wording: str) -> Optional[Task]:
    if not group.clean:
        return None
    for most in view.rng.permutation((True, False)):
        target = _size_extreme(view, group, bool(most))
        if target is None:
            continue
        word = "largest" if most else "smallest"
        task = _ask(view, wording, f"{word} {group.phrase}", group, target, None, f"size:{word}")
        if task is not None:
            return task
    return None


def _group_task(view: LocalizeStart, group: Group, wording: str) -> Optional[Task]:
    if not group.clean or len(group.kind_ids) != 2 or len(group.ids) != 2:
        return None
    for most in view.rng.permutation((True, False)):
        target = _size_extreme(view, group, bool(most))
        if target is None:
            continue
        word = "larger" if most else "smaller"
        phrase = f"{word} of the two {plural(group.phrase)}"
        task = _ask(view, wording, phrase, group, target, None, f"group:{word} of the two")
        if task is not None:
            return task
    return None


def _size_extreme(view: LocalizeStart, group: Group, most: bool) -> Optional[int]:
    """The group's largest (most) / smallest when it beats every object of its kind in view by SIZE_RATIO in
    true area and in frame box area in every view; else None."""
    ids = group.kind_ids
    true_area = {i: o.area for i, o in zip(ids, truth_objects(view.camera.world, ids))}
    sign = 1.0 if most else -1.0
    best = max(group.ids, key=lambda i: sign * true_area[i])
    boxes = {i: boxes_in_views(view, i) for i in ids}
    for i in ids:
        if i == best:
            continue
        ratios = [true_area[best] / true_area[i]] + [(b[2] * b[3]) / (o[2] * o[3])
                                                      for b, o in zip(boxes[best], boxes[i])]
        if any((r if most else 1.0 / r) < SIZE_RATIO for r in ratios):
            return None
    return best


def _nearest_task(view: LocalizeStart, group: Group, wording: str) -> Optional[Task]:
    world, rng = view.camera.world, view.rng
    kind = world.objects[group.ids[0]].kind
    anchors = unique_anchors(view, kind)
    rng.shuffle(anchors)
    for anchor in anchors:
        a = world.objects[anchor.object_id]
        dist = {i: math.dist((world.objects[i].x, world.objects[i].y), (a.x, a.y)) for i in group.kind_ids}
        target = min(group.ids, key=lambda i: dist[i])
        if target not in {o.object_id for o in view.main}:   # a sliver at the frame's edge is no target
            continue
        if any(d < dist[target] + NEAR_MARGIN_M or d < NEAR_RATIO * dist[target]
               for i, d in dist.items() if i != target):
            continue
        form = NEAR_FORMS[int(rng.integers(len(NEAR_FORMS)))]
        phrase = form.format(t=group.phrase, a=object_phrase(anchor, rng, wording))
        task = _ask(view, wording, phrase, group, target, anchor.object_id, "nearest:to the anchor")
        if task is not None:
            return task
    return None


def plural(noun: str) -> str:
    """English plural of a noun phrase's head: "water body" -> "water bodies", "football pitch" -> "football
    pitches", "row of solar panels" -> "rows of solar panels"."""
    head, sep, tail = noun.partition(" of ")
    words = head.split(" ")
    w = words[-1]
    if re.search(r"[^aeiou]y$", w):
        w = w[:-1] + "ies"
    elif re.search(r"(?:s|sh|ch|x|z)$", w):
        w += "es"
    else:
        w += "s"
    return " ".join(words[:-1] + [w]) + (sep + tail if sep else "")
