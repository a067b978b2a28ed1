"""The annotated camera frame for people: every candidate region thin (orange), the anchors (blue) and the chosen
target thick (red), on a copy of the frame."""
from __future__ import annotations

from typing import Any, Optional, Sequence

import cv2

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


def annotate_question(rgb: np.ndarray, candidates: Sequence[dict[str, Any]]) -> np.ndarray:
    """Copy of `rgb` with each CLARIFY candidate's box and its number (the one the operator answers with); a
    gallery place's `picture` (its slot in the image of the offered places, nav/place_question.py) instead."""
    out = np.array(rgb, dtype=np.uint8, copy=True)
    h, w = out.shape[:2]
    scale = max(0.35, min(w, h) / 400.0)
    for cand in candidates:
        box = cand["box"] if cand.get("box") is not None else cand["picture"]
        out = draw_box(out, box, TARGET, thickness=2)
        cx, cy, bw, bh = (float(v) for v in box[:4])
        x, y = int(max(0, (cx - bw / 2) * w) + 2), int(max(12 * scale, (cy - bh / 2) * h + 14 * scale))
        cv2.putText(out, str(cand["number"]), (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, TARGET,
                    max(1, int(round(2 * scale))), cv2.LINE_AA)
    return out


def annotate(rgb: np.ndarray, result: Any, candidates: Optional[Sequence[dict[str, Any]]]) -> np.ndarray:
    """The numbered question while the navigator asks, else the grounding."""
    return annotate_question(rgb, candidates) if candidates else annotate_grounding(rgb, result)
