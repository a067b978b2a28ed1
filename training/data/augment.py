"""Training augmentation that keeps spatial language true: mild colour jitter and a mild scale crop.

No flips or rotations: they swap left/right or upper/lower and would make the captions lie. The crop is kept
only if every box keeps its image-position third and every box pair keeps its 3x3 relation
(geotext_ros.relations); otherwise the image is left uncropped. No hue shift: colour words must stay true.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from PIL import Image

from geotext_ros.relations import image_position_labels, relation_labels

BoxList = Sequence[Sequence[float] | None]


@dataclass(frozen=True)
class TrainAugment:
    brightness: float = 0.15
    contrast: float = 0.15
    saturation: float = 0.15
    scale: tuple[float, float] = (0.8, 1.0)  # kept area fraction of the crop
    p_crop: float = 0.5
    tries: int = 5
    min_box_keep: float = 0.6  # a box must keep this share of its area inside the crop

    def __call__(self, image: np.ndarray, boxes: BoxList, rng: np.random.Generator
                 ) -> tuple[np.ndarray, list[list[float] | None]]:
        """uint8 HxWx3 image and normalized cxcywh boxes (None kept) -> augmented image and boxes."""
        out_boxes = [None if b is None else [float(v) for v in b] for b in boxes]
        if rng.random() < self.p_crop:
            image, out_boxes = self._crop(image, out_boxes, rng)
        return self._jitter(image, rng), out_boxes

    def _jitter(self, image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        x = image.astype(np.float32)
        x *= rng.uniform(1 - self.brightness, 1 + self.brightness)
        mean = x.mean()
        x = (x - mean) * rng.uniform(1 - self.contrast, 1 + self.contrast) + mean
        gray = x.mean(axis=2, keepdims=True)
        x = gray + (x - gray) * rng.uniform(1 - self.saturation, 1 + self.saturation)
        return np.clip(x, 0, 255).astype(np.uint8)

    def _crop(self, image: np.ndarray, boxes: list, rng: np.random.Generator) -> tuple[np.ndarray, list]:
        h, w = image.shape[:2]
        for _ in range(self.tries):
            side = float(np.sqrt(rng.uniform(*self.scale)))
            x0, y0 = rng.uniform(0, 1 - side), rng.uniform(0, 1 - side)
            new = [None if b is None else crop_box(b, x0, y0, side) for b in boxes]
            if any(n is None and b is not None for n, b in zip(new, boxes)):
                continue
            if not _keeps_words(boxes, new) or not _keeps_area(boxes, new, side, self.min_box_keep):
                continue
            px = (int(round(x0 * w)), int(round(y0 * h)), int(round((x0 + side) * w)), int(round((y0 + side) * h)))
            cropped = Image.fromarray(image).crop(px).resize((w, h), Image.BILINEAR)
            return np.asarray(cropped), new
        return image, boxes


def crop_box(box: Sequence[float], x0: float, y0: float, side: float) -> list[float] | None:
    """A normalized cxcywh box in the square crop [x0, x0+side] x [y0, y0+side], clipped; None if outside."""
    cx, cy, bw, bh = box
    l, r = (cx - bw / 2 - x0) / side, (cx + bw / 2 - x0) / side
    t, b = (cy - bh / 2 - y0) / side, (cy + bh / 2 - y0) / side
    l, r, t, b = max(l, 0.0), min(r, 1.0), max(t, 0.0), min(b, 1.0)
    if r <= l or b <= t:
        return None
    return [(l + r) / 2, (t + b) / 2, r - l, b - t]


def _keeps_words(old: list, new: list) -> bool:
    pairs = [(o, n) for o, n in zip(old, new) if o is not None]
    if any(image_position_labels(o) != image_position_labels(n) for o, n in pairs):
        return False
    return all(relation_labels(a[0], b[0]) == relation_labels(a[1], b[1])
               for i, a in enumerate(pairs) for j, b in enumerate(pairs) if i != j)


def _keeps_area(old: list, new: list, side: float, keep: float) -> bool:
    for o, n in zip(old, new):
        if o is not None and o[2] * o[3] > 0 and (n[2] * n[3] * side * side) / (o[2] * o[3]) < keep:
            return False
    return True
