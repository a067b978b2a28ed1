"""geotext-eval: GeoText-1652 benchmark evaluation of a checkpoint, streamed in bounded memory.

    geotext-eval --ckpt out/runs/default/last.pt --data out/data [--split test_951_version.json]
                 [--k-test K (default: the recipe's)] [--rotation-study] [--out results.json] [--device auto|cpu|cuda]
                 [--precision auto|fp32|fp16]
    geotext-eval --ckpt engines/default --data out/data      # an exported engine directory (its weights.pt)
    geotext-eval --ckpt engines/default --data data/default --ood data/ood [--eval-split NAME=DIR ...]
                 [--corruptions]   # splits side by side; corruption benchmark (5 x 3) on --data
    geotext-eval --synthetic-scale [--n-images 55227 --n-texts 165681]   # memory/time of a full-size run
    geotext-eval --synthetic-scale --ckpt out/runs/default/last.pt --k-test 0 [--n-images 55227 --n-texts 165681]
                 # the same size through the model, views rendered on the fly (docs/results.md: 933 MB, 39 min)

Retrieval: ITC ranking, ITM re-scoring of the top k (k_test), building-level hits (building = image_id[:4]),
Recall@1/5/10 for t2i (text query -> images) and i2t (image query -> texts), mean recall. The same rankings
are scored twice: with exact labels (`retrieval`) and with the GeoText-1652 reference code's labels
(`retrieval_reference_labels`, training/metrics.reference_labels), the figures to set next to the papers' tables.
Also grounding accuracy (IoU >= 0.5), spatial-relation accuracy, the mirror-twin subset and (optionally) a
rotation study.

Precision: on CUDA the model runs under fp16 autocast, as the reference evaluates in half precision; on CPU in
fp32. --device / --precision override either.
"""
from __future__ import annotations

import argparse
import json
import logging
import resource
import sys
import time
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np
import torch
from PIL import Image

from geotext_ros.model.factory import LoadedModel, load_checkpoint
from geotext_ros.model.text import MAX_WORDS_TEST
from geotext_ros.runtime.errors import RuntimeSetupError
from geotext_ros.runtime.graph_spec import MANIFEST_NAME
from training.data.benchmark_corruptions import CORRUPTIONS, SEVERITIES, corrupt
from training.data.geotext1652 import TestRecord, load_test
from training.eval_probes import grounding_accuracy, mirror_accuracy, spatial_accuracy
from training.eval_retrieval import encode_gallery, evaluate_retrieval_modes, itm_scores
from training.losses.config import spatial_rule_of
from training.presets import recipe_k_test
from training.metrics import reference_labels, retrieval_report, streaming_similarity_topk

log = logging.getLogger("geotext-eval")
ROTATIONS = (15, 90, 180, 270)


def parse_args(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="geotext-eval", description=__doc__.split("\n")[0])
    p.add_argument("--ckpt", help="checkpoint from geotext-train (save_checkpoint format), or an engine directory "
                                  "from geotext-export (e.g. engines/default: its manifest and weights.pt)")
    p.add_argument("--data", help="GeoText-1652 folder (split JSON + images/)")
    p.add_argument("--split", default="test_951_version.json", help="split file name inside each data folder")
    p.add_argument("--ood", help="an out-of-distribution folder in the same format, reported beside --data")
    p.add_argument("--eval-split", action="append", metavar="NAME=DIR",
                   help="one more named folder reported beside --data (repeatable)")
    p.add_argument("--corruptions", action="store_true",
                   help="corruption benchmark on --data: 5 corruptions x 3 severities (training/data/benchmark_corruptions.py), "
                        "R@1 per cell and the mean fraction of clean R@1 kept")
    p.add_argument("--k-test", type=int, default=None,
                   help="ITM re-scores each query's top k (0 = ITC only; default: the k_test of the recipe the "
                        "checkpoint was trained with, e.g. 128 for hccm, 256 for geotext and checkpoints without one)")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--chunk", type=int, default=4096, help="similarity block size (bounds memory)")
    p.add_argument("--limit", type=int, help="evaluate only the first N test images")
    p.add_argument("--rotation-study", action="store_true", help=f"also rotate test images {ROTATIONS} deg")
    p.add_argument("--out", help="write all figures to this JSON file")
    p.add_argument("--synthetic-scale", action="store_true",
                   help="full test size, reports time and RSS: with --ckpt, simulator views through the model; "
                        "without, random-but-structured embeddings and no model")
    p.add_argument("--n-images", type=int, default=55227)
    p.add_argument("--n-texts", type=int, default=165681)
    p.add_argument("--n-buildings", type=int, default=951)
    p.add_argument("--embed-dim", type=int, default=256)
    p.add_argument("--noise", type=float, default=3.0, help="synthetic-scale: noise norm around a building")
    p.add_argument("--seed", type=int, default=1,
                   help="synthetic-scale with --ckpt: simulator world seed (the default dataset uses 0: no "
                        "training place recurs with 1)")
    p.add_argument("--threads", type=int, help="torch CPU threads")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                   help="auto: CUDA when torch sees a GPU, else CPU")
    p.add_argument("--precision", choices=("auto", "fp32", "fp16"), default="auto",
                   help="auto: fp16 autocast on CUDA (as the reference evaluates), fp32 on CPU")
    return p.parse_args(argv)


def eval_runtime(device: str, precision: str, cuda_available: bool) -> tuple[torch.device, bool]:
    """(device, fp16) for --device / --precision: CUDA only where torch sees one, fp16 by default only there."""
    if device == "auto":
        device = "cuda" if cuda_available else "cpu"
    if device == "cuda" and not cuda_available:
        raise ValueError("--device cuda: torch sees no CUDA device (torch.cuda.is_available() is False); "
                         "use --device cpu or auto")
    fp16 = device == "cuda" if precision == "auto" else precision == "fp16"
    return torch.device(device), fp16


def load_model(path: str | Path) -> LoadedModel:
    """A geotext-train checkpoint file, or an engine directory written by geotext-export (or its torch weights
    file): the engine's manifest rebuilds the model, tokenizer (with its alias table) and transform, and its
    weights.pt is checked against the manifest's checksum, exactly as the navigator's torch backend opens it."""
    path = Path(path)
    engine = _engine_dir_of(path)
    if engine is None:
        return load_checkpoint(path)
    from geotext_ros.runtime.manifest import load_manifest
    from geotext_ros.runtime.torch_backend import TorchBackend

    backend = TorchBackend.from_engine_dir(engine)
    manifest = load_manifest(engine, verify=False)
    meta = {"path": str(engine), "engine": True, "step": manifest.get("source", {}).get("step"),
            "model_checksum": manifest.get("model_checksum")}
    return LoadedModel(backend.model, backend.transform, backend.tokenizer, backend.model.config, meta)


def _engine_dir_of(path: Path) -> Optional[Path]:
    """The engine directory that `path` is or whose torch weights file it is; None for a checkpoint file."""
    if path.is_dir():
        if not (path / MANIFEST_NAME).is_file():
            raise ValueError(f"--ckpt {path} is a directory without {MANIFEST_NAME}: give a geotext-train "
                             "checkpoint file (e.g. runs/default/last.pt) or an engine directory written by "
                             "geotext-export (e.g. engines/default)")
        return path
    manifest = path.parent / MANIFEST_NAME
    if path.is_file() and manifest.is_file():
        try:
            weights = json.loads(manifest.read_text(encoding="utf-8")).get("torch_weights")
        except (json.JSONDecodeError, AttributeError):
            return None   # not an engine's manifest: let the checkpoint loader say what the file is
        if weights == path.name:
            return path.parent
    return None


def label_modes(image_buildings: Sequence[str], txt2img: Sequence[int]) -> dict[str, tuple[list, list]]:
    """(text labels, image labels) per labelling: exact buildings, and the reference code's counter labels."""
    ref = reference_labels(image_buildings)
    return {"exact": ([image_buildings[i] for i in txt2img], list(image_buildings)),
            "reference": ([ref[i] for i in txt2img], ref)}


LABELS = {"retrieval": "exact: building = image_id[:4] of each image and caption",
          "retrieval_reference_labels": "the GeoText-1652 reference evaluation's labels (a building counter along "
                                        "the file order that moves one image late); compare these with the papers"}
LABEL_NOTE = ("ref-labels rows: the GeoText-1652 reference code's building labels (the first image of each new "
              "building counted with the previous one): set these next to the papers' tables; the other rows "
              "are exact (building = image_id[:4])")


def _retrieval(gal: Any, image_buildings: Sequence[str], txt2img: Sequence[int], k_test: int, model: Any,
               chunk: int, device: torch.device) -> dict[str, Any]:
    modes = evaluate_retrieval_modes(gal, label_modes(image_buildings, txt2img), k_test, model, chunk, device)
    return {"retrieval": modes["exact"], "retrieval_reference_labels": modes["reference"], "label_modes": LABELS}


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux reports KiB


class TestSet:
    """Test records, flattened captions, building ids and the optional region/object annotations."""

    def __init__(self, data: Path, split: str, limit: Optional[int], max_words: int = MAX_WORDS_TEST) -> None:
        path = data / split
        self.records: list[TestRecord] = load_test(path, data / "images", max_words=max_words)[:limit]
        # The reader keeps extras such as `objects`/`mirror_of`; region sentences/boxes of test records are
        # read from the raw file (optional: the real test split may lack them).
        raw = {r["image_id"]: r for r in json.loads(path.read_text(encoding="utf-8"))}
        self.raw = [raw[r.image_id] for r in self.records]
        self.texts, self.txt2img = [], []
        for i, r in enumerate(self.records):
            for c in r.captions:
                self.texts.append(c)
                self.txt2img.append(i)
        self.image_buildings = [r.building_id for r in self.records]
        self.text_buildings = [self.image_buildings[i] for i in self.txt2img]

    def regions(self) -> list[tuple[int, str, list[float]]]:
        """(image, sentence, box) from top-level sentences/bboxes or per-caption `regions` entries."""
        out = []
        for i, r in enumerate(self.raw):
            groups = [r] + [g for g in r.get("regions") or [] if isinstance(g, dict)]
            for g in groups:
                for s, b in zip(g.get("sentences") or [], g.get("bboxes") or []):
                    if isinstance(s, str) and s.strip() and b is not None:
                        out.append((i, s, [float(v) for v in b]))
        return out

    def object_boxes(self) -> list[tuple[int, list[list[float]]]]:
        out = []
        for i, r in enumerate(self.raw):
            boxes = [o["bbox"] for o in r.get("objects") or [] if o.get("bbox")]
            boxes = boxes or [b for b in r.get("bboxes") or [] if b is not None]
            uniq = [list(map(float, b)) for j, b in enumerate(boxes) if b not in boxes[:j]]
            if len(uniq) >= 2:
                out.append((i, uniq[:8]))
        return out

    def mirror_pairs(self) -> list[tuple[int, int, int]]:
        """(text, own image, twin image): the twin is the image of place `mirror_of` with the same file name."""
        by_name = {(r.building_id, r.image_id[5:]): i for i, r in enumerate(self.records)}
        first = {}
        for i, r in enumerate(self.records):
            first.setdefault(r.building_id, i)
        pairs = []
        for t, i in enumerate(self.txt2img):
            twin_place = self.records[i].extras.get("mirror_of")
            if not twin_place or twin_place not in first:
                continue
            twin = by_name.get((twin_place, self.records[i].image_id[5:]), first[twin_place])
            pairs.append((t, i, twin))
        return pairs


def make_loader(test: TestSet, transform: Any, angle: int = 0, corruption: Optional[tuple[str, int]] = None):
    """Batch loader; `corruption` = (name, severity) corrupts each image (seeded by its index: every model sees
    the same corrupted pixels) before the transform, as a camera would deliver them."""
    def load(indices: Sequence[int]) -> torch.Tensor:
        out = []
        for i in indices:
            with Image.open(test.records[i].image_path) as im:
                pil = im.convert("RGB")
            if angle:  # right angles keep every pixel (expand); 15 deg crops the corners, black fill
                pil = pil.rotate(angle, resample=Image.BILINEAR, expand=angle % 90 == 0)
            rgb = np.array(pil, dtype=np.uint8)
            if corruption is not None:
                rgb = corrupt(rgb, corruption[0], corruption[1], seed=i)
            out.append(torch.from_numpy(transform(rgb)))
        return torch.stack(out)
    return load


def parse_split_specs(data: Optional[str], ood: Optional[str], specs: Sequence[str]) -> dict[str, Path]:
    """Named evaluation folders in report order: --data as "in_distribution", --ood as "ood", then each
    --eval-split NAME=DIR."""
    out: dict[str, Path] = {}
    if data:
        out["in_distribution"] = Path(data)
    if ood:
        out["ood"] = Path(ood)
    for spec in specs:
        name, sep, path = spec.partition("=")
        if not sep or not name or not path:
            raise ValueError(f"--eval-split {spec!r}: write NAME=DIR, e.g. --eval-split ood_words=data/ood_words")
        if name in out:
            raise ValueError(f"--eval-split name {name!r} is used twice; give each split its own name")
        out[name] = Path(path)
    return out


def _set_k_test(args: argparse.Namespace, loaded: Optional[LoadedModel]) -> None:
    """--k-test when given, else the checkpoint's recipe's (training.presets.recipe_k_test)."""
    if args.k_test is None:
        args.k_test = recipe_k_test(loaded.meta.get("train_config") if loaded is not None else None)
    if args.k_test < 0:
        raise ValueError(f"--k-test {args.k_test}: use 0 (ITC only) or a positive number of candidates to re-score")


def run_model_eval(args: argparse.Namespace) -> dict[str, Any]:
    """The first split's full report at the top level (as before), every split's under `splits`, and with
    --corruptions the corruption benchmark of the first split under `corruption`."""
    splits = parse_split_specs(args.data, getattr(args, "ood", None), getattr(args, "eval_split", None) or [])
    if not args.ckpt or not splits:
        raise SystemExit("geotext-eval needs --ckpt and --data (or --synthetic-scale)")
    t0 = time.perf_counter()
    device, fp16 = eval_runtime(args.device, args.precision, torch.cuda.is_available())
    loaded = load_model(args.ckpt)
    _set_k_test(args, loaded)
    loaded.model.to(device).eval()
    names = list(splits)
    res: dict[str, Any] = {}
    per_split: dict[str, Any] = {}
    for n, name in enumerate(names):
        r = _eval_split(loaded, splits[name], args, device, fp16, rotation=n == 0 and args.rotation_study)
        per_split[name] = {"data": str(splits[name]), **r}
        if n == 0:
            res.update(r)
            if args.corruptions:
                res["corruption"] = _corruption_benchmark(loaded, splits[name], args, device, fp16, r)
    res = {"ckpt": str(args.ckpt), "engine": bool(loaded.meta.get("engine")), **res}
    if len(per_split) > 1:
        res["splits"] = per_split
    res["time_s"], res["peak_rss_mb"] = time.perf_counter() - t0, peak_rss_mb()
    return res


def _eval_split(loaded: LoadedModel, data: Path, args: argparse.Namespace, device: torch.device, fp16: bool,
                rotation: bool) -> dict[str, Any]:
    model, tok, tf = loaded.model, loaded.tokenizer, loaded.transform
    test = TestSet(data, args.split, args.limit, tok.max_words)  # the method's test word limit
    load = make_loader(test, tf)
    keep = args.k_test > 0
    res: dict[str, Any] = {"split": args.split, "n_images": len(test.records), "n_texts": len(test.texts),
                           "k_test": args.k_test, "device": device.type, "precision": "fp16" if fp16 else "fp32"}
    with torch.autocast(device.type, dtype=torch.float16, enabled=fp16):
        gal = encode_gallery(model, load, len(test.records), test.texts, tok, keep, args.batch_size, device)
        res.update(_retrieval(gal, test.image_buildings, test.txt2img, args.k_test, model, args.chunk, device))
        res["grounding"] = grounding_accuracy(model, load, test.regions(), tok, args.batch_size, device)
        res["spatial"] = spatial_accuracy(model, load, test.object_boxes(),
                                          spatial_rule_of((loaded.meta.get("train_config") or {}).get("preset")),
                                          device=device)
        res["mirror"] = _mirror(model, gal, test, load, tok, device)
        if rotation:
            res["rotation"] = {"0": res["retrieval"]["final"]}
            for angle in ROTATIONS:
                g = encode_gallery(model, make_loader(test, tf, angle), len(test.records), test.texts, tok, keep,
                                   args.batch_size, device)
                res["rotation"][str(angle)] = _retrieval(g, test.image_buildings, test.txt2img, args.k_test,
                                                         model, args.chunk, device)["retrieval"]["final"]
    return res


def _corruption_benchmark(loaded: LoadedModel, data: Path, args: argparse.Namespace, device: torch.device,
                          fp16: bool, clean: dict[str, Any]) -> dict[str, Any]:
    """R@1 (final ranking, exact labels) under each corruption x severity and its fraction of the clean R@1."""
    model, tok, tf = loaded.model, loaded.tokenizer, loaded.transform
    test = TestSet(data, args.split, args.limit, tok.max_words)
    clean_r1 = {d: clean["retrieval"]["final"][d]["r1"] for d in ("t2i", "i2t")}
    per: dict[str, dict[str, Any]] = {}
    with torch.autocast(device.type, dtype=torch.float16, enabled=fp16):
        for name in CORRUPTIONS:
            per[name] = {}
            for severity in SEVERITIES:
                gal = encode_gallery(model, make_loader(test, tf, corruption=(name, severity)), len(test.records),
                                     test.texts, tok, args.k_test > 0, args.batch_size, device)
                final = _retrieval(gal, test.image_buildings, test.txt2img, args.k_test, model, args.chunk,
                                   device)["retrieval"]["final"]
                per[name][str(severity)] = {d: final[d]["r1"] for d in ("t2i", "i2t")}
    return corruption_summary(clean_r1, per)


def corruption_summary(clean_r1: dict[str, float], per: dict[str, dict[str, dict[str, float]]]) -> dict[str, Any]:
    """Each cell's fraction of clean R@1 kept (per direction) and the means over all cells: `mean_kept` averages
    t2i and i2t (the RoboSense 2025 GeoText track's robustness figure); None where clean R@1 is 0."""
    kept: dict[str, list[float]] = {"t2i": [], "i2t": []}
    for cells in per.values():
        for cell in cells.values():
            for d in ("t2i", "i2t"):
                frac = cell[d] / clean_r1[d] if clean_r1[d] > 0 else None
                cell[f"{d}_kept"] = frac
                if frac is not None:
                    kept[d].append(frac)
    means = {d: float(np.mean(v)) if v else None for d, v in kept.items()}
    both = [m for m in means.values() if m is not None]
    return {"clean_r1": clean_r1, "per": per, "mean_kept_t2i": means["t2i"], "mean_kept_i2t": means["i2t"],
            "mean_kept": float(np.mean(both)) if both else None, "severities": list(SEVERITIES)}


def _mirror(model, gal, test: TestSet, load, tok, device: torch.device) -> dict:
    pairs = test.mirror_pairs()

    def itc(texts, images):
        return (gal.txt_embed[texts] * gal.img_embed[images]).sum(1)

    def itm(texts, images):
        ids, mask = (torch.as_tensor(x, device=device) for x in tok([test.texts[t] for t in texts]))
        with torch.no_grad():
            txt_tokens, _ = model.encode_text(ids, mask)
            img_tokens, _ = model.encode_image(load(images).to(device))
            return itm_scores(model, img_tokens, txt_tokens, mask, device)

    return mirror_accuracy(pairs, itc, itm)


def synthetic_embeddings(n: int, owners: np.ndarray, centres: torch.Tensor, seed: int, noise: float,
                         chunk: int = 16384) -> torch.Tensor:
    """Unit vectors near their building's centre, generated chunk-wise (deterministic per chunk)."""
    out = torch.empty(n, centres.shape[1])
    for s in range(0, n, chunk):
        g = torch.Generator().manual_seed(seed * 1_000_003 + s)
        e = min(s + chunk, n)
        # noise is given as the expected norm of the perturbation, so difficulty does not depend on the dim
        x = centres[torch.as_tensor(owners[s:e])] + noise / centres.shape[1] ** 0.5 * torch.randn(
            e - s, centres.shape[1], generator=g)
        out[s:e] = torch.nn.functional.normalize(x, dim=1)
    return out


def run_synthetic_scale(args: argparse.Namespace) -> dict[str, Any]:
    """Full-size retrieval bookkeeping (ITC streaming top-k in both directions) with no model: measures the
    memory bound and time of the part of evaluation that scales with gallery x queries."""
    _set_k_test(args, None)
    t0 = time.perf_counter()
    g = torch.Generator().manual_seed(0)
    centres = torch.nn.functional.normalize(torch.randn(args.n_buildings, args.embed_dim, generator=g), dim=1)
    img_b = np.sort(np.arange(args.n_images) % args.n_buildings)
    txt_img = np.arange(args.n_texts) * args.n_images // args.n_texts
    img = synthetic_embeddings(args.n_images, img_b, centres, 1, args.noise)
    txt = synthetic_embeddings(args.n_texts, img_b[txt_img], centres, 2, args.noise)
    t_embed = time.perf_counter() - t0
    k = max(args.k_test, 10)
    t2i, i2t = streaming_similarity_topk(txt, img, k, args.chunk)
    names = [f"{b:04d}" for b in range(args.n_buildings)]
    reports = {mode: retrieval_report(t2i.index.numpy(), i2t.index.numpy(), text_labels, image_labels)
               for mode, (text_labels, image_labels) in label_modes([names[b] for b in img_b], txt_img).items()}
    return {"mode": "synthetic-scale", "n_images": args.n_images, "n_texts": args.n_texts,
            "n_buildings": args.n_buildings, "embed_dim": args.embed_dim, "k": k, "chunk": args.chunk,
            "retrieval": {"itc": reports["exact"], "final": reports["exact"]},
            "retrieval_reference_labels": {"itc": reports["reference"], "final": reports["reference"]},
            "label_modes": LABELS,
            "embed_time_s": t_embed,
            "time_s": time.perf_counter() - t0, "peak_rss_mb": peak_rss_mb()}


class _Instrumented:
    """The model seen through evaluate_retrieval/encode_gallery unchanged: ticks progress bars on text encoding
    and ITM fusion, and notes when ITM scoring starts (ITC ranking ends there)."""

    def __init__(self, model: torch.nn.Module, text_bar: Any, itm_bar: Any) -> None:
        self.model, self.text_bar, self.itm_bar = model, text_bar, itm_bar
        self.itm_start: Optional[float] = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.model, name)

    def encode_text(self, ids: torch.Tensor, mask: torch.Tensor) -> Any:
        out = self.model.encode_text(ids, mask)
        self.text_bar.update(len(ids))
        return out

    def fuse(self, img: torch.Tensor, txt: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        if self.itm_start is None:
            self.itm_start = time.perf_counter()
        out = self.model.fuse(img, txt, mask)
        self.itm_bar.update(len(img))
        return out


def _render_loader(test: Any, transform: Any, bar: Any, clock: dict[str, float]):
    """Renders the requested views on demand (one batch at a time) and counts the time spent rendering."""
    def load(indices: Sequence[int]) -> torch.Tensor:
        t0 = time.perf_counter()
        batch = torch.stack([torch.from_numpy(transform(test.image(i))) for i in indices])
        clock["render"] += time.perf_counter() - t0
        bar.update(len(batch))
        return batch
    return load


def run_synthetic_scale_model(args: argparse.Namespace) -> dict[str, Any]:
    """Full-size evaluation through the model on a simulator test set generated on the fly: streamed encoding,
    ITC top-k and ITM re-scoring of the top k_test exactly as run_model_eval does; times per phase and peak RSS."""
    from tqdm import tqdm

    from training.data.synth import StreamedTestSet

    t0 = time.perf_counter()
    loaded = load_model(args.ckpt)   # first: a bad checkpoint fails before minutes of caption generation
    _set_k_test(args, loaded)
    tf = loaded.transform
    test = StreamedTestSet(args.n_images, args.n_texts, args.n_buildings, tf.size, seed=args.seed)
    texts = test.texts(progress=True)
    t_captions = time.perf_counter() - t0
    clock = {"render": 0.0}
    k_img, k_txt = min(args.k_test, len(test)), min(args.k_test, len(texts))
    with tqdm(total=len(test), desc="render+encode images", unit="img") as img_bar, \
            tqdm(total=len(texts), desc="encode texts", unit="text") as text_bar, \
            tqdm(total=len(texts) * k_img + len(test) * k_txt, desc="ITM pairs", unit="pair") as itm_bar:
        model = _Instrumented(loaded.model.eval(), text_bar, itm_bar)
        t1 = time.perf_counter()
        gal = encode_gallery(model, _render_loader(test, tf, img_bar, clock), len(test), texts,
                             loaded.tokenizer, args.k_test > 0, args.batch_size)
        t2 = time.perf_counter()
        log.info("ranking %d texts x %d images (ITC top-k, then ITM over the top %d)", len(texts), len(test),
                 args.k_test)
        try:
            retrieval = _retrieval(gal, test.image_buildings, test.txt2img, args.k_test, model, args.chunk,
                                   torch.device("cpu"))
            t3 = time.perf_counter()
            spilled = _spilled_mb(gal)
        finally:   # the token files can be GBs: remove them now, not whenever the gallery is collected
            for store in (gal.img_tokens, gal.txt_tokens):
                if store is not None:
                    store.close()
    itm_start = model.itm_start or t3
    return {"mode": "synthetic-scale-model", "ckpt": str(args.ckpt), "seed": args.seed,
            "n_images": len(test), "n_texts": len(texts), "n_buildings": len(test.world.places),
            "image_size": tf.size, "k_test": args.k_test, "chunk": args.chunk, "batch_size": args.batch_size,
            "threads": torch.get_num_threads(), **retrieval, "caption_time_s": t_captions,
            "render_time_s": clock["render"], "encode_time_s": t2 - t1 - clock["render"],
            "rank_time_s": itm_start - t2, "itm_time_s": t3 - itm_start, "token_store_disk_mb": spilled,
            "time_s": time.perf_counter() - t0, "peak_rss_mb": peak_rss_mb()}


def _spilled_mb(gal: Any) -> float:
    """Bytes of token rows that went to disk files (stores above TokenStore's memory limit)."""
    stores = [s for s in (gal.img_tokens, gal.txt_tokens) if s is not None and s.fd is not None]
    return sum(s.n * s.row_bytes for s in stores) / 2**20


def format_table(res: dict[str, Any]) -> str:
    lines = [f"{'ranking':<16}{'t2i R@1':>9}{'R@5':>7}{'R@10':>7}{'i2t R@1':>10}{'R@5':>7}{'R@10':>7}{'mR':>7}"]
    rows = [(k, v) for k, v in res["retrieval"].items() if k != "final"]
    rows += [(f"{k} ref-labels", v) for k, v in res.get("retrieval_reference_labels", {}).items() if k != "final"]
    rows += [(f"rot {a}", v) for a, v in res.get("rotation", {}).items()]
    for name, r in rows:
        t, i = r["t2i"], r["i2t"]
        lines.append(f"{name:<16}{t['r1']:>9.2f}{t['r5']:>7.2f}{t['r10']:>7.2f}{i['r1']:>10.2f}{i['r5']:>7.2f}"
                     f"{i['r10']:>7.2f}{r['r_mean']:>7.2f}")
    if "retrieval_reference_labels" in res:
        lines.append(LABEL_NOTE)
    for key in ("grounding", "spatial", "mirror"):
        if key in res:
            lines.append(f"{key}: " + ", ".join(f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}"
                                                for k, v in res[key].items()))
    if "splits" in res:
        lines.append(split_table(res["splits"]))
    if "corruption" in res:
        lines.append(corruption_table(res["corruption"]))
    phases = [k for k in ("caption", "render", "encode", "rank", "itm") if f"{k}_time_s" in res]
    if phases:
        lines.append("phases: " + ", ".join(f"{k}={res[f'{k}_time_s']:.1f}s" for k in phases))
    runtime = f" device={res['device']} precision={res['precision']}" if "device" in res else ""
    lines.append(f"n_images={res['n_images']} n_texts={res['n_texts']} time={res['time_s']:.1f}s "
                 f"peak_rss={res['peak_rss_mb']:.0f}MB{runtime}")
    return "\n".join(lines)


def split_table(splits: dict[str, Any]) -> str:
    """Final-ranking R@1 (exact labels) and box-head grounding of every split, one row each."""
    lines = [f"{'split':<18}{'images':>7}{'t2i R@1':>9}{'i2t R@1':>9}{'mR':>7}{'ground@.5':>11}"]
    for name, r in splits.items():
        f, g = r["retrieval"]["final"], r.get("grounding", {})
        ground = f"{g['acc_iou50']:>11.2f}" if "acc_iou50" in g else f"{'-':>11}"
        lines.append(f"{name:<18}{r['n_images']:>7}{f['t2i']['r1']:>9.2f}{f['i2t']['r1']:>9.2f}{f['r_mean']:>7.2f}"
                     + ground)
    return "\n".join(lines)


def corruption_table(c: dict[str, Any]) -> str:
    """R@1 t2i / i2t per corruption and severity, then the mean fraction of clean R@1 kept."""
    sev = c["severities"]
    lines = [f"{'corruption':<20}" + "".join(f"{'sev ' + str(s) + ' t2i/i2t':>18}" for s in sev)]
    for name, cells in c["per"].items():
        lines.append(f"{name:<20}" + "".join(f"{cells[str(s)]['t2i']:>10.1f} /{cells[str(s)]['i2t']:>6.1f}"
                                             for s in sev))
    fmt = lambda v: "n/a" if v is None else f"{v:.3f}"  # noqa: E731
    lines.append(f"clean R@1 t2i/i2t {c['clean_r1']['t2i']:.1f} / {c['clean_r1']['i2t']:.1f}; mean fraction of "
                 f"clean R@1 kept: {fmt(c['mean_kept'])} (t2i {fmt(c['mean_kept_t2i'])}, i2t "
                 f"{fmt(c['mean_kept_i2t'])})")
    return "\n".join(lines)


def main(argv: Optional[Sequence[str]] = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        if args.synthetic_scale:
            res = run_synthetic_scale_model(args) if args.ckpt else run_synthetic_scale(args)
        else:
            res = run_model_eval(args)
    except (OSError, ValueError, KeyError, RuntimeSetupError) as e:   # bad path, data, checkpoint, engine: one line
        print(f"geotext-eval: error: {e}", file=sys.stderr)
        return 2
    print(format_table(res))
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
