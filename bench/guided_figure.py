"""Figure for docs/results.md: what colour-guided upsampling does to a pair of look-alikes.

Renders the first frame of one localize episode (default: seed 300027, two solar arrays 15 m apart), grounds the
target phrase with the engine, and draws the frame with the true target (green) and its look-alike (orange), the
model's 8x8 dense map with its candidate boxes, and the guided 64x64 map with its candidate boxes (white).

    python bench/guided_figure.py [--seed 300027] [--out docs/img/guided_upsampling.png]
"""
from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path
from typing import Optional

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

from geotext_ros.sim.scenarios import make_localize_episode  # noqa: E402
from geotext_ros.nav.candidates import dense_candidates  # noqa: E402
from geotext_ros.nav.guided_upsample import guided_upsample  # noqa: E402
from geotext_ros.nav.parser import parse_instruction  # noqa: E402
from geotext_ros.param_file import load_node_params  # noqa: E402
from geotext_ros.runtime import open_backend  # noqa: E402


def _rect(ax, box, scale: float, colour: str, width: float = 2.0) -> None:
    import matplotlib.pyplot as plt
    cx, cy, w, h = box
    ax.add_patch(plt.Rectangle(((cx - w / 2) * scale - 0.5, (cy - h / 2) * scale - 0.5), w * scale, h * scale,
                               fill=False, ec=colour, lw=width))


def main(argv: Optional[list[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seed", type=int, default=300027)
    p.add_argument("--engine-dir", default=str(ROOT / "engines" / "default"))
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "img" / "guided_upsampling.png")
    args = p.parse_args(argv)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sim, nav = load_node_params("sim_world"), load_node_params("navigator")
    ep = make_localize_episode(args.seed, sim)
    if ep is None:
        raise SystemExit(f"seed {args.seed} has no look-alike episode; pick another seed")
    frame, task = ep.camera.render(ep.start), ep.task
    backend = open_backend(args.engine_dir, "onnxruntime")
    target = parse_instruction(task.instruction).target
    tokens, _ = backend.encode_image(np.asarray(backend.transform(frame.image), np.float32)[None])
    ids, mask = backend.tokenizer([target])
    coarse = backend.dense(tokens, backend.encode_text(ids, mask)[1])[0]
    fine = guided_upsample(coarse, frame.image, int(nav["grounding.guided_size"]),
                           sigma_colour=float(nav["grounding.guided_sigma_colour"]))
    cut = float(nav["grounding.min_score"]), float(nav["grounding.relative_threshold"])
    kind = next(o.kind for o in frame.objects if o.object_id == task.target_id)
    fig, axes = plt.subplots(1, 3, figsize=(13, 4.6))
    axes[0].imshow(frame.image)
    for o in frame.objects:
        if o.kind == kind:
            _rect(axes[0], o.bbox, frame.image.shape[1], "lime" if o.object_id == task.target_id else "orange")
    axes[0].set_title("\n".join(textwrap.wrap(repr(task.instruction), 60)), fontsize=8)
    for ax, grid, name in ((axes[1], coarse, "model's dense map"), (axes[2], fine, "guided by the frame's colours")):
        ax.imshow(grid, vmin=0, vmax=1, cmap="viridis")
        cands = dense_candidates(grid, *cut)
        for c in cands:
            _rect(ax, c.box, grid.shape[0], "white")
        ax.set_title(f"{name}: {grid.shape[0]}x{grid.shape[1]}, {len(cands)} candidate(s)", fontsize=9)
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=80, bbox_inches="tight")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
