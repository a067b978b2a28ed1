"""geotext-gallery: build a gallery index from gallery.json, or query one with a sentence.

    geotext-gallery build --engine engines/default --gallery gallery.json --out index.npz
    geotext-gallery query --index index.npz --engine engines/default "the red building left of the pool"

`--engine` is an engine directory (geotext-export output) opened with geotext_ros.runtime.open_backend, or a
training checkpoint file (.pt), opened with the torch backend. Query results are printed as JSON.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any, Optional, Sequence

from geotext_ros.nav.gallery import GalleryError, GalleryIndex
from geotext_ros.runtime.errors import RuntimeSetupError


def open_engine(engine: str, kind: str = "auto") -> Any:
    """Backend for an engine directory, or the torch backend for a checkpoint file."""
    path = Path(engine)
    if path.is_file():
        from geotext_ros.runtime.torch_backend import TorchBackend

        return TorchBackend.from_checkpoint(path)
    from geotext_ros.runtime.open_backend import open_backend

    return open_backend(path, kind=kind)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="geotext-gallery", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="embed every place of gallery.json into an index .npz")
    b.add_argument("--engine", required=True, help="engine directory or checkpoint .pt")
    b.add_argument("--gallery", required=True, help="gallery.json")
    b.add_argument("--out", required=True, help="index .npz to write")
    b.add_argument("--kind", default="auto", help="backend kind: auto, tensorrt, onnxruntime, torch")
    b.add_argument("--batch", type=int, default=16)
    b.add_argument("--no-tokens", action="store_true", help="do not keep image tokens (no ITM re-rank; smaller)")
    q = sub.add_parser("query", help="rank the gallery places for a sentence")
    q.add_argument("--index", required=True)
    q.add_argument("--engine", required=True, help="engine directory or checkpoint .pt")
    q.add_argument("--kind", default="auto")
    q.add_argument("-k", "--k", type=int, default=5, help="places to print")
    q.add_argument("--rerank", type=int, default=16, help="ITC top places re-ranked by ITM (0 = ITC only)")
    q.add_argument("--itm-weight", default="navigator",
                   help="re-ranked places are ordered by ITC + this x ITM; 'navigator' (default) = the navigator's "
                        "search_itm_weight in config/nav.yaml, 'none' = by ITM alone (the reference method)")
    q.add_argument("--ground-weight", default="navigator",
                   help="then re-ordered by score + this x what the grounder finds in each place's image "
                        "(nav/place_check.py); 'navigator' (default) = search_ground_weight in config/nav.yaml, "
                        "0 = off")
    q.add_argument("text", help="the sentence")
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Console entry point; returns the exit status (0 ok, 2 bad input)."""
    args = _parser().parse_args(argv)
    try:
        backend = open_engine(args.engine, args.kind)
        if args.cmd == "build":
            index = GalleryIndex.build(backend, args.gallery, batch_size=args.batch, keep_tokens=not args.no_tokens,
                                       progress=lambda done, total: print(f"\rembedded {done}/{total}", end="",
                                                                          file=sys.stderr))
            print(file=sys.stderr)
            index.save(args.out)
            print(json.dumps({"index": str(args.out), "places": len(index),
                              "model_checksum": index.model_checksum}))
            return 0
        index = GalleryIndex.load(args.index, backend)
        matches = index.query(args.text, k=args.k, rerank=args.rerank, itm_weight=_itm_weight(args.itm_weight))
        matches = _grounded(matches, index, backend, args.text, _ground_weight(args.ground_weight))
        print(json.dumps({"query": args.text, "matches": [m.to_dict() for m in matches]}, indent=1))
        return 0
    except (GalleryError, RuntimeSetupError, OSError, ValueError) as e:
        print(f"geotext-gallery: {e}", file=sys.stderr)
        return 2


def _navigator_search() -> Any:
    from geotext_ros.nav.gallery import SearchConfig
    from geotext_ros.param_file import load_node_params

    return SearchConfig.from_params(load_node_params("navigator"))


def _itm_weight(text: str) -> Optional[float]:
    if text == "none":
        return None
    if text == "navigator":
        return _navigator_search().itm_weight
    try:
        return float(text)
    except ValueError as e:
        raise ValueError(f"--itm-weight {text!r}: use a number >= 0, 'navigator' or 'none'") from e


def _ground_weight(text: str) -> float:
    if text == "navigator":
        return _navigator_search().ground_weight
    try:
        weight = float(text)
    except ValueError:
        weight = -1.0
    if not (math.isfinite(weight) and weight >= 0):
        raise ValueError(f"--ground-weight {text!r}: use a number >= 0 (0 = off) or 'navigator'")
    return weight


def _grounded(matches: list[Any], index: Any, backend: Any, text: str, weight: float) -> list[Any]:
    """The navigator's order: matches re-ranked by the grounder's evidence (nav/place_check.py)."""
    if weight == 0:
        return matches
    from geotext_ros.nav.grounding import Grounder, GroundingConfig
    from geotext_ros.nav.parser import parse_instruction
    from geotext_ros.nav.place_check import grounded_order
    from geotext_ros.param_file import load_node_params

    grounder = Grounder(backend, GroundingConfig.from_params(load_node_params("navigator")))
    return grounded_order(matches, index, grounder, parse_instruction(text), weight)


if __name__ == "__main__":
    sys.exit(main())
