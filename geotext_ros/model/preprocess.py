"""Image transform shared by training, export and the drone: RGB uint8 -> normalized float32 CHW.

The resize filter is part of the transform (`interpolation`), recorded in checkpoints and engine manifests, so
training, export and the onboard node resize alike. Resizing is PIL's: the reference code (X-VLM, GeoText,
HCCM) resizes PIL images through torchvision, so PIL's bicubic is the reference's bicubic, and the committed
engines were trained on PIL's bilinear.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from PIL import Image

INTERPOLATIONS = {"bilinear": Image.BILINEAR, "bicubic": Image.BICUBIC}
# Transforms recorded before the field existed (older checkpoints and manifests) were resized bilinearly.
UNRECORDED_INTERPOLATION = "bilinear"


class ImageTransform:
    """`transform(rgb)` -> np.float32 [3, S, S]: resize to S x S with `interpolation` (no crop, no flip), scale
    to [0, 1], subtract mean and divide by std per channel. Accepts uint8 HxWx3 numpy arrays or PIL images."""

    def __init__(self, size: int, mean: Sequence[float], std: Sequence[float], *, interpolation: str) -> None:
        if len(mean) != 3 or len(std) != 3 or min(std) <= 0:
            raise ValueError(f"mean/std need 3 values each and std > 0, got mean={mean} std={std}")
        if interpolation not in INTERPOLATIONS:
            raise ValueError(f"image interpolation {interpolation!r} is not one of {sorted(INTERPOLATIONS)}")
        self.size = int(size)
        self.mean = np.asarray(mean, dtype=np.float32).reshape(3, 1, 1)
        self.std = np.asarray(std, dtype=np.float32).reshape(3, 1, 1)
        self.interpolation = interpolation

    def __call__(self, image: np.ndarray | Image.Image) -> np.ndarray:
        arr = np.asarray(self.resize(self._to_pil(image)), dtype=np.float32).transpose(2, 0, 1) / 255.0
        return np.ascontiguousarray((arr - self.mean) / self.std, dtype=np.float32)

    def resize(self, image: Image.Image) -> Image.Image:
        """The RGB PIL image at S x S with this transform's filter (unchanged when already S x S): the one resize
        that training's image cache and the transform itself both use."""
        if image.size == (self.size, self.size):
            return image
        return image.resize((self.size, self.size), INTERPOLATIONS[self.interpolation])

    def batch(self, images: Sequence[np.ndarray | Image.Image]) -> np.ndarray:
        """np.float32 [B, 3, S, S]."""
        return np.stack([self(im) for im in images]) if images else np.zeros((0, 3, self.size, self.size),
                                                                             np.float32)

    @staticmethod
    def _to_pil(image: np.ndarray | Image.Image) -> Image.Image:
        if isinstance(image, Image.Image):
            return image.convert("RGB")
        arr = np.asarray(image)
        if arr.ndim != 3 or arr.shape[2] != 3 or arr.dtype != np.uint8:
            raise ValueError(f"expected an RGB uint8 array of shape HxWx3, got dtype {arr.dtype} shape "
                             f"{arr.shape}; convert grayscale/BGR images to RGB first")
        return Image.fromarray(arr, "RGB")

    def to_dict(self) -> dict[str, Any]:
        return {"size": self.size, "mean": self.mean.ravel().tolist(), "std": self.std.ravel().tolist(),
                "interpolation": self.interpolation}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ImageTransform":
        return cls(data["size"], data["mean"], data["std"],
                   interpolation=data.get("interpolation", UNRECORDED_INTERPOLATION))
