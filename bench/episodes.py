"""Instruction episodes in unseen worlds: success rate, time to arrival, path length, failures by cause, latency.

Each episode: a world seed never used for training (>= 100000), the drone above a random place, a target object of
a kind that has a same-kind distractor in view, an instruction in held-out wording ("heldout" templates of
geotext_ros.sim) that names the target by its relation to another object. The loop is the navigator's own
(geotext_ros.nodes.pipeline.NavPipeline) driven without DDS, with the sim_world vehicle model (ROS-free, fast).
Success = final position within 5 m of the target centre. Latency = frame ready -> box (grounding) time.

    python bench/episodes.py --engine-dir engines/default --episodes 20
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any, Optional

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geotext_ros.nav.relations import relation_labels  # noqa: E402
from geotext_ros.nodes.params import load_node_params  # noqa: E402
from geotext_ros.nodes.pipeline import NavPipeline  # noqa: E402
from geotext_ros.nodes.sim_world import WorldCamera  # noqa: E402
from geotext_ros.nodes.vehicle import Setpoint, VehicleLimits, VehicleState, step_vehicle  # noqa: E402

SUCCESS_M = 5.0
REL_WORDS = {0: "to the left of", 2: "to the right of"}
VREL_WORDS = {0: "above", 2: "below"}
TEMPLATES = ("could you take the drone over to the {t} {r} the {a}", "i need eyes on the {t} {r} the {a}",
             "get above the {t} that is {r} the {a}")


def make_episode(seed: int, sim_params: dict[str, Any]) -> Optional[dict[str, Any]]:
    """A start state, instruction and true target, or None when this world view has no ambiguous pair."""
    from geotext_ros.sim.captions import describable, object_phrase

    rng = np.random.default_rng(seed)
    cam = WorldCamera(seed, 1, 4, int(sim_params["image_width"]), int(sim_params["image_height"]),
                      float(sim_params["fov_deg"]))
    place = cam.world.places[int(rng.integers(len(cam.world.places)))]
    start = VehicleState(x=place.x + rng.uniform(-10, 10), y=place.y + rng.uniform(-10, 10), z=45.0,
                         yaw=float(rng.uniform(-math.pi, math.pi)))
    objs = describable(cam.render(start).objects)
    kinds = Counter(o.kind for o in objs)
    targets = [o for o in objs if kinds[o.kind] >= 2]
    rng.shuffle(targets)
    for target in targets:
        for anchor in objs:
            if anchor.kind == target.kind:
                continue
            h, v = relation_labels(target.bbox, anchor.bbox)
            # the relation must single the target out among its same-kind distractors
            same = [o for o in objs if o.kind == target.kind and relation_labels(o.bbox, anchor.bbox) == (h, v)]
            words = REL_WORDS.get(h) or VREL_WORDS.get(v)
            if len(same) != 1 or words is None:
                continue
            text = TEMPLATES[int(rng.integers(len(TEMPLATES)))].format(
                t=object_phrase(target, rng, "heldout"), r=words, a=object_phrase(anchor, rng, "heldout"))
            truth = cam.world.objects[target.object_id]
            return {"seed": seed, "camera": cam, "start": start, "instruction": text,
                    "target_xy": (truth.x, truth.y), "distractors": kinds[target.kind] - 1}
    return None


def run_episode(ep: dict[str, Any], pipe: NavPipeline, limits: VehicleLimits, rate_hz: float,
                max_s: float) -> dict[str, Any]:
    cam, state = ep["camera"], ep["start"]
    k = cam.k[0], cam.k[4], cam.k[2], cam.k[5]
    pipe.set_instruction(ep["instruction"], 0.0, _pose(state))
    dt, t, path, latencies, arrived_at = 1.0 / rate_hz, 0.0, 0.0, [], None
    status: dict[str, Any] = {}
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
            arrived_at = t
        if status["state"] in ("ARRIVED", "NOT_FOUND"):
            break
        target = Setpoint(*waypoint) if waypoint is not None else None
        for _ in range(5):
            prev = state
            state = step_vehicle(state, target, dt / 5, limits)
            path += math.hypot(state.x - prev.x, state.y - prev.y)
        t += dt
    err = math.hypot(state.x - ep["target_xy"][0], state.y - ep["target_xy"][1])
    cause = None if err <= SUCCESS_M else (
        "timeout" if status.get("state") not in ("ARRIVED", "NOT_FOUND") else
        "not_found" if status.get("state") == "NOT_FOUND" else "wrong_place")
    return {"seed": ep["seed"], "instruction": ep["instruction"], "success": err <= SUCCESS_M,
            "error_m": round(err, 2), "time_s": arrived_at, "path_m": round(path, 1), "cause": cause,
            "distractors": ep["distractors"], "latency_ms": latencies}


def _pose(s: VehicleState) -> tuple[float, float, float, float]:
    return s.x, s.y, s.z, s.yaw


def main(argv: Optional[list[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--engine-dir", default=str(ROOT / "engines" / "default"))
    p.add_argument("--episodes", type=int, default=20)
    p.add_argument("--first-seed", type=int, default=100000, help="worlds from here on are never used for training")
    p.add_argument("--max-seconds", type=float, default=90.0, help="simulated seconds per episode")
    p.add_argument("--out", type=Path, default=ROOT / "out" / "bench" / "episodes.json")
    args = p.parse_args(argv)
    if not (Path(args.engine_dir) / "manifest.json").is_file():
        print(f"no engine in {args.engine_dir}: export one (geotext-export --out DIR) and pass --engine-dir DIR",
              file=sys.stderr)
        return 2
    nav, sim = load_node_params("navigator"), load_node_params("sim_world")
    nav["gallery"] = ""
    limits = VehicleLimits(sim["max_speed"], sim["max_vertical_speed"], sim["max_accel"], sim["max_yaw_rate"])
    results, seed = [], args.first_seed
    while len(results) < args.episodes and seed < args.first_seed + 20 * args.episodes:
        ep = make_episode(seed, sim)
        seed += 1
        if ep is None:
            continue
        pipe = NavPipeline.load(args.engine_dir, nav)   # fresh mission + safety state per episode
        results.append(run_episode(ep, pipe, limits, float(nav["process_rate_hz"]), args.max_seconds))
        r = results[-1]
        print(f"{len(results):3d} seed {r['seed']} {'OK ' if r['success'] else 'BAD'} {r['error_m']:6.1f} m  "
              f"{r['cause'] or '':11s} {r['instruction']}")
    lat = [v for r in results for v in r["latency_ms"]]
    times = [r["time_s"] for r in results if r["success"] and r["time_s"] is not None]
    summary = {"episodes": len(results), "success_rate": sum(r["success"] for r in results) / max(len(results), 1),
               "time_to_arrival_s_mean": float(np.mean(times)) if times else None,
               "path_m_mean": float(np.mean([r["path_m"] for r in results])) if results else None,
               "failures": dict(Counter(r["cause"] for r in results if r["cause"])),
               "latency_ms_p50": float(np.percentile(lat, 50)) if lat else None,
               "latency_ms_p95": float(np.percentile(lat, 95)) if lat else None,
               "engine_dir": args.engine_dir}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"summary": summary, "episodes": results}, indent=2))
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
