"""Small polygon helpers for the renderer: area, clipping to the frame, normalized boxes."""
from __future__ import annotations

import numpy as np


def area(poly: np.ndarray) -> float:
    """Unsigned shoelace area of a polygon [N,2]."""
    if len(poly) < 3:
        return 0.0
    x, y = poly[:, 0], poly[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def clip_to_rect(poly: np.ndarray, width: float, height: float) -> np.ndarray:
    """Sutherland-Hodgman clip of a polygon [N,2] to [0,width] x [0,height]; may return an empty [0,2] array."""
    out = np.asarray(poly, dtype=np.float64)
    for axis, limit, keep_below in ((0, 0.0, False), (0, width, True), (1, 0.0, False), (1, height, True)):
        if len(out) == 0:
            break
        out = _clip_edge(out, axis, limit, keep_below)
    return out


def _clip_edge(poly: np.ndarray, axis: int, limit: float, keep_below: bool) -> np.ndarray:
    vals = poly[:, axis]
    inside = vals <= limit if keep_below else vals >= limit
    if inside.all():
        return poly
    if not inside.any():
        return np.zeros((0, 2))
    res = []
    n = len(poly)
    for i in range(n):
        cur, nxt = poly[i], poly[(i + 1) % n]
        cin, nin = inside[i], inside[(i + 1) % n]
        if cin:
            res.append(cur)
        if cin != nin:
            t = (limit - cur[axis]) / (nxt[axis] - cur[axis])
            res.append(cur + t * (nxt - cur))
    return np.array(res)


def normalized_box(poly: np.ndarray, width: float, height: float) -> list[float]:
    """Axis-aligned (cx, cy, w, h) of the polygon, normalized by the frame size."""
    x0, y0 = poly.min(axis=0)
    x1, y1 = poly.max(axis=0)
    return [float((x0 + x1) / 2 / width), float((y0 + y1) / 2 / height),
            float((x1 - x0) / width), float((y1 - y0) / height)]
