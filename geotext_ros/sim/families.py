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

from pathlib import Path
from typing import Any, Callable, Mapping, NamedTuple, Optional

from geotext_ros.sim.episodes import run_episode
from geotext_ros.sim.family_ambiguous import make_ambiguous_episode, run_ambiguous_episode
from geotext_ros.sim.family_plain import make_plain_episode
from geotext_ros.sim.scenarios import Episode, make_localize_episode, make_search_episode

Maker = Callable[[int, Mapping[str, Any], str, Path], Optional[Episode]]


class Family(NamedTuple):
    """One family of the benchmark: its maker, its runner, and its simulated time limit per episode."""

    make: Maker
    run: Callable[..., dict[str, Any]]
    max_s: float
    needs_gallery: bool = False   # episodes carry a gallery the navigator retrieves from
    doc: str = ""


FAMILIES: dict[str, Family] = {
    "localize": Family(lambda seed, sim, wording, root: make_localize_episode(seed, sim, wording), run_episode, 90.0,
                       doc="above a place, the target in view with a same-kind look-alike (a relation is needed)"),
    "search": Family(lambda seed, sim, wording, root: make_search_episode(seed, sim, root, wording), run_episode,
                     240.0, needs_gallery=True,
                     doc="from home, the target at another place: retrieve the place from the gallery first"),
    "ambiguous": Family(lambda seed, sim, wording, root: make_ambiguous_episode(seed, sim, wording),
                        run_ambiguous_episode, 90.0,
                        doc="above a place, two or more look-alikes fit a sentence without a relation: the "
                            "navigator must ask the (simulated) operator which one"),
    "plain": Family(lambda seed, sim, wording, root: make_plain_episode(seed, sim, wording), run_episode, 90.0,
                    doc="above a place, the target the only one of its kind in view, named without a relation: "
                        "nothing to ask (the ask rate is the cost of asking)"),
}
