"""Asking which gallery place (issue 19 §3) when the places retrieval ranks first score almost alike.

Retrieval is where a search goes wrong most often: one sentence embedding against one embedding per place image,
then the grounder's check (nav/place_check.py). When it picks the wrong place, its margin over the runner-up is
small (tuning seeds 200000+ / 400000+, 300 search episodes: median 0.04 / 0.03 when wrong, 0.24 / 0.28 when
right; docs/results.md, session 23). So before flying anywhere, places scoring within `clarify.place_margin` of
the best (at most `clarify.max_candidates`) are offered to the operator like look-alikes in view: numbered, with
their map bearing and distance, and an image of their gallery pictures side by side. Each offered SceneObject's
box is its picture's slot in that image, so "the left one" means the leftmost picture; the status carries the slot
as `picture`, and its `box` (a box in the camera frame) is None.

    places = close_places(retrieval, clarify.place_margin, clarify.max_candidates)   # [] -> fly to the best
    offered, question = place_question(places, vehicle_xy)
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Optional, Sequence

import cv2
import numpy as np

from geotext_ros.nav.map_relations import bearing_word
from geotext_ros.nav.scene import XY, SceneObject

PLACE_KIND = "place"
THUMB_PX = 256   # each gallery picture's side in the question image


def close_places(matches: Optional[Sequence[Any]], margin: float, limit: int) -> list[Any]:
    """The matches (best first, with .score) within `margin` of the best, at most `limit`; [] when fewer than two
    are that close or margin is 0 (never ask)."""
    if not matches or margin <= 0:
        return []
    best = float(matches[0].score)
    close = [m for m in list(matches)[:limit] if best - float(m.score) < margin]
    return close if len(close) >= 2 else []


def place_question(places: Sequence[Any], vehicle_xy: Optional[XY]) -> tuple[list[SceneObject], dict[str, Any]]:
    """(the offered places as SceneObjects in the question's numbering, the CLARIFY payload). Each object's box is
    its picture's slot in place_montage's image, its ground point the place's centre."""
    n = len(places)
    offered = [SceneObject(box=((i + 0.5) / n, 0.5, 1.0 / n, 1.0), kind=PLACE_KIND, score=float(p.score),
                           ground=(float(p.x), float(p.y))) for i, p in enumerate(places)]
    cands = []
    for number, (place, obj) in enumerate(zip(places, offered), start=1):
        label = f"gallery place {place.place_id}"
        cand = {"number": number, "answer": f"number {number}", "place_id": str(place.place_id),
                "box": None, "picture": [round(v, 4) for v in obj.box], "score": round(float(place.score), 3),
                "kind": PLACE_KIND,
                "colour": None, "image_position": f"picture {number} from the left", "bearing": None,
                "distance_m": None, "position": [round(obj.ground[0], 2), round(obj.ground[1], 2)]}
        if vehicle_xy is not None:
            dist, bearing = math.dist(vehicle_xy, obj.ground), bearing_word(vehicle_xy, obj.ground)
            cand["distance_m"], cand["bearing"] = round(dist, 1), bearing
            label += f", {dist:.0f} m {bearing} of you" if bearing else ", below you"
        cand["label"] = label   # the ground station shows the score beside it
        cands.append(cand)
    scores = ", ".join(f"{float(p.score):.2f}" for p in places)
    reason = f"{n} gallery places fit almost equally (scores {scores})"
    ask = (f"{n} places in my gallery fit what you said almost equally ({scores}); which one is it? Say its "
           "number, e.g. 'the left one', or 'none of them'.")
    return offered, {"question": ask, "reason": reason, "candidates": cands}


def is_place_question(status: Any) -> bool:
    """A status (or its candidates' list) asks about gallery places: its candidates carry a `place_id`."""
    cands = status.get("candidates") if isinstance(status, dict) else status
    return bool(cands) and "place_id" in cands[0]


def place_montage(images: Sequence[Optional[str]]) -> Optional[np.ndarray]:
    """The offered places' gallery pictures side by side (RGB uint8, THUMB_PX high), in the question's order;
    None when any picture cannot be read (an index built without image paths): the question is asked without."""
    tiles = []
    for path in images:
        bgr = cv2.imread(str(path)) if path and Path(str(path)).is_file() else None
        if bgr is None:
            return None
        tiles.append(cv2.resize(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), (THUMB_PX, THUMB_PX),
                                interpolation=cv2.INTER_AREA))
    return np.ascontiguousarray(np.hstack(tiles)) if tiles else None
