"""The trained nouns of an engine (manifest `concepts`): per kind, the nouns its training captions use.

The navigator reads an operator's untrained noun as the nearest trained one (geotext_ros/nav/concept_readings.py).
Which nouns are trained is a fact about the training data, so it comes from the data directory: its
`concepts.json` ({kind: [nouns]}) when it has one, else, for data written by `geotext-data synth`, the nouns of
the caption generator's "train" wording (geotext_ros/sim/vocab.py). Real GeoText-1652 has no kinds: write a
concepts.json for it by hand or leave the engine without concepts (no extra readings).

--check prints the leave-one-out table that sets grounding.concept_margin without looking at any held-out
word: every trained noun of a kind with two or more is read against the others, and the margin by which the
nearest kind won is listed with whether that kind was right.

    python -m training.concepts --engine-dir engines/default --data data/open [--check]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Optional

from geotext_ros.nav.concept_readings import ConceptReadings
from geotext_ros.runtime.errors import RuntimeSetupError
from geotext_ros.runtime.manifest import load_manifest, write_manifest

CONCEPTS_NAME = "concepts.json"
SYNTH_GENERATOR = "geotext_ros.sim"


def concepts_of_data(data_dir: Path) -> dict[str, list[str]]:
    """{kind: [trained nouns]} of a training data directory (module docstring)."""
    own = data_dir / CONCEPTS_NAME
    if own.is_file():
        table = json.loads(own.read_text(encoding="utf-8"))
        if not isinstance(table, dict) or not all(isinstance(v, list) and v for v in table.values()):
            raise ValueError(f"{own} must map each kind to a non-empty list of nouns, e.g. "
                             '{"building": ["building", "structure"]}')
        return {str(k): [str(n) for n in v] for k, v in table.items()}
    meta = data_dir / "synth_meta.json"
    if meta.is_file() and json.loads(meta.read_text()).get("generator") == SYNTH_GENERATOR:
        from geotext_ros.sim.vocab import NOUNS
        return {kind: list(wordings["train"]) for kind, wordings in NOUNS.items()}
    raise FileNotFoundError(f"{data_dir} has no {CONCEPTS_NAME} and was not written by geotext-data synth; "
                            f"write {data_dir / CONCEPTS_NAME} ({{kind: [nouns the captions use]}})")


def write_concepts(engine_dir: Path, concepts: dict[str, list[str]], source: str) -> dict[str, Any]:
    """Store the concepts in the engine's manifest.json (rewritten with its checksums)."""
    manifest = load_manifest(engine_dir, verify=False)
    manifest["concepts"] = {"kinds": concepts, "source": source}
    write_manifest(engine_dir, manifest)
    return manifest


def leave_one_out(backend: Any, concepts: dict[str, list[str]]) -> list[dict[str, Any]]:
    """Each noun of a kind with >= 2 nouns read against the others: nearest noun, its kind, margin, right or not."""
    rows = []
    for kind, nouns in concepts.items():
        for noun in nouns if len(nouns) > 1 else ():
            rest = {k: [n for n in v if n != noun] for k, v in concepts.items()}
            reader = ConceptReadings(backend, {k: v for k, v in rest.items() if v}, margin=0.0)
            nearest, margin = reader.nearest_with_margin(noun)
            rows.append({"noun": noun, "kind": kind, "nearest": nearest, "margin": round(margin, 3),
                         "right": reader.kind_of(nearest) == kind})
    return rows


def main(argv: Optional[list[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--engine-dir", type=Path, required=True)
    p.add_argument("--data", type=Path, required=True, help="the training data directory of the engine's model")
    p.add_argument("--check", action="store_true", help="print the leave-one-out table (module docstring)")
    args = p.parse_args(argv)
    try:
        concepts = concepts_of_data(args.data)
        write_concepts(args.engine_dir, concepts, f"training data {args.data.name}")
        print(f"{sum(map(len, concepts.values()))} trained nouns of {len(concepts)} kinds written to "
              f"{args.engine_dir}/manifest.json")
        if args.check:
            from geotext_ros.runtime.open_backend import open_backend
            with open_backend(args.engine_dir, "onnxruntime") as backend:
                rows = leave_one_out(backend, concepts)
            for r in sorted(rows, key=lambda r: -r["margin"]):
                print(f"  {r['noun']:22s} -> {r['nearest']:22s} margin {r['margin']:.3f} "
                      f"{'right' if r['right'] else 'WRONG'}")
    except (FileNotFoundError, ValueError, RuntimeSetupError, json.JSONDecodeError) as e:
        print(f"training.concepts: error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
