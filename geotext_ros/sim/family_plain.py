"""The `plain` episode family (issue 19 §3, the control of `ambiguous`): the target is the only object of its kind
in view, named without a relation ("fly to the pool"), so the navigator has nothing to ask; its ask rate here is
what asking costs on instructions that need no answer.

The drone starts as in `localize` (above a random place, 10 m off, random heading, 45 m); the target is visible,
and alone of its kind, from every pose within 2 m of the start (geotext_ros.sim.instructions' plain tasks). Scored
as localize (geotext_ros.sim.episodes.run_episode); the simulated operator answers any question.

    ep = make_plain_episode(100000, sim)      # None: no object in this view is the only one of its kind
"""
from __future__ import annotations

import math
from typing import Any, Mapping, Optional

import numpy as np

from geotext_ros.sim.camera import CameraPose
from geotext_ros.sim.instructions import poses_around, referring_task
from geotext_ros.sim.scenarios import LOCALIZE_PLACES, Episode
from geotext_ros.sim.vehicle import VehicleState
from geotext_ros.sim.world_camera import WorldCamera


def make_plain_episode(seed: int, sim: Mapping[str, Any], wording: str = "heldout") -> Optional[Episode]:
    """Drone above a random place; the target the only one of its kind in view, named without a relation. None
    when no object in this view qualifies."""
    rng = np.random.default_rng(seed)
    cam = WorldCamera.from_params(sim, seed, 1, LOCALIZE_PLACES)
    place = cam.world.places[int(rng.integers(len(cam.world.places)))]
    start = VehicleState(x=place.x + rng.uniform(-10, 10), y=place.y + rng.uniform(-10, 10), z=45.0,
                         yaw=float(rng.uniform(-math.pi, math.pi)))
    here = CameraPose(start.x, start.y, start.z, start.yaw)
    views = [cam.renderer.render(p, cam.intrinsics).objects for p in poses_around(here, 2.0)]
    task = referring_task(views, cam.world, rng, wording, prefer_lookalikes=False)
    if task is None or task.relation is not None:
        return None
    return Episode(seed, cam, start, task)
