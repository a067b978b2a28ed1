"""World model of the procedural aerial world: objects, places, campuses, and their footprints.

Coordinates are ENU metres (x east, y north). An object's footprint is defined in its local frame
(+x along `length`, +y along `width`) and placed by `yaw` (radians, counter-clockwise from east).
`flip` mirrors the local y axis, which is how a mirrored place keeps chiral shapes (L-shaped buildings) correct.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np


# Kinds that the captions may describe; the rest (roads, trees, cars, boats) are scenery or too small.
DESCRIBABLE_KINDS = (
    "building", "parking_lot", "soccer_field", "tennis_court", "basketball_court", "running_track",
    "pool", "pond", "plaza", "solar_panels",
)
ELEVATED_KINDS = ("building", "tree")  # cast shadows and are drawn above the ground layer
CAMPUS_SPACING_M = 5000.0  # a drone view never spans two campuses
PLACE_SPACING_M = 120.0  # grid pitch of places in a campus (jitter +-8 m keeps them >= 100 m apart)


@dataclass(frozen=True)
class WorldObject:
    """One thing on the ground. `shape` names the footprint: rect, square, l_shape, round, long, oval, blob, circle."""

    id: int
    kind: str
    color: str
    shape: str
    x: float
    y: float
    length: float
    width: float
    yaw: float
    place_id: str | None = None
    height: float = 0.0
    material: str = ""
    flip: bool = False
    seed: int = 0

    @property
    def radius(self) -> float:
        """Radius of a circle around (x, y) that contains the whole footprint."""
        return 0.5 * math.hypot(self.length, self.width)


@dataclass(frozen=True)
class Place:
    """A cluster of objects around a landmark; `place_id` is a 4-digit string like GeoText-1652 building ids."""

    place_id: str
    campus: int
    x: float
    y: float
    landmark_id: int
    object_ids: tuple[int, ...]
    template: str = ""
    mirror_of: str | None = None  # place whose layout this one mirrors
    mirror_axis: str | None = None  # "x" = left/right (east-west) mirror, "y" = up/down (north-south) mirror


@dataclass
class World:
    """All objects and places; `objects[i].id == i`."""

    seed: int
    objects: list[WorldObject] = field(default_factory=list)
    places: list[Place] = field(default_factory=list)

    def place(self, place_id: str) -> Place:
        for p in self.places:
            if p.place_id == place_id:
                return p
        raise KeyError(f"no place {place_id!r} in this world; known ids: {[p.place_id for p in self.places][:8]}...")

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """(centres [N,2], radii [N]) for fast view culling."""
        if not self.objects:
            return np.zeros((0, 2)), np.zeros(0)
        xy = np.array([(o.x, o.y) for o in self.objects], dtype=np.float64)
        r = np.array([o.radius for o in self.objects], dtype=np.float64)
        return xy, r


def local_footprint(obj: WorldObject) -> np.ndarray:
    """Footprint polygon [N,2] in the object's local frame (x along length, y along width)."""
    half_l, half_w = obj.length / 2.0, obj.width / 2.0
    s = obj.shape
    if s in ("rect", "square", "long"):
        pts = [(-half_l, -half_w), (half_l, -half_w), (half_l, half_w), (-half_l, half_w)]
    elif s == "l_shape":
        # A rectangle with its (+x, +y) quadrant cut away: the notch makes the shape chiral.
        pts = [(-half_l, -half_w), (half_l, -half_w), (half_l, 0.0), (0.0, 0.0), (0.0, half_w), (-half_l, half_w)]
    elif s in ("round", "circle"):
        n = 20 if s == "round" else 10
        t = np.linspace(0.0, 2.0 * np.pi, n, endpoint=False)
        pts = np.stack([half_l * np.cos(t), half_w * np.sin(t)], axis=1)
    elif s == "oval":
        pts = _stadium(half_l, half_w)
    elif s == "blob":
        rng = np.random.default_rng(obj.seed)
        t = np.linspace(0.0, 2.0 * np.pi, 16, endpoint=False)
        r = 1.0 + 0.18 * np.convolve(np.r_[rng.normal(size=16), rng.normal(size=2)], np.ones(3) / 3, "valid")[:16]
        pts = np.stack([half_l * r * np.cos(t), half_w * r * np.sin(t)], axis=1)
    else:
        raise ValueError(f"unknown footprint shape {s!r} of object {obj.id}; use rect/square/l_shape/round/long/"
                         "oval/blob/circle")
    pts = np.asarray(pts, dtype=np.float64)
    if obj.flip:
        pts = pts * np.array([1.0, -1.0])
    return pts


def _stadium(half_l: float, half_w: float, n_arc: int = 10) -> np.ndarray:
    """Running-track outline: two half circles of radius half_w joined by straights."""
    r = half_w
    straight = max(half_l - r, 0.0)
    t = np.linspace(-np.pi / 2, np.pi / 2, n_arc)
    right = np.stack([straight + r * np.cos(t), r * np.sin(t)], axis=1)
    left = np.stack([-straight - r * np.cos(t), -r * np.sin(t)], axis=1)
    return np.concatenate([right, left], axis=0)


def to_world(obj: WorldObject, local_pts: np.ndarray) -> np.ndarray:
    """Local-frame points [N,2] of `obj` to ENU world points (applies flip only via local_footprint)."""
    c, s = math.cos(obj.yaw), math.sin(obj.yaw)
    pts = np.asarray(local_pts, dtype=np.float64)
    return np.stack([obj.x + c * pts[:, 0] - s * pts[:, 1], obj.y + s * pts[:, 0] + c * pts[:, 1]], axis=1)


def footprint(obj: WorldObject) -> np.ndarray:
    """Footprint polygon [N,2] in ENU world metres."""
    return to_world(obj, local_footprint(obj))
