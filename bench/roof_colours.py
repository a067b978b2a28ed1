"""How well the dense map finds a building by its roof colour: for every building in the first frame of N
localize episodes (or in the images of a dataset split), ground "the <colour> building" and compare the map's
peak inside the building with its peak over cells outside every building of that colour.

Prints per colour: buildings seen, mean peak inside and outside, and how often the building is *found* (inside
peak above the outside peak and above the navigator's grounding.min_score). This is the diagnosis behind the
navigator's not_found episodes (docs/results.md, "What limits it").

    python bench/roof_colours.py [--engine-dir DIR] [--episodes 60] [--style-seed N|episode]
                                 [--data data/default --split test_951_version.json]
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Iterator, Optional

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

from geotext_ros.sim.scenarios import make_localize_episode  # noqa: E402
from geotext_ros.sim.world_camera import style_seed  # noqa: E402
from geotext_ros.param_file import load_node_params  # noqa: E402
from geotext_ros.runtime import open_backend  # noqa: E402

Building = tuple[str, tuple[float, float, float, float]]   # colour, normalized cxcywh box


def cells_inside(box: tuple[float, float, float, float], grid: int) -> np.ndarray:
    """[grid, grid] bool: the cells whose centres lie in the normalized cxcywh box (row = y)."""
    centres = (np.arange(grid) + 0.5) / grid
    cx, cy, w, h = box
    return (np.abs(centres[None, :] - cx) <= w / 2) & (np.abs(centres[:, None] - cy) <= h / 2)


def peaks(dense: np.ndarray, buildings: list[Building]) -> list[tuple[str, float, float]]:
    """(colour, peak inside the building, peak outside every building of its colour) per building that covers at
    least one cell centre; dense holds one [G, G] map per building, in order."""
    grid = dense.shape[-1]
    out = []
    for (colour, box), dmap in zip(buildings, dense):
        inside = cells_inside(box, grid)
        if not inside.any():
            continue
        elsewhere = ~np.any([cells_inside(b, grid) for c, b in buildings if c == colour], axis=0)
        out.append((colour, float(dmap[inside].max()), float(dmap[elsewhere].max()) if elsewhere.any() else 0.0))
    return out


def episode_frames(count: int, first_seed: int, style_seed: int | str | None = None
                   ) -> Iterator[tuple[np.ndarray, list[Building]]]:
    sim = load_node_params("sim_world")
    if style_seed is not None:
        sim["style_seed"] = style_seed
    seed, done = first_seed, 0
    while done < count:
        ep = make_localize_episode(seed, sim)
        seed += 1
        if ep is None:
            continue
        done += 1
        frame = ep.camera.render(ep.start)
        yield frame.image, [(o.color, tuple(o.bbox)) for o in frame.objects if o.kind == "building"]


def dataset_frames(data: Path, split: str, count: int) -> Iterator[tuple[np.ndarray, list[Building]]]:
    from PIL import Image

    records = json.loads((data / split).read_text(encoding="utf-8"))
    for record in records[:count]:
        buildings = [(o["color"], tuple(o["bbox"])) for o in record.get("objects") or [] if o["kind"] == "building"]
        if buildings:
            yield np.asarray(Image.open(data / "images" / record["image"]).convert("RGB")), buildings


def main(argv: Optional[list[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--engine-dir", default=str(ROOT / "engines" / "default"))
    p.add_argument("--episodes", type=int, default=60, help="localize episodes (first frames) to look at")
    p.add_argument("--first-seed", type=int, default=100000)
    p.add_argument("--style-seed", type=style_seed, default=None, metavar="N|episode",
                   help="the frames' look, as bench/episodes.py --style-seed (default: config/nav.yaml)")
    p.add_argument("--data", type=Path, help="a dataset folder instead of episodes (synthetic records with objects)")
    p.add_argument("--split", default="test_951_version.json", help="with --data: the records file")
    args = p.parse_args(argv)
    nav = load_node_params("navigator")
    min_score = float(nav["grounding.min_score"])
    backend = open_backend(args.engine_dir, nav.get("backend", "auto"))
    frames = (dataset_frames(args.data, args.split, args.episodes) if args.data
              else episode_frames(args.episodes, args.first_seed, args.style_seed))
    table: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for rgb, buildings in frames:
        if not buildings:
            continue
        tokens, _ = backend.encode_image(np.asarray(backend.transform(rgb), dtype=np.float32)[None])
        ids, mask = backend.tokenizer([f"the {colour} building" for colour, _ in buildings])
        _, embed = backend.encode_text(ids, mask)
        dense = np.asarray(backend.dense(np.repeat(tokens, len(buildings), axis=0), embed))
        for colour, inside, outside in peaks(dense, buildings):
            table[colour].append((inside, outside))
    print(f"{'colour':8s} {'n':>4s} {'inside':>7s} {'outside':>8s} {'found':>6s}   (found: inside > outside and "
          f">= min_score {min_score:.2f})")
    for colour, rows in sorted(table.items()):
        v = np.asarray(rows)
        found = np.mean((v[:, 0] > v[:, 1]) & (v[:, 0] >= min_score))
        print(f"{colour:8s} {len(v):4d} {v[:, 0].mean():7.2f} {v[:, 1].mean():8.2f} {found:6.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
