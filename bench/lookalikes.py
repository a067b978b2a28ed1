"""Why wrong_lookalike episodes failed: re-ground the first frame of each one in an episodes report and print
whether the anchor was found (and how far from its true box), how many target candidates the dense map gave,
how far the chosen box is from the true target box (normalized image units) and the grounder's reason.

With --all, every episode's first frame instead, and a table of (episode outcome, what the first frame chose:
the target, its look-alike, another object, nothing): how often the first frame already decides the episode.

    python bench/lookalikes.py [--report out/bench/episodes.json] [--engine-dir engines/default] [--all]
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parents[1]

from geotext_ros.sim.episodes import first_frame_choice  # noqa: E402
from geotext_ros.sim.scenarios import make_localize_episode  # noqa: E402
from geotext_ros.nav.candidates import center_distance  # noqa: E402
from geotext_ros.nav.parser import parse_instruction  # noqa: E402
from geotext_ros.param_file import load_node_params  # noqa: E402
from geotext_ros.nav.pipeline import NavPipeline  # noqa: E402
from geotext_ros.runtime import open_backend  # noqa: E402


def _dist(a, b) -> Optional[float]:
    return None if a is None or b is None else round(center_distance(a, b), 2)


def main(argv: Optional[list[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--report", default=str(ROOT / "out" / "bench" / "episodes.json"))
    p.add_argument("--engine-dir", default=str(ROOT / "engines" / "default"))
    p.add_argument("--all", action="store_true", help="every episode, with a table of first-frame choices")
    args = p.parse_args(argv)
    sim, nav = load_node_params("sim_world"), load_node_params("navigator")
    grounder = NavPipeline.from_backend(open_backend(args.engine_dir, nav.get("backend", "auto")), nav).grounder
    table: Counter = Counter()
    for rec in json.loads(Path(args.report).read_text())["episodes"]:
        if not args.all and rec["cause"] != "wrong_lookalike":
            continue
        ep = make_localize_episode(rec["seed"], sim)
        frame, task = ep.camera.render(ep.start), ep.task
        res = grounder.ground(frame.image, parse_instruction(task.instruction))
        boxes = {o.object_id: o.bbox for o in frame.objects}
        chose = first_frame_choice(res.box, frame.objects, task.target_id)
        table[("success" if rec["success"] else rec["cause"], chose)] += 1
        print(f"seed {rec['seed']} ({rec['cause'] or 'success'}): first frame chose {chose}; anchor found "
              f"{res.anchor_box is not None} (off {_dist(res.anchor_box, boxes.get(task.anchor_id))}), "
              f"{len(res.candidates)} candidates, chosen box off {_dist(res.box, boxes[task.target_id])} | "
              f"{task.instruction} | {res.reason[:80]}")
    for (outcome, chose), n in sorted(table.items()):
        print(f"{outcome:16s} first frame chose {chose:10s} {n}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
