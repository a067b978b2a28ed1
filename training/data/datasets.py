"""Torch datasets over GeoText-1652 records for training and evaluation.

`transform` is any callable rgb uint8 [H, W, 3] -> np.float32 [3, S, S] (geotext_ros.model.preprocess provides
one). Building indices come from training.data.geotext1652.building_index (image_id[:4] of each record).
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset

from training.data.augment import TrainAugment
from training.data.geotext1652 import TestRecord, TrainRecord, building_index

Transform = Callable[[np.ndarray], np.ndarray]


def load_rgb(path: str | Path) -> np.ndarray:
    """uint8 [H, W, 3] RGB image."""
    try:
        with Image.open(path) as im:
            return np.asarray(im.convert("RGB"))
    except OSError as e:
        raise OSError(f"cannot read image {path}: {e}; regenerate or re-download it") from e


def _to_tensor(transform: Transform, rgb: np.ndarray, path: Path) -> torch.Tensor:
    x = transform(rgb)
    if not isinstance(x, np.ndarray) or x.ndim != 3 or x.shape[0] != 3:
        raise ValueError(f"transform returned {type(x).__name__} {getattr(x, 'shape', '')} for {path}; "
                         "it must return np.float32 [3, S, S]")
    return torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))


class TrainDataset(Dataset):
    """Items: image [3,S,S], caption, sentences/bboxes ([main, left, right], None where absent), regions
    (slot, sentence, box) for slots that have both, building index, record index."""

    def __init__(self, records: Sequence[TrainRecord], transform: Transform, augment: TrainAugment | None = None,
                 buildings: dict[str, int] | None = None, seed: int | None = None):
        self.records = list(records)
        self.transform = transform
        self.augment = augment
        self.buildings = buildings if buildings is not None else building_index(self.records)
        self.seed = seed

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, i: int) -> dict:
        rec = self.records[i]
        rgb = load_rgb(rec.image_path)
        boxes = list(rec.bboxes) if rec.bboxes is not None else []
        if self.augment is not None:
            rng = np.random.default_rng(None if self.seed is None else [self.seed, i])
            rgb, boxes = self.augment(rgb, boxes, rng)
        sentences = list(rec.sentences) if rec.sentences is not None else [None] * len(boxes)
        regions = [(k, s, list(b)) for k, (s, b) in enumerate(zip(sentences, boxes)) if s and b is not None]
        return {"image": _to_tensor(self.transform, rgb, rec.image_path), "caption": rec.caption,
                "sentences": sentences, "bboxes": [None if b is None else list(b) for b in boxes],
                "regions": regions, "building": self.buildings[rec.building_id], "index": i}


def collate_train(batch: list[dict]) -> dict:
    """Stack images and building ids; keep text and region lists as Python lists."""
    return {"image": torch.stack([b["image"] for b in batch]),
            "building": torch.tensor([b["building"] for b in batch], dtype=torch.long),
            "index": torch.tensor([b["index"] for b in batch], dtype=torch.long),
            "caption": [b["caption"] for b in batch], "sentences": [b["sentences"] for b in batch],
            "bboxes": [b["bboxes"] for b in batch], "regions": [b["regions"] for b in batch]}


class TestImages(Dataset):
    __test__ = False  # not a pytest class despite the name
    """Evaluation images: items (image [3,S,S], image index); `labels` = building index per image."""

    def __init__(self, records: Sequence[TestRecord], transform: Transform, buildings: dict[str, int] | None = None):
        self.records = list(records)
        self.transform = transform
        self.buildings = buildings if buildings is not None else building_index(self.records)
        self.labels = [self.buildings[r.building_id] for r in self.records]

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        rec = self.records[i]
        return _to_tensor(self.transform, load_rgb(rec.image_path), rec.image_path), i


class TestTexts(Dataset):
    __test__ = False
    """Evaluation captions, flattened: items (text, text index). `txt2img[t]` is the image of text t,
    `img2txt[i]` the texts of image i, `labels[t]` the building index of text t."""

    def __init__(self, records: Sequence[TestRecord], buildings: dict[str, int] | None = None):
        self.buildings = buildings if buildings is not None else building_index(records)
        self.texts: list[str] = []
        self.txt2img: list[int] = []
        self.img2txt: list[list[int]] = []
        self.labels: list[int] = []
        for i, rec in enumerate(records):
            self.img2txt.append([])
            for caption in rec.captions:
                self.img2txt[i].append(len(self.texts))
                self.texts.append(caption)
                self.txt2img.append(i)
                self.labels.append(self.buildings[rec.building_id])

    def __len__(self) -> int:
        return len(self.texts)

    def __getitem__(self, t: int) -> tuple[str, int]:
        return self.texts[t], t
