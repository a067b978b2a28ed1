"""Training samples from GeoText-1652 train records (training.data reader): images decoded once (optionally cached
in memory as one uint8 tensor, already resized to the model's input size), one int id per image
(captions of the same image are positives of each other), and a resumable, seeded, shard-aware order."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Optional, Sequence

import numpy as np
import torch
from PIL import Image
from torch.utils.data.distributed import DistributedSampler

from geotext_ros.model.preprocess import ImageTransform
from geotext_ros.model.text import MAX_WORDS_TRAIN
from training.data.train_corruptions import TrainCorruptions
from training.data.geotext1652 import TrainRecord, load_train


def read_train_records(data_dir: str | Path, split: str = "train.json", max_words: int = MAX_WORDS_TRAIN
                       ) -> list[TrainRecord]:
    """Validated train records (captions cleaned to `max_words` words) via the GeoText-1652 reader."""
    records = load_train(Path(data_dir) / split, Path(data_dir) / "images", max_words=max_words)
    if not records:
        raise ValueError(f"{Path(data_dir) / split} holds no records; --data must be a GeoText-1652 folder "
                         "with train.json and images/ (make one with `geotext-data`)")
    return records


def load_resized(path: Path, transform: ImageTransform) -> np.ndarray:
    """uint8 [S, S, 3], resized by the transform's own resize (its filter), so the cache changes nothing."""
    try:
        with Image.open(path) as im:
            pil = im.convert("RGB")
    except FileNotFoundError as e:
        raise FileNotFoundError(f"image {path} listed in the split file is missing") from e
    return np.array(transform.resize(pil), dtype=np.uint8)  # a writable copy (torch.from_numpy warns otherwise)


class TrainSamples(torch.utils.data.Dataset):
    """Item i = one caption record -> {"pixels", "caption", "id", "sentences", "bboxes", "objects"}."""

    def __init__(self, records: Sequence[TrainRecord], transform: ImageTransform, cache_images: bool = True,
                 corruptions: Optional[TrainCorruptions] = None, seed: int = 0,
                 augment: Optional[Callable[[np.ndarray], np.ndarray]] = None) -> None:
        self.records, self.transform, self.augment = list(records), transform, augment
        # Corruption of record i is drawn from (seed, i): resumable and worker-independent; the captions of one
        # image are separate records, so an image still appears with several corruptions.
        self.corruptions, self.seed = corruptions, seed
        keys = sorted({r.image_id for r in self.records})
        self.image_index = {k: i for i, k in enumerate(keys)}
        self.paths = {self.image_index[r.image_id]: r.image_path for r in self.records}
        self.cache: Optional[torch.Tensor] = None
        if cache_images:
            self.cache = torch.stack([torch.from_numpy(load_resized(self.paths[i], transform))
                                      for i in range(len(keys))])

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, i: int) -> dict[str, Any]:
        r = self.records[i]
        img_id = self.image_index[r.image_id]
        rgb = self.cache[img_id].numpy() if self.cache is not None else load_resized(self.paths[img_id],
                                                                                   self.transform)
        if self.augment is not None:   # on the resized uint8 image, before normalization (as X-VLM)
            rgb = self.augment(rgb)
        if self.corruptions is not None and self.corruptions.p > 0:
            rgb = self.corruptions(rgb, np.random.default_rng([self.seed, i, 0xC0]))
        return {"pixels": self.transform(rgb), "caption": r.caption, "id": img_id,
                "sentences": list(r.sentences) if r.sentences else None,
                "bboxes": [list(b) if b else None for b in r.bboxes] if r.bboxes else None,
                "objects": r.extras.get("objects")}


def caption_corpus(records: Sequence[TrainRecord]) -> list[str]:
    """Every caption, region sentence and object phrase (the tokenizer's vocabulary source)."""
    out = []
    for r in records:
        out.append(r.caption)
        out.extend(s for s in r.sentences or () if isinstance(s, str))
        out.extend(o["phrase"] for o in r.extras.get("objects") or [] if isinstance(o.get("phrase"), str))
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
