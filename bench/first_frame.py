"""A fast proxy of the episode benchmark: what the grounder chooses in each episode's first frame.

In 83 of the 84 successful episodes and 15 of the 16 failed ones the first frame already chose what the flight
ended on (bench/lookalikes.py --all), so comparing settings or engines on first-frame choices takes seconds
instead of minutes. Prints, per seed set, how often the first frame chose the target, its look-alike, another
object or nothing; -v lists the misses. The reported figures still come from bench/episodes.py.

    python bench/first_frame.py [--engine-dir DIR] [--wording heldout|train] [--param NAME=VALUE] [-v]
                                [--seeds FIRST:COUNT ...] [--style-seed N|episode]
"""
from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parents[1]

from geotext_ros.param_file import parse_override  # noqa: E402
from geotext_ros.sim.scenarios import make_localize_episode  # noqa: E402
from geotext_ros.sim.world_camera import style_seed  # noqa: E402
from geotext_ros.sim.episodes import first_frame_choice  # noqa: E402
from geotext_ros.nav.parser import parse_instruction  # noqa: E402
from geotext_ros.param_file import load_node_params  # noqa: E402
from geotext_ros.nav.pipeline import NavPipeline  # noqa: E402
from geotext_ros.runtime import open_backend  # noqa: E402

# the reported seeds (bench/episodes.py's default) and the tuning seeds of docs/results.md
SEED_SETS = ((100000, 100), (300000, 40))


def main(argv: Optional[list[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--engine-dir", default=str(ROOT / "engines" / "default"))
    p.add_argument("--wording", choices=("heldout", "train"), default="heldout")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="override a navigator parameter of config/nav.yaml")
    p.add_argument("-v", "--verbose", action="store_true", help="print every episode whose first frame missed")
    p.add_argument("--seeds", nargs="+", type=_seed_set, default=list(SEED_SETS), metavar="FIRST:COUNT",
                   help="seed sets (default: 100000:100 300000:40, the reported and the tuning seeds)")
    p.add_argument("--style-seed", type=style_seed, default=None, metavar="N|episode",
                   help="the frames' look, as bench/episodes.py --style-seed (default: config/nav.yaml)")
    args = p.parse_args(argv)
    sim, nav = load_node_params("sim_world"), load_node_params("navigator")
    if args.style_seed is not None:
        sim["style_seed"] = args.style_seed
    try:
        nav.update(dict(parse_override(text, nav) for text in args.param))
    except ValueError as e:
        p.error(str(e))
    grounder = NavPipeline.from_backend(open_backend(args.engine_dir, nav.get("backend", "auto")), nav).grounder
    for first, count in args.seeds:
        table: Counter = Counter()
        seed = first
        while sum(table.values()) < count:
            ep = make_localize_episode(seed, sim, args.wording)
            seed += 1
            if ep is None:
                continue
            frame, task = ep.camera.render(ep.start), ep.task
            res = grounder.ground(frame.image, parse_instruction(task.instruction))
            chose = first_frame_choice(res.box, frame.objects, task.target_id)
            table[chose] += 1
            if args.verbose and chose != "target":
                print(f"  seed {seed - 1}: {chose} | {task.instruction} | {res.reason[:70]}")
        print(f"seeds {first}+: first frame chose the target {table['target']}/{count} "
              f"(look-alike {table['look-alike']}, another {table['another']}, nothing {table['nothing']})",
              flush=True)
    return 0


def _seed_set(text: str) -> tuple[int, int]:
    try:
        first, count = (int(v) for v in text.split(":"))
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"seed set {text!r}: use FIRST:COUNT, e.g. 200000:100") from e
    return first, count


if __name__ == "__main__":
    sys.exit(main())
