"""Collate: GeoText-1652 train samples -> the tensor batch the training objective consumes.

A sample is a dict: `pixels` (float32 [3,S,S] after the model transform, numpy or tensor), `caption` (str),
`id` (int: same id = positive pair, e.g. the image index), and the optional record keys `sentences`,
`bboxes` (region sentences with normalized cxcywh boxes, null where missing) and `objects` (synthetic extras:
[{"kind", "phrase", "bbox"}]). Random subsetting uses the torch RNG so resumed runs draw the same.
"""
from __future__ import annotations

from typing import Any, Callable, Optional, Sequence

import numpy as np
import torch

from training.dense_negatives import hard_negative
from training.dense_wording import reword

MAX_PAIR_BOXES = 6      # per image: at most 6*5 = 30 ordered pairs for the spatial term
MAX_DENSE_PHRASES = 3   # per image: dense queries cost one text encoding each


def _valid_box(box: Any) -> bool:
    return box is not None and len(box) == 4 and all(v is not None for v in box) and box[2] > 0 and box[3] > 0


def region_items(sample: dict) -> list[tuple[str, list[float]]]:
    """(sentence, box) pairs of a sample where both are present."""
    sentences, boxes = sample.get("sentences") or [], sample.get("bboxes") or []
    return [(s, [float(v) for v in b]) for s, b in zip(sentences, boxes)
            if isinstance(s, str) and s.strip() and _valid_box(b)]


def _pick(items: list, limit: int) -> list:
    if len(items) <= limit:
        return items
    keep = torch.randperm(len(items))[:limit].sort().values.tolist()
    return [items[i] for i in keep]


def distinct_boxes(sample: dict) -> list[list[float]]:
    """Region boxes and object boxes of a sample, duplicates removed, at most MAX_PAIR_BOXES."""
    seen, out = set(), []
    boxes = [b for _, b in region_items(sample)]
    boxes += [list(map(float, o["bbox"])) for o in sample.get("objects") or [] if _valid_box(o.get("bbox"))]
    for b in boxes:
        key = tuple(round(v, 4) for v in b)
        if key not in seen:
            seen.add(key)
            out.append(b)
    return _pick(out, MAX_PAIR_BOXES)


def phrase_groups(objects: Sequence[dict]) -> tuple[dict[str, list[list[float]]], dict[str, dict]]:
    """{phrase: boxes of ALL objects with that phrase} over synthetic `objects` with a box, and {phrase: its first
    object} (the kind and colour that rewording reads)."""
    groups: dict[str, list[list[float]]] = {}
    first: dict[str, dict] = {}
    for o in objects:
        phrase = o.get("phrase") or o.get("kind")
        if isinstance(phrase, str) and phrase.strip() and _valid_box(o.get("bbox")):
            groups.setdefault(phrase, []).append([float(v) for v in o["bbox"]])
            first.setdefault(phrase, o)
    return groups, first


def dense_queries(sample: dict, paraphrase: float = 0.0, negatives: float = 0.0
                  ) -> list[tuple[str, list[list[float]]]]:
    """(short phrase, boxes of ALL objects with that phrase) for an image's objects, at most a few; with
    probability `paraphrase` a phrase is said in other training words (training/dense_wording.py); with
    probability `negatives` one more phrase that names nothing in the image, with no boxes
    (training/dense_negatives.py)."""
    groups, first = phrase_groups(sample.get("objects") or [])
    picked = _pick(sorted(groups.items()), MAX_DENSE_PHRASES)
    if paraphrase <= 0 and negatives <= 0:
        return picked
    # drawn from the torch RNG, like _pick, so a resumed run draws the same
    rng = np.random.default_rng(int(torch.randint(2**31 - 1, (1,))))
    if paraphrase > 0:
        picked = [((rng.random() < paraphrase and reword(first[p], rng)) or p, boxes) for p, boxes in picked]
    negative = hard_negative(sample.get("objects") or [], rng) if rng.random() < negatives else None
    return picked + ([(negative, [])] if negative else [])


def _texts(tokenizer: Callable, texts: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
    ids, mask = tokenizer(list(texts))
    return torch.as_tensor(ids, dtype=torch.long), torch.as_tensor(mask, dtype=torch.long)


def collate(samples: Sequence[dict], tokenizer: Callable, need_dense: bool = True,
            dense_paraphrase: float = 0.0, dense_negatives: float = 0.0) -> dict[str, torch.Tensor]:
    """Build the objective's batch (see training/losses/objective.py for the keys); dense_paraphrase: the
    probability that a dense query is reworded, dense_negatives: that an image gets a hard-negative query
    (dense_queries)."""
    if not samples:
        raise ValueError("collate got an empty batch")
    batch: dict[str, Optional[torch.Tensor]] = {
        "images": torch.stack([torch.as_tensor(np.asarray(s["pixels"]), dtype=torch.float32) for s in samples]),
        "ids": torch.tensor([int(s["id"]) for s in samples], dtype=torch.long),
    }
    batch["text_ids"], batch["text_mask"] = _texts(tokenizer, [s["caption"] for s in samples])
    regions = [(i, s, b) for i, smp in enumerate(samples) for s, b in region_items(smp)]
    if regions:
        batch["region_ids"], batch["region_mask"] = _texts(tokenizer, [s for _, s, _ in regions])
        batch["region_boxes"] = torch.tensor([b for _, _, b in regions], dtype=torch.float32)
        batch["region_index"] = torch.tensor([i for i, _, _ in regions], dtype=torch.long)
    pairs = [(i, b) for i, smp in enumerate(samples) for b in distinct_boxes(smp)]
    if pairs:
        batch["pair_boxes"] = torch.tensor([b for _, b in pairs], dtype=torch.float32)
        batch["pair_index"] = torch.tensor([i for i, _ in pairs], dtype=torch.long)
    if need_dense:
        batch.update(_dense(samples, tokenizer, dense_paraphrase, dense_negatives))
    return {k: v for k, v in batch.items() if v is not None}


def _dense(samples: Sequence[dict], tokenizer: Callable, paraphrase: float = 0.0,
           negatives: float = 0.0) -> dict[str, torch.Tensor]:
    queries = [(i, p, bs) for i, smp in enumerate(samples) for p, bs in dense_queries(smp, paraphrase, negatives)]
    if not queries:
        return {}
    width = max(1, max(len(bs) for _, _, bs in queries))   # a batch of hard negatives alone has no boxes
    boxes = torch.zeros(len(queries), width, 4)
    mask = torch.zeros(len(queries), width, dtype=torch.long)
    for q, (_, _, bs) in enumerate(queries):
        if bs:
            boxes[q, : len(bs)] = torch.tensor(bs)
            mask[q, : len(bs)] = 1
    ids, tmask = _texts(tokenizer, [p for _, p, _ in queries])
    return {"dense_text_ids": ids, "dense_text_mask": tmask, "dense_boxes": boxes, "dense_box_mask": mask,
            "dense_index": torch.tensor([i for i, _, _ in queries], dtype=torch.long)}


def to_device(batch: dict[str, torch.Tensor], device: torch.device) -> dict[str, torch.Tensor]:
    return {k: v.to(device, non_blocking=True) for k, v in batch.items()}
