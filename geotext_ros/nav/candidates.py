"""Candidate boxes from a dense phrase map, and the box arithmetic grounding needs (no model, pure numpy).

A dense map is a [G, G] array of per-patch probabilities that the phrase is shown there (row = image y,
column = image x). Each 4-connected component of cells above a threshold becomes one candidate box with the
component's extent; its score is the component's peak probability. With weighted_centre (the default) the box is
centred on the score-weighted centroid of the component's cells instead of the middle of their bounding cells:
a tiny model's grid is 8x8, one cell is 11 m on the ground at 45 m altitude, and the centroid recovers part of
what the grid quantizes away (bench/episodes.py: final position within 5 m of the target centre).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

BoxT = tuple[float, float, float, float]


@dataclass(frozen=True)
class Candidate:
    """One region of a dense map: normalized cxcywh box, peak probability, number of grid cells."""

    box: BoxT
    score: float
    cells: int


def dense_candidates(dense: np.ndarray, threshold: float, relative: float = 0.0,
                     max_candidates: int = 16, weighted_centre: bool = True) -> list[Candidate]:
    """Connected components (4-neighbour) of cells >= max(threshold, relative * peak), best score first."""
    grid = np.asarray(dense, dtype=np.float32)
    if grid.ndim != 2 or grid.shape[0] == 0 or grid.shape[1] == 0:
        raise ValueError(f"dense map must be [G, G], got shape {grid.shape}")
    grid = np.nan_to_num(grid, nan=0.0)
    mask = grid >= region_cut(grid, threshold, relative)
    labels = _label(mask)
    out = []
    rows, cols = grid.shape
    for lab in range(1, int(labels.max()) + 1):
        ys, xs = np.nonzero(labels == lab)
        x0, x1 = xs.min() / cols, (xs.max() + 1) / cols
        y0, y1 = ys.min() / rows, (ys.max() + 1) / rows
        box = ((x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0)
        if weighted_centre:
            box = _centred_on_mass(box, grid[ys, xs], (xs + 0.5) / cols, (ys + 0.5) / rows)
        out.append(Candidate(tuple(float(v) for v in box), float(grid[ys, xs].max()), int(len(xs))))
    out.sort(key=lambda c: (-c.score, -c.cells))
    return out[:max_candidates]


def region_cut(dense: np.ndarray, threshold: float, relative: float = 0.0) -> float:
    """The value a cell needs to be in a region: max(threshold, relative * the map's peak); NaN counts as 0."""
    peak = float(np.nanmax(dense)) if np.size(dense) and np.isfinite(dense).any() else 0.0
    return max(float(threshold), float(relative) * peak)


def cells_below(dense: np.ndarray, box: Sequence[float], cut: float) -> np.ndarray:
    """[N, 2] normalized (x, y) centres of the dense map's cells inside the cxcywh box whose value is below cut:
    what, inside a region's box, is not the region (a car on a parking lot, the grass beyond a rotated court)."""
    grid = np.nan_to_num(np.asarray(dense, dtype=np.float32), nan=0.0)
    rows, cols = grid.shape
    ys, xs = np.mgrid[0:rows, 0:cols]
    cx, cy = (xs + 0.5) / cols, (ys + 0.5) / rows
    inside = (np.abs(cx - box[0]) <= box[2] / 2) & (np.abs(cy - box[1]) <= box[3] / 2)
    keep = inside & (grid < cut)
    return np.stack([cx[keep], cy[keep]], axis=1)


def _centred_on_mass(box: BoxT, weights: np.ndarray, cx: np.ndarray, cy: np.ndarray) -> BoxT:
    """`box` moved so that its centre is the weights' centroid of the cell centres (cx, cy), kept in the image."""
    w = np.asarray(weights, dtype=np.float64)
    if not np.isfinite(w).all() or w.sum() <= 0:
        return box
    mx, my = float((w * cx).sum() / w.sum()), float((w * cy).sum() / w.sum())
    bw, bh = box[2], box[3]
    return (min(max(mx, bw / 2), 1 - bw / 2), min(max(my, bh / 2), 1 - bh / 2), bw, bh)


def _label(mask: np.ndarray) -> np.ndarray:
    """4-connected component labels (0 = background); iterative flood fill: grids are small (the guided 64x64
    map at most; a few ms)."""
    labels = np.zeros(mask.shape, dtype=np.int32)
    rows, cols = mask.shape
    current = 0
    for r0 in range(rows):
        for c0 in range(cols):
            if not mask[r0, c0] or labels[r0, c0]:
                continue
            current += 1
            stack = [(r0, c0)]
            labels[r0, c0] = current
            while stack:
                r, c = stack.pop()
                for rr, cc in ((r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1)):
                    if 0 <= rr < rows and 0 <= cc < cols and mask[rr, cc] and not labels[rr, cc]:
                        labels[rr, cc] = current
                        stack.append((rr, cc))
    return labels


def iou(a: Sequence[float], b: Sequence[float]) -> float:
    """Intersection over union of two normalized cxcywh boxes."""
    ax0, ay0, ax1, ay1 = _corners(a)
    bx0, by0, bx1, by1 = _corners(b)
    iw = max(0.0, min(ax1, bx1) - max(ax0, bx0))
    ih = max(0.0, min(ay1, by1) - max(ay0, by0))
    inter = iw * ih
    union = (ax1 - ax0) * (ay1 - ay0) + (bx1 - bx0) * (by1 - by0) - inter
    return inter / union if union > 0 else 0.0


def center_distance(a: Sequence[float], b: Sequence[float]) -> float:
    """Euclidean distance between box centres (normalized units)."""
    return float(np.hypot(float(a[0]) - float(b[0]), float(a[1]) - float(b[1])))


def box_pixel_span(box: Sequence[float], size: tuple[int, int], fraction: float = 1.0) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) pixel slice bounds of the middle `fraction` (each side) of a normalized (cx, cy, w, h) box
    in an image of size (width, height), clipped to it; empty (x1 <= x0 or y1 <= y0) outside it."""
    width, height = size
    cx, cy, w, h = (float(v) for v in box[:4])
    hw, hh = w * fraction / 2, h * fraction / 2
    x0, x1 = int(max(0, (cx - hw) * width)), int(min(width, math.ceil((cx + hw) * width)))
    y0, y1 = int(max(0, (cy - hh) * height)), int(min(height, math.ceil((cy + hh) * height)))
    return x0, y0, x1, y1


def clip_box(box: Sequence[float]) -> BoxT:
    """A cxcywh box clipped to the image, as plain floats."""
    x0, y0, x1, y1 = (min(1.0, max(0.0, v)) for v in _corners(box))
    return ((x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0)


def _corners(b: Sequence[float]) -> tuple[float, float, float, float]:
    cx, cy, w, h = (float(v) for v in b[:4])
    return cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2
