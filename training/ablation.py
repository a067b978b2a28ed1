"""The papers' ablation on one dataset and one budget: train every preset, evaluate it, write one table.

    python -m training.ablation --data data/default --steps 400 --batch-size 16 --out runs/ablation

Each row is `geotext-train` + `geotext-eval` with the same data, steps, batch size, seed and k_test, so the rows
differ only in their loss terms. Finished rows are reused (delete a row's folder to redo it), so an interrupted
run continues where it stopped. Output: <out>/ablation.json and <out>/ablation.md (the table for docs/results.md).
"""
from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Any, Optional, Sequence

from training import evaluate, train

log = logging.getLogger("geotext.ablation")

# The baseline and the two published methods first (an interrupted run still compares them), then each term
# added alone to the baseline, then the embedded model's preset.
ROWS = ("baseline", "geotext", "hccm", "ablate_grounding", "ablate_spatial", "ablate_mc", "ablate_md",
        "ablate_rg_itc", "ablate_rg_itm", "default")

COLUMNS = (("t2i R@1", ("retrieval", "final", "t2i", "r1")), ("t2i R@5", ("retrieval", "final", "t2i", "r5")),
           ("t2i R@10", ("retrieval", "final", "t2i", "r10")), ("i2t R@1", ("retrieval", "final", "i2t", "r1")),
           ("i2t R@5", ("retrieval", "final", "i2t", "r5")), ("i2t R@10", ("retrieval", "final", "i2t", "r10")),
           ("grounding acc", ("grounding", "acc_iou50")), ("relation acc", ("spatial", "acc_both")),
           ("mirror, relation-blind", ("mirror", "relation_blind_acc")),
           ("mirror, spatial-aware", ("mirror", "spatial_aware_acc")))


def parse_args(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m training.ablation", description=__doc__.split("\n\n")[0])
    p.add_argument("--data", required=True, help="GeoText-1652-format folder (train + test split)")
    p.add_argument("--out", required=True, help="folder for one run per row and the table")
    p.add_argument("--rows", nargs="+", default=list(ROWS), help="presets to run, in table order")
    p.add_argument("--model-config", default="tiny")
    p.add_argument("--steps", type=int, default=400)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--lr", type=float, default=3e-4)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--k-test", type=int, default=16)
    p.add_argument("--split", default="test_951_version.json")
    p.add_argument("--eval-limit", type=int, default=0, help="evaluate on the first N test images (0 = all)")
    return p.parse_args(argv)


def run_row(preset: str, args: argparse.Namespace) -> dict[str, Any]:
    """Train and evaluate one preset; reuse a finished row."""
    row_dir = Path(args.out) / preset
    result = row_dir / "eval.json"
    if result.is_file():
        log.info("%s: reusing %s", preset, result)
        return json.loads(result.read_text())
    ckpt = row_dir / "last.pt"
    if not ckpt.is_file():
        code = train.main(["--data", args.data, "--preset", preset, "--model-config", args.model_config,
                           "--out", str(row_dir), "--steps", str(args.steps), "--batch-size", str(args.batch_size),
                           "--lr", str(args.lr), "--seed", str(args.seed), "--no-plot"])
        if code != 0:
            raise RuntimeError(f"training preset {preset!r} failed (exit {code}); see {row_dir}")
    code = evaluate.main(["--ckpt", str(ckpt), "--data", args.data, "--split", args.split,
                          "--k-test", str(args.k_test), "--out", str(result)]
                         + (["--limit", str(args.eval_limit)] if args.eval_limit else []))
    if code != 0:
        raise RuntimeError(f"evaluating {ckpt} failed (exit {code})")
    return json.loads(result.read_text())


def lookup(figures: dict[str, Any], path: Sequence[str]) -> Optional[float]:
    node: Any = figures
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return float(node) if isinstance(node, (int, float)) else None


def table(results: dict[str, dict[str, Any]]) -> str:
    head = "| preset | " + " | ".join(name for name, _ in COLUMNS) + " |"
    lines = [head, "|" + "---|" * (len(COLUMNS) + 1)]
    for preset, figures in results.items():
        cells = [lookup(figures, path) for _, path in COLUMNS]
        lines.append(f"| {preset} | " + " | ".join("–" if c is None else f"{c:.1f}" for c in cells) + " |")
    return "\n".join(lines)


def main(argv: Optional[Sequence[str]] = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    args = parse_args(argv)
    Path(args.out).mkdir(parents=True, exist_ok=True)
    results = {preset: run_row(preset, args) for preset in args.rows}
    (Path(args.out) / "ablation.json").write_text(json.dumps(results, indent=2, sort_keys=True))
    md = table(results)
    (Path(args.out) / "ablation.md").write_text(md + "\n")
    print(md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
