"""Closed-loop episodes and their scoring: the navigator's own loop (geotext_ros.nav.pipeline.NavPipeline) flies
the sim_world vehicle model (geotext_ros.sim.vehicle) in simulated time, without DDS. The episode benchmark, the
demo's summary and the tests score with this module only.

Success = final position within SUCCESS_M of the target centre; the final position is where the drone holds
`settle_s` (simulated) after ARRIVED, since ARRIVED fires on entering arrive_tolerance of the target estimate and
the drone then closes that gap. Failure causes (first that applies): wrong_place (search: the last place
searched is not the target's; `retrieved_place` is the first, the retrieval's top-1, `final_place` the last,
after the mission moved on to the next place, mission.search_places), timeout, not_found (the mission gave
up), wrong_lookalike (ended over another object of the target's kind: relation resolution), wrong_object (over
an object of another kind: grounding), off_target (nearest to the target but > SUCCESS_M away: box /
geometry). Latency = frame ready -> grounding result (box or none), per frame.

Asking back (issue 19 §3): when the navigator asks (CLARIFY), the simulated operator (geotext_ros.sim.operator)
answers from the ground truth after ANSWER_DELAY_S: "number k" for the candidate that is the target, "none of
them" when it is not offered (then the mission holds, or ends NOT_FOUND after a question asked instead of
NOT_FOUND: cause not_offered). With answers=False nobody answers, the
question times out (clarify.answer_timeout_s) into HOLD: cause unanswered. Each record counts `asked` (questions)
and lists the `answers`; `wrong_flight` = the drone approached another object before any question was asked
(the approach target's nearest describable object, when APPROACH began, is not the target, or the drone ended
over another object).

    ep = make_localize_episode(100000, sim)                       # geotext_ros.sim.scenarios
    record = run_episode(ep, NavPipeline.from_backend(backend, nav), VehicleLimits.from_params(sim), 5.0, 90.0)
"""
from __future__ import annotations

import math
from collections import Counter
from typing import Any, Optional

import numpy as np

from geotext_ros.nav.candidates import center_distance
from geotext_ros.nav.parser import parse_instruction
from geotext_ros.nav.place_question import is_place_question
from geotext_ros.sim.flight import Flight
from geotext_ros.sim.operator import NONE_OF_THEM, Operator
from geotext_ros.sim.scenarios import Episode
from geotext_ros.sim.vehicle import VehicleLimits, VehicleState
from geotext_ros.sim.world import DESCRIBABLE_KINDS

SUCCESS_M = 5.0       # an instruction succeeds when the drone ends this close to the target centre
SETTLE_S = 5.0        # simulated seconds the drone holds after ARRIVED before its position is scored


def run_episode(ep: Episode, pipe: Any, limits: VehicleLimits, rate_hz: float,
                max_s: float, settle_s: float = SETTLE_S, answers: bool = True) -> dict[str, Any]:
    """Fly one episode in simulated time with a fresh NavPipeline; the per-episode record (success, cause, time,
    path, latencies, questions asked and answers given). answers: the simulated operator answers questions."""
    task, fl = ep.task, Flight(ep, pipe, limits, rate_hz)
    arrival_xy: Optional[tuple[float, float]] = None
    status = fl.status
    retrieved = retrieval_top1(status)
    final = (status.get("place") or {}).get("place_id")
    arrived_at = None
    operator, prev_state, approached = Operator(task.target_id, answers, task.place_id), None, []
    while fl.t < max_s:
        t, pose = fl.t, fl.pose
        waypoint, status = fl.look()
        status = operator.see(status, fl.objects, t, lambda text: pipe.set_instruction(text, t, pose))
        final = (status.get("place") or {}).get("place_id") or final
        if status["state"] == "APPROACH" and prev_state != "APPROACH" and pipe.mission.target is not None:
            approached.append((_object_near(ep, pipe.mission.target), operator.asked))   # (flies to, questions)
        prev_state = status["state"]
        if status["state"] == "ARRIVED" and arrived_at is None:
            arrived_at, arrival_xy = t, fl.xy
        # ARRIVED fires within arrive_tolerance of the target estimate and keeps that estimate as the waypoint:
        # where the drone then holds, settle_s later, is the final position (not the moment it crossed the radius).
        # HOLD in an episode is the end of a question (no answer, or "none of them"): nothing else moves the drone.
        if status["state"] in ("NOT_FOUND", "HOLD") or (arrived_at is not None and t >= arrived_at + settle_s):
            break
        fl.move(waypoint)
    state, path, latencies = fl.state, fl.path, fl.latencies
    err = math.hypot(state.x - task.target_xy[0], state.y - task.target_xy[1])
    record = {"seed": ep.seed, "instruction": task.instruction, "success": err <= SUCCESS_M,
              "error_m": round(err, 2), "time_s": arrived_at, "path_m": round(path, 1), "state": status["state"],
              "lookalikes": task.lookalikes, "relation": task.relation, "true_place": task.place_id,
              "retrieved_place": retrieved, "final_place": final, "reason": status.get("reason"),
              "latency_ms": [round(v, 2) for v in latencies]}
    if arrival_xy is not None:   # for diagnosis: the error when ARRIVED fired, before the hold settled
        record["error_at_arrival_m"] = round(math.hypot(arrival_xy[0] - task.target_xy[0],
                                                        arrival_xy[1] - task.target_xy[1]), 2)
    given = operator.given
    record["cause"] = None if record["success"] else failure_cause(ep, state, status, final,
                                                                   given[-1] if given else None)
    record["asked"], record["answers"], record["asked_places"] = operator.asked, given, operator.asked_places
    record["approached"] = [obj for obj, _ in approached]
    record["wrong_flight"] = any(obj != task.target_id and before == 0 for obj, before in approached) or (
        operator.asked == 0 and record["cause"] in ("wrong_lookalike", "wrong_object"))
    if pipe.gallery is not None:   # for diagnosis: where the true place ranks for this sentence
        ranked = pipe.gallery.query(parse_instruction(task.instruction).text, k=len(pipe.gallery))
        record["true_place_rank"] = next((m.rank for m in ranked if m.place_id == task.place_id), None)
    return record


def retrieval_top1(status: dict[str, Any]) -> Optional[str]:
    """The place retrieval ranked first: the one flown to, or the first offered by a question about places."""
    place = (status.get("place") or {}).get("place_id")
    return place if place is not None or not is_place_question(status) else status["candidates"][0]["place_id"]


def failure_cause(ep: Episode, state: VehicleState, status: dict[str, Any], place: Optional[str],
                  last_answer: Optional[str] = None) -> str:
    """Why an episode missed the target (module docstring), first that applies; place: the last place searched."""
    task, world = ep.task, ep.camera.world
    if ep.gallery is not None and place != task.place_id:
        return "wrong_place"
    if last_answer == NONE_OF_THEM and status["state"] in ("HOLD", "NOT_FOUND"):   # the target was not offered
        return "not_offered"
    if status["state"] == "HOLD":   # the question was not answered in time
        return "unanswered"
    if status["state"] not in ("ARRIVED", "NOT_FOUND"):
        return "timeout"
    if status["state"] == "NOT_FOUND":
        return "not_found"
    here = (state.x, state.y)
    near = min((o for o in world.objects if o.kind in DESCRIBABLE_KINDS and math.dist(here, (o.x, o.y)) < 40.0),
               key=lambda o: math.dist(here, (o.x, o.y)), default=None)
    if near is None or near.id == task.target_id:
        return "off_target"
    return "wrong_lookalike" if near.kind == world.objects[task.target_id].kind else "wrong_object"


def _object_near(ep: Episode, xy: tuple[float, float]) -> Optional[int]:
    """Id of the describable world object nearest to xy within 40 m (None: nothing there)."""
    near = min((o for o in ep.camera.world.objects
                if o.kind in DESCRIBABLE_KINDS and math.dist(xy, (o.x, o.y)) < 40.0),
               key=lambda o: math.dist(xy, (o.x, o.y)), default=None)
    return None if near is None else near.id


def first_frame_choice(box: Any, objects: list[Any], target_id: int) -> str:
    """What a grounded box is nearest to in the frame's objects: the target, a look-alike (its kind), another
    object, or nothing."""
    if box is None:
        return "nothing"
    near = min(objects, key=lambda o: center_distance(o.bbox, box))
    target_kind = next(o.kind for o in objects if o.object_id == target_id)
    if near.object_id == target_id:
        return "target"
    return "look-alike" if near.kind == target_kind else "another"


def wilson_interval(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95 % (z = 1.96) Wilson score interval of a success rate: 100 episodes cannot tell 87 % from 90 %, and the
    report should say so next to the rate."""
    if n <= 0:
        return 0.0, 1.0
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = float(z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n))
    return max(0.0, centre - half), min(1.0, centre + half)


def summarize(results: list[dict[str, Any]], mode: str, engine_dir: str) -> dict[str, Any]:
    """Success rate (with its interval), time to arrival, path, failures by cause and latency of run_episode
    records."""
    lat = [v for r in results for v in r["latency_ms"]]
    times = [r["time_s"] for r in results if r["success"] and r["time_s"] is not None]
    n = max(len(results), 1)
    wins = sum(bool(r["success"]) for r in results)
    out = {"mode": mode, "episodes": len(results), "success_rate": round(wins / n, 3),
           "success_ci95": [round(v, 3) for v in wilson_interval(wins, len(results))],
           "time_to_arrival_s_mean": round(float(np.mean(times)), 1) if times else None,
           "time_to_arrival_s_p50": round(float(np.median(times)), 1) if times else None,
           "path_m_mean": round(float(np.mean([r["path_m"] for r in results])), 1) if results else None,
           "failures": dict(Counter(r["cause"] for r in results if r["cause"])),
           "latency_ms_p50": round(float(np.percentile(lat, 50)), 1) if lat else None,
           "latency_ms_p95": round(float(np.percentile(lat, 95)), 1) if lat else None,
           "frames_grounded": len(lat), "engine_dir": engine_dir,
           # asking back: episodes with >= 1 question, questions and answers given, flights to another object
           # before any question
           "ask_rate": round(sum(r.get("asked", 0) > 0 for r in results) / n, 3),
           "place_ask_rate": round(sum(r.get("asked_places", 0) > 0 for r in results) / n, 3),
           "questions": sum(r.get("asked", 0) for r in results),
           "answers": dict(Counter(a.split()[0] if a.startswith("number") else a
                                   for r in results for a in r.get("answers", []))),
           "wrong_flight_rate": round(sum(bool(r.get("wrong_flight")) for r in results) / n, 3)}
    seeds = [r["seed"] for r in results if "seed" in r]
    if seeds:   # seeds that make no episode are skipped: a run of N from S ends past S + N - 1, so say where
        out["seeds"] = [min(seeds), max(seeds)]
    named = Counter(r["named_by"] for r in results if "named_by" in r)
    if named:   # ambiguous family: success, questions and wrong flights by how the sentence names the look-alikes
        out["by_naming"] = {k: {"episodes": v, "success": sum(r["success"] for r in results if r.get("named_by") == k),
                                "asked": sum(r["asked"] > 0 for r in results if r.get("named_by") == k),
                                "wrong_flight": sum(bool(r["wrong_flight"]) for r in results
                                                    if r.get("named_by") == k)}
                            for k, v in sorted(named.items())}
    if mode == "search":
        out["retrieval_top1"] = round(sum(r["retrieved_place"] == r["true_place"] for r in results) / n, 3)
    return out
