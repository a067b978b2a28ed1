"""Gallery retrieval alone, for several ways of ordering the re-ranked places: top-1 over search episodes.

Each search episode of bench/episodes.py (a world of the demo's size, its gallery, one instruction naming a target
at one place) is queried once with ITM re-ranking of every place; the places are then ordered by
ITC + w * ITM for each weight w ("itm" = by ITM alone, the reference method; 0 = by ITC alone) and the top-1 is
compared with the target's place. No flying: 100 episodes take about a minute.

    python bench/retrieval_weights.py [--engine-dir DIR] [--episodes 100] [--first-seed 200000]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parents[1]

from geotext_ros.sim.scenarios import make_search_episode  # noqa: E402
from geotext_ros.nav.parser import parse_instruction  # noqa: E402
from geotext_ros.param_file import load_node_params  # noqa: E402
from geotext_ros.nav.pipeline import open_gallery  # noqa: E402
from geotext_ros.runtime import open_backend  # noqa: E402

WEIGHTS: tuple[Optional[float], ...] = (0.0, 0.02, 0.05, 0.1, 0.2, 0.5, None)


def _order_score(match, weight: Optional[float]) -> float:
    return match.itm if weight is None else match.itc + weight * match.itm


def main(argv: Optional[list[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--engine-dir", default=str(ROOT / "engines" / "default"))
    p.add_argument("--episodes", type=int, default=100)
    p.add_argument("--first-seed", type=int, default=200000,
                   help="200000+ / 400000+ / 500000+ were used to choose the weight; 100000+ are the reported seeds")
    args = p.parse_args(argv)
    backend, sim = open_backend(args.engine_dir, "auto"), load_node_params("sim_world")
    hits = dict.fromkeys(WEIGHTS, 0)
    done, seed = 0, args.first_seed
    with tempfile.TemporaryDirectory(prefix="geotext_galleries_") as tmp:
        while done < args.episodes:
            ep = make_search_episode(seed, sim, Path(tmp))
            seed += 1
            if ep is None:
                continue
            done += 1
            gallery = open_gallery(ep.gallery, backend)
            matches = gallery.query(parse_instruction(ep.task.instruction).text, k=len(gallery),
                                    rerank=len(gallery))
            for w in WEIGHTS:
                best = max(matches, key=lambda m: _order_score(m, w))
                hits[w] += best.place_id == ep.task.place_id
    for w in WEIGHTS:
        name = "ITM alone" if w is None else "ITC alone" if w == 0 else f"ITC + {w} x ITM"
        print(f"{name:18s} top-1 {hits[w]}/{done} = {100 * hits[w] / done:.1f} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
