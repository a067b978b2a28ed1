"""How well roof colour names survive each appearance family's light: the median RGB of the centre of whole,
large buildings, classified as the nearest of the roof base colours (sim.palette.NAMED). A crude reader on
purpose: it says how far a look moves colours, not what a trained model reads.

    geotext-data colors [--frames 40] [--size 192]      -> JSON {family: {"buildings": n, "accuracy": a, ...}}
"""
from __future__ import annotations

from collections import Counter

import numpy as np

from geotext_ros.sim import CameraPose, Renderer, generate_world, intrinsics_for
from geotext_ros.sim.appearance import CLASSIC, FAMILIES
from geotext_ros.sim.layouts import ROOF_COLORS
from geotext_ros.sim.palette import NAMED


def roof_colour_accuracy(frames: int = 40, size: int = 192, seed: int = 4) -> dict[str, dict]:
    world = generate_world(seed, 2, 8)
    renderer, k = Renderer(world), intrinsics_for(size, size)
    ref = np.array([NAMED[c] for c in ROOF_COLORS], np.float32)
    out = {}
    for fam in (CLASSIC, *FAMILIES):
        ok, n, confusions = 0, 0, Counter()
        for i in range(frames):
            p = world.places[i % len(world.places)]
            rng = np.random.default_rng(i)
            pose = CameraPose(p.x + rng.uniform(-10, 10), p.y + rng.uniform(-10, 10), rng.uniform(40, 90),
                              rng.uniform(0, 2 * np.pi))
            look = None if fam == CLASSIC else FAMILIES[fam].sample(np.random.default_rng(100 + i))
            frame = renderer.render(pose, k, style_seed=i, look=look)
            for o in frame.objects:
                if o.kind != "building" or o.visible < 1 or o.area < 0.02:
                    continue
                cx, cy, bw, bh = (np.array(o.bbox) * size).tolist()
                patch = frame.image[int(cy - bh / 10):int(cy + bh / 10) + 1, int(cx - bw / 10):int(cx + bw / 10) + 1]
                got = ROOF_COLORS[int(np.argmin(((ref - np.median(patch.reshape(-1, 3), 0)) ** 2).sum(1)))]
                n += 1
                ok += got == o.color
                if got != o.color:
                    confusions[f"{o.color}->{got}"] += 1
        out[fam] = {"buildings": n, "accuracy": round(ok / max(n, 1), 3), "confusions": dict(confusions.most_common(4))}
    return out
