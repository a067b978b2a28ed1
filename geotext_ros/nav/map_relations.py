"""Directions in the map frame (issue 19 §2): "the building north of the pool", "the eastern parking lot", and
camera-frame words ("left of", "at the top of the image") frozen at the moment the instruction was given.

Every direction becomes a fixed ENU angle (radians, counter-clockwise from east) before anything is chosen:
compass words directly (north = +y of the map), camera words from the vehicle's yaw when the instruction arrived
(nadir camera: image up = heading, image left = heading + 90 degrees; docs/architecture.md). The choice is then
made on the objects' ground positions (geotext_ros.nav.scene), so turning the drone afterwards changes neither
the direction nor the chosen object. Each result names the frame its direction came from.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import NamedTuple, Optional, Sequence

from geotext_ros.nav.scene import XY, SceneObject

FRAME_MAP = "map"
FRAME_CAMERA = "camera at instruction"

# "X north of Y": the direction from Y to X lies within this angle of north. 45 degrees: the eight compass words
# cover every direction, and a direction exactly between two words satisfies both.
CONE_HALF_ANGLE = math.radians(45.0)
# An object this close (m) to the anchor is the anchor itself (or sits on it): it has no direction from it.
SAME_PLACE_M = 1.0

_COMPASS = {"east": 0.0, "north east": 45.0, "north": 90.0, "north west": 135.0, "west": 180.0,
            "south west": 225.0, "south": 270.0, "south east": 315.0}
# Camera words: angle relative to the heading (image up = forward on the nadir camera).
_CAMERA = {"left": 90.0, "right": -90.0, "top": 0.0, "up": 0.0, "upper": 0.0, "above": 0.0,
           "bottom": 180.0, "lower": 180.0, "below": 180.0, "down": 180.0}


class Direction(NamedTuple):
    """A fixed ENU direction: angle (rad, CCW from east), the frame it came from, the operator's word."""

    angle: float
    frame: str
    word: str

    @property
    def vector(self) -> XY:
        return math.cos(self.angle), math.sin(self.angle)


class RelationChoice(NamedTuple):
    """Index of the chosen object (None = none), the frame of the direction used, and why."""

    index: Optional[int]
    frame: Optional[str]
    reason: str


def compass_word(text: str) -> Optional[str]:
    """"north-east" / "northeast" / "north eastern" / "eastern" -> canonical compass word ("north east"), else None."""
    t = re.sub(r"[\s_-]+", " ", text.strip().lower())
    t = re.sub(r"^(north|south)(east|west)", r"\1 \2", t)
    t = re.sub(r"(east|west|north|south)(ern|erly|wards?)$", r"\1", t)
    return t if t in _COMPASS else None


def map_direction(word: str) -> Optional[Direction]:
    """A compass word as an ENU direction (frame "map"); None for anything else."""
    name = compass_word(word)
    return None if name is None else Direction(math.radians(_COMPASS[name]), FRAME_MAP, name)


def camera_direction(word: str, yaw_at_instruction: float) -> Optional[Direction]:
    """A camera-frame word ("left", "top", "lower", ...) frozen into ENU with the vehicle's yaw when the instruction
    was given (frame "camera at instruction"); None for anything else."""
    w = word.strip().lower()
    w = re.sub(r"most$", "", w)   # "leftmost"
    if w not in _CAMERA:
        return None
    return Direction(_wrap(yaw_at_instruction + math.radians(_CAMERA[w])), FRAME_CAMERA, w)


def resolve_direction(word: str, yaw_at_instruction: float) -> Optional[Direction]:
    """Compass words in the map frame, camera words in the camera frame at instruction time; None otherwise."""
    return map_direction(word) or camera_direction(word, yaw_at_instruction)


def bearing_word(from_xy: XY, to_xy: XY) -> Optional[str]:
    """Nearest of the eight compass words for the direction from -> to; None when they coincide."""
    dx, dy = to_xy[0] - from_xy[0], to_xy[1] - from_xy[1]
    if math.hypot(dx, dy) < 1e-9:
        return None
    deg = math.degrees(math.atan2(dy, dx)) % 360.0
    return min(_COMPASS, key=lambda k: abs(((deg - _COMPASS[k]) + 180.0) % 360.0 - 180.0)).replace(" ", "-")


def in_direction_of(objects: Sequence[SceneObject], anchor_xy: XY, direction: Direction) -> list[int]:
    """Indices of the objects whose direction from the anchor lies within CONE_HALF_ANGLE of `direction` (the
    candidates that pass the relation: with several of similar score, geotext_ros.nav.clarify asks)."""
    dx, dy = direction.vector
    out = []
    for i, obj in enumerate(objects):
        if obj.ground is None:
            continue
        ox, oy = obj.ground[0] - anchor_xy[0], obj.ground[1] - anchor_xy[1]
        dist = math.hypot(ox, oy)
        if dist >= SAME_PLACE_M and (ox * dx + oy * dy) / dist >= math.cos(CONE_HALF_ANGLE) - 1e-12:
            out.append(i)
    return out


def choose_from_anchor(objects: Sequence[SceneObject], anchor_xy: Optional[XY],
                       direction: Direction) -> RelationChoice:
    """"The building north of the pool": among the objects in_direction_of the anchor, the best score (as the 3x3
    rule filters and the dense score picks in geotext_ros.nav.selection); equal scores go to the better-aligned."""
    if anchor_xy is None:
        return RelationChoice(None, direction.frame, "the anchor of the relation is not on the ground map")
    passing = in_direction_of(objects, anchor_xy, direction)
    if not passing:
        return RelationChoice(None, direction.frame, f"no {_kinds(objects)} {direction.word} of the anchor")
    best = max(passing, key=lambda i: (objects[i].score, _alignment(objects[i], anchor_xy, direction), i))
    return RelationChoice(best, direction.frame, f"{len(passing)} of {len(objects)} lie {direction.word} of the "
                                                 f"anchor ({direction.frame} frame); best score")


def _alignment(obj: SceneObject, anchor_xy: XY, direction: Direction) -> float:
    ox, oy = obj.ground[0] - anchor_xy[0], obj.ground[1] - anchor_xy[1]   # type: ignore[index]
    return (ox * direction.vector[0] + oy * direction.vector[1]) / math.hypot(ox, oy)


def choose_extreme(objects: Sequence[SceneObject], direction: Direction) -> RelationChoice:
    """"The eastern parking lot" / "the left one": the object farthest along `direction` (ground positions)."""
    placed = [(obj.ground[0] * direction.vector[0] + obj.ground[1] * direction.vector[1], i)
              for i, obj in enumerate(objects) if obj.ground is not None]
    if not placed:
        return RelationChoice(None, direction.frame, "no candidate could be placed on the ground")
    return RelationChoice(max(placed)[1], direction.frame,
                          f"farthest {direction.word} of {len(placed)} ({direction.frame} frame)")


def ordered_along(objects: Sequence[SceneObject], direction: Direction) -> list[int]:
    """Indices of the placed objects, farthest along `direction` first ("from the left": leftmost first)."""
    dx, dy = direction.vector
    placed = [i for i, o in enumerate(objects) if o.ground is not None]
    return sorted(placed, key=lambda i: -(objects[i].ground[0] * dx + objects[i].ground[1] * dy))  # type: ignore


# ---- phrases ----------------------------------------------------------------------------------------------------
_COMPASS_RE = r"(?:north|south)[\s-]?(?:east|west)(?:ern)?|(?:north|south|east|west)(?:ern)?"
_OF_RE = re.compile(rf"^(?:the\s+)?(?P<target>.+?)\s+(?:to\s+the\s+|lying\s+|just\s+)?(?P<dir>{_COMPASS_RE})"
                    rf"\s+of\s+(?P<anchor>.+)$")
_ADJ_RE = re.compile(rf"^(?:the\s+)?(?:most\s+)?(?P<dir>{_COMPASS_RE})(?:most)?\s+(?P<target>.+)$")
_ON_SIDE_RE = re.compile(rf"^(?:the\s+)?(?P<target>.+?)\s+(?:on|at|in)\s+the\s+(?P<dir>{_COMPASS_RE})"
                         rf"(?:\s+(?:side|end|edge))?$")


@dataclass(frozen=True)
class MapRelation:
    """A map-frame phrase: target words, compass word, anchor words (None for "the eastern X": the extreme)."""

    target: str
    direction: str
    anchor: Optional[str] = None


def parse_map_relation(text: str) -> Optional[MapRelation]:
    """"the building north of the pool" -> MapRelation("building", "north", "the pool"); "the eastern parking
    lot" / "the parking lot on the east side" -> MapRelation("parking lot", "east"); None when no compass word
    relates the target."""
    t = re.sub(r"[^\w\s-]", " ", text.lower())
    t = re.sub(r"\s+", " ", t).strip()
    for pattern in (_OF_RE, _ADJ_RE, _ON_SIDE_RE):
        m = pattern.match(t)
        if m and compass_word(m.group("dir")) and m.group("target").strip():
            anchor = m.groupdict().get("anchor")
            return MapRelation(m.group("target").strip(), compass_word(m.group("dir")) or "",
                               anchor.strip() if anchor else None)
    return None


def _kinds(objects: Sequence[SceneObject]) -> str:
    kinds = sorted({o.kind for o in objects})
    return kinds[0] if len(kinds) == 1 else "candidate"


def _wrap(a: float) -> float:
    return (a + math.pi) % (2.0 * math.pi) - math.pi
