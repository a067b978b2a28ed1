"""Cost of the grounder's resolution options, side by side in one run: one instruction on one frame with the
model's own grid, with colour-guided upsampling (grounding.guided_size), with shift-and-stitch
(grounding.dense_upsample 2), and with both. Rounds interleave the settings so machine noise hits all alike;
prints p50 / p95 milliseconds and each setting's p50 as a ratio to the plain grid.

    OMP_NUM_THREADS=1 python bench/grounding_options.py [--iters 60] [--seed 100006] [--engine-dir engines/default]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Optional

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

from geotext_ros.sim.scenarios import make_localize_episode  # noqa: E402
from geotext_ros.nav.parser import parse_instruction  # noqa: E402
from geotext_ros.param_file import load_node_params  # noqa: E402
from geotext_ros.nav.pipeline import NavPipeline  # noqa: E402
from geotext_ros.runtime import open_backend  # noqa: E402

SETTINGS = {"model grid 8x8": {"grounding.guided_size": 0, "grounding.dense_upsample": 1},
            "guided 64x64": {"grounding.guided_size": 64, "grounding.dense_upsample": 1},
            "stitched 16x16": {"grounding.guided_size": 0, "grounding.dense_upsample": 2},
            "stitched + guided": {"grounding.guided_size": 64, "grounding.dense_upsample": 2}}


def main(argv: Optional[list[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--iters", type=int, default=60)
    p.add_argument("--seed", type=int, default=100006, help="localize episode whose first frame is grounded")
    p.add_argument("--engine-dir", default=str(ROOT / "engines" / "default"))
    args = p.parse_args(argv)
    sim, nav = load_node_params("sim_world"), load_node_params("navigator")
    ep = make_localize_episode(args.seed, sim)
    if ep is None:
        raise SystemExit(f"seed {args.seed} has no look-alike episode; pick another seed")
    frame, instruction = ep.camera.render(ep.start), parse_instruction(ep.task.instruction)
    backend = open_backend(args.engine_dir, "onnxruntime")
    grounders = {name: NavPipeline.from_backend(backend, {**nav, **over}).grounder for name, over in SETTINGS.items()}
    times: dict[str, list[float]] = {name: [] for name in grounders}
    for i in range(args.iters + 5):
        for name, grounder in grounders.items():
            start = time.perf_counter()
            grounder.ground(frame.image, instruction)
            if i >= 5:   # warm-up rounds
                times[name].append((time.perf_counter() - start) * 1e3)
    base = float(np.median(times["model grid 8x8"]))
    print(f"'{instruction.raw}' (seed {args.seed}), {args.iters} rounds")
    for name, t in times.items():
        p50, p95 = np.percentile(t, 50), np.percentile(t, 95)
        print(f"{name:18s} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  x{p50 / base:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
