"""Image corruptions for the corruption benchmark (geotext-eval --corruptions).

Written apart from the train-time corruptions (training/data/train_corruptions.py): the same five families, other
kernels and strengths, so the benchmark does not measure the exact pixels training saw.

Five corruptions x three severities, as in the RoboSense 2025 GeoText track: gaussian blur, gaussian noise, JPEG,
brightness/contrast, fog. Pure numpy + PIL, deterministic for a given seed, applied to the uint8 RGB image
*before* the model's transform (so they hit the pixels a camera would deliver, at the image's own resolution).

    from training.data.benchmark_corruptions import CORRUPTIONS, SEVERITIES, corrupt
    out = corrupt(rgb, "fog", 2, seed=7)                 # uint8 HxWx3 -> uint8 HxWx3, same shape

Sizes that depend on the image (blur radius, fog blob size) are given relative to the shorter side, so a
severity means the same thing at any resolution. No corruption moves a pixel: boxes and relations stay true.
"""
from __future__ import annotations

import io
from typing import Callable

import numpy as np
from PIL import Image, ImageFilter

SEVERITIES = (1, 2, 3)
# per severity 1..3 (index 0..2); chosen so severity 3 is clearly degraded but the scene stays recognisable
_BLUR_SIGMA = (0.006, 0.012, 0.02)         # fraction of the shorter side (1.5, 3.1, 5.1 px at 256 px)
_NOISE_STD = (8.0, 18.0, 30.0)            # 8-bit units
_JPEG_QUALITY = (30, 15, 7)
_BRIGHT_CONTRAST = ((0.15, 0.75), (0.3, 0.55), (0.45, 0.4))   # (brightness shift as a fraction of 255, contrast)
_FOG_DENSITY = (0.3, 0.45, 0.6)           # mean opacity of the haze layer


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([int(seed) & 0xFFFFFFFF, 1652]))


def gaussian_blur(image: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    sigma = _BLUR_SIGMA[severity - 1] * min(image.shape[:2])
    return np.asarray(Image.fromarray(image).filter(ImageFilter.GaussianBlur(radius=sigma)))


def gaussian_noise(image: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    noisy = image.astype(np.float32) + rng.normal(0.0, _NOISE_STD[severity - 1], image.shape).astype(np.float32)
    return np.clip(np.rint(noisy), 0, 255).astype(np.uint8)


def jpeg(image: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="JPEG", quality=_JPEG_QUALITY[severity - 1])
    buf.seek(0)
    with Image.open(buf) as im:
        return np.asarray(im.convert("RGB"))


def brightness_contrast(image: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    """Contrast squeezed towards the mean, then the whole image shifted up or down (the sign drawn from rng:
    over-exposed and under-exposed frames are both real)."""
    shift, contrast = _BRIGHT_CONTRAST[severity - 1]
    x = image.astype(np.float32)
    mean = x.mean()
    x = (x - mean) * contrast + mean + (1.0 if rng.random() < 0.5 else -1.0) * shift * 255.0
    return np.clip(np.rint(x), 0, 255).astype(np.uint8)


def fog(image: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    """A smooth, uneven whitish haze: coarse random fields at two scales, upsampled bicubically, blended in."""
    h, w = image.shape[:2]
    field = np.zeros((h, w), np.float32)
    for cells, weight in ((3, 0.6), (7, 0.4)):
        coarse = rng.random((cells, cells)).astype(np.float32)
        field += weight * np.asarray(Image.fromarray(coarse, mode="F").resize((w, h), Image.BICUBIC))
    field = np.clip(field, 0.0, 1.0)
    alpha = np.clip(_FOG_DENSITY[severity - 1] * (0.6 + 0.8 * field), 0.0, 0.95)[..., None]
    x = image.astype(np.float32) * (1.0 - alpha) + 225.0 * alpha
    return np.clip(np.rint(x), 0, 255).astype(np.uint8)


CORRUPTIONS: dict[str, Callable[[np.ndarray, int, np.random.Generator], np.ndarray]] = {
    "gaussian_blur": gaussian_blur, "gaussian_noise": gaussian_noise, "jpeg": jpeg,
    "brightness_contrast": brightness_contrast, "fog": fog,
}


def corrupt(image: np.ndarray, name: str, severity: int, seed: int = 0) -> np.ndarray:
    """uint8 HxWx3 RGB -> the same image under corruption `name` at `severity` (1..3); the same (image, name,
    severity, seed) always gives the same output."""
    if name not in CORRUPTIONS:
        raise ValueError(f"unknown corruption {name!r}; choose one of {sorted(CORRUPTIONS)}")
    if severity not in SEVERITIES:
        raise ValueError(f"corruption severity must be one of {SEVERITIES}, got {severity!r}")
    image = np.asarray(image)
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"corrupt needs a uint8 HxWx3 RGB image, got dtype {image.dtype} shape {image.shape}")
    return CORRUPTIONS[name](np.ascontiguousarray(image), int(severity), _rng(seed))
