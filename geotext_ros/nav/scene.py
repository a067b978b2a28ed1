"""Detected objects placed on the ground: the common input of map-frame relations, order/size selectors, the
landing planner and the CLARIFY question (issue 19). Pure geometry on top of geotext_ros.nav.camera, no ROS.

A SceneObject keeps the box it was seen as (normalized cx, cy, w, h in its frame) and where it lies in the ENU
map frame: the ground point under the box centre and the footprint (the box's corners on the ground). Relations
and sizes are decided on the ground, so they do not depend on where the camera pointed when the box was seen.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional, Sequence

from geotext_ros.nav.camera import IntrinsicsLike, PoseLike, normalized_to_pixel, pixel_to_ground

XY = tuple[float, float]
BoxT = tuple[float, float, float, float]


@dataclass(frozen=True)
class SceneObject:
    """One detection: box in its frame, kind ("building", the phrase's noun), score (0..1), ENU centre and
    footprint (None / () when the box could not be placed on the ground), colour word when known."""

    box: BoxT
    kind: str
    score: float
    ground: Optional[XY] = None
    footprint: tuple[XY, ...] = ()
    colour: Optional[str] = None

    @property
    def area(self) -> float:
        """Ground area of the footprint in m² (0 without a footprint)."""
        return polygon_area(self.footprint)


def locate(box: Sequence[float], kind: str, score: float, image_size: tuple[int, int], intrinsics: IntrinsicsLike,
           pose: PoseLike, camera_pitch_deg: float = 0.0, ground_z: float = 0.0,
           colour: Optional[str] = None) -> SceneObject:
    """A box seen from `pose` placed on the ground plane z = ground_z. The footprint needs all four corners to hit
    the ground (a corner above the horizon leaves the object without one: its extent is unknown)."""
    cx, cy, w, h = (float(v) for v in box[:4])
    centre = _ground(cx, cy, image_size, intrinsics, pose, camera_pitch_deg, ground_z)
    corners = [_ground(x, y, image_size, intrinsics, pose, camera_pitch_deg, ground_z)
               for x, y in ((cx - w / 2, cy - h / 2), (cx + w / 2, cy - h / 2),
                            (cx + w / 2, cy + h / 2), (cx - w / 2, cy + h / 2))]
    footprint = tuple(c for c in corners if c is not None) if all(c is not None for c in corners) else ()
    return SceneObject((cx, cy, w, h), kind, float(score), centre, footprint, colour)  # type: ignore[arg-type]


def _ground(x: float, y: float, image_size: tuple[int, int], intrinsics: IntrinsicsLike, pose: PoseLike,
            camera_pitch_deg: float, ground_z: float) -> Optional[XY]:
    u, v = normalized_to_pixel(x, y, image_size)
    return pixel_to_ground(u, v, intrinsics, pose, camera_pitch_deg, ground_z)


def polygon_area(poly: Sequence[XY]) -> float:
    """Area (m²) of a simple polygon, either orientation (shoelace)."""
    if len(poly) < 3:
        return 0.0
    s = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(poly, list(poly[1:]) + [poly[0]]))
    return abs(s) / 2.0


def polygon_centroid(poly: Sequence[XY]) -> XY:
    """Area centroid of a simple polygon (the vertices' mean when it has no area)."""
    edges = list(zip(poly, list(poly[1:]) + [poly[0]]))
    cross = [x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in edges]
    area = sum(cross) / 2.0
    if abs(area) < 1e-9:
        return sum(p[0] for p in poly) / len(poly), sum(p[1] for p in poly) / len(poly)
    cx = sum((a[0] + b[0]) * c for (a, b), c in zip(edges, cross)) / (6.0 * area)
    cy = sum((a[1] + b[1]) * c for (a, b), c in zip(edges, cross)) / (6.0 * area)
    return cx, cy


def inside_polygon(p: XY, poly: Sequence[XY]) -> bool:
    """Point in polygon (ray casting; a point on an edge may go either way: callers add a margin)."""
    x, y = p
    inside = False
    n = len(poly)
    for i in range(n):
        (x0, y0), (x1, y1) = poly[i], poly[(i + 1) % n]
        if (y0 > y) != (y1 > y) and x < x0 + (y - y0) * (x1 - x0) / (y1 - y0):
            inside = not inside
    return inside


def distance_to_polygon(p: XY, poly: Sequence[XY]) -> float:
    """Distance (m) from p to the polygon's area: 0 inside, else to the nearest edge."""
    if len(poly) >= 3 and inside_polygon(p, poly):
        return 0.0
    return distance_to_boundary(p, poly)


def distance_to_boundary(p: XY, poly: Sequence[XY]) -> float:
    """Distance (m) from p to the polygon's nearest edge (inside or out)."""
    if len(poly) == 1:
        return math.dist(p, poly[0])
    return min(_segment_distance(p, poly[i], poly[(i + 1) % len(poly)]) for i in range(len(poly)))


def _segment_distance(p: XY, a: XY, b: XY) -> float:
    ax, ay = a
    dx, dy = b[0] - ax, b[1] - ay
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0.0 else max(0.0, min(1.0, ((p[0] - ax) * dx + (p[1] - ay) * dy) / length2))
    return math.hypot(p[0] - (ax + t * dx), p[1] - (ay + t * dy))


def view_footprint(image_size: tuple[int, int], intrinsics: IntrinsicsLike, pose: PoseLike,
                   camera_pitch_deg: float = 0.0, ground_z: float = 0.0) -> tuple[XY, ...]:
    """The ground seen by the frame (its four corners on the ground); () when a corner misses the ground."""
    corners = [_ground(x, y, image_size, intrinsics, pose, camera_pitch_deg, ground_z)
               for x, y in ((0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0))]
    return tuple(corners) if all(c is not None for c in corners) else ()  # type: ignore[arg-type]
