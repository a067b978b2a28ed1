"""How far the camera geometry alone puts the episode targets: project the simulator's true box centre of each
localize episode's target to the ground (the navigator's own box_center_to_ground) and compare with the
object's centre. Separates geometry error from grounding error in bench/episodes.py failures.

    python bench/geometry.py [--first-seed 300000] [--seeds 30]
"""
from __future__ import annotations

import argparse
import math
import sys
from typing import Optional

import numpy as np


from geotext_ros.sim.scenarios import make_localize_episode  # noqa: E402
from geotext_ros.nav.camera import box_center_to_ground  # noqa: E402
from geotext_ros.param_file import load_node_params  # noqa: E402


def target_errors(first_seed: int, seeds: int) -> list[tuple[int, str, float, float]]:
    """(seed, kind, visible fraction, metres between projected true-box centre and object centre) per episode."""
    sim = load_node_params("sim_world")
    out = []
    for seed in range(first_seed, first_seed + seeds):
        ep = make_localize_episode(seed, sim)
        if ep is None:
            continue
        cam, start, task = ep.camera, ep.start, ep.task
        frame = cam.render(start)
        k = cam.intrinsics
        height, width = frame.image.shape[:2]
        for obj in frame.objects:
            if obj.object_id == task.target_id:
                point = box_center_to_ground(obj.bbox, (width, height), k, (start.x, start.y, start.z, start.yaw))
                truth = cam.world.objects[obj.object_id]
                out.append((seed, truth.kind, float(obj.visible), math.hypot(point[0] - truth.x, point[1] - truth.y)))
    return out


def main(argv: Optional[list[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--first-seed", type=int, default=300000)
    p.add_argument("--seeds", type=int, default=30)
    args = p.parse_args(argv)
    rows = target_errors(args.first_seed, args.seeds)
    for seed, kind, visible, err in rows:
        print(f"seed {seed} {kind:14s} visible {visible:4.2f}  error {err:5.2f} m")
    errs = np.array([r[3] for r in rows])
    if len(errs):
        print(f"{len(errs)} targets: {int((errs < 0.01).sum())} exact, median {np.median(errs):.2f} m, "
              f"max {errs.max():.2f} m")
    return 0


if __name__ == "__main__":
    sys.exit(main())
