"""Onboard grounding on a test split: the navigator's `Grounder`, built from config/nav.yaml through
GroundingConfig, grounds every region sentence of a GeoText-1652-format split in its image; in- and
out-of-distribution side by side when given several folders.

    OMP_NUM_THREADS=1 python bench/grounding_eval.py --data data/default [--ood DIR] [--eval-split NAME=DIR]
        [--engine-dir engines/default] [--backend onnxruntime] [--limit 100] [--out grounding.json]

Per split: found rate (the grounder returns a box), accuracy at box IoU >= 0.5 and centre-hit rate (the chosen
box's centre inside the true box); a sentence with no box counts as a miss in both. The sentence goes through
parse_instruction exactly as an operator's instruction does. Boxes are normalized cxcywh.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np
from PIL import Image

from geotext_ros.nav.candidates import iou
from geotext_ros.nav.grounding import Grounder, GroundingConfig
from geotext_ros.nav.parser import parse_instruction
from geotext_ros.param_file import load_node_params
from geotext_ros.runtime import open_backend
from training.evaluate import TestSet, parse_split_specs

ROOT = Path(__file__).resolve().parents[1]


def centre_inside(box: Sequence[float], truth: Sequence[float]) -> bool:
    """Whether cxcywh `box`'s centre lies in cxcywh `truth` (edges included)."""
    return abs(box[0] - truth[0]) <= truth[2] / 2 and abs(box[1] - truth[1]) <= truth[3] / 2


def score_split(grounder: Grounder, test: TestSet) -> dict[str, Any]:
    """Ground each region sentence of `test` in its own image; counts and rates in percent."""
    regions = test.regions()
    found = hit50 = centre = 0
    ious: list[float] = []
    cached: tuple[int, Optional[np.ndarray]] = (-1, None)
    t0 = time.perf_counter()
    for index, sentence, truth in regions:
        if cached[0] != index:   # regions come grouped by image: read each file once
            with Image.open(test.records[index].image_path) as im:
                cached = (index, np.asarray(im.convert("RGB")))
        result = grounder.ground(cached[1], parse_instruction(sentence))
        if result.box is None:
            continue
        found += 1
        overlap = iou(result.box, truth)
        ious.append(overlap)
        hit50 += overlap >= 0.5
        centre += centre_inside(result.box, truth)
    n = len(regions)
    pct = (lambda k: 100.0 * k / n) if n else (lambda k: None)
    return {"n_images": len(test.records), "n_regions": n, "found_pct": pct(found), "iou50_pct": pct(hit50),
            "centre_hit_pct": pct(centre), "mean_iou_found": float(np.mean(ious)) if ious else None,
            "ms_per_sentence": 1e3 * (time.perf_counter() - t0) / max(n, 1)}


def format_rows(results: dict[str, dict[str, Any]]) -> str:
    fmt = lambda v: "   -" if v is None else f"{v:6.1f}"  # noqa: E731
    lines = [f"{'split':<18}{'images':>7}{'regions':>8}{'found %':>9}{'IoU>=.5 %':>11}{'centre %':>10}{'ms':>7}"]
    for name, r in results.items():
        lines.append(f"{name:<18}{r['n_images']:>7}{r['n_regions']:>8}{fmt(r['found_pct']):>9}"
                     f"{fmt(r['iou50_pct']):>11}{fmt(r['centre_hit_pct']):>10}{r['ms_per_sentence']:>7.1f}")
    return "\n".join(lines)


def main(argv: Optional[Sequence[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", required=True, help="in-distribution folder (split JSON + images/)")
    p.add_argument("--ood", help="out-of-distribution folder in the same format, reported beside --data")
    p.add_argument("--eval-split", action="append", default=[], metavar="NAME=DIR", help="more named folders")
    p.add_argument("--split", default="test_951_version.json", help="split file name inside each folder")
    p.add_argument("--engine-dir", default=str(ROOT / "engines" / "default"))
    p.add_argument("--backend", default="onnxruntime", help="runtime backend kind (the navigator's onboard one)")
    p.add_argument("--config", help="parameter file (default: the package's config/nav.yaml)")
    p.add_argument("--limit", type=int, help="only the first N images of each split")
    p.add_argument("--out", help="write the figures to this JSON file")
    args = p.parse_args(argv)
    try:
        splits = parse_split_specs(args.data, args.ood, args.eval_split)
        config = GroundingConfig.from_params(load_node_params("navigator", args.config))
        backend = open_backend(args.engine_dir, args.backend)
        tests = {name: TestSet(path, args.split, args.limit) for name, path in splits.items()}
    except (OSError, ValueError, KeyError) as e:
        print(f"grounding_eval: error: {e}", file=sys.stderr)
        return 2
    grounder = Grounder(backend, config)
    try:
        results = {name: {"data": str(splits[name]), **score_split(grounder, test)} for name, test in tests.items()}
    finally:
        backend.close()
    print(f"engine {args.engine_dir} ({args.backend}), grounding settings from "
          f"{args.config or 'config/nav.yaml'}: {config}")
    print(format_rows(results))
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps({"engine_dir": args.engine_dir, "backend": args.backend,
                                              "grounding": config.__dict__, "splits": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
