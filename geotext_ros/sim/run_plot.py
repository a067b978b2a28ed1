"""The demo's figure: a north-up map of the world with the trajectory, places and targets, and the final camera
frame of each instruction (matplotlib, written as a PNG)."""
from __future__ import annotations

import math
import textwrap
from pathlib import Path
from typing import Any

import numpy as np


def plot(run: dict[str, Any], camera: Any, out: Path) -> Path:
    """Map (north-up world render, places, trajectory, retrieved and true places, targets) + final frames."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from geotext_ros.geometry import intrinsics_for
    from geotext_ros.sim.camera import CameraPose

    world, results = camera.world, run["results"]
    pts = np.array(run["trajectory"] + [(p.x, p.y) for p in world.places] or [(0.0, 0.0)])
    lo, hi = pts.min(axis=0) - 40.0, pts.max(axis=0) + 40.0
    cx, cy = (lo + hi) / 2
    half = float(max(hi - lo) / 2)
    overview = camera.renderer.render(CameraPose(cx, cy, half, math.pi / 2), intrinsics_for(768, 768, 90.0),
                                      style_seed=None).image
    n = max(1, len(results))
    rows = min(n, 3)
    fig = plt.figure(figsize=(9 + 9 / rows, 9))
    grid = fig.add_gridspec(rows, 2, width_ratios=[rows, 1])
    ax = fig.add_subplot(grid[:, 0])
    # yaw = pi/2 puts north up; the image spans [cx - half, cx + half] x [cy - half, cy + half] metres.
    ax.imshow(overview, extent=(cx - half, cx + half, cy - half, cy + half))
    for p in world.places:
        ax.annotate(p.place_id, (p.x, p.y + 42), color="white", fontsize=9, ha="center",
                    bbox={"facecolor": "black", "alpha": 0.5, "pad": 1})
    traj = np.array(run["trajectory"]) if run["trajectory"] else np.zeros((1, 2))
    ax.plot(traj[:, 0], traj[:, 1], "y-", lw=2, label="trajectory")
    ax.plot(traj[0, 0], traj[0, 1], "wo", ms=8, label="start")
    for i, r in enumerate(results):
        if r["target_xy"] is None:   # an operator's sentence: no known target, number the final position
            ax.plot(*r["final_xy"], "c.", ms=10)
            ax.annotate(f"{i + 1}", r["final_xy"], xytext=(6, 6), textcoords="offset points", color="cyan",
                        fontsize=12, weight="bold")
            continue
        ax.plot(*r["target_xy"], "r+", ms=16, mew=3)
        ax.plot(*r["final_xy"], "c.", ms=10)
        ax.annotate(f"{i + 1}", r["target_xy"], xytext=(6, 6), textcoords="offset points", color="red",
                    fontsize=12, weight="bold")
    ax.plot([], [], "r+", ms=12, mew=3, label="true target")
    ax.plot([], [], "c.", ms=10, label="final position")
    ax.set_title("demo world (ENU metres, north up): places, trajectory, targets")
    ax.legend(loc="lower right", fontsize=8)
    for i, (r, frame) in enumerate(zip(results[:3], run["frames"][:3])):
        sub = fig.add_subplot(grid[i, 1])
        if frame is not None:
            sub.imshow(frame)
        kind = "target box" if r["box_shown"] else "last camera frame, no box"
        error = "" if r["error_m"] is None else f" {r['error_m']} m"
        truth = "" if r["place_id"] is None else f" (true {r['place_id']})"
        sub.set_title(f"{i + 1}: {r['state']}{error} ({kind})\nplace {r['retrieved_place']}{truth}", fontsize=9)
        sub.set_xlabel("\n".join(textwrap.wrap(r["instruction"], 48)), fontsize=8)
        sub.set_xticks([])
        sub.set_yticks([])
    path = out / "trajectory.png"
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
