"""Loss curve PNG from a metrics.jsonl written by geotext-train (matplotlib, Agg: no display needed)."""
from __future__ import annotations

import json
from pathlib import Path

SKIP = {"step", "epoch", "lr", "step_time_s", "temp", "samples_per_s"}


def plot_loss_curve(metrics_jsonl: str | Path, out_png: str | Path, xlabel: str = "step") -> Path:
    """One line per logged term against the rows' "step" (labelled `xlabel`: geotext-dense-head logs epochs)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [json.loads(line) for line in Path(metrics_jsonl).read_text().splitlines() if line.strip()]
    if not rows:
        raise ValueError(f"{metrics_jsonl} has no metric lines to plot")
    terms = sorted({k for r in rows for k in r if k not in SKIP})
    fig, ax = plt.subplots(figsize=(8, 5))
    for term in terms:
        pts = [(r["step"], r[term]) for r in rows if term in r]
        ax.plot([p[0] for p in pts], [p[1] for p in pts], label=term, linewidth=2.2 if term == "loss" else 1.0)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("loss term")
    ax.set_title(Path(metrics_jsonl).parent.name)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    out = Path(out_png)
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out
