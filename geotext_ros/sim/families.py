"""Episode families of the benchmark (issue 19 §4): how each family makes an episode and flies it.

A family is a name, a maker `make(seed, sim, wording, gallery_root) -> Episode | None` (None: this world has no
such task; the benchmark tries the next seed) and a runner with run_episode's signature that flies and scores it
(`answers=False`: the simulated operator does not answer the navigator's questions).
`localize` and `search` are the two modes the benchmark always had; the language families of issue 19 register
here, each maker and runner in its own module.

    family = FAMILIES["localize"]
    ep = family.make(100000, sim, "heldout", tmp)
    record = family.run(ep, pipe, limits, rate_hz, family.max_s, settle_s)
"""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any, Callable, Mapping, NamedTuple, Optional, Sequence

from geotext_ros.sim.episodes import run_episode
from geotext_ros.sim.family_ambiguous import make_ambiguous_episode, run_ambiguous_episode
from geotext_ros.sim.family_land import make_land_episode, run_land, summarize_land
from geotext_ros.sim.family_mapframe import make_mapframe_episode
from geotext_ros.sim.family_ordinal import make_ordinal_episode
from geotext_ros.sim.family_plain import make_plain_episode
from geotext_ros.sim.family_steps import make_multistep_episode, run_multistep, summarize_steps
from geotext_ros.sim.family_turn import make_turn_episode, run_turn, summarize_turn
from geotext_ros.sim.scenarios import Episode, make_localize_episode, make_search_episode

Maker = Callable[[int, Mapping[str, Any], str, Path], Optional[Episode]]


class Family(NamedTuple):
    """One family of the benchmark: its maker, its runner, and its simulated time limit per episode."""

    make: Maker
    run: Callable[..., dict[str, Any]]
    max_s: float
    needs_gallery: bool = False   # episodes carry a gallery the navigator retrieves from
    doc: str = ""
    summarize: Optional[Callable[[list[dict[str, Any]]], dict[str, Any]]] = None   # the family's own figures
    operator: bool = False        # its runner takes `answers`: the simulated operator answers CLARIFY (or not)


def success_by_type(records: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Episodes, success rate and failure causes per sentence type (the part of `relation` before ':') of
    run_episode records: a family's rate alone hides a type the navigator cannot do."""
    groups: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for r in records:
        groups[str(r.get("relation") or "none").split(":")[0]].append(r)
    out = {}
    for name, rs in sorted(groups.items()):
        causes: dict[str, int] = defaultdict(int)
        for r in rs:
            if r.get("cause"):
                causes[r["cause"]] += 1
        out[name] = {"episodes": len(rs), "success_rate": round(sum(bool(r["success"]) for r in rs) / len(rs), 3),
                     "failures": dict(causes)}
    return out


def by_type(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The summary figures of a family whose Task.relation is "<type>:<words>" (mapframe, ordinal)."""
    return {"by_type": success_by_type(records)}


FAMILIES: dict[str, Family] = {
    "localize": Family(lambda seed, sim, wording, root: make_localize_episode(seed, sim, wording), run_episode, 90.0,
                       operator=True,
                       doc="above a place, the target in view with a same-kind look-alike (a relation is needed)"),
    "search": Family(lambda seed, sim, wording, root: make_search_episode(seed, sim, root, wording), run_episode,
                     240.0, needs_gallery=True, operator=True,
                     doc="from home, the target at another place: retrieve the place from the gallery first"),
    "multistep": Family(make_multistep_episode, run_multistep, 480.0, needs_gallery=True, summarize=summarize_steps,
                        operator=True,
                        doc="from home, 2-4 steps at other places ('..., then to the ..., then come home') in one "
                            "instruction: every step within 5 m"),
    "turn": Family(make_turn_episode, run_turn, 90.0, summarize=summarize_turn,
                   doc="localize's episodes flown twice: as they are, and turning 90-180 degrees from the start "
                       "of the approach (a camera-frame relation keeps the instruction's frame)"),
    "land": Family(make_land_episode, run_land, 120.0, summarize=summarize_land, operator=True,
                   doc="'land next to / on the <target>' above a place: touchdown within 3 m of the plan, the "
                       "plan clear of every object by landing.clearance_m"),
    "mapframe": Family(make_mapframe_episode, run_episode, 90.0, operator=True,
                       doc="as localize, the target named by a compass word: 'the X north-west of the Y', "
                           "'the eastern X' (sim/family_mapframe.py)", summarize=by_type),
    "ordinal": Family(make_ordinal_episode, run_episode, 90.0, operator=True,
                      doc="as localize, the target named by order or size: 'the second X from the left', "
                          "'the largest X', 'the X nearest the Y', 'the smaller of the two Xs' "
                          "(sim/family_ordinal.py)", summarize=by_type),
    "ambiguous": Family(lambda seed, sim, wording, root: make_ambiguous_episode(seed, sim, wording),
                        run_ambiguous_episode, 90.0, operator=True,
                        doc="above a place, two or more look-alikes fit a sentence without a relation: the "
                            "navigator must ask the (simulated) operator which one"),
    "plain": Family(lambda seed, sim, wording, root: make_plain_episode(seed, sim, wording), run_episode, 90.0,
                    operator=True,
                    doc="above a place, the target the only one of its kind in view, named without a relation: "
                        "nothing to ask (the ask rate is the cost of asking)"),
}

