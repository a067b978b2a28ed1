"""Issue 19 §4 family `multistep`: missions of 2-4 steps generated from the world, flown in one go.

Maker: the drone at home (sim_world start_x/start_y/start_altitude, random heading) in a world of the demo's size
with its gallery, as `search`. 1-4 targets, each at another place and out of view from where the drone is when
that step starts, named so that only one place fits (referring_task, unique_in_world); about half the missions
end with a step home. The steps are joined the way nav/steps.split_steps reads them: "could you take the drone
over to the red building left of the pool, then to the green tennis court, and then come home".

Runner: the instruction is given once; the mission runs its steps in order (NavPipeline's plan). A step's
arrival position is the vehicle's position in the cycle where the status's step index moves past it (the step
ended: ARRIVED, or at home on a return step); the last step is scored where the drone holds `settle_s` after it
ended, as run_episode scores. A step succeeds within SUCCESS_M of its target's centre (home: of the start
point); the mission succeeds when every step does. Cause of a failed mission: the first failed step's, as
run_episode names them (wrong_place, timeout, not_found, wrong_lookalike, wrong_object, off_target), off_home
for a return step that ended away from home, asked when the mission asked (CLARIFY) and the step still never
ended: the simulated operator (geotext_ros.sim.operator) answers about the step being flown, truthfully from the
ground truth, or nobody does with `answers=False` (bench/episodes.py --no-answers) and the question times out.
The mission ends at NOT_FOUND, NOT_UNDERSTOOD or HOLD (no answer, or "none of them").
Intermediate steps end the moment ARRIVED fires (within mission.arrive_tolerance of the target estimate: the
pipeline starts the next step at once), so they are scored without the settle the last step gets.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Mapping, Optional

import numpy as np

from geotext_ros.sim.camera import CameraPose
from geotext_ros.sim.episodes import SETTLE_S, SUCCESS_M, failure_cause, retrieval_top1
from geotext_ros.sim.flight import Flight
from geotext_ros.sim.gallery import GALLERY_FOOTPRINT_M, altitude_for_footprint, write_gallery
from geotext_ros.sim.instructions import Task, nearest_place, poses_around, referring_task
from geotext_ros.sim.operator import Operator
from geotext_ros.sim.scenarios import Episode
from geotext_ros.sim.task_text import task_description
from geotext_ros.sim.vehicle import VehicleLimits, VehicleState
from geotext_ros.sim.world_camera import WorldCamera

JOINERS = (", then ", ", and then ", "; then ", " and then ")
HOME_STEPS = ("come home", "return home", "fly back home")
MIN_STEPS, MAX_STEPS = 2, 4


@dataclass
class MultiStepEpisode(Episode):
    """An Episode whose task is the whole mission (instruction; target = the last place step's) with its steps
    in order: a Task per place step, None for the step home."""

    steps: tuple[Optional[Task], ...] = ()


def make_multistep_episode(seed: int, sim: Mapping[str, Any], wording: str, gallery_root: Path
                           ) -> Optional[MultiStepEpisode]:
    """A mission of 2-4 steps from home (module docstring), or None when the world has too few nameable places."""
    rng = np.random.default_rng(seed)
    cam = WorldCamera.from_params(sim, seed)
    start = VehicleState(x=float(sim["start_x"]), y=float(sim["start_y"]), z=float(sim["start_altitude"]),
                         yaw=float(rng.uniform(-math.pi, math.pi)))
    n = int(rng.integers(MIN_STEPS, MAX_STEPS + 1))
    home = bool(rng.random() < 0.5)
    tasks = _place_tasks(cam, sim, rng, wording, start, n - home)
    if tasks is None:
        return None
    steps: list[Optional[Task]] = [*tasks, None] if home else list(tasks)
    text = tasks[0].instruction
    for step in steps[1:]:
        joiner = JOINERS[int(rng.integers(len(JOINERS)))]
        words = HOME_STEPS[int(rng.integers(len(HOME_STEPS)))] if step is None \
            else f"to the {task_description(step, wording)}"
        text += joiner + words
    mission = replace(tasks[-1], instruction=text)
    gallery = write_gallery(cam.world, gallery_root / f"world_{seed}", hfov_deg=float(sim["fov_deg"]))
    return MultiStepEpisode(seed, cam, start, mission, gallery, tuple(steps))


def _place_tasks(cam: WorldCamera, sim: Mapping[str, Any], rng: np.random.Generator, wording: str,
                 start: VehicleState, count: int) -> Optional[list[Task]]:
    """`count` tasks at distinct places, each out of view from where its step starts (home, or above the
    previous target) and never at the place the drone is at; the view described is the one SEARCH gives
    (gallery altitude, the start heading, which the mission keeps)."""
    world = cam.world
    alt = altitude_for_footprint(GALLERY_FOOTPRINT_M, float(sim["fov_deg"]))
    here = CameraPose(start.x, start.y, start.z, start.yaw)
    used = {nearest_place(world, start.x, start.y)}
    places = list(world.places)
    rng.shuffle(places)
    tasks: list[Task] = []
    for place in places:
        if place.place_id in used:
            continue
        views = [cam.renderer.render(p, cam.intrinsics).objects
                 for p in poses_around(CameraPose(place.x, place.y, alt, start.yaw))]
        task = referring_task(views, world, rng, wording, unique_in_world=True)
        if task is None:
            continue
        if task.target_id in {o.object_id for o in cam.renderer.render(here, cam.intrinsics).objects}:
            continue
        tasks.append(task)
        used.add(place.place_id)
        here = CameraPose(task.target_xy[0], task.target_xy[1], alt, start.yaw)
        if len(tasks) == count:
            return tasks
    return None


def run_multistep(ep: MultiStepEpisode, pipe: Any, limits: VehicleLimits, rate_hz: float, max_s: float,
                  settle_s: float = SETTLE_S, answers: bool = True) -> dict[str, Any]:
    """Fly the mission once; the record has run_episode's fields plus `steps` (per step: text, target, where it
    ended, error, success, cause) and `steps_ok`. answers: the simulated operator answers a question about the
    step being flown (geotext_ros.sim.operator), as in run_episode."""
    fl = Flight(ep, pipe, limits, rate_hz)
    n = len(ep.steps)
    ended: list[Optional[tuple[float, float]]] = [None] * n
    retrieved: list[Optional[str]] = [None] * n   # per step: the first place flown to (retrieval top-1) ...
    final: list[Optional[str]] = [None] * n       # ... and the last (the mission searches the next on a miss)
    asked: list[bool] = [False] * n
    operators = [None if task is None else Operator(task.target_id, answers, task.place_id) for task in ep.steps]
    done_at: Optional[float] = None
    while fl.t < max_s:
        t, pose = fl.t, fl.pose
        waypoint, status = fl.look()
        k = _step_index(status, n)
        if operators[k] is not None:
            status = operators[k].see(status, fl.objects, t, lambda text: pipe.set_instruction(text, t, pose))
        for j in range(n):
            if j < k and ended[j] is None:
                ended[j] = fl.xy          # the step index moved past step j in this cycle
        asked[k] |= status["state"] == "CLARIFY" or bool(operators[k] and operators[k].asked)
        place = (status.get("place") or {}).get("place_id")
        retrieved[k] = retrieved[k] or retrieval_top1(status)
        if place is not None:
            final[k] = place
        if done_at is None and k == n - 1 and _step_done(status, ep.steps[-1]):
            done_at = fl.t
        if status["state"] in ("NOT_FOUND", "NOT_UNDERSTOOD", "HOLD") or (
                done_at is not None and fl.t >= done_at + settle_s):
            break
        fl.move(waypoint)
    if done_at is not None:
        ended[-1] = fl.xy
    record = _record(ep, fl, ended, retrieved, final, asked, done_at)
    record["asked"] = sum(o.asked for o in operators if o is not None)
    record["asked_places"] = sum(o.asked_places for o in operators if o is not None)
    record["answers"] = [a for o in operators if o is not None for a in o.given]
    return record


def _step_index(status: dict[str, Any], n: int) -> int:
    """0-based index of the step now running (a one-step status has no `step`)."""
    step = status.get("step")
    return min(int(step["k"]) - 1, n - 1) if step else 0


def _step_done(status: dict[str, Any], task: Optional[Task]) -> bool:
    if task is None:
        return status["state"] == "RETURN" and status.get("reason") == "at home"
    return status["state"] == "ARRIVED"


def _record(ep: MultiStepEpisode, fl: Flight, ended: list, retrieved: list, final: list, asked: list,
            done_at: Optional[float]) -> dict[str, Any]:
    home = (ep.start.x, ep.start.y)
    steps, cause = [], None
    for j, (task, xy) in enumerate(zip(ep.steps, ended)):
        goal = home if task is None else task.target_xy
        where = xy if xy is not None else fl.xy
        err = math.dist(where, goal)
        ok = xy is not None and err <= SUCCESS_M
        why = None if ok else _step_cause(ep, task, xy, final[j], asked[j], fl.status)
        cause = cause or why
        steps.append({"k": j + 1, "target": "home" if task is None else task.instruction,
                      "target_xy": [round(v, 2) for v in goal], "ended_xy": None if xy is None else
                      [round(v, 2) for v in xy], "error_m": round(err, 2), "success": ok, "cause": why,
                      "true_place": None if task is None else task.place_id, "retrieved_place": retrieved[j],
                      "final_place": final[j]})
    bad = next((s for s in steps if not s["success"]), None)
    return {"seed": ep.seed, "instruction": ep.task.instruction, "success": bad is None,
            "error_m": max(s["error_m"] for s in steps), "time_s": done_at, "path_m": round(fl.path, 1),
            "state": fl.status["state"], "steps": steps, "steps_ok": sum(s["success"] for s in steps),
            "failed_step": None if bad is None else bad["k"], "cause": cause, "reason": fl.status.get("reason"),
            "true_place": ",".join(str(s["true_place"] or "home") for s in steps),
            "retrieved_place": ",".join(str(s["retrieved_place"] or "-") for s in steps),
            "lookalikes": sum(t.lookalikes for t in ep.steps if t is not None),
            "relation": [None if t is None else t.relation for t in ep.steps],
            "latency_ms": [round(v, 2) for v in fl.latencies]}


def _step_cause(ep: MultiStepEpisode, task: Optional[Task], xy: Optional[tuple[float, float]],
                place: Optional[str], asked: bool, status: dict[str, Any]) -> str:
    if task is not None and ep.gallery is not None and place not in (None, task.place_id):
        return "wrong_place"   # first, as run_episode: the rest of the step happened at the wrong place
    if xy is None:   # the mission never got past this step
        if asked:     # the question went unanswered (or the answer did not help) and the step never ended
            return "asked"
        return "not_found" if status["state"] == "NOT_FOUND" else "timeout"
    if task is None:
        return "off_home"
    here = VehicleState(x=xy[0], y=xy[1])
    return failure_cause(replace(ep, task=task), here, {"state": "ARRIVED"}, place)


def summarize_steps(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Per-step figures of multistep records: steps flown, steps within SUCCESS_M, failures by step number."""
    steps = [s for r in results for s in r["steps"]]
    by_n: dict[str, list[int]] = {}
    for r in results:
        by_n.setdefault(str(len(r["steps"])), []).append(int(r["success"]))
    return {"steps": len(steps), "step_success_rate": round(sum(s["success"] for s in steps) / max(len(steps), 1), 3),
            "success_by_steps": {k: f"{sum(v)}/{len(v)}" for k, v in sorted(by_n.items())},
            "failed_step": {str(k): sum(r["failed_step"] == k for r in results)
                            for k in sorted({r["failed_step"] for r in results if r["failed_step"]})}}
