"""The `plain` episode family (issue 19 §3, the control of `ambiguous`): the target is the only object of its kind
in view, named without a relation ("fly to the pool"), so the navigator has nothing to ask; its ask rate here is
what asking costs on instructions that need no answer.

The drone starts as in `localize` (above a random place, 10 m off, random heading, 45 m); the target is visible,
and alone of its kind, from every pose within 2 m of the start (geotext_ros.sim.instructions' plain tasks). Scored
as localize (geotext_ros.sim.episodes.run_episode); the simulated operator answers any question.

    ep = make_plain_episode(100000, sim)      # None: no object in this view is the only one of its kind
"""
from __future__ import annotations

from typing import Any, Mapping, Optional


from geotext_ros.sim.instructions import referring_task
from geotext_ros.sim.scenarios import Episode, localize_start


def make_plain_episode(seed: int, sim: Mapping[str, Any], wording: str = "heldout") -> Optional[Episode]:
    """Drone above a random place; the target the only one of its kind in view, named without a relation. None
    when no object in this view qualifies."""
    s = localize_start(seed, sim)
    rng, cam, start, views = s.rng, s.camera, s.start, s.views
    task = referring_task(views, cam.world, rng, wording, prefer_lookalikes=False)
    if task is None or task.relation is not None:
        return None
    return Episode(seed, cam, start, task)
