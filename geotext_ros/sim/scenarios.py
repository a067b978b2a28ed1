"""Scenarios in the simulated world: the closed-loop episodes of the benchmarks and tests, and the demo's tasks.

Worlds for episodes are seeds never used for training (>= 100000 in the benchmarks). Instructions come from
geotext_ros.sim.instructions: a target with a same-kind look-alike in view is named by its relation to another
object, and the relation must single it out from every pose near where the drone will look.

  localize  the drone starts above a random place (10 m off, random heading, 45 m) with the target in view; the
            target always has a same-kind look-alike, so a relation is needed (`make_localize_episode`);
  search    the drone starts at home (sim_world start_x/start_y/start_altitude, random heading) in a world of the
            demo's size; the target is at another place, out of view, and the world's gallery is written so the
            navigator must retrieve the place first (`make_search_episode`);
  demo      search tasks at the demo world's places, one after the other (`plan_tasks`), or instructions about
            what the drone sees now (`pick_instructions`, `simplest_instruction`).
Every `sim` argument is sim_world's parameters of config/nav.yaml (geotext_ros.param_file.load_node_params).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Optional

import numpy as np

from geotext_ros.sim.camera import CameraPose
from geotext_ros.sim.gallery import GALLERY_FOOTPRINT_M, altitude_for_footprint, write_gallery
from geotext_ros.sim.instructions import Task, nearest_place, poses_around, referring_task
from geotext_ros.sim.vehicle import VehicleState
from geotext_ros.sim.world_camera import WorldCamera

LOCALIZE_PLACES = 4   # places per world in localize mode (only the one under the drone matters)
START_ALTITUDE_M = 45.0
START_OFFSET_M = 10.0   # the localize start is up to this far from the place centre, each axis
HOVER_SPREAD_M = 2.0    # LOCALIZE holds where the instruction arrived: a sentence must hold this far around it


@dataclass
class Episode:
    """One closed-loop episode: the world seen through the camera, the drone's start, the task, and the world's
    gallery.json for search episodes (None: localize in view)."""

    seed: int
    camera: WorldCamera
    start: VehicleState
    task: Task
    gallery: Optional[Path] = None


def _views(cam: WorldCamera, pose: CameraPose, radius: float) -> list[list[Any]]:
    return [cam.renderer.render(p, cam.intrinsics).objects for p in poses_around(pose, radius)]


@dataclass
class LocalizeStart:
    """A world, the drone's start above one of its places (random heading) and what it sees there: views[0] from
    the start, then from poses_around it within HOVER_SPREAD_M; rng after the start's draws (a maker draws on)."""

    seed: int
    rng: np.random.Generator
    camera: WorldCamera
    start: VehicleState
    views: list[list[Any]]
    poses: list[CameraPose]

    @property
    def main(self) -> list[Any]:
        """Describable objects of the start view (captions.describable)."""
        from geotext_ros.sim.captions import describable

        return describable(self.views[0])


def localize_start(seed: int, sim: Mapping[str, Any]) -> LocalizeStart:
    """The start of localize and of the families that start like it: above a random place of world `seed`, up to
    START_OFFSET_M off, at START_ALTITUDE_M, a random heading."""
    rng = np.random.default_rng(seed)
    cam = WorldCamera.from_params(sim, seed, 1, LOCALIZE_PLACES)
    place = cam.world.places[int(rng.integers(len(cam.world.places)))]
    start = VehicleState(x=place.x + rng.uniform(-START_OFFSET_M, START_OFFSET_M),
                         y=place.y + rng.uniform(-START_OFFSET_M, START_OFFSET_M), z=START_ALTITUDE_M,
                         yaw=float(rng.uniform(-math.pi, math.pi)))
    poses = poses_around(CameraPose(start.x, start.y, start.z, start.yaw), HOVER_SPREAD_M)
    return LocalizeStart(seed, rng, cam, start, [cam.renderer.render(p, cam.intrinsics).objects for p in poses],
                         poses)


def make_localize_episode(seed: int, sim: Mapping[str, Any], wording: str = "heldout") -> Optional[Episode]:
    """Drone above a random place with a look-alike target in view, or None when this view has none."""
    s = localize_start(seed, sim)
    task = referring_task(s.views, s.camera.world, s.rng, wording, require_lookalikes=True)
    if task is None:
        return None
    return Episode(seed, s.camera, s.start, task)


def make_search_episode(seed: int, sim: Mapping[str, Any], gallery_root: Path,
                        wording: str = "heldout") -> Optional[Episode]:
    """Drone at home; the target at another place, named so that only one place fits; the world's gallery
    (written under gallery_root)."""
    rng = np.random.default_rng(seed)
    cam = WorldCamera.from_params(sim, seed)
    start = VehicleState(x=float(sim["start_x"]), y=float(sim["start_y"]), z=float(sim["start_altitude"]),
                         yaw=float(rng.uniform(-math.pi, math.pi)))
    home_place = nearest_place(cam.world, start.x, start.y)
    in_view = {o.object_id for o in cam.render(start).objects}
    alt = altitude_for_footprint(GALLERY_FOOTPRINT_M, float(sim["fov_deg"]))
    places = [p for p in cam.world.places if p.place_id != home_place]
    rng.shuffle(places)
    for place in places:
        # SEARCH flies to the place at the gallery altitude keeping the heading: that is the view to describe
        views = _views(cam, CameraPose(place.x, place.y, alt, start.yaw), 4.0)
        task = referring_task(views, cam.world, rng, wording, unique_in_world=True)
        if task is None or task.target_id in in_view:
            continue
        gallery = write_gallery(cam.world, gallery_root / f"world_{seed}", hfov_deg=float(sim["fov_deg"]))
        return Episode(seed, cam, start, task, gallery)
    return None


def plan_tasks(camera: WorldCamera, sim: Mapping[str, Any], count: int, seed: int = 0) -> list[Task]:
    """Up to `count` search tasks, each at a place other than the one the drone is at when it is given, with the
    target out of the drone's view then; look-alike targets (relation needed) first. Each view is the one the
    drone will have above the place: gallery altitude, the start heading."""
    world, rng = camera.world, np.random.default_rng(seed)
    alt = altitude_for_footprint(GALLERY_FOOTPRINT_M, float(sim["fov_deg"]))
    yaw = float(sim["start_yaw"])
    candidates = []
    for place in world.places:
        views = [camera.renderer.render(p, camera.intrinsics).objects
                 for p in poses_around(CameraPose(place.x, place.y, alt, yaw))]
        task = referring_task(views, world, rng, "train", unique_in_world=True)
        if task is not None:
            candidates.append(task)
    candidates.sort(key=lambda t: t.relation is None)   # relation tasks first (stable)
    here = CameraPose(float(sim["start_x"]), float(sim["start_y"]), float(sim["start_altitude"]), yaw)
    tasks: list[Task] = []
    for task in candidates:
        if len(tasks) == count:
            break
        in_view = {o.object_id for o in camera.renderer.render(here, camera.intrinsics).objects}
        if task.target_id in in_view:
            continue
        tasks.append(task)
        here = CameraPose(task.target_xy[0], task.target_xy[1], alt, yaw)
    return tasks


def pick_instructions(camera: WorldCamera, state: VehicleState, count: int, seed: int = 0) -> list[dict[str, Any]]:
    """Instructions for distinct objects in the current camera view (localize only, no gallery needed)."""
    pose = CameraPose(state.x, state.y, max(state.z, 0.5), state.yaw)
    views = _views(camera, pose, 2.0)
    rng, picks, used = np.random.default_rng(seed), [], set()
    for _ in range(4 * count):
        task = referring_task(views, camera.world, rng, "train")
        if task is not None and task.target_id not in used:
            used.add(task.target_id)
            picks.append({"instruction": task.instruction, "target_xy": list(task.target_xy)})
        if len(picks) == count:
            break
    return picks


def simplest_instruction(camera: WorldCamera, state: VehicleState) -> dict[str, Any]:
    """"fly to the <phrase>" for the largest describable object in view that is the only one of its kind."""
    from geotext_ros.sim.captions import describable, object_phrase

    objs = describable(camera.render(state).objects)
    unique = [o for o in objs if sum(p.kind == o.kind for p in objs) == 1]
    if not unique:
        raise ValueError(f"no object in view at ({state.x:.1f}, {state.y:.1f}) is the only one of its kind")
    target = max(unique, key=lambda o: o.area)
    truth = camera.world.objects[target.object_id]
    return {"instruction": f"fly to the {object_phrase(target)}", "target_xy": [truth.x, truth.y]}
