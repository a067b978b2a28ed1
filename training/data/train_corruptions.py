"""Train-time image corruptions: blur, noise, JPEG, brightness/contrast and fog, at severities 1-3.

The corruption benchmark (geotext-eval --corruptions) uses training/data/benchmark_corruptions.py, written apart
(other kernels and strengths), so it does not measure the exact pixels training saw.

None of them moves pixels or shifts hue, so boxes, spatial words and colour names stay true.

    img = corrupt(img, "fog", severity=2, rng=np.random.default_rng(0))     # one named corruption
    aug = TrainCorruptions(p=0.5); img = aug(img, rng)                      # train time: random kind and severity
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Callable

import numpy as np
from PIL import Image, ImageFilter

# Per corruption, its parameter at severity 1, 2, 3.
SEVERITY = {
    "blur": (0.8, 1.5, 2.5),  # gaussian sigma, pixels at 256 px (scaled with the image side)
    "noise": (6.0, 12.0, 20.0),  # gaussian sigma, grey levels
    "jpeg": (40, 20, 10),  # JPEG quality
    "brightness_contrast": (0.1, 0.2, 0.3),  # |change| of brightness and contrast factors (more turns brown orange)
    "fog": (0.2, 0.35, 0.5),  # strength of the veil
}
CORRUPTIONS = tuple(SEVERITY)


def corrupt(image: np.ndarray, name: str, severity: int, rng: np.random.Generator) -> np.ndarray:
    """uint8 [H, W, 3] -> the same image with corruption `name` at `severity` (1, 2 or 3)."""
    if name not in SEVERITY:
        raise ValueError(f"unknown corruption {name!r}; use one of {CORRUPTIONS}")
    if severity not in (1, 2, 3):
        raise ValueError(f"severity={severity}; use 1, 2 or 3")
    return _FUNCS[name](np.ascontiguousarray(image, dtype=np.uint8), SEVERITY[name][severity - 1], rng)


def _blur(img: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    return np.asarray(Image.fromarray(img).filter(ImageFilter.GaussianBlur(sigma * img.shape[1] / 256.0)))


def _noise(img: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    return np.clip(img + rng.standard_normal(img.shape, dtype=np.float32) * sigma, 0, 255).astype(np.uint8)


def _jpeg(img: np.ndarray, quality: float, rng: np.random.Generator) -> np.ndarray:
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="JPEG", quality=int(quality))
    return np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))


def _brightness_contrast(img: np.ndarray, amount: float, rng: np.random.Generator) -> np.ndarray:
    """Brighter or darker and flatter or harsher, each by `amount` (sign drawn)."""
    b = 1 + amount * rng.choice([-1.0, 1.0])
    c = 1 + amount * rng.choice([-1.0, 1.0])
    x = img.astype(np.float32) * b
    return np.clip((x - x.mean()) * c + x.mean(), 0, 255).astype(np.uint8)


def _fog(img: np.ndarray, strength: float, rng: np.random.Generator) -> np.ndarray:
    """A patchy white-grey veil: smooth random field times `strength`."""
    h, w = img.shape[:2]
    field = np.asarray(Image.fromarray(rng.uniform(0.6, 1.0, size=(4, 4)).astype(np.float32)).resize((w, h),
                                                                                          Image.BICUBIC))
    a = np.clip(field * strength, 0, 1)[..., None]
    return np.clip(img * (1 - a) + 225.0 * a, 0, 255).astype(np.uint8)


_FUNCS: dict[str, Callable[[np.ndarray, float, np.random.Generator], np.ndarray]] = {
    "blur": _blur, "noise": _noise, "jpeg": _jpeg, "brightness_contrast": _brightness_contrast, "fog": _fog}


@dataclass(frozen=True)
class TrainCorruptions:
    """With probability `p` an image gets one corruption of `kinds` at a severity up to `max_severity`."""

    p: float = 0.0
    kinds: tuple[str, ...] = CORRUPTIONS
    max_severity: int = 2

    def __post_init__(self) -> None:
        if not 0.0 <= self.p <= 1.0:
            raise ValueError(f"corruption probability p={self.p}; use a value in [0, 1]")
        if self.max_severity not in (1, 2, 3):
            raise ValueError(f"max_severity={self.max_severity}; use 1, 2 or 3")
        bad = [k for k in self.kinds if k not in SEVERITY]
        if bad:
            raise ValueError(f"unknown corruptions {bad}; use names from {CORRUPTIONS}")

    def __call__(self, image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        if self.p <= 0 or not self.kinds or rng.random() >= self.p:
            return image
        name = self.kinds[int(rng.integers(len(self.kinds)))]
        return corrupt(image, name, int(rng.integers(1, self.max_severity + 1)), rng)
