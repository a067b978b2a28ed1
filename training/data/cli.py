"""`geotext-data`: synthetic dataset generation and format checks.

    geotext-data synth --out data/synth --preset tiny|default|large|open_tiny|open [--places N --test-places N
                       --views N --size PX --seed S --test-wording train|heldout|ood --preview sheet.png
                       --families all|classic,flat,... --holdout-family overcast --ood-places N --ood-wording ood]
    geotext-data families --out docs/img/appearance_families.jpg [--seed S]
    geotext-data colors [--frames N --size PX]   # how well colour names survive each family's light
    geotext-data check --root DIR [--split train|test|test24g] [--skip-invalid]
"""
from __future__ import annotations

import argparse
import json
import sys

from geotext_ros.sim.appearance import FAMILIES
from geotext_ros.sim.vocab import WORDINGS
from training.data.synth import PRESETS


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="geotext-data", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("synth", help="write a synthetic dataset in the GeoText-1652 format")
    s.add_argument("--out", required=True, help="output directory")
    s.add_argument("--preset", default="tiny", choices=sorted(PRESETS))
    s.add_argument("--places", type=int, help="train places (overrides the preset)")
    s.add_argument("--test-places", type=int, help="test places (overrides the preset)")
    s.add_argument("--views", type=int, help="drone views per place")
    s.add_argument("--size", type=int, help="image side in pixels")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--test-wording", choices=WORDINGS, help="caption wording of the in-distribution test split")
    s.add_argument("--families", help="comma-separated appearance families of train and test images, or 'all' "
                   f"(every one but the held-out family); known: classic,{','.join(FAMILIES)}")
    s.add_argument("--holdout-family", choices=sorted(FAMILIES),
                   help="appearance family kept for the OOD split only (never in train)")
    s.add_argument("--ood-places", type=int, help="places of the out-of-distribution test split in OUT/ood (0 = none)")
    s.add_argument("--ood-wording", choices=WORDINGS, help="caption wording of the OOD split")
    s.add_argument("--preview", help="write a contact sheet PNG of train images with boxes and sentences")
    s.add_argument("--no-progress", action="store_true")
    f = sub.add_parser("families", help="contact sheet: one row per appearance family, same places in every row")
    f.add_argument("--out", required=True, help="PNG to write")
    f.add_argument("--seed", type=int, default=0)
    k = sub.add_parser("colors", help="per appearance family: roof colours read back by a nearest-RGB reader")
    k.add_argument("--frames", type=int, default=40)
    k.add_argument("--size", type=int, default=192)
    c = sub.add_parser("check", help="load a GeoText-1652-format dataset and report counts or the first error")
    c.add_argument("--root", required=True, help="directory with train.json / test_*.json and images/")
    c.add_argument("--split", default="all", choices=("all", "train", "test", "test24g"))
    c.add_argument("--skip-invalid", action="store_true", help="skip bad records (counted) instead of failing")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except (OSError, ValueError) as e:   # DataFormatError is a ValueError: it names the file and record
        print(f"geotext-data: error: {e}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    if args.cmd == "synth":
        from training.data.synth import write_dataset
        summary = write_dataset(args.out, preset=args.preset, seed=args.seed, places=args.places,
                                test_places=args.test_places, views=args.views, size=args.size,
                                test_wording=args.test_wording, preview=args.preview,
                                progress=not args.no_progress,
                                families=tuple(args.families.split(",")) if args.families else None,
                                holdout_family=args.holdout_family, ood_places=args.ood_places,
                                ood_wording=args.ood_wording)
        print(json.dumps(summary, indent=2, sort_keys=True))
        return 0
    if args.cmd == "families":
        from training.data.preview import family_sheet
        print(family_sheet(args.out, seed=args.seed))
        return 0
    if args.cmd == "colors":
        from training.data.color_check import roof_colour_accuracy
        print(json.dumps(roof_colour_accuracy(args.frames, args.size), indent=2))
        return 0
    return _check(args)


def _check(args: argparse.Namespace) -> int:
    from pathlib import Path

    from training.data.geotext1652 import DataFormatError, load_test, load_train

    root = Path(args.root)
    files = {"train": "train.json", "test": "test_951_version.json", "test24g": "test_24G_version.json"}
    splits = list(files) if args.split == "all" else [args.split]
    try:
        for split in splits:
            path = root / files[split]
            if split == "train":
                recs = load_train(path, root / "images", skip_invalid=args.skip_invalid)
                print(f"{split}: {len(recs)} captions, {len({r.image_id for r in recs})} images, "
                      f"{len({r.building_id for r in recs})} buildings")
            else:
                recs = load_test(path, root / "images", skip_invalid=args.skip_invalid)
                print(f"{split}: {len(recs)} images, {sum(len(r.captions) for r in recs)} captions, "
                      f"{len({r.building_id for r in recs})} buildings")
    except DataFormatError as e:
        print(f"geotext-data check: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
