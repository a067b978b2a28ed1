"""RandAugment-style photometric augmentation of the X-VLM / GeoText recipes, without the geometric operations.

Each image draws `n_ops` operations (with replacement) from OPS; each is applied with probability `p_apply`, at
magnitude `magnitude` of 10. Brightness and sharpness use the enhance factor magnitude / 10 * 1.8 + 0.1 (1.36 at
the recipes' magnitude 7), as the ALBEF / X-VLM RandomAugment does. No flips, rotations, shears or translations:
they would move boxes or swap left and right, and the captions would lie.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image, ImageEnhance, ImageOps

OPS = ("identity", "autocontrast", "equalize", "brightness", "sharpness")


# PIL's own operations: the ALBEF / X-VLM numpy versions are written to give "the same output as PIL".
def autocontrast(rgb: np.ndarray) -> np.ndarray:
    """Stretch each channel's [min, max] to [0, 255]; a flat channel is left as it is."""
    return np.asarray(ImageOps.autocontrast(Image.fromarray(rgb)))


def equalize(rgb: np.ndarray) -> np.ndarray:
    """Histogram equalization of each channel."""
    return np.asarray(ImageOps.equalize(Image.fromarray(rgb)))


def brightness(rgb: np.ndarray, factor: float) -> np.ndarray:
    """A blend with black: every value times factor, clipped."""
    return np.asarray(ImageEnhance.Brightness(Image.fromarray(rgb)).enhance(factor))


def sharpness(rgb: np.ndarray, factor: float) -> np.ndarray:
    """A blend with PIL's SMOOTH-filtered image: factor 1 = unchanged, > 1 sharper."""
    return np.asarray(ImageEnhance.Sharpness(Image.fromarray(rgb)).enhance(factor))


@dataclass(frozen=True)
class PhotometricAugment:
    n_ops: int = 2
    magnitude: int = 7          # of 10
    p_apply: float = 0.5

    @property
    def factor(self) -> float:
        return self.magnitude / 10.0 * 1.8 + 0.1

    def apply(self, rgb: np.ndarray, op: str) -> np.ndarray:
        if op == "identity":
            return rgb
        if op == "autocontrast":
            return autocontrast(rgb)
        if op == "equalize":
            return equalize(rgb)
        if op == "brightness":
            return brightness(rgb, self.factor)
        if op == "sharpness":
            return sharpness(rgb, self.factor)
        raise ValueError(f"unknown photometric op {op!r}; known: {OPS}")

    def __call__(self, rgb: np.ndarray, rng: Any = np.random) -> np.ndarray:
        """uint8 [H, W, 3] -> uint8 [H, W, 3]. rng: a numpy Generator, or the global np.random (the default:
        its state is in every training checkpoint, so a resumed run draws the same operations)."""
        for i in rng.choice(len(OPS), self.n_ops):
            if rng.random() < self.p_apply:
                rgb = self.apply(rgb, OPS[int(i)])
        return rgb


AUGMENTS = {"none": None, "photometric": PhotometricAugment()}
