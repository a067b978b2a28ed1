"""Candidates that are parts of one object, merged into one (issue 19 §3, ROS-free).

The dense map may light one object as two or three regions: the two ends of a long grey hall, the corners of a
parking lot. Offered as separate choices, the operator picks one end; the drone approaches that end, and tracking
keeps to the candidate nearest the estimate, that end again, while the whole object lit as one region from closer
lies farther from it than mission.track_radius: the drone ended over the end it was sent to, 8-9 m from the
hall's centre (ambiguous 100001). Two candidates are parts of one object when one surface of one paint joins them
in the frame (nav/image_outline.py FrameSurfaces.joined, FrameColours' colour rules with
landing.surface_tolerance / surface_line_px: the gap between two look-alike courts is ground, not court). `join` merges each such group into one candidate:
the box around the group, its best score, its cells together.

    candidates, chosen = join(result.candidates, result.chosen, rgb, tolerance, line_px)
"""
from __future__ import annotations

from typing import Any, Optional, Sequence

from geotext_ros.nav.candidates import Candidate
from geotext_ros.nav.image_outline import FrameSurfaces


def parts(rgb: Any, boxes: Sequence[Sequence[float]], tolerance: float, line_px: int) -> list[list[int]]:
    """Groups of box indices (each ascending, the groups in the order of their first member) that one surface
    of one colour joins in the frame: i and j are one object when i's surface covers j's middle or j's i's."""
    group = list(range(len(boxes)))

    def root(i: int) -> int:
        while group[i] != i:
            i = group[i]
        return i

    surfaces = FrameSurfaces(rgb, tolerance, line_px)
    for i, box in enumerate(boxes):
        joined = surfaces.joined(box, boxes)
        for j in range(len(boxes)):
            if j != i and joined[j]:
                group[root(j)] = root(i)
    out: dict[int, list[int]] = {}
    for i in range(len(boxes)):
        out.setdefault(root(i), []).append(i)
    return sorted(out.values(), key=lambda g: g[0])


def join(candidates: Sequence[Candidate], chosen: Optional[int], rgb: Any, tolerance: float, line_px: int
         ) -> tuple[list[Candidate], Optional[int]]:
    """(candidates with every group of `parts` merged, the index of the group holding `chosen`). Candidates come
    best first, so each group takes its best member's place; a lone candidate is returned as it is."""
    if len(candidates) < 2:
        return list(candidates), chosen
    out, where = [], None
    for members in parts(rgb, [c.box for c in candidates], tolerance, line_px):
        if chosen in members:
            where = len(out)
        group = [candidates[i] for i in members]
        out.append(group[0] if len(group) == 1 else Candidate(
            _enclosing([c.box for c in group]), max(c.score for c in group), sum(c.cells for c in group)))
    return out, where


def _enclosing(boxes: Sequence[Sequence[float]]) -> tuple[float, float, float, float]:
    """The normalized (cx, cy, w, h) box around normalized (cx, cy, w, h) boxes."""
    x0 = min(b[0] - b[2] / 2 for b in boxes)
    y0 = min(b[1] - b[3] / 2 for b in boxes)
    x1 = max(b[0] + b[2] / 2 for b in boxes)
    y1 = max(b[1] + b[3] / 2 for b in boxes)
    return ((x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0)
