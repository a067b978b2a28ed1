"""geotext-dense-head: retrain a trained model's dense head on its frozen encoders' features.

In joint training the dense term is one of seven (weight 0.1 in the default preset, three phrases an image), and
the head that turns patch tokens and a phrase embedding into a score map stays undertrained. The patch tokens
know more than it shows: on the first frames of 60 episodes the committed model's "the green building" found
2 of 12 green roofs; the same head retrained alone on the same frozen features finds 8 of 12, the other colours
83-100 % as before (`python bench/roof_colours.py`), in minutes on a 2-core CPU (docs/results.md, "The
navigator").

Only `dense_proj`, `dense_logit_scale` and `dense_bias` change; every other weight is copied, so retrieval, ITM,
the box and relation heads and an engine's alias table stay what they were, and of the exported graphs only
dense.onnx differs.

    python -m training.dense_head --init runs/default/last.pt --data data/default --data data/more \\
        --out runs/dense_head/last.pt

Each image gives every object phrase of its synthetic `objects` (target: the patches inside any box of an
object with that phrase) and the same phrase in other training words (training/dense_wording.py). Patch tokens
are computed once and kept in memory as float16 (12,000 images of the tiny model: 300 MB), so an epoch costs
only the head.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np
import torch

from training.dense_negatives import hard_negative
from training.dense_wording import reword
from training.collate import phrase_groups
from training.losses.dense import DenseLoss
from training.train_data import load_resized, read_train_records

log = logging.getLogger("geotext-dense-head")
HEAD_PARAMS = ("dense_proj.weight", "dense_proj.bias", "dense_logit_scale", "dense_bias")


@dataclass
class Queries:
    """One row per (image, phrase): its image's row in the features, its phrase's row in the embeddings, and the
    boxes of the objects it names (the dense loss's target, as in joint training)."""

    image: torch.Tensor      # [Q] long
    phrase: torch.Tensor     # [Q] long
    boxes: torch.Tensor      # [Q, M, 4] normalized cxcywh
    mask: torch.Tensor       # [Q, M] 1 = a box

    def __len__(self) -> int:
        return len(self.image)


def parse_args(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="geotext-dense-head", description=__doc__.split("\n\n")[0])
    p.add_argument("--init", required=True, help="trained geotext checkpoint (geotext-train's last.pt)")
    p.add_argument("--data", required=True, action="append",
                   help="synthetic GeoText-1652 folder with object boxes (geotext-data synth); repeat for more")
    p.add_argument("--out", required=True, type=Path, help="checkpoint to write (metrics and a plot beside it)")
    p.add_argument("--images", type=int, default=12000, help="at most this many images (a seeded random subset)")
    p.add_argument("--epochs", type=int, default=8)
    p.add_argument("--lr", type=float, default=1e-3, help="peak of the one-cycle schedule")
    p.add_argument("--batch-size", type=int, default=256, help="(image, phrase) queries per step")
    p.add_argument("--val-fraction", type=float, default=0.05, help="images held out to report the loss on")
    p.add_argument("--no-reword", action="store_true", help="only the canonical object phrases")
    p.add_argument("--negatives", type=float, default=0.0,
                   help="probability that an image also gets a hard-negative phrase with an empty target")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-plot", action="store_true")
    args = p.parse_args(argv)
    for name in ("images", "epochs", "batch_size"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    if not 0.0 <= args.val_fraction < 0.5:
        p.error(f"--val-fraction must be in [0, 0.5), got {args.val_fraction}")
    return args


def images_with_objects(data_dirs: Sequence[str], limit: int, seed: int) -> list[tuple[Path, list[dict]]]:
    """(image path, objects) of distinct images that have object boxes, a seeded subset of at most `limit`."""
    seen: dict[Path, list[dict]] = {}
    for d in data_dirs:
        for r in read_train_records(d):
            objects = r.extras.get("objects") or []
            if phrase_groups(objects)[0]:
                seen.setdefault(Path(r.image_path), objects)
    if not seen:
        raise ValueError(f"no record in {', '.join(data_dirs)} has object boxes (`objects`): the dense head "
                         "trains on synthetic data (make it with `geotext-data synth`)")
    items = sorted(seen.items())
    keep = np.random.default_rng(seed).permutation(len(items))[:limit]
    return [items[i] for i in sorted(keep)]


def image_queries(objects: Sequence[dict], rng: np.random.Generator, rewording: bool, negatives: float = 0.0
                  ) -> list[tuple[str, list[list[float]]]]:
    """(phrase, boxes) per object phrase, plus each phrase once in other training words when rewording, plus
    with probability `negatives` a phrase naming nothing in the image (training/dense_negatives.py), no boxes."""
    groups, first = phrase_groups(objects)
    out = list(groups.items())
    if rewording:
        out += [(w, boxes) for p, boxes in groups.items() if (w := reword(first[p], rng)) and w != p]
    if negatives > 0 and rng.random() < negatives and (neg := hard_negative(objects, rng)):
        out.append((neg, []))
    return out


@torch.no_grad()
def encode_images(model: Any, transform: Any, paths: Sequence[Path], batch: int = 64) -> torch.Tensor:
    """Frozen image tokens [N, 1+G*G, D] as float16, with a progress bar."""
    from tqdm import tqdm

    out = []
    for i in tqdm(range(0, len(paths), batch), desc="features", unit="batch"):
        px = np.stack([np.asarray(transform(load_resized(p, transform)), dtype=np.float32)
                       for p in paths[i:i + batch]])
        out.append(model.encode_image(torch.from_numpy(px))[0].half())
    return torch.cat(out)


@torch.no_grad()
def embed_phrases(model: Any, tokenizer: Any, phrases: Sequence[str], batch: int = 256) -> torch.Tensor:
    """Frozen phrase embeddings [P, E] (the text side of the dense map)."""
    out = []
    for i in range(0, len(phrases), batch):
        ids, mask = tokenizer(list(phrases[i:i + batch]))
        out.append(model.encode_text(torch.as_tensor(ids), torch.as_tensor(mask))[1])
    return torch.cat(out)


def build_queries(per_image: Sequence[list[tuple[str, list[list[float]]]]]) -> tuple[Queries, list[str]]:
    """Stack every image's (phrase, boxes) into Queries; also the phrase list the `phrase` column indexes."""
    flat = [(i, p, b) for i, qs in enumerate(per_image) for p, b in qs]
    phrases = sorted({p for _, p, _ in flat})
    index = {p: k for k, p in enumerate(phrases)}
    width = max(len(b) for _, _, b in flat)
    boxes, mask = torch.zeros(len(flat), width, 4), torch.zeros(len(flat), width)
    for k, (_, _, b) in enumerate(flat):
        if b:   # a hard negative has none: its target map is empty
            boxes[k, :len(b)], mask[k, :len(b)] = torch.tensor(b), 1.0
    return Queries(torch.tensor([i for i, _, _ in flat]), torch.tensor([index[p] for _, p, _ in flat]),
                   boxes, mask), phrases


def batch_loss(model: Any, loss: DenseLoss, feats: torch.Tensor, text: torch.Tensor, q: Queries,
               rows: torch.Tensor) -> torch.Tensor:
    logits = model.dense_map(feats[q.image[rows]].float(), text[q.phrase[rows]])
    return loss(logits, q.boxes[rows], q.mask[rows])["dense"]


@torch.no_grad()
def mean_loss(model: Any, loss: DenseLoss, feats: torch.Tensor, text: torch.Tensor, q: Queries,
              rows: torch.Tensor, batch: int) -> float:
    """Mean dense loss over the query rows (NaN when there are none)."""
    if len(rows) == 0:
        return float("nan")
    total = sum(float(batch_loss(model, loss, feats, text, q, rows[s:s + batch])) * len(rows[s:s + batch])
                for s in range(0, len(rows), batch))
    return total / len(rows)


def freeze_all_but_head(model: torch.nn.Module) -> list[torch.nn.Parameter]:
    """requires_grad only for the dense head; its parameters (an error when the model has none)."""
    params = dict(model.named_parameters())
    missing = [n for n in HEAD_PARAMS if n not in params]
    if missing:
        raise ValueError(f"the model has no dense head ({', '.join(missing)} missing): its config has "
                         "dense_head false; train one with dense_head true")
    for name, p in params.items():
        p.requires_grad_(name in HEAD_PARAMS)
    return [params[n] for n in HEAD_PARAMS]


def train_head(model: Any, params: list[torch.nn.Parameter], feats: torch.Tensor, text: torch.Tensor, q: Queries,
               train_rows: torch.Tensor, val_rows: torch.Tensor, args: argparse.Namespace) -> list[dict[str, float]]:
    """One-cycle AdamW on `params` (the head, freeze_all_but_head); per-epoch metrics (epoch 0 = before training)."""
    from tqdm import tqdm

    loss = DenseLoss()
    per_epoch = max(len(train_rows) // args.batch_size, 1)
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, args.lr, total_steps=args.epochs * per_epoch)
    rows = [{"step": 0, "dense": mean_loss(model, loss, feats, text, q, train_rows, 1024),
             "val_dense": mean_loss(model, loss, feats, text, q, val_rows, 1024)}]
    gen = torch.Generator().manual_seed(args.seed)
    bar = tqdm(total=args.epochs * per_epoch, desc="dense head", unit="step")
    for epoch in range(1, args.epochs + 1):
        order, total = train_rows[torch.randperm(len(train_rows), generator=gen)], 0.0
        for s in range(per_epoch):
            value = batch_loss(model, loss, feats, text, q, order[s * args.batch_size:(s + 1) * args.batch_size])
            opt.zero_grad()
            value.backward()
            opt.step()
            sched.step()
            total += value.item()
            bar.update(1)
            bar.set_postfix(loss=f"{value.item():.4f}")
        rows.append({"step": epoch, "dense": total / per_epoch,
                     "val_dense": mean_loss(model, loss, feats, text, q, val_rows, 1024)})
    bar.close()
    return rows


def split_rows(q: Queries, n_images: int, val_fraction: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Query rows of the training images and of the held-out images (whole images, so no image is in both)."""
    n_val = int(round(n_images * val_fraction))
    held = torch.zeros(n_images, dtype=torch.bool)
    held[torch.randperm(n_images, generator=torch.Generator().manual_seed(seed))[:n_val]] = True
    is_val = held[q.image]
    return torch.nonzero(~is_val).flatten(), torch.nonzero(is_val).flatten()


def run(args: argparse.Namespace) -> dict[str, Any]:
    from geotext_ros.model.factory import load_checkpoint, save_checkpoint

    torch.manual_seed(args.seed)
    loaded = load_checkpoint(args.init)
    model = loaded.model
    params = freeze_all_but_head(model)   # first: a model without a dense head fails before the slow part
    images = images_with_objects(args.data, args.images, args.seed)
    rng = np.random.default_rng(args.seed)
    q, phrases = build_queries([image_queries(objs, rng, not args.no_reword, args.negatives) for _, objs in images])
    log.info("%d images, %d queries, %d distinct phrases", len(images), len(q), len(phrases))
    feats = encode_images(model, loaded.transform, [p for p, _ in images])
    text = embed_phrases(model, loaded.tokenizer, phrases)
    train_rows, val_rows = split_rows(q, len(images), args.val_fraction, args.seed)
    metrics = train_head(model, params, feats, text, q, train_rows, val_rows, args)
    summary = {"init": str(args.init), "data": list(args.data), "images": len(images), "queries": len(q),
               "epochs": args.epochs, "lr": args.lr, "batch_size": args.batch_size, "reword": not args.no_reword,
               "negatives": args.negatives, "seed": args.seed, "val_dense_before": metrics[0]["val_dense"],
               "val_dense_after": metrics[-1]["val_dense"]}
    meta = loaded.meta
    save_checkpoint(args.out, model, loaded.tokenizer, loaded.transform, loaded.config,
                    train_config={**(meta.get("train_config") or {}), "dense_head": summary},
                    step=int(meta.get("step") or 0), extra=meta.get("extra"))
    write_metrics(args.out, metrics, plot=not args.no_plot)
    return summary


def write_metrics(out: Path, rows: list[dict[str, float]], plot: bool) -> None:
    """dense_head_metrics.jsonl (and its PNG) beside the checkpoint; "step" is the epoch."""
    path = Path(out).with_name("dense_head_metrics.jsonl")
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    if plot:
        from training.plots import plot_loss_curve

        plot_loss_curve(path, path.with_suffix(".png"), xlabel="epoch")


def main(argv: Optional[Sequence[str]] = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    args = parse_args(argv)
    try:
        summary = run(args)
    except (OSError, ValueError, KeyError) as e:   # bad checkpoint, data folder or model: one line
        print(f"geotext-dense-head: error: {e}", file=sys.stderr)
        return 2
    print(f"geotext-dense-head: held-out dense loss {summary['val_dense_before']:.4f} -> "
          f"{summary['val_dense_after']:.4f}; checkpoint {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
