"""Runtime latency per backend, measured side by side in one run (p50 / p95, milliseconds).

    .venv/bin/python bench/runtime.py [--config tiny] [--iters 50] [--engine-dir DIR]

Measures image encoding (1 frame), text encoding (1 instruction), the per-instruction text cost the navigator pays
once per instruction (tokenizing and encoding the batch the Grounder builds: every alias reading of the target and
anchors, up to grounding.alias_readings from config/nav.yaml, plus the whole sentence; not paid per frame, the
Grounder keeps it while the instruction is unchanged), grounding one instruction on one frame
(encode_image + encode_text + fuse + dense), the navigator's Grounder on a frame where a target named without a
colour lights nothing, without and with its colour readings (grounding.offer_colours: what such a frame costs
more), and gallery top-10 retrieval over 1k / 10k / 55k embeddings
(runtime.retrieval.topk_cosine, numpy argpartition). Prints ORT/PyTorch speed ratios. Without --engine-dir an
untrained model of --config is exported to a temporary directory first. Targets on the 2-core CPU, tiny model:
grounding p50 <= 50 ms with ORT, ORT >= 1.3x faster than PyTorch eager, top-10 over 55k <= 5 ms.
"""
from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

from geotext_ros.nav.grounding import Grounder, GroundingConfig  # noqa: E402
from geotext_ros.nav.parser import parse_instruction  # noqa: E402
from geotext_ros.param_file import load_node_params  # noqa: E402
from geotext_ros.runtime import open_backend, topk_cosine  # noqa: E402
from geotext_ros.runtime.backend import Backend  # noqa: E402


def timeit(fn: Callable[[], object], iters: int, warmup: int = 5) -> tuple[float, float]:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(iters):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1e3)
    return float(np.percentile(times, 50)), float(np.percentile(times, 95))


def bench_backend(b: Backend, iters: int) -> dict[str, tuple[float, float]]:
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 256, (480, 640, 3), dtype=np.uint8)
    pixels = b.transform(frame)[None]
    ids, mask = b.tokenizer([INSTRUCTION])
    batch = instruction_texts(b)

    def text_per_instruction() -> None:
        b.encode_text(*b.tokenizer(batch))

    def ground() -> None:
        tokens, _ = b.encode_image(b.transform(frame)[None])
        ttok, temb = b.encode_text(ids, mask)
        b.fuse(tokens, ttok, mask)
        b.dense(tokens, temb)

    # min_score 1.0: nothing reaches it, so every frame takes the not-found path (weak regions, colour offers)
    config = GroundingConfig.from_params(load_node_params("navigator"))
    bare = parse_instruction(BARE_NOUN)
    unlit = Grounder(b, config, min_score=1.0, offer_colours="")
    offering = Grounder(b, config, min_score=1.0)
    return {"encode_image": timeit(lambda: b.encode_image(pixels), iters),
            "encode_text": timeit(lambda: b.encode_text(ids, mask), iters),
            "text_per_instruction": timeit(text_per_instruction, iters),
            "ground_one_frame": timeit(ground, iters),
            "grounder_unlit": timeit(lambda: unlit.ground(frame, bare), iters),
            "grounder_unlit_offers": timeit(lambda: offering.ground(frame, bare), iters)}


INSTRUCTION = "fly to the red building left of the parking lot"
BARE_NOUN = "fly to the hall"   # no colour word: the Grounder's colour offers apply when it lights nothing


def instruction_texts(b: Backend) -> list[str]:
    """The texts the Grounder encodes for INSTRUCTION with the nav.yaml grounding settings (alias readings of
    the target and anchors, then the sentence)."""
    grounder = Grounder(b, GroundingConfig.from_params(load_node_params("navigator")))
    return grounder.instruction_texts(parse_instruction(INSTRUCTION))[0]


def bench_retrieval(embed_dim: int, iters: int) -> dict[str, tuple[float, float]]:
    rng = np.random.default_rng(1)
    query = rng.normal(size=embed_dim).astype(np.float32)
    query /= np.linalg.norm(query)
    out = {}
    for n in (1_000, 10_000, 55_000):
        gallery = rng.normal(size=(n, embed_dim)).astype(np.float32)
        gallery /= np.linalg.norm(gallery, axis=1, keepdims=True)
        out[f"top10_of_{n // 1000}k"] = timeit(lambda: topk_cosine(query, gallery, k=10), iters)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--config", default="tiny")
    p.add_argument("--engine-dir", type=Path)
    p.add_argument("--iters", type=int, default=50)
    p.add_argument("--kinds", default="onnxruntime,onnxruntime-int8,torch,tensorrt")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    tmp = None
    engine_dir = args.engine_dir
    if engine_dir is None:
        from training.export import export_random_model

        tmp = tempfile.TemporaryDirectory()
        engine_dir = Path(tmp.name) / Path(args.config).stem   # --config may be a JSON path
        export_random_model(engine_dir, args.config, int8=True)
    results: dict[str, dict[str, tuple[float, float]]] = {}
    for kind in args.kinds.split(","):
        try:
            if kind == "onnxruntime-int8":
                backend = open_backend(engine_dir, kind="onnxruntime", precision="int8")
            else:
                backend = open_backend(engine_dir, kind=kind)
        except Exception as e:  # a backend that cannot run here is reported, not fatal
            print(f"{kind}: skipped ({str(e).splitlines()[0]})")
            continue
        results[kind] = bench_backend(backend, args.iters)
        embed_dim = int(backend.manifest["model_config"]["embed_dim"])
        n_texts = len(instruction_texts(backend))
        backend.close()
    if not results:
        print("no backend could run")
        return 1
    retrieval = bench_retrieval(embed_dim, args.iters)
    print(f"\nmodel {args.config}, engine dir {engine_dir}, {args.iters} iterations, ms p50 / p95")
    print(f"{'task':<22}" + "".join(f"{k:>22}" for k in results))
    for task in ("encode_image", "encode_text", "text_per_instruction", "ground_one_frame", "grounder_unlit",
                 "grounder_unlit_offers"):
        print(f"{task:<22}" + "".join(f"{r[task][0]:>12.2f} /{r[task][1]:>7.2f}" for r in results.values()))
    print(f"text_per_instruction = tokenize + encode_text of {n_texts} texts "
          f"(alias readings + sentence), once per instruction")
    print(f"grounder_unlit = Grounder.ground of {BARE_NOUN!r} lighting nothing; _offers = with its colour readings")
    for kind, r in results.items():
        ratio = r["grounder_unlit_offers"][0] / r["grounder_unlit"][0]
        print(f"{kind}: a frame that lights nothing costs {ratio:.2f}x with the colour offers (p50)")
    if "onnxruntime" in results and "torch" in results:
        for task in ("encode_image", "encode_text", "ground_one_frame"):
            ratio = results["torch"][task][0] / results["onnxruntime"][task][0]
            print(f"speed-up ORT vs PyTorch eager, {task}: {ratio:.2f}x (p50)")
    for task, (p50, p95) in retrieval.items():
        print(f"retrieval {task:<14} {p50:8.2f} / {p95:6.2f} ms (E={embed_dim})")
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
