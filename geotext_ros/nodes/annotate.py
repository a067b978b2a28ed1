"""The annotated camera frame for people: every candidate region thin (orange), the anchors (blue) and the chosen
target thick (red), on a copy of the frame."""
from __future__ import annotations

from typing import Any

import numpy as np

from geotext_ros.nodes.conversions import draw_box

TARGET, CANDIDATE, ANCHOR = (255, 40, 40), (255, 160, 40), (70, 130, 255)


def annotate_grounding(rgb: np.ndarray, result: Any) -> np.ndarray:
    """Copy of `rgb` with a GroundingResult's candidates, anchors and chosen box drawn."""
    out = np.array(rgb, dtype=np.uint8, copy=True)
    for i, cand in enumerate(getattr(result, "candidates", None) or []):
        if i != result.chosen:
            out = draw_box(out, cand.box, CANDIDATE, thickness=1)
    for box in (getattr(result, "anchor_box", None), getattr(result, "anchor2_box", None)):
        if box is not None:
            out = draw_box(out, box, ANCHOR, thickness=1)
    if result.box is not None:
        out = draw_box(out, result.box, TARGET, thickness=2)
    return out
