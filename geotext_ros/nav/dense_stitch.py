"""Finer dense maps from a ViT without retraining: shift-and-stitch.

A patch-P ViT gives one dense score per P x P patch (the tiny model: 8x8 cells over the image, 11 m a cell at 45 m
altitude). Encoding the image f*f times, each shifted by a fraction of a patch, and interleaving the f*f maps gives
a (f*G) x (f*G) map whose cells are exactly a regular grid of P/f-pixel cells: view (ky, kx) is shifted so that
its patch j is centred on pixel P * (j + (k + 0.5) / f), the centre of cell f*j + k of the fine grid. The model
sees each object at its trained scale (unlike zooming into tiles); edge pixels are replicated into the border
the shift opens.

    views = shifted_views(pixels, patch=16, factor=2)      # [4, 3, S, S]
    fine = stitch_maps(dense_of_each_view, factor=2)       # [G, G] x 4 -> [2G, 2G]
"""
from __future__ import annotations

import numpy as np


def view_shifts(patch: int, factor: int) -> list[int]:
    """Pixel offsets d_k (content moves by -d_k) so that view k's patch centres fall on fine-grid cell k."""
    if factor < 1:
        raise ValueError(f"dense upsampling factor must be >= 1, got {factor}")
    if patch % (2 * factor):
        raise ValueError(f"patch size {patch} is not divisible by 2 x factor {factor}: the shifted views would "
                         f"not fall on whole pixels; use a factor that divides {patch // 2}")
    return [patch * (2 * k + 1) // (2 * factor) - patch // 2 for k in range(factor)]


def shifted_views(pixels: np.ndarray, patch: int, factor: int) -> np.ndarray:
    """[3, S, S] (or [1, 3, S, S]) model input -> [factor**2, 3, S, S], view index = ky * factor + kx."""
    img = np.asarray(pixels, dtype=np.float32)
    if img.ndim == 4:
        img = img[0]
    if img.ndim != 3:
        raise ValueError(f"pixels must be [3, S, S], got shape {np.asarray(pixels).shape}")
    shifts = view_shifts(patch, factor)
    return np.stack([_shift(img, dy, dx) for dy in shifts for dx in shifts])


def stitch_maps(maps: np.ndarray, factor: int) -> np.ndarray:
    """[factor**2, G, G] maps of shifted_views' views -> one [factor*G, factor*G] map."""
    maps = np.asarray(maps)
    if maps.ndim != 3 or maps.shape[0] != factor * factor:
        raise ValueError(f"need {factor * factor} maps [G, G] for factor {factor}, got shape {maps.shape}")
    g_rows, g_cols = maps.shape[1:]
    out = np.empty((g_rows * factor, g_cols * factor), dtype=maps.dtype)
    for ky in range(factor):
        for kx in range(factor):
            out[ky::factor, kx::factor] = maps[ky * factor + kx]
    return out


def _shift(img: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """out[:, y, x] = img[:, y + dy, x + dx], edges replicated where that falls outside."""
    size_y, size_x = img.shape[1:]
    ys = np.clip(np.arange(size_y) + dy, 0, size_y - 1)
    xs = np.clip(np.arange(size_x) + dx, 0, size_x - 1)
    return img[:, ys][:, :, xs]
