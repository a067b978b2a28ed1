"""geotext-eval: GeoText-1652 benchmark evaluation of a checkpoint, streamed in bounded memory.

    geotext-eval --ckpt out/runs/default/last.pt --data out/data [--split test_951_version.json]
                 [--k-test 256] [--rotation-study] [--out results.json]
    geotext-eval --synthetic-scale [--n-images 55227 --n-texts 165681]   # memory/time of a full-size run
    geotext-eval --synthetic-scale --ckpt out/runs/default/last.pt --k-test 0 [--n-images 55227 --n-texts 165681]
                 # the same size through the model, views rendered on the fly (docs/results.md: 933 MB, 39 min)

Retrieval: ITC ranking, ITM re-scoring of the top k (k_test), building-level hits (building = image_id[:4]),
Recall@1/5/10 for t2i (text query -> images) and i2t (image query -> texts), mean recall. Also grounding
accuracy (IoU >= 0.5), spatial-relation accuracy, the mirror-twin subset and (optionally) a rotation study.
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

from geotext_ros.model.factory import load_checkpoint
from training.data.geotext1652 import TestRecord, load_test
from training.eval_probes import grounding_accuracy, mirror_accuracy, spatial_accuracy
from training.eval_retrieval import encode_gallery, evaluate_retrieval, itm_scores
from training.losses.config import spatial_rule_of
from training.metrics import retrieval_report, streaming_similarity_topk

log = logging.getLogger("geotext-eval")
ROTATIONS = (15, 90, 180, 270)


def parse_args(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="geotext-eval", description=__doc__.split("\n")[0])
    p.add_argument("--ckpt", help="checkpoint from geotext-train (save_checkpoint format)")
    p.add_argument("--data", help="GeoText-1652 folder (split JSON + images/)")
    p.add_argument("--split", default="test_951_version.json")
    p.add_argument("--k-test", type=int, default=256, help="ITM re-scores each query's top k (0 = ITC only)")
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
    return p.parse_args(argv)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux reports KiB


class TestSet:
    """Test records, flattened captions, building ids and the optional region/object annotations."""

    def __init__(self, data: Path, split: str, limit: Optional[int]) -> None:
        path = data / split
        self.records: list[TestRecord] = load_test(path, data / "images")[:limit]
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


def make_loader(test: TestSet, transform: Any, angle: int = 0):
    def load(indices: Sequence[int]) -> torch.Tensor:
        out = []
        for i in indices:
            with Image.open(test.records[i].image_path) as im:
                pil = im.convert("RGB")
            if angle:  # right angles keep every pixel (expand); 15 deg crops the corners, black fill
                pil = pil.rotate(angle, resample=Image.BILINEAR, expand=angle % 90 == 0)
            out.append(torch.from_numpy(transform(np.array(pil, dtype=np.uint8))))
        return torch.stack(out)
    return load


def run_model_eval(args: argparse.Namespace) -> dict[str, Any]:
    if not args.ckpt or not args.data:
        raise SystemExit("geotext-eval needs --ckpt and --data (or --synthetic-scale)")
    t0 = time.perf_counter()
    loaded = load_checkpoint(args.ckpt)
    model, tok, tf = loaded.model.eval(), loaded.tokenizer, loaded.transform
    test = TestSet(Path(args.data), args.split, args.limit)
    load = make_loader(test, tf)
    keep = args.k_test > 0
    gal = encode_gallery(model, load, len(test.records), test.texts, tok, keep, args.batch_size)
    res: dict[str, Any] = {"ckpt": str(args.ckpt), "split": args.split, "n_images": len(test.records),
                           "n_texts": len(test.texts), "k_test": args.k_test}
    res["retrieval"] = evaluate_retrieval(gal, test.text_buildings, test.image_buildings, args.k_test, model,
                                          args.chunk)
    res["grounding"] = grounding_accuracy(model, load, test.regions(), tok, args.batch_size)
    res["spatial"] = spatial_accuracy(model, load, test.object_boxes(),
                                      spatial_rule_of((loaded.meta.get("train_config") or {}).get("preset")))
    res["mirror"] = _mirror(model, gal, test, load, tok)
    if args.rotation_study:
        res["rotation"] = {"0": res["retrieval"]["final"]}
        for angle in ROTATIONS:
            g = encode_gallery(model, make_loader(test, tf, angle), len(test.records), test.texts, tok, keep,
                               args.batch_size)
            res["rotation"][str(angle)] = evaluate_retrieval(g, test.text_buildings, test.image_buildings,
                                                             args.k_test, model, args.chunk)["final"]
    res["time_s"], res["peak_rss_mb"] = time.perf_counter() - t0, peak_rss_mb()
    return res


def _mirror(model, gal, test: TestSet, load, tok) -> dict:
    pairs = test.mirror_pairs()

    def itc(texts, images):
        return (gal.txt_embed[texts] * gal.img_embed[images]).sum(1)

    def itm(texts, images):
        ids, mask = (torch.as_tensor(x) for x in tok([test.texts[t] for t in texts]))
        with torch.no_grad():
            txt_tokens, _ = model.encode_text(ids, mask)
            img_tokens, _ = model.encode_image(load(images))
            return itm_scores(model, img_tokens, txt_tokens, mask)

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
    rep = retrieval_report(t2i.index.numpy(), i2t.index.numpy(), [names[b] for b in img_b[txt_img]],
                           [names[b] for b in img_b])
    return {"mode": "synthetic-scale", "n_images": args.n_images, "n_texts": args.n_texts,
            "n_buildings": args.n_buildings, "embed_dim": args.embed_dim, "k": k, "chunk": args.chunk,
            "retrieval": {"itc": rep, "final": rep}, "embed_time_s": t_embed,
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
    loaded = load_checkpoint(args.ckpt)   # first: a bad checkpoint fails before minutes of caption generation
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
            retrieval = evaluate_retrieval(gal, test.text_buildings, test.image_buildings, args.k_test, model,
                                           args.chunk)
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
            "threads": torch.get_num_threads(), "retrieval": retrieval, "caption_time_s": t_captions,
            "render_time_s": clock["render"], "encode_time_s": t2 - t1 - clock["render"],
            "rank_time_s": itm_start - t2, "itm_time_s": t3 - itm_start, "token_store_disk_mb": spilled,
            "time_s": time.perf_counter() - t0, "peak_rss_mb": peak_rss_mb()}


def _spilled_mb(gal: Any) -> float:
    """Bytes of token rows that went to disk files (stores above TokenStore's memory limit)."""
    stores = [s for s in (gal.img_tokens, gal.txt_tokens) if s is not None and s.fd is not None]
    return sum(s.n * s.row_bytes for s in stores) / 2**20


def format_table(res: dict[str, Any]) -> str:
    lines = [f"{'ranking':<14}{'t2i R@1':>9}{'R@5':>7}{'R@10':>7}{'i2t R@1':>10}{'R@5':>7}{'R@10':>7}{'mR':>7}"]
    rows = [(k, v) for k, v in res["retrieval"].items() if k != "final"]
    rows += [(f"rot {a}", v) for a, v in res.get("rotation", {}).items()]
    for name, r in rows:
        t, i = r["t2i"], r["i2t"]
        lines.append(f"{name:<14}{t['r1']:>9.2f}{t['r5']:>7.2f}{t['r10']:>7.2f}{i['r1']:>10.2f}{i['r5']:>7.2f}"
                     f"{i['r10']:>7.2f}{r['r_mean']:>7.2f}")
    for key in ("grounding", "spatial", "mirror"):
        if key in res:
            lines.append(f"{key}: " + ", ".join(f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}"
                                                for k, v in res[key].items()))
    phases = [k for k in ("caption", "render", "encode", "rank", "itm") if f"{k}_time_s" in res]
    if phases:
        lines.append("phases: " + ", ".join(f"{k}={res[f'{k}_time_s']:.1f}s" for k in phases))
    lines.append(f"n_images={res['n_images']} n_texts={res['n_texts']} time={res['time_s']:.1f}s "
                 f"peak_rss={res['peak_rss_mb']:.0f}MB")
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
    except (OSError, ValueError, KeyError) as e:   # bad paths, malformed data or checkpoint: one line, no trace
        print(f"geotext-eval: error: {e}", file=sys.stderr)
        return 2
    print(format_table(res))
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
