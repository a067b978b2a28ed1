"""Instruction episodes in unseen worlds: success rate, time to arrival, path length, failures by cause, latency.

Worlds are seeds never used for training (>= 100000). Instructions use held-out wording (the "heldout" templates
and synonyms of geotext_ros.sim, never seen in training) and come from geotext_ros.sim.instructions: a target
with a same-kind look-alike in view is named by its relation to another object, and the relation must single it
out from every pose near where the drone will look (so the answer does not flip with a few metres of error).
Scenarios come from geotext_ros.sim.scenarios, the closed loop and its scoring from geotext_ros.sim.episodes
(the navigator's own NavPipeline without DDS, flying the sim_world vehicle model in simulated time).

Families (--family; geotext_ros.sim.families lists them, each with its maker and runner):
  ambiguous           as localize, but two or more look-alikes fit an instruction without a relation ("fly to the
                      red building"); the simulated operator (geotext_ros.sim.operator) knows which one is meant.
                      Success = the navigator asked and the drone ended at the intended one; wrong_flight_rate =
                      flights to another object before any question;
  plain               as localize, but the target is the only one of its kind in view, named without a relation:
                      nothing to ask; its ask_rate is what asking costs (the control of ambiguous);
  localize (default)  the drone starts above a random place (10 m off, random heading, 45 m) with the target in
                      view; the target always has a same-kind look-alike, so a relation is needed;
  search (--search)   the drone starts at home (sim_world start_x/start_y/start_altitude, random heading) in a
                      world of the demo's size (sim_world n_campuses x places_per_campus); the target is at another
                      place, out of view; the world's gallery (geotext_ros.sim.gallery, one image per place) is
                      embedded with the engine, and the navigator must retrieve the place first. The described
                      target (and anchor) occur together at no other place, so the sentence names one place.
  multistep           from home as search, one instruction of 2-4 steps at other places ("..., then to the ...,
                      then come home"); success = every step within 5 m (geotext_ros/sim/family_steps.py);
  turn                localize's episodes flown as they are and turning 90-180 degrees from the start of the
                      approach; both successes on the same seeds (geotext_ros/sim/family_turn.py);
  land                "land next to / on the <target>" above a place: touchdown within 3 m of the plan, the plan
                      clear of every object by landing.clearance_m (geotext_ros/sim/family_land.py);
  mapframe            as localize, the target named by a compass word: "the X north-west of the Y", "the eastern
                      X" (geotext_ros/sim/family_mapframe.py); the summary adds `by_type` (anchor / extreme);
  ordinal             as localize, the target named by order or size: "the second X from the left", "the
                      largest X", "the X nearest the Y", "the smaller of the two Xs" (sim/family_ordinal.py);
                      `by_type`: order / size / nearest / group.

Look of the frames (either mode):
  --style default     sim_world's appearance and style_seed of config/nav.yaml (the classic look, style 0): the
                      reported figures;
  --style ood         the held-out appearance family (geotext_ros.sim.appearance.DEFAULT_HOLDOUT, "overcast",
                      never drawn for training data), each world its own look of that family (style seed =
                      world seed, unless --style-seed is given); `--wording ood` adds the out-of-distribution
                      wording (geotext_ros.sim.vocab_ood) to the instructions;
  --appearance NAME   any one family (or "classic"), for diagnosis.

Success = final position within 5 m of the target centre; the final position is where the drone holds 5 s
(simulated) after ARRIVED (`--settle-seconds`), since ARRIVED fires on entering arrive_tolerance of the target
estimate and the drone then closes that gap. Failure causes (first that applies): wrong_place
(search: the retrieved place is not the target's), timeout, not_found (the mission gave up), wrong_lookalike
(ended over another object of the target's kind: relation resolution), wrong_object (over an object of another
kind: grounding), off_target (nearest to the target but > 5 m away: box / geometry). Latency = frame ready ->
grounding result (box or none), per frame, p50/p95.

Asking back: when the navigator asks (CLARIFY), the simulated operator answers truthfully from the ground truth
("number k", or "none of them" when the target is not offered: cause not_offered); `--no-answers`: nobody answers,
the question times out into HOLD (cause unanswered), i.e. success without asking. ask_rate = episodes with at
least one question.

    python bench/episodes.py --engine-dir engines/default --episodes 100
    python bench/episodes.py --engine-dir engines/default --search --episodes 30
    python bench/episodes.py --engine-dir engines/default --style ood --episodes 20 [--wording ood]
    python bench/episodes.py --engine-dir engines/default --family multistep --episodes 20   # also turn, land
    python bench/episodes.py --engine-dir engines/default --family mapframe --episodes 40
    python bench/episodes.py --engine-dir engines/default --family ambiguous --episodes 30 [--no-answers]
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
from pathlib import Path
from typing import Optional

from geotext_ros.nav.pipeline import NavPipeline, open_gallery
from geotext_ros.param_file import load_node_params, parse_override, share_dir
from geotext_ros.runtime.open_backend import open_backend
from geotext_ros.sim.appearance import CLASSIC, DEFAULT_HOLDOUT, FAMILIES as APPEARANCES
from geotext_ros.sim.episodes import SETTLE_S, summarize
from geotext_ros.sim.families import FAMILIES
from geotext_ros.sim.vehicle import VehicleLimits
from geotext_ros.sim.world_camera import style_seed


def main(argv: Optional[list[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--engine-dir", default=str(share_dir() / "engines" / "default"))
    p.add_argument("--episodes", type=int, default=20)
    p.add_argument("--family", choices=sorted(FAMILIES), default="localize",
                   help="; ".join(f"{name}: {f.doc}" for name, f in sorted(FAMILIES.items())))
    p.add_argument("--search", action="store_true", help="the same as --family search")
    p.add_argument("--first-seed", type=int, default=100000,
                   help="worlds from here on are never used for training; seeds that make no episode are skipped, so "
                        "a run ends past first-seed + episodes - 1 (its summary's 'seeds'): start the next run after "
                        "that, or the two share seeds")
    p.add_argument("--settle-seconds", type=float, default=SETTLE_S,
                   help="simulated seconds held after ARRIVED before the final position is scored")
    p.add_argument("--max-seconds", type=float, default=None,
                   help="simulated seconds per episode (default: the family's, 90 localize, 240 search)")
    p.add_argument("--out", type=Path, default=None, help="JSON report (default out/bench/episodes[_search].json)")
    p.add_argument("--wording", choices=("heldout", "train", "ood"), default="heldout",
                   help="instruction wording: heldout (default; templates and synonyms never seen in training), "
                        "ood (the out-of-distribution wording of sim/vocab_ood.py) or train (the training "
                        "captions' words; for diagnosis)")
    p.add_argument("--style", choices=("default", "ood"), default="default",
                   help="look of the frames: default (config/nav.yaml's sim_world appearance and style_seed) or "
                        f"ood (the held-out appearance family {DEFAULT_HOLDOUT!r}, each world its own look)")
    p.add_argument("--appearance", choices=(CLASSIC, *APPEARANCES), default=None,
                   help="one appearance family for every frame (overrides --style's family); for diagnosis")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="override a navigator parameter of config/nav.yaml (e.g. mission.min_confidence=0.3); "
                        "for diagnosis: reported figures use the defaults")
    p.add_argument("--no-answers", action="store_true",
                   help="the simulated operator does not answer the navigator's questions (CLARIFY times out into "
                        "HOLD): success without asking; by default it answers truthfully (geotext_ros.sim.operator)")
    p.add_argument("--style-seed", type=style_seed, default=None, metavar="N|episode",
                   help="the look of the frames (light, season, shadows): a style seed for every episode, or "
                        "'episode' for each episode's own (default: sim_world.style_seed of config/nav.yaml); "
                        "for diagnosis: reported figures use the default")
    args = p.parse_args(argv)
    if not (Path(args.engine_dir) / "manifest.json").is_file():
        print(f"no engine in {args.engine_dir}: export one (geotext-export --out DIR) and pass --engine-dir DIR",
              file=sys.stderr)
        return 2
    logging.getLogger("geotext_ros.safety").setLevel(logging.ERROR)   # clamps of long SEARCH legs are expected
    mode = "search" if args.search else args.family
    family = FAMILIES[mode]
    if args.no_answers and not family.operator:
        p.error(f"--no-answers: the {mode} family has no simulated operator (a question ends its mission); "
                f"families with one: {', '.join(sorted(n for n, f in FAMILIES.items() if f.operator))}")
    max_s = args.max_seconds or family.max_s
    if args.settle_seconds < 0:
        raise SystemExit(f"--settle-seconds {args.settle_seconds}: must be >= 0")
    nav, sim = load_node_params("navigator"), load_node_params("sim_world")
    if args.style == "ood":
        sim.update(appearance=DEFAULT_HOLDOUT, style_seed="episode")
    if args.appearance is not None:
        sim["appearance"] = args.appearance
    if args.style_seed is not None:
        sim["style_seed"] = args.style_seed
    suffix = ("" if mode == "localize" else f"_{mode}") + ("" if args.style == "default" else f"_{args.style}") \
        + ("_noanswers" if args.no_answers else "")
    out_path = args.out or Path("out") / "bench" / f"episodes{suffix}.json"
    try:
        overrides = dict(parse_override(text, nav) for text in args.param)
    except ValueError as e:
        p.error(str(e))
    nav.update(overrides)
    limits = VehicleLimits.from_params(sim)
    backend = open_backend(args.engine_dir, nav.get("backend", "auto"))
    results, seed = [], args.first_seed
    with tempfile.TemporaryDirectory(prefix="geotext_galleries_") as tmp:
        while len(results) < args.episodes and seed < args.first_seed + 20 * args.episodes:
            ep = family.make(seed, sim, args.wording, Path(tmp))
            seed += 1
            if ep is None:
                continue
            gallery = open_gallery(ep.gallery, backend) if ep.gallery else None
            pipe = NavPipeline.from_backend(backend, nav, gallery)   # fresh mission + safety state per episode
            operator = {"answers": not args.no_answers} if family.operator else {}
            results.append(family.run(ep, pipe, limits, float(nav["process_rate_hz"]), max_s, args.settle_seconds,
                                      **operator))
            r = results[-1]
            place = f" place {r['retrieved_place']}/{r['true_place']}" if family.needs_gallery else ""
            asked = f" asked {r['asked']} {r['answers']}" if r.get("asked") else ""
            print(f"{len(results):3d} seed {r['seed']} {'OK ' if r['success'] else 'BAD'} {r['error_m']:6.1f} m  "
                  f"{r['cause'] or '':15s}{place} {r['instruction']}{asked}", flush=True)
    summary = summarize(results, mode, args.engine_dir)
    if family.summarize is not None:
        summary.update(family.summarize(results))
    summary["wording"] = args.wording
    summary["operator_answers"] = (not args.no_answers) if family.operator else None
    summary["style_seed"] = sim["style_seed"]
    summary["appearance"] = sim["appearance"]
    if overrides:
        summary["param_overrides"] = overrides
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps({"summary": summary, "episodes": results}, indent=2))
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
