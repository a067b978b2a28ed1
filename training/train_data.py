"""Training samples from GeoText-1652 train records: images decoded once (optionally cached in memory as one
uint8 tensor, already resized to the model's input size), captions cleaned to 30 words, one int id per image
(captions of the same image are positives of each other), and a resumable, seeded, shard-aware order."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np
import torch
from PIL import Image
from torch.utils.data.distributed import DistributedSampler

from geotext_ros.model.preprocess import ImageTransform
from geotext_ros.model.text import MAX_WORDS_TRAIN, clean_caption


def read_records(data_dir: str | Path, split: str = "train.json") -> list[dict[str, Any]]:
    """The records of one GeoText-1652 JSON file under data_dir (a list of dicts)."""
    path = Path(data_dir) / split
    try:
        with open(path, encoding="utf-8") as f:
            records = json.load(f)
    except FileNotFoundError as e:
        raise FileNotFoundError(f"{path} not found: --data must be a GeoText-1652 folder with {split} and "
                                "images/ (make one with `geotext-data`)") from e
    if not isinstance(records, list) or not records:
        raise ValueError(f"{path} must hold a non-empty JSON list of records, got {type(records).__name__}")
    return records


def image_path(data_dir: str | Path, record: dict) -> Path:
    """GeoText-1652 layout: record["image"] is relative to <data>/images."""
    return Path(data_dir) / "images" / record["image"]


def load_resized(path: Path, size: int) -> np.ndarray:
    """uint8 [S, S, 3], resized exactly as ImageTransform does (bilinear), so the cache changes nothing."""
    try:
        with Image.open(path) as im:
            pil = im.convert("RGB")
    except FileNotFoundError as e:
        raise FileNotFoundError(f"image {path} listed in the split file is missing") from e
    if pil.size != (size, size):
        pil = pil.resize((size, size), Image.BILINEAR)
    return np.asarray(pil, dtype=np.uint8)


class TrainSamples(torch.utils.data.Dataset):
    """Item i = one caption record -> {"pixels", "caption", "id", "sentences", "bboxes", "objects"}."""

    def __init__(self, data_dir: str | Path, records: Sequence[dict], transform: ImageTransform,
                 cache_images: bool = True) -> None:
        self.data_dir, self.records, self.transform = Path(data_dir), list(records), transform
        keys = sorted({r["image_id"] for r in self.records})
        self.image_index = {k: i for i, k in enumerate(keys)}
        self.paths = {self.image_index[r["image_id"]]: image_path(data_dir, r) for r in self.records}
        self.cache: Optional[torch.Tensor] = None
        if cache_images:
            self.cache = torch.stack([torch.from_numpy(load_resized(self.paths[i], transform.size))
                                      for i in range(len(keys))])

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, i: int) -> dict[str, Any]:
        r = self.records[i]
        img_id = self.image_index[r["image_id"]]
        rgb = self.cache[img_id].numpy() if self.cache is not None else load_resized(self.paths[img_id],
                                                                                   self.transform.size)
        return {"pixels": self.transform(rgb), "caption": clean_caption(r["caption"], MAX_WORDS_TRAIN),
                "id": img_id, "sentences": r.get("sentences"), "bboxes": r.get("bboxes"),
                "objects": r.get("objects")}


def caption_corpus(records: Sequence[dict]) -> list[str]:
    """Every caption and region sentence (the tokenizer's vocabulary source)."""
    out = []
    for r in records:
        out.append(r["caption"])
        out.extend(s for s in r.get("sentences") or [] if isinstance(s, str))
        out.extend(o["phrase"] for o in r.get("objects") or [] if isinstance(o.get("phrase"), str))
    return out


def epoch_order(n: int, epoch: int, seed: int, rank: int = 0, world: int = 1) -> list[int]:
    """This rank's sample order for an epoch: DistributedSampler's seeded shuffle (world 1 = everything)."""
    sampler = DistributedSampler(range(n), num_replicas=world, rank=rank, shuffle=True, seed=seed)
    sampler.set_epoch(epoch)
    return list(iter(sampler))


def micro_batch(n: int, batch_size: int, position: int, seed: int, rank: int = 0, world: int = 1
                ) -> tuple[list[int], int]:
    """Indices of the `position`-th micro-batch of the run (epochs concatenated, last partial batch
    dropped), plus its epoch. Pure function of the position, so resuming needs only the counter."""
    per_rank = len(epoch_order(n, 0, seed, rank, world))
    per_epoch = max(per_rank // batch_size, 1)
    epoch, k = divmod(position, per_epoch)
    order = epoch_order(n, epoch, seed, rank, world)
    size = min(batch_size, len(order))
    return order[k * size:(k + 1) * size], epoch
