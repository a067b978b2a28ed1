"""The 3x3 spatial-relation rule: the single definition used by the data generator, the losses and the navigator.

Boxes are normalized (cx, cy, w, h) in image coordinates: x grows to the right, y grows downwards, so a smaller
cy is "upper". The relation of box A to box B is decided per axis by comparing |A.c - B.c| with half of B's
extent on that axis (the GeoText-1652 rule): inside the half-extent is "center"/"middle".
"""
from __future__ import annotations

from typing import Sequence

HORIZONTAL = ("left", "center", "right")
VERTICAL = ("upper", "middle", "lower")

Box = Sequence[float]


def _axis_class(delta: float, half_extent: float) -> int:
    """0 = negative side (left/upper), 1 = aligned, 2 = positive side (right/lower)."""
    if abs(delta) <= half_extent:
        return 1
    return 0 if delta < 0 else 2


def relation_labels(box_a: Box, box_b: Box) -> tuple[int, int]:
    """Class indices (horizontal, vertical) of box A relative to box B, per the 3x3 rule."""
    ax, ay = float(box_a[0]), float(box_a[1])
    bx, by, bw, bh = (float(v) for v in box_b[:4])
    return _axis_class(ax - bx, bw / 2.0), _axis_class(ay - by, bh / 2.0)


def relation_words(box_a: Box, box_b: Box) -> tuple[str, str]:
    """("left"|"center"|"right", "upper"|"middle"|"lower") of box A relative to box B."""
    h, v = relation_labels(box_a, box_b)
    return HORIZONTAL[h], VERTICAL[v]


def image_position_labels(box: Box) -> tuple[int, int]:
    """Position of a box in the frame on a 3x3 grid of thirds: (horizontal, vertical) class indices."""
    cx, cy = float(box[0]), float(box[1])
    return _third(cx), _third(cy)


def _third(c: float) -> int:
    if c < 1.0 / 3.0:
        return 0
    return 2 if c > 2.0 / 3.0 else 1
