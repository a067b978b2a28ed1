"""The `ambiguous` episode family (issue 19 §4): the instruction fits two or more objects in view and only the
operator knows which one is meant, so the navigator has to ask.

The drone starts as in `localize` (above a random place, 10 m off, random heading, 45 m). In view (from every
pose within 2 m of the start) are two or more objects that one phrase without any relation describes: the same
kind and, for kinds named with a colour, the same colour ("fly to the red building": two red buildings), or the
same kind of different colours named by the noun alone ("fly to the building"). The intended target is one of
them at random. Success = the navigator asked and the drone ended within SUCCESS_M of the intended target (the
simulated operator answers the question, geotext_ros.sim.operator); an episode that ends at the target without
asking was lucky and counts as `not_asked`. A flight to another object before any question is a `wrong_flight`
(geotext_ros.sim.episodes).

    ep = make_ambiguous_episode(100000, sim)          # None: no such look-alikes in this view
    record = run_ambiguous_episode(ep, pipe, limits, 5.0, 90.0)
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any, Mapping, Optional, Sequence

import numpy as np

from geotext_ros.sim import vocab
from geotext_ros.sim.captions import describable
from geotext_ros.sim.episodes import SETTLE_S, run_episode
from geotext_ros.sim.instructions import PLAIN_TEMPLATES, Task
from geotext_ros.sim.scenarios import Episode, localize_start
from geotext_ros.sim.vehicle import VehicleLimits


def lookalike_groups(views: Sequence[Sequence[Any]]) -> list[tuple[str, Optional[str], list[Any]]]:
    """(kind, colour or None, members) for every phrase without a relation that fits two or more describable
    objects seen in every view: same kind and colour (colour None: the kind has no colour word, or its members
    differ in colour and are named by the noun alone)."""
    seen = set.intersection(*({o.object_id for o in describable(v)} for v in views))
    objs = [o for o in describable(views[0]) if o.object_id in seen]
    by_kind: dict[str, list[Any]] = defaultdict(list)
    for o in objs:
        by_kind[o.kind].append(o)
    groups = []
    for kind, members in sorted(by_kind.items()):
        if len(members) < 2:
            continue
        colours = {o.color for o in members}
        if kind not in vocab.COLORED_KINDS:
            groups.append((kind, None, members))
            continue
        for colour in sorted(colours):
            same = [o for o in members if o.color == colour]
            if len(same) >= 2:
                groups.append((kind, colour, same))
        if len(colours) > 1:
            groups.append((kind, None, members))
    return groups


def ambiguous_phrase(kind: str, colour: Optional[str], rng: np.random.Generator, wording: str) -> str:
    """"red edifice", "pool": the kind's noun in `wording`, after the colour word when one is given."""
    noun = str(rng.choice(vocab.NOUNS[kind][wording]))
    if colour is None:
        return noun
    return f"{vocab.COLORS[wording].get(colour, colour)} {noun}"


def make_ambiguous_episode(seed: int, sim: Mapping[str, Any], wording: str = "heldout") -> Optional[Episode]:
    """Drone above a random place; two or more look-alikes in view that one relation-free phrase describes; the
    target one of them at random. None when this view has no such group."""
    s = localize_start(seed, sim)
    rng, cam, start, views = s.rng, s.camera, s.start, s.views
    groups = lookalike_groups(views)
    if not groups:
        return None
    kind, colour, members = groups[int(rng.integers(len(groups)))]
    target = members[int(rng.integers(len(members)))]
    template = PLAIN_TEMPLATES[wording][int(rng.integers(len(PLAIN_TEMPLATES[wording])))]
    truth = cam.world.objects[target.object_id]
    task = Task(template.format(t=ambiguous_phrase(kind, colour, rng, wording)), truth.id, (truth.x, truth.y),
                truth.place_id, None, None, len(members) - 1)
    return Episode(seed, cam, start, task)


def named_by(ep: Episode) -> str:
    """How the instruction names the look-alikes: "colour" (a colour word and the noun), "noun" (a kind without
    colours, the noun alone) or "noun_of_coloured" (a kind with colours named by the noun alone: "the building")."""
    target = ep.camera.world.objects[ep.task.target_id]
    words = set(ep.task.instruction.split())
    colour_words = {target.color} | {forms.get(target.color, target.color) for forms in vocab.COLORS.values()}
    if target.kind not in vocab.COLORED_KINDS:
        return "noun"
    return "colour" if words & colour_words else "noun_of_coloured"


def run_ambiguous_episode(ep: Episode, pipe: Any, limits: VehicleLimits, rate_hz: float, max_s: float,
                          settle_s: float = SETTLE_S, answers: bool = True) -> dict[str, Any]:
    """run_episode, where success also needs a question when the operator answers (module docstring): ending at
    the target without asking is `not_asked`. Without answers (answers=False) success is where the drone ended."""
    record = run_episode(ep, pipe, limits, rate_hz, max_s, settle_s, answers)
    record["ended_at_target"] = record["success"]
    record["named_by"] = named_by(ep)
    if answers and record["success"] and record["asked"] == 0:
        record["success"], record["cause"] = False, "not_asked"
    return record
