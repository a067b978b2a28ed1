"""Order and size (issue 19 §2): "the second building from the left", "the largest parking lot", "the pool
nearest the red building", "the smaller of the two courts".

`parse_selector(text)` reads the phrase (the parser's target phrase, request words already stripped) into a
Selector; `select(selector, objects, ...)` picks one of the candidates (geotext_ros.nav.scene.SceneObject: box,
kind, score, ground position and footprint). Order is along a fixed ENU direction (geotext_ros.nav.map_relations:
"left" frozen at the instruction's yaw, "north" in the map frame), sizes are ground areas and distances are on
the ground: none of them depends on where the camera points when the choice is made.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import NamedTuple, Optional, Sequence

from geotext_ros.nav.map_relations import ordered_along, resolve_direction
from geotext_ros.nav.scene import XY, SceneObject

ORDER, SIZE, DISTANCE = "order", "size", "distance"

_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
             "ninth": 9, "tenth": 10, "last": -1, "next to last": -2, "second to last": -2, "second last": -2,
             "penultimate": -2, "third to last": -3, "third last": -3}
_COUNTS = {"two": 2, "three": 3, "four": 4, "five": 5, "both": 2}
_BIG = {"largest", "biggest", "widest", "longest", "larger", "bigger", "wider", "longer"}
_SMALL = {"smallest", "tiniest", "narrowest", "shortest", "smaller", "tinier", "narrower", "shorter"}
_NEAR = {"nearest", "closest", "nearer", "closer"}
_FAR = {"farthest", "furthest", "farther", "further"}
_SELF = {"me", "you", "us", "the drone", "here"}
_DIRS = (r"left|right|top|bottom|north|south|east|west|(?:north|south)[\s-]?(?:east|west)"
         r"|upper|lower")

_ORD_RE = r"(?P<ord>second to last|next to last|second last|third to last|third last|penultimate|first|second" \
          r"|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|last|\d+(?:st|nd|rd|th))"
_SUPER_RE = r"(?P<sup>" + "|".join(sorted(_BIG | _SMALL | _NEAR | _FAR)) + ")"

_PATTERNS = (
    # "the second building from the left", "the last pool from the north"
    ("order", re.compile(rf"^(?:the\s+)?{_ORD_RE}\s+(?P<target>.+?)\s+(?:from|on)\s+the\s+(?P<dir>{_DIRS})"
                         rf"(?:\s+(?:side|end))?$")),
    # "the second from the left building" is rare; "the leftmost building", "the second leftmost building"
    ("most", re.compile(rf"^(?:the\s+)?(?:{_ORD_RE}\s+)?(?P<dir>left|right|top|bottom|north|south|east|west)"
                        rf"(?:ern)?[\s-]?most\s+(?P<target>.+)$")),
    # "the smaller of the two courts", "the larger one of the two pools"
    ("group", re.compile(rf"^(?:the\s+)?{_SUPER_RE}(?:\s+one)?\s+of\s+the\s+(?P<count>two|three|four|five|both|\d+)"
                         rf"\s+(?P<target>.+)$")),
    # "the pool nearest the red building", "the pool closest to me", "the pool farthest from the road"
    ("anchor", re.compile(rf"^(?:the\s+)?(?P<target>.+?)\s+{_SUPER_RE}\s+(?:to\s+|from\s+)?(?P<anchor>.+)$")),
    # "the largest parking lot", "the second largest pool", "the nearest pool"
    ("super", re.compile(rf"^(?:the\s+)?(?:{_ORD_RE}\s+)?{_SUPER_RE}\s+(?P<target>.+)$")),
)


@dataclass(frozen=True)
class Selector:
    """How to pick one of several candidates of the same kind.

    measure: ORDER (along `direction`, a compass or camera word), SIZE (ground area) or DISTANCE (to `anchor`,
    None = to the vehicle). rank: 1 = the first from the start ("from the left": the leftmost; for SIZE/DISTANCE
    the extreme named by `most`), -1 = the last. most: True = largest / farthest, False = smallest / nearest.
    group: "of the two X": only the `group` best-scoring candidates take part."""

    target: str
    measure: str
    rank: int = 1
    direction: Optional[str] = None
    most: bool = True
    anchor: Optional[str] = None
    group: Optional[int] = None


class SelectorChoice(NamedTuple):
    """Index of the chosen candidate (None = none), the frame of any direction used, and why."""

    index: Optional[int]
    frame: Optional[str]
    reason: str


def parse_selector(text: str) -> Optional[Selector]:
    """The phrase's ordinal / superlative / nearest selector, or None when it has none.

    >>> parse_selector("the second building from the left")
    Selector(target='building', measure='order', rank=2, direction='left', most=True, anchor=None, group=None)
    """
    t = re.sub(r"[^\w\s-]", " ", text.lower())
    t = re.sub(r"\s+", " ", t).strip()
    for name, pattern in _PATTERNS:
        m = pattern.match(t)
        if not m or not m.group("target").strip():
            continue
        groups = m.groupdict()
        rank = _rank(groups.get("ord"))
        target = re.sub(r"^(?:one|ones)$", "", m.group("target").strip())
        if name in ("order", "most"):
            return Selector(target, ORDER, rank, _direction_word(m.group("dir")))
        sup = m.group("sup")
        if name == "group":
            count = groups["count"]
            return Selector(_singular(target), SIZE if sup in _BIG | _SMALL else DISTANCE, 1, None,
                            sup in _BIG | _FAR, None, _COUNTS.get(count) or int(count))
        if name == "anchor":
            if sup not in _NEAR | _FAR or target in ("the", "a"):
                continue
            anchor = m.group("anchor").strip()
            return Selector(target, DISTANCE, 1, None, sup in _FAR, None if anchor in _SELF else anchor)
        return Selector(target, SIZE if sup in _BIG | _SMALL else DISTANCE, rank, None, sup in _BIG | _FAR)
    return None


def select(selector: Selector, objects: Sequence[SceneObject], yaw_at_instruction: float,
           vehicle_xy: Optional[XY] = None, anchor_xy: Optional[XY] = None) -> SelectorChoice:
    """Pick one of `objects` (the candidates of the selector's target) by the selector.

    yaw_at_instruction: the vehicle's yaw when the instruction was given (camera words are frozen with it).
    vehicle_xy: the vehicle's ENU position (DISTANCE without an anchor). anchor_xy: the anchor's ground point."""
    pool = list(range(len(objects)))
    note = ""
    if selector.group is not None:
        if len(pool) < selector.group:
            return SelectorChoice(None, None, f"asked about {selector.group} {selector.target}s, "
                                              f"found {len(pool)}")
        if len(pool) > selector.group:
            note = f" (the {selector.group} best-scoring of {len(pool)})"
            pool = sorted(pool, key=lambda i: -objects[i].score)[:selector.group]
    if not pool:
        return SelectorChoice(None, None, f"no {selector.target} found")
    if selector.measure == ORDER:
        return _by_order(selector, objects, pool, yaw_at_instruction, note)
    if selector.measure == SIZE:
        missing = [i for i in pool if not objects[i].footprint]
        if missing:
            return SelectorChoice(None, None, f"candidate(s) {missing} could not be measured on the ground")
        values = {i: objects[i].area for i in pool}
        what = "largest" if selector.most else "smallest"
    else:
        ref = anchor_xy if selector.anchor is not None else vehicle_xy
        if ref is None:
            return SelectorChoice(None, None, f"the anchor {selector.anchor!r} was not found" if selector.anchor
                                  else "no vehicle position to measure distances from")
        placed = [i for i in pool if objects[i].ground is not None]
        values = {i: math.dist(objects[i].ground, ref) for i in placed}  # type: ignore[arg-type]
        what = ("farthest from " if selector.most else "nearest to ") + (selector.anchor or "the vehicle")
    return _ranked(values, selector, what + note)


def _by_order(selector: Selector, objects: Sequence[SceneObject], pool: list[int], yaw: float,
              note: str) -> SelectorChoice:
    direction = resolve_direction(selector.direction or "", yaw)
    if direction is None:
        return SelectorChoice(None, None, f"no direction to count along in {selector!r}")
    order = [i for i in ordered_along(objects, direction) if i in pool]
    k = selector.rank - 1 if selector.rank > 0 else len(order) + selector.rank
    if not 0 <= k < len(order):
        return SelectorChoice(None, direction.frame, f"asked for number {selector.rank} from the {direction.word}, "
                                                     f"found {len(order)} {selector.target}(s)")
    return SelectorChoice(order[k], direction.frame, f"number {selector.rank} of {len(order)} from the "
                                                     f"{direction.word} ({direction.frame} frame){note}")


def _ranked(values: dict[int, float], selector: Selector, what: str) -> SelectorChoice:
    order = sorted(values, key=lambda i: -values[i] if selector.most else values[i])
    k = selector.rank - 1 if selector.rank > 0 else len(order) + selector.rank
    if not 0 <= k < len(order):
        return SelectorChoice(None, None, f"asked for number {selector.rank} {what}, found {len(order)}")
    return SelectorChoice(order[k], None, f"{what}" + (f" (number {selector.rank})" if selector.rank != 1 else ""))


def _rank(word: Optional[str]) -> int:
    if not word:
        return 1
    m = re.match(r"(\d+)", word)
    return int(m.group(1)) if m else _ORDINALS[word]


def _singular(phrase: str) -> str:
    """"the two courts" names a court: the head noun (the last word, or the last before "for" / "of" / "with":
    "courts for tennis") loses its plural ending ("bodies" -> "body", "pitches" -> "pitch"; not "grass", "bus")."""
    words = phrase.split()
    head = next((i - 1 for i, w in enumerate(words) if w in _POST_HEAD and i > 0), len(words) - 1)
    if head >= 0:
        words[head] = _singular_word(words[head])
    return " ".join(words)


_POST_HEAD = ("for", "of", "with")


def _singular_word(word: str) -> str:
    if re.search(r"[^aeiou]ies$", word):
        return word[:-3] + "y"
    if re.search(r"(ch|sh|ss|x|z)es$", word):
        return word[:-2]
    if re.search(r"[^su]s$", word):
        return word[:-1]
    return word


def _direction_word(word: str) -> str:
    return {"upper": "top", "lower": "bottom"}.get(word, word)
