"""Instruction episodes in unseen worlds: success rate, time to arrival, path length, failures by cause, latency.

Worlds are seeds never used for training (>= 100000). Instructions use held-out wording (the "heldout" templates
and synonyms of geotext_ros.sim, never seen in training) and come from geotext_ros.sim.instructions: a target
with a same-kind look-alike in view is named by its relation to another object, and the relation must single it
out from every pose near where the drone will look (so the answer does not flip with a few metres of error).
The loop is the navigator's own (geotext_ros.nav.pipeline.NavPipeline) without DDS, flying the sim_world
vehicle model (ROS-free, fast, simulated time).

Modes:
  localize (default)  the drone starts above a random place (10 m off, random heading, 45 m) with the target in
                      view; the target always has a same-kind look-alike, so a relation is needed;
  --search            the drone starts at home (sim_world start_x/start_y/start_altitude, random heading) in a
                      world of the demo's size (sim_world n_campuses x places_per_campus); the target is at another
                      place, out of view; the world's gallery (geotext_ros.sim.gallery, one image per place) is
                      embedded with the engine, and the navigator must retrieve the place first. The described
                      target (and anchor) occur together at no other place, so the sentence names one place.

Success = final position within 5 m of the target centre; the final position is where the drone holds 5 s
(simulated) after ARRIVED (`--settle-seconds`), since ARRIVED fires on entering arrive_tolerance of the target
estimate and the drone then closes that gap. Failure causes (first that applies): wrong_place
(search: the retrieved place is not the target's), timeout, not_found (the mission gave up), wrong_lookalike
(ended over another object of the target's kind: relation resolution), wrong_object (over an object of another
kind: grounding), off_target (nearest to the target but > 5 m away: box / geometry). Latency = frame ready ->
grounding result (box or none), per frame, p50/p95.

    python bench/episodes.py --engine-dir engines/default --episodes 100
    python bench/episodes.py --engine-dir engines/default --search --episodes 30
"""
from __future__ import annotations

import argparse
import json
import logging
import math
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any, Optional

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geotext_ros.nav.parser import parse_instruction  # noqa: E402
from geotext_ros.param_file import load_node_params  # noqa: E402
from geotext_ros.nav.pipeline import NavPipeline  # noqa: E402
from geotext_ros.sim.world_camera import WorldCamera  # noqa: E402
from geotext_ros.sim.vehicle import Setpoint, VehicleLimits, VehicleState, step_vehicle  # noqa: E402
from geotext_ros.sim.camera import CameraPose  # noqa: E402
from geotext_ros.sim.gallery import GALLERY_FOOTPRINT_M, altitude_for_footprint, write_gallery  # noqa: E402
from geotext_ros.sim.instructions import nearest_place, poses_around, referring_task  # noqa: E402
from geotext_ros.sim.world import DESCRIBABLE_KINDS  # noqa: E402

SUCCESS_M = 5.0
SETTLE_S = 5.0        # simulated seconds the drone holds after ARRIVED before its position is scored
LOCALIZE_PLACES = 4   # places per world in localize mode (only the one under the drone matters)


def _camera(seed: int, sim: dict[str, Any], campuses: int, places: int) -> WorldCamera:
    style = sim.get("style_seed", 0)
    return WorldCamera(seed, campuses, places, int(sim["image_width"]), int(sim["image_height"]),
                       float(sim["fov_deg"]), seed if style == "episode" else int(style))


def _views(cam: WorldCamera, pose: CameraPose, radius: float) -> list[list[Any]]:
    return [cam.renderer.render(p, cam.intrinsics).objects for p in poses_around(pose, radius)]


def make_localize_episode(seed: int, sim: dict[str, Any], wording: str = "heldout") -> Optional[dict[str, Any]]:
    """Drone above a random place with a look-alike target in view, or None when this view has none."""
    rng = np.random.default_rng(seed)
    cam = _camera(seed, sim, 1, LOCALIZE_PLACES)
    place = cam.world.places[int(rng.integers(len(cam.world.places)))]
    start = VehicleState(x=place.x + rng.uniform(-10, 10), y=place.y + rng.uniform(-10, 10), z=45.0,
                         yaw=float(rng.uniform(-math.pi, math.pi)))
    # LOCALIZE holds where the instruction arrived: the relation must hold within a couple of metres of it
    views = _views(cam, CameraPose(start.x, start.y, start.z, start.yaw), 2.0)
    task = referring_task(views, cam.world, rng, wording, require_lookalikes=True)
    if task is None:
        return None
    return {"seed": seed, "camera": cam, "start": start, "task": task, "gallery": None}


def make_search_episode(seed: int, sim: dict[str, Any], gallery_root: Path,
                        wording: str = "heldout") -> Optional[dict[str, Any]]:
    """Drone at home; the target at another place, named so that only one place fits; the world's gallery."""
    rng = np.random.default_rng(seed)
    cam = _camera(seed, sim, int(sim["n_campuses"]), int(sim["places_per_campus"]))
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
        return {"seed": seed, "camera": cam, "start": start, "task": task, "gallery": gallery}
    return None


def run_episode(ep: dict[str, Any], pipe: NavPipeline, limits: VehicleLimits, rate_hz: float,
                max_s: float, settle_s: float = SETTLE_S) -> dict[str, Any]:
    """Fly one episode in simulated time; the per-episode record (success, cause, time, path, latencies)."""
    cam, state, task = ep["camera"], ep["start"], ep["task"]
    arrival_xy: Optional[tuple[float, float]] = None
    k = cam.k[0], cam.k[4], cam.k[2], cam.k[5]
    status = pipe.set_instruction(task.instruction, 0.0, _pose(state))
    retrieved = (status.get("place") or {}).get("place_id")
    dt, t, path, latencies, arrived_at = 1.0 / rate_hz, 0.0, 0.0, [], None
    while t < max_s:
        pose = _pose(state)
        if pipe.needs_grounding:
            frame = cam.render(state)
            t0 = time.perf_counter()
            result, status = pipe.process_frame(frame.image, k, pose, t)
            if result is not None:   # every grounded frame, box or not: frame ready -> result
                latencies.append((time.perf_counter() - t0) * 1000.0)
        waypoint, status = pipe.tick(pose, t, t, t)
        if status["state"] == "ARRIVED" and arrived_at is None:
            arrived_at, arrival_xy = t, (state.x, state.y)
        # ARRIVED fires within arrive_tolerance of the target estimate and keeps that estimate as the waypoint:
        # where the drone then holds, settle_s later, is the final position (not the moment it crossed the radius)
        if status["state"] == "NOT_FOUND" or (arrived_at is not None and t >= arrived_at + settle_s):
            break
        target = Setpoint(*waypoint) if waypoint is not None else None
        for _ in range(5):
            prev = state
            state = step_vehicle(state, target, dt / 5, limits)
            path += math.hypot(state.x - prev.x, state.y - prev.y)
        t += dt
    err = math.hypot(state.x - task.target_xy[0], state.y - task.target_xy[1])
    record = {"seed": ep["seed"], "instruction": task.instruction, "success": err <= SUCCESS_M,
              "error_m": round(err, 2), "time_s": arrived_at, "path_m": round(path, 1), "state": status["state"],
              "lookalikes": task.lookalikes, "relation": task.relation, "true_place": task.place_id,
              "retrieved_place": retrieved, "reason": status.get("reason"), "latency_ms": [round(v, 2) for v in latencies]}
    if arrival_xy is not None:   # for diagnosis: the error when ARRIVED fired, before the hold settled
        record["error_at_arrival_m"] = round(math.hypot(arrival_xy[0] - task.target_xy[0],
                                                        arrival_xy[1] - task.target_xy[1]), 2)
    record["cause"] = None if record["success"] else failure_cause(ep, state, status, retrieved)
    if pipe.gallery is not None:   # for diagnosis: where the true place ranks for this sentence
        ranked = pipe.gallery.query(parse_instruction(task.instruction).text, k=len(pipe.gallery))
        record["true_place_rank"] = next((m.rank for m in ranked if m.place_id == task.place_id), None)
    return record


def failure_cause(ep: dict[str, Any], state: VehicleState, status: dict[str, Any], retrieved: Optional[str]) -> str:
    """Why an episode missed the target (module docstring), first that applies."""
    task, world = ep["task"], ep["camera"].world
    if ep["gallery"] is not None and retrieved != task.place_id:
        return "wrong_place"
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


def _parse_param(text: str, defaults: dict[str, Any]) -> tuple[str, Any]:
    name, sep, value = text.partition("=")
    if not sep or name not in defaults:
        raise SystemExit(f"--param {text!r}: use NAME=VALUE with a navigator parameter of config/nav.yaml "
                         f"(e.g. mission.min_confidence=0.3)")
    kind = type(defaults[name])
    return name, (value.lower() in ("1", "true", "yes")) if kind is bool else kind(value)


def _style_seed(text: str) -> int | str:
    if text == "episode":
        return text
    try:
        return int(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"style seed {text!r}: use an integer or 'episode'") from e


def _pose(s: VehicleState) -> tuple[float, float, float, float]:
    return s.x, s.y, s.z, s.yaw


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
           "frames_grounded": len(lat), "engine_dir": engine_dir}
    if mode == "search":
        out["retrieval_top1"] = round(sum(r["retrieved_place"] == r["true_place"] for r in results) / n, 3)
    return out


def main(argv: Optional[list[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--engine-dir", default=str(ROOT / "engines" / "default"))
    p.add_argument("--episodes", type=int, default=20)
    p.add_argument("--search", action="store_true", help="start at home; retrieve the place from the gallery first")
    p.add_argument("--first-seed", type=int, default=100000, help="worlds from here on are never used for training")
    p.add_argument("--settle-seconds", type=float, default=SETTLE_S,
                   help="simulated seconds held after ARRIVED before the final position is scored")
    p.add_argument("--max-seconds", type=float, default=None,
                   help="simulated seconds per episode (default 90 localize, 240 search)")
    p.add_argument("--out", type=Path, default=None, help="JSON report (default out/bench/episodes[_search].json)")
    p.add_argument("--wording", choices=("heldout", "train"), default="heldout",
                   help="instruction wording: heldout (default; templates and synonyms never seen in training) or "
                        "train (the training captions' words; for diagnosis)")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="override a navigator parameter of config/nav.yaml (e.g. mission.min_confidence=0.3); "
                        "for diagnosis: reported figures use the defaults")
    p.add_argument("--style-seed", type=_style_seed, default=None, metavar="N|episode",
                   help="the look of the frames (light, season, shadows): a style seed for every episode, or "
                        "'episode' for each episode's own (default: sim_world.style_seed of config/nav.yaml); "
                        "for diagnosis: reported figures use the default")
    args = p.parse_args(argv)
    if not (Path(args.engine_dir) / "manifest.json").is_file():
        print(f"no engine in {args.engine_dir}: export one (geotext-export --out DIR) and pass --engine-dir DIR",
              file=sys.stderr)
        return 2
    from geotext_ros.nav.pipeline import open_gallery
    from geotext_ros.runtime.open_backend import open_backend

    logging.getLogger("geotext_ros.safety").setLevel(logging.ERROR)   # clamps of long SEARCH legs are expected
    mode = "search" if args.search else "localize"
    max_s = args.max_seconds or (240.0 if args.search else 90.0)
    if args.settle_seconds < 0:
        raise SystemExit(f"--settle-seconds {args.settle_seconds}: must be >= 0")
    out_path = args.out or ROOT / "out" / "bench" / f"episodes{'_search' if args.search else ''}.json"
    nav, sim = load_node_params("navigator"), load_node_params("sim_world")
    if args.style_seed is not None:
        sim["style_seed"] = args.style_seed
    overrides = dict(_parse_param(text, nav) for text in args.param)
    nav.update(overrides)
    limits = VehicleLimits(sim["max_speed"], sim["max_vertical_speed"], sim["max_accel"], sim["max_yaw_rate"])
    backend = open_backend(args.engine_dir, nav.get("backend", "auto"))
    results, seed = [], args.first_seed
    with tempfile.TemporaryDirectory(prefix="geotext_galleries_") as tmp:
        while len(results) < args.episodes and seed < args.first_seed + 20 * args.episodes:
            ep = (make_search_episode(seed, sim, Path(tmp), args.wording) if args.search
                  else make_localize_episode(seed, sim, args.wording))
            seed += 1
            if ep is None:
                continue
            gallery = open_gallery(ep["gallery"], backend) if ep["gallery"] else None
            pipe = NavPipeline.from_backend(backend, nav, gallery)   # fresh mission + safety state per episode
            results.append(run_episode(ep, pipe, limits, float(nav["process_rate_hz"]), max_s,
                                       args.settle_seconds))
            r = results[-1]
            place = f" place {r['retrieved_place']}/{r['true_place']}" if args.search else ""
            print(f"{len(results):3d} seed {r['seed']} {'OK ' if r['success'] else 'BAD'} {r['error_m']:6.1f} m  "
                  f"{r['cause'] or '':15s}{place} {r['instruction']}", flush=True)
    summary = summarize(results, mode, args.engine_dir)
    summary["wording"] = args.wording
    summary["style_seed"] = sim["style_seed"]
    if overrides:
        summary["param_overrides"] = overrides
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps({"summary": summary, "episodes": results}, indent=2))
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
