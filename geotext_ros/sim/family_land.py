"""Issue 19 §4 family `land`: "land next to the <target>" / "land on the <target>".

Maker: as localize, the drone above a random place (10 m off, random heading, 45 m), the target in view; the
target is named without a relation (the parser reads no relation after "land next to / on"), so it is the only
one of its kind in view. "on" only for the flat kinds a drone can set down on (ON_KINDS), about half of
those; "next to" ("beside") otherwise. Only requests that the true world can satisfy (truth_plan: plan_landing
on every object's true footprint finds a point) are made.
Runner: flies until the mission says LANDING (ARRIVED above the target -> touchdown plan -> DESCEND to the
envelope's minimum altitude above the plan). The sim vehicle has no land mode: from LANDING on it is flown as
the flight controller's land mode would, straight down where LANDING began, and the touchdown is its xy on the
ground. The plan is the status's `landing.point`.
Score (score_landing): the touchdown within TOUCHDOWN_M of the plan; the plan at least landing.clearance_m
from every object's ground-truth footprint in the world (the target's too for "next to"; cars, trees, roads
included); "on": the plan inside the target's footprint; "next to": within NEXT_TO_M of its footprint.
The simulated operator (geotext_ros.sim.operator) answers the navigator's questions truthfully, as in the
other families; `answers=False` (bench/episodes.py --no-answers) leaves them to time out.
Causes (first that applies): asked (the mission asked, CLARIFY, and never reached LANDING: no answer, or "none of
them"), not_found (the mission gave up: no clear point, or the target not found), timeout, wrong_target (the
drone arrived over another object, not the target), off_plan, not_on_target, far_from_target, near_<kind> (the
plan is closer than the clearance to an object of that kind).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence

import numpy as np

from geotext_ros.nav.landing import BESIDE, ON, LandingConfig, plan_landing
from geotext_ros.nav.scene import SceneObject
from geotext_ros.sim.episodes import SETTLE_S
from geotext_ros.sim.flight import Flight
from geotext_ros.sim.instructions import referring_task
from geotext_ros.sim.operator import Operator
from geotext_ros.sim.scenarios import Episode, localize_start
from geotext_ros.sim.task_text import task_description
from geotext_ros.sim.vehicle import Setpoint, VehicleLimits
from geotext_ros.sim.world import DESCRIBABLE_KINDS, World, footprint

ON_KINDS = ("parking_lot", "plaza", "soccer_field", "tennis_court", "basketball_court", "running_track")
TOUCHDOWN_M = 3.0     # the touchdown must be this close to the plan
NEXT_TO_M = 10.0      # "next to": the plan at most this far from the target's footprint
LAND_MODE_S = 30.0    # simulated seconds the land-mode descent may take
TASK_TRIES = 8        # target draws per world before giving up on a relation-free target
TRUTH_RADIUS_M = 80.0  # objects this close to the target count for the true plan (search_radius_m + a place)


@dataclass
class LandEpisode(Episode):
    """An episode whose instruction is a landing request; mode = "beside" or "on"."""

    mode: str = BESIDE


def make_land_episode(seed: int, sim: Mapping[str, Any], wording: str, gallery_root: Path
                      ) -> Optional[LandEpisode]:
    """A landing request for a target unique in view (module docstring), or None when the view has none."""
    s = localize_start(seed, sim)
    rng, cam, start, views = s.rng, s.camera, s.start, s.views
    for _ in range(TASK_TRIES):
        task = referring_task(views, cam.world, rng, wording, prefer_lookalikes=False)
        if task is not None and task.relation is None:
            break
    else:
        return None
    kind = cam.world.objects[task.target_id].kind
    mode = ON if kind in ON_KINDS and rng.random() < 0.5 else BESIDE
    if truth_plan(cam.world, task.target_id, mode) is None:
        return None   # no point of the true world clears everything: a refusal would be right, not measured here
    words = "on" if mode == ON else ("next to", "beside")[int(rng.integers(2))]
    text = f"land {words} the {task_description(task, wording)}"
    return LandEpisode(seed, cam, start, replace(task, instruction=text), None, mode)


def truth_plan(world: World, target_id: int, mode: str, config: LandingConfig = LandingConfig()
               ) -> Optional[tuple[float, float]]:
    """plan_landing on the world's true footprints (every object within TRUTH_RADIUS_M of the target), no view
    limit: where a perfect perception would set down, or None when no point clears every object."""
    target = world.objects[target_id]
    near = [o for o in world.objects if math.dist((o.x, o.y), (target.x, target.y)) <= TRUTH_RADIUS_M]
    objects = [SceneObject((0.0, 0.0, 0.0, 0.0), o.kind, 1.0, (o.x, o.y), tuple(map(tuple, footprint(o))))
               for o in near]
    return plan_landing([o.id for o in near].index(target_id), objects, mode, config).point


def run_land(ep: LandEpisode, pipe: Any, limits: VehicleLimits, rate_hz: float, max_s: float,
             settle_s: float = SETTLE_S, answers: bool = True) -> dict[str, Any]:
    """Fly until LANDING, then the land-mode descent; score the touchdown and the plan (module docstring).
    answers: the simulated operator answers the navigator's questions (geotext_ros.sim.operator)."""
    fl = Flight(ep, pipe, limits, rate_hz)
    plan, arrived_xy, landing_at = None, None, None
    operator = Operator(ep.task.target_id, answers)
    while fl.t < max_s:
        t, pose = fl.t, fl.pose
        waypoint, status = fl.look()
        status = operator.see(status, fl.objects, t, lambda text: pipe.set_instruction(text, t, pose))
        if status.get("landing"):
            plan = tuple(status["landing"]["point"])
            arrived_xy = arrived_xy or fl.xy   # where the plan was made: above what the mission took as target
        if status["state"] == "LANDING":
            landing_at = fl.t
            break
        if status["state"] in ("NOT_FOUND", "NOT_UNDERSTOOD", "HOLD"):
            break
        fl.move(waypoint)
    if landing_at is not None:
        x, y = fl.xy
        while fl.state.z > 0.05 and fl.t < landing_at + LAND_MODE_S:
            fl.fly(Setpoint(x, y, 0.0))
    touchdown = fl.xy if landing_at is not None else None
    score = score_landing(ep.camera.world, ep.task.target_id, ep.mode, plan, touchdown,
                          pipe.landing.clearance_m, arrived_xy)
    if landing_at is None:
        ended = fl.status["state"] in ("NOT_FOUND", "HOLD", "NOT_UNDERSTOOD")
        score.update(success=False, cause="asked" if operator.asked else "not_found" if ended else "timeout")
    return {"seed": ep.seed, "instruction": ep.task.instruction, "mode": ep.mode,
            "asked": operator.asked, "answers": operator.given,
            "kind": ep.camera.world.objects[ep.task.target_id].kind, **score,
            "error_m": score["touchdown_error_m"] if score["touchdown_error_m"] is not None else math.inf,
            "time_s": landing_at, "path_m": round(fl.path, 1), "state": fl.status["state"],
            "reason": fl.status.get("reason"), "plan": None if plan is None else list(plan),
            "touchdown": None if touchdown is None else [round(v, 2) for v in touchdown],
            "latency_ms": [round(v, 2) for v in fl.latencies]}


def score_landing(world: World, target_id: int, mode: str, plan: Optional[Sequence[float]],
                  touchdown: Optional[Sequence[float]], clearance_m: float,
                  arrived_xy: Optional[Sequence[float]] = None) -> dict[str, Any]:
    """success, cause and the figures behind them (module docstring) for one landing against the world's truth."""
    out: dict[str, Any] = {"success": False, "cause": None, "touchdown_error_m": None, "clearance_m": None,
                           "nearest_kind": None, "target_distance_m": None, "clear": None}
    if plan is None:
        out["cause"] = "not_found"
        return out
    target = world.objects[target_id]
    if touchdown is not None:
        out["touchdown_error_m"] = round(math.dist(plan, touchdown), 2)
    out["target_distance_m"] = round(distance_to_footprint(plan, footprint(target)), 2)
    others = [o for o in world.objects if not (mode == ON and o.id == target_id)]
    near = min(others, key=lambda o: distance_to_footprint(plan, footprint(o))) if others else None
    if near is not None:
        out["clearance_m"] = round(distance_to_footprint(plan, footprint(near)), 2)
        out["nearest_kind"] = near.kind
    out["clear"] = out["clearance_m"] is None or out["clearance_m"] >= clearance_m
    wrong = arrived_xy is not None and _nearest_describable(world, arrived_xy) not in (None, target_id)
    checks = [("wrong_target", wrong),
              ("off_plan", touchdown is None or out["touchdown_error_m"] > TOUCHDOWN_M),
              ("not_on_target", mode == ON and out["target_distance_m"] > 0.0),
              ("far_from_target", mode == BESIDE and out["target_distance_m"] > NEXT_TO_M),
              (f"near_{out['nearest_kind']}", not out["clear"])]
    out["cause"] = next((name for name, failed in checks if failed), None)
    out["success"] = out["cause"] is None
    return out


def _nearest_describable(world: World, xy: Sequence[float]) -> Optional[int]:
    """The describable object whose footprint is nearest (0 inside) to xy: what the drone arrived over."""
    objs = [o for o in world.objects if o.kind in DESCRIBABLE_KINDS and math.dist(xy, (o.x, o.y)) < 60.0]
    if not objs:
        return None
    return min(objs, key=lambda o: (distance_to_footprint(xy, footprint(o)), math.dist(xy, (o.x, o.y)))).id


def distance_to_footprint(point: Sequence[float], poly: np.ndarray) -> float:
    """Metres from a point to a polygon's area: 0 inside (even-odd rule), else to its nearest edge."""
    p = np.asarray(point, dtype=np.float64)
    a, b = np.asarray(poly, dtype=np.float64), np.roll(np.asarray(poly, dtype=np.float64), -1, axis=0)
    crosses = ((a[:, 1] > p[1]) != (b[:, 1] > p[1])) & (
        p[0] < a[:, 0] + (p[1] - a[:, 1]) * (b[:, 0] - a[:, 0]) / np.where(b[:, 1] == a[:, 1], 1.0, b[:, 1] - a[:, 1]))
    if crosses.sum() % 2 == 1:
        return 0.0
    d = b - a
    t = np.clip(((p - a) * d).sum(axis=1) / np.maximum((d * d).sum(axis=1), 1e-18), 0.0, 1.0)
    return float(np.hypot(*(p - (a + t[:, None] * d)).T).min())


def summarize_land(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Landing figures: by mode, plans made, touchdown error, plans clear of everything, nearest kinds."""
    made = [r for r in results if r["plan"] is not None]
    by_mode = {m: [r for r in results if r["mode"] == m] for m in (BESIDE, ON)}
    errs = [r["touchdown_error_m"] for r in results if r["touchdown_error_m"] is not None]
    clear = [r["clearance_m"] for r in made if r["clearance_m"] is not None]
    return {"success_by_mode": {m: f"{sum(r['success'] for r in rs)}/{len(rs)}" for m, rs in by_mode.items()},
            "plans_made": len(made),
            "touchdown_error_m_max": max(errs) if errs else None,
            "plans_clear_of_every_object": sum(bool(r["clear"]) for r in made),
            "plan_clearance_m_p10": round(float(np.percentile(clear, 10)), 2) if clear else None,
            "plans_touching_an_object": sum(c <= 0.0 for c in clear)}
