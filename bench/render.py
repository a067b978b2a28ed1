"""Render and dataset-generation speed of geotext_ros.sim, measured side by side in one run.

    .venv/bin/python bench/render.py [--size 384] [--frames 100]
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from geotext_ros.sim import CameraPose, Renderer, annotate, generate_world, intrinsics_for


def _fps(world, size: int, frames: int, captions: bool) -> float:
    r, k = Renderer(world), intrinsics_for(size, size, 60.0)
    rng = np.random.default_rng(0)
    poses = [CameraPose(p.x + rng.uniform(-10, 10), p.y + rng.uniform(-10, 10), rng.uniform(45, 85),
                        rng.uniform(0, 6.28)) for p in (world.places[i % len(world.places)] for i in range(frames))]
    r.render(poses[0], k, style_seed=0)  # warm-up
    t = time.perf_counter()
    for i, pose in enumerate(poses):
        f = r.render(pose, k, style_seed=i)
        if captions:
            annotate(f.objects, np.random.default_rng(i))
    return frames / (time.perf_counter() - t)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", type=int, default=384)
    ap.add_argument("--frames", type=int, default=100)
    args = ap.parse_args()
    world = generate_world(0, 4, 12)
    print(f"world: {len(world.places)} places, {len(world.objects)} objects")
    for size in sorted({128, 256, args.size}):
        print(f"render {size}x{size}: {_fps(world, size, args.frames, False):6.1f} fps   "
              f"render+captions: {_fps(world, size, args.frames, True):6.1f} fps")
    from training.data.synth import write_dataset
    with tempfile.TemporaryDirectory() as d:
        s = write_dataset(Path(d) / "tiny", preset="tiny", seed=0)
        print(f"geotext-data synth --preset tiny: {s['seconds']:.2f} s, {s['train_images']} train + "
              f"{s['test_images']} test images, {s['bytes'] / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
