"""Asking back (issue 19 §3), the ROS-free core: when to ask, what to show, and what the operator's answer means.

`decide(objects, min_confidence, config, ...)` looks at the scored candidates that passed every rule and says GO
(one clear winner), ASK (two or more within `ClarifyConfig.score_margin` of the best or scoring at least
`score_ratio` x the best, the relation's anchor not found, or nothing reaching min_confidence) or NOT_FOUND (no
candidate at all); an ASK carries the question payload: numbered candidates with box, score and a short
description in words (colour, kind, image position, bearing from the vehicle), and the look-alikes beyond
max_candidates (`more`), offered next if the operator answers "none of them". A target grounded in every colour
of its noun (`any_colour`, "the building") has no margin: every candidate reaching min_confidence is alike.
`resolve_answer(text, pending, ...)` turns the operator's reply ("the left one", "number 2", "2", "the one next to
the road", "yes", "none of them") into a choice, a cancel, an "unclear" (ask again) or "not an answer" (then the
text is a new instruction).

The payload's candidate dicts carry `label` (button text) and `answer` (the text a button sends back) as the
ground station expects (geotext_ros/ground_station/validation.py choice_text).
"""
from __future__ import annotations

import colorsys
import math
import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping, NamedTuple, Optional, Sequence

import numpy as np

from geotext_ros.nav.candidates import box_pixel_span
from geotext_ros.nav.map_relations import (FRAME_MAP, bearing_word, camera_direction, choose_extreme,
                                           choose_from_anchor, compass_word, map_direction)
from geotext_ros.nav.scene import XY, SceneObject
from geotext_ros.param_file import config_values
from geotext_ros.relations import image_position_labels

GO, ASK, NOT_FOUND = "GO", "ASK", "NOT_FOUND"
CHOICE, CANCEL, UNCLEAR, NOT_AN_ANSWER = "choice", "cancel", "unclear", "not an answer"


@dataclass(frozen=True)
class ClarifyConfig:
    """The `clarify.*` parameters of config/nav.yaml, defined here only."""

    score_margin: float = 0.1       # candidates within this of the best score are look-alikes: ask
    # ... and so are those scoring at least this fraction of the best (1.0: the margin alone): two look-alikes
    # the model lights 0.82 and 0.60 are both well lit, 0.22 apart (issue 19, ambiguous family)
    score_ratio: float = 0.7
    max_candidates: int = 4         # at most this many (best first) are offered
    answer_timeout_s: float = 30.0  # no answer for this long: back to HOLD with the reason
    anchor_missing_frames: int = 3  # the relation's anchor missing in this many LOCALIZE frames in a row: ask
    # gallery places whose retrieval scores lie within this of the best: ask which place before flying (0: never;
    # nav/place_question.py)
    place_margin: float = 0.05

    def __post_init__(self) -> None:
        if not 0.0 <= self.score_margin <= 1.0:
            raise ValueError(f"clarify.score_margin must be in [0, 1], got {self.score_margin}")
        if not 0.0 < self.score_ratio <= 1.0:
            raise ValueError(f"clarify.score_ratio must be in (0, 1] (1 = score_margin alone), got {self.score_ratio}")
        if self.max_candidates < 2:
            raise ValueError(f"clarify.max_candidates must be >= 2 (a choice needs two), got {self.max_candidates}")
        if not self.answer_timeout_s > 0:
            raise ValueError(f"clarify.answer_timeout_s must be > 0, got {self.answer_timeout_s}")
        if self.anchor_missing_frames < 1:
            raise ValueError(f"clarify.anchor_missing_frames must be >= 1, got {self.anchor_missing_frames}")
        if not 0.0 <= self.place_margin <= 1.0:
            raise ValueError(f"clarify.place_margin must be in [0, 1] (0: never ask which place), got "
                             f"{self.place_margin}")

    @classmethod
    def from_params(cls, params: Mapping[str, Any], prefix: str = "clarify.") -> "ClarifyConfig":
        """From flattened node parameters (`clarify.score_margin`, ...); an unknown `clarify.*` name is an error."""
        return cls(**config_values(cls, params, prefix))


class Decision(NamedTuple):
    """GO with `index`, ASK with `candidates` (indices into the objects, in the question's numbering) and
    `question` (the status payload), or NOT_FOUND; `reason` in words either way. `more`: with ASK, the
    look-alikes beyond max_candidates that were not offered (best first), asked about after "none of them"."""

    action: str
    index: Optional[int]
    candidates: tuple[int, ...]
    reason: str
    question: Optional[dict[str, Any]]
    more: tuple[int, ...] = ()


class Answer(NamedTuple):
    """CHOICE with `index` (0-based, into the pending candidates), CANCEL, UNCLEAR (ask again: `reason` says
    why) or NOT_AN_ANSWER (treat the text as a new instruction)."""

    kind: str
    index: Optional[int]
    reason: str


# ---- when to ask ------------------------------------------------------------------------------------------------
def decide(objects: Sequence[SceneObject], min_confidence: float, config: ClarifyConfig = ClarifyConfig(),
           vehicle_xy: Optional[XY] = None, missing_anchor: Optional[str] = None,
           rgb: Optional[np.ndarray] = None, any_colour: bool = False) -> Decision:
    """Go, ask or report nothing found (module docstring). `objects` passed every rule (relation, selector);
    `missing_anchor` names a relation's anchor that was not found; min_confidence is MissionConfig's. Call it with
    nothing reaching min_confidence only once every place has been searched: then the best are offered.
    any_colour: the target was grounded in every colour of its noun (Grounder.reads_any_colour), so the scores
    compare colours, not fit: every candidate reaching min_confidence is a look-alike."""
    if not objects:
        return Decision(NOT_FOUND, None, (), "no candidate", None)
    ranked = sorted(range(len(objects)), key=lambda i: -objects[i].score)
    best = objects[ranked[0]].score
    if missing_anchor:
        return offer(objects, f"I could not find {missing_anchor}", config, vehicle_xy, rgb,
                     ask=f"I cannot find {missing_anchor}; which {_kind_of(objects)} do you mean?")
    if best < min_confidence:
        return offer(objects, f"none is a confident match (best score {best:.2f} < {min_confidence:.2f})", config,
                     vehicle_xy, rgb, ask="Nothing is a confident match; is it one of these?")
    floor = min_confidence if any_colour else min(best - config.score_margin, best * config.score_ratio)
    alike = [i for i in ranked if objects[i].score >= max(min_confidence, floor)]
    if len(alike) == 1:
        return Decision(GO, alike[0], (), f"one clear candidate (score {best:.2f})", None)
    why = (f"{len(alike)} candidates reach {min_confidence:.2f} and no colour was named" if any_colour else
           f"{len(alike)} candidates score within {config.score_margin:.2f} of each other"
           if objects[alike[-1]].score >= best - config.score_margin else
           f"{len(alike)} candidates score at least {config.score_ratio:.2f} x the best ({best:.2f})")
    shown = alike[:config.max_candidates]
    return Decision(ASK, None, tuple(shown), why, question(objects, shown, why, vehicle_xy, rgb),
                    tuple(alike[config.max_candidates:]))


def offer(objects: Sequence[SceneObject], why: str, config: ClarifyConfig = ClarifyConfig(),
          vehicle_xy: Optional[XY] = None, rgb: Optional[np.ndarray] = None, ask: Optional[str] = None) -> Decision:
    """ASK about the best-scoring objects (at most max_candidates) whatever their scores: for a relation whose
    anchor is missing, or when nothing was confident enough after the place was searched. `ask` opens the question
    ("I cannot find the pool; which building do you mean?"); NOT_FOUND when there is no object to offer."""
    if not objects:
        return Decision(NOT_FOUND, None, (), f"no candidate ({why})", None)
    ranked = sorted(range(len(objects)), key=lambda i: -objects[i].score)
    shown = ranked[:config.max_candidates]
    return Decision(ASK, None, tuple(shown), why, question(objects, shown, why, vehicle_xy, rgb, ask),
                    tuple(ranked[config.max_candidates:]))


def question(objects: Sequence[SceneObject], offer: Sequence[int], reason: str, vehicle_xy: Optional[XY] = None,
             rgb: Optional[np.ndarray] = None, ask: Optional[str] = None) -> dict[str, Any]:
    """The CLARIFY payload: {"question", "reason", "candidates": [{number, box, score, kind, colour,
    image_position, bearing, distance_m, position, label, answer}]}, numbered 1.. in `offer` order. `ask`: the
    question's first sentence (default: "I see 2 pools (reason). Which one?")."""
    cands = [dict(describe(objects[i], vehicle_xy, rgb), number=n, answer=f"number {n}")
             for n, i in enumerate(offer, start=1)]
    kinds = sorted({objects[i].kind for i in offer})
    what = f"{len(offer)} {kinds[0]}s" if len(kinds) == 1 else f"{len(offer)} candidates"
    if len(offer) == 1:
        what = f"one {kinds[0]}"
    head = f"I see {what} ({reason}). Which one?" if ask is None else f"{ask} I see {what}."
    return {"question": f"{head} Say its number, e.g. 'the left one', or 'none of them'.", "reason": reason,
            "candidates": cands}


def _kind_of(objects: Sequence[SceneObject]) -> str:
    kinds = sorted({o.kind.replace("_", " ") for o in objects})
    return kinds[0] if len(kinds) == 1 else "one"


def describe(obj: SceneObject, vehicle_xy: Optional[XY] = None, rgb: Optional[np.ndarray] = None) -> dict[str, Any]:
    """Words for one candidate: colour (its own, else read from the frame), kind, image position, map bearing."""
    colour = obj.colour or (colour_name(rgb, obj.box) if rgb is not None else None)
    where = image_position_words(obj.box)
    out: dict[str, Any] = {"box": [round(float(v), 4) for v in obj.box], "score": round(float(obj.score), 3),
                           "kind": obj.kind, "colour": colour, "image_position": where, "bearing": None,
                           "distance_m": None, "position": None}
    label = f"{colour + ' ' if colour else ''}{obj.kind.replace('_', ' ')}, {where}"
    if obj.ground is not None:
        out["position"] = [round(obj.ground[0], 2), round(obj.ground[1], 2)]
        if vehicle_xy is not None:
            dist = math.dist(vehicle_xy, obj.ground)
            out["distance_m"] = round(dist, 1)
            bearing = bearing_word(vehicle_xy, obj.ground)
            out["bearing"] = bearing
            label += f", {dist:.0f} m {bearing} of you" if bearing else ", below you"
    out["label"] = label
    return out


def image_position_words(box: Sequence[float]) -> str:
    """"upper left", "lower centre", "left", "centre" ... from the box centre's 3x3 thirds of the frame."""
    h, v = image_position_labels(box)
    if (h, v) == (1, 1):
        return "centre"
    if v == 1:
        return ("left", "centre", "right")[h]
    return f"{('upper', '', 'lower')[v]} {('left', 'centre', 'right')[h]}"


def colour_name(rgb: np.ndarray, box: Sequence[float]) -> Optional[str]:
    """A colour word for the middle half of a normalized (cx, cy, w, h) box in an RGB uint8 frame, from the
    per-channel median colour's hue, saturation and value; None when the box is outside the frame."""
    x0, y0, x1, y1 = box_pixel_span(box, (rgb.shape[1], rgb.shape[0]), 0.5)
    if x1 <= x0 or y1 <= y0:
        return None
    r, g, b = (float(np.median(rgb[y0:y1, x0:x1, k])) / 255.0 for k in range(3))
    hue, sat, val = colorsys.rgb_to_hsv(r, g, b)
    hue *= 360.0
    if val < 0.24:
        return "black"
    if sat < 0.2:
        return "white" if val > 0.8 else "grey"
    if hue < 16 or hue >= 330:
        return "red"
    if hue < 40:
        return "orange" if sat > 0.6 else "brown"   # brown: a dull orange
    if hue < 70:
        return "yellow"
    if hue < 170:
        return "green"
    return "blue" if hue < 260 else "purple"


# ---- what the answer means --------------------------------------------------------------------------------------
_CANCEL = {"none", "none of them", "none of these", "none of those", "neither", "neither of them", "neither one",
           "no", "nope", "not those", "not any of them", "no one", "cancel", "wrong", "all wrong", "never mind",
           "nevermind", "forget it"}
_YES = {"yes", "yeah", "yep", "yup", "y", "correct", "that one", "this one", "ok", "okay", "sure", "affirmative",
        "yes please", "yes that one", "go", "go ahead", "confirm", "confirmed"}
_LEADS = r"^(?:(?:i\s+)?mean\s+|i\s+want\s+|go\s+with\s+|take\s+|choose\s+|pick\s+|select\s+|it\s+is\s+|its\s+" \
         r"|it\s+s\s+|the\s+answer\s+is\s+|fly\s+to\s+|go\s+to\s+)+"
_WORD_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                 "nine": 9, "ten": 10, "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6,
                 "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10, "last": -1}
_NUMBER_RE = re.compile(r"^(?:(?:number|no|num|candidate|option|choice)\s*)?(?P<n>\d+|one|two|three|four|five|six"
                        r"|seven|eight|nine|ten)$|^(?P<ord>\d+(?:st|nd|rd|th)|first|second|third|fourth|fifth|sixth"
                        r"|seventh|eighth|ninth|tenth|last)$")
# image words: (axis, sign) on the normalized box centre (x grows right, y grows down)
_IMAGE = {"left": (0, -1), "leftmost": (0, -1), "right": (0, 1), "rightmost": (0, 1), "top": (1, -1),
          "upper": (1, -1), "topmost": (1, -1), "bottom": (1, 1), "lower": (1, 1), "bottommost": (1, 1)}
_BIG = {"big", "bigger", "biggest", "large", "larger", "largest"}
_SMALL = {"small", "smaller", "smallest", "little", "tiny"}
_NEAR = {"near", "nearer", "nearest", "close", "closer", "closest"}
_FAR = {"far", "farther", "farthest", "further", "furthest"}
_COLOURS = {"red", "orange", "brown", "yellow", "green", "blue", "purple", "white", "grey", "gray", "black",
            "silver"}
_RELATION_RE = re.compile(r"^(?P<rel>next\s+to|near|nearest\s+to|nearest|closest\s+to|closest|by|beside|close\s+to"
                          r"|(?:to\s+the\s+)?(?:left|right)\s+of|above|below"
                          r"|(?:to\s+the\s+)?(?:north|south|east|west|(?:north|south)\s?(?:east|west))\s+of)"
                          r"\s+(?P<anchor>.+)$")


def resolve_answer(text: str, pending: Sequence[SceneObject], vehicle_xy: Optional[XY] = None,
                   yaw: Optional[float] = None,
                   locate_anchor: Optional[Callable[[str], Optional[XY]]] = None) -> Answer:
    """What the operator's reply to a CLARIFY question means (module docstring).

    pending: the candidates offered, in the question's numbering (pending[0] is "number 1"), with the boxes of
    the frame that was shown. vehicle_xy: for "the closer one". yaw: the vehicle's yaw when the question was
    asked (camera words in "the one left of the road"). locate_anchor: grounds an anchor phrase ("the road") to
    an ENU point, or None when it is not found (the caller runs the grounder on the current frame)."""
    t = _clean(text)
    if not t:
        return Answer(NOT_AN_ANSWER, None, "empty")
    if t in _CANCEL:
        return Answer(CANCEL, None, "none of the candidates")
    if t in _YES:
        if len(pending) == 1:
            return Answer(CHOICE, 0, "yes to the only candidate")
        return Answer(UNCLEAR, None, f"there are {len(pending)} candidates: say which number")
    t = re.sub(r"\s+please$", "", re.sub(_LEADS, "", t)).strip()
    if not t:
        return Answer(NOT_AN_ANSWER, None, "no description of a candidate")
    number = _number(t)
    if number is not None:
        return _numbered(number, len(pending))
    body = _descriptor(t, pending)
    if body is None:
        return Answer(NOT_AN_ANSWER, None, f"{text.strip()[:60]!r} does not describe one of the candidates")
    return _by_description(body, pending, vehicle_xy, yaw, locate_anchor)


def _clean(text: str) -> str:
    t = re.sub(r"[^\w\s#-]", " ", str(text).lower()).replace("-", " ").replace("#", " number ")
    return re.sub(r"\s+", " ", t).strip()


def _number(t: str) -> Optional[int]:
    m = _NUMBER_RE.match(re.sub(r"^the\s+", "", re.sub(r"\s+(?:one|candidate|option)$", "", t)))
    if not m:
        return None
    word = m.group("n") or m.group("ord")
    digits = re.match(r"\d+", word)
    return int(digits.group(0)) if digits else _WORD_NUMBERS[word]


def _numbered(number: int, count: int) -> Answer:
    index = count - 1 if number == -1 else number - 1
    if 0 <= index < count:
        return Answer(CHOICE, index, f"number {index + 1}")
    return Answer(UNCLEAR, None, f"there is no number {number}: choose 1 to {count}")


def _descriptor(t: str, pending: Sequence[SceneObject]) -> Optional[str]:
    """The describing words of "the left one" / "the one next to the road" / "the red pool" (pool being a pending
    kind), or None when the text does not talk about one of the pending candidates."""
    kinds = {o.kind.replace("_", " ") for o in pending}
    t = re.sub(r"^the\s+", "", t)
    m = re.match(r"^(?:one|ones)\s+(?:that\s+is\s+|which\s+is\s+|on\s+the\s+|at\s+the\s+|in\s+the\s+)?(?P<rest>.+)$", t)
    if m:   # "the one next to the road", "the one on the left"
        return m.group("rest").strip()
    for head in sorted(kinds | {"one"}, key=len, reverse=True):
        if t == head:
            return None
        if t.endswith(" " + head):   # "the left one", "the red pool"
            return t[:-len(head)].strip()
        m = re.match(rf"^{re.escape(head)}\s+(?:that\s+is\s+|on\s+the\s+|at\s+the\s+|in\s+the\s+)?(?P<rest>.+)$", t)
        if m and head != "one":   # "the pool next to the road", "the pool on the left"
            return m.group("rest").strip()
    words = t.split()
    if len(words) <= 2 and all(w in _IMAGE or w in _BIG | _SMALL | _NEAR | _FAR | _COLOURS or compass_word(w)
                               for w in words):
        return t   # "left", "top left", "bigger", "red", "northern"
    return None


def _by_description(body: str, pending: Sequence[SceneObject], vehicle_xy: Optional[XY], yaw: Optional[float],
                    locate_anchor: Optional[Callable[[str], Optional[XY]]]) -> Answer:
    rel = _RELATION_RE.match(body)
    if rel:
        return _by_anchor(rel.group("rel"), rel.group("anchor"), pending, yaw, locate_anchor)
    words = [w for w in body.split() if w not in ("side", "end", "the", "of", "them", "two", "most")]
    if words and all(w in _IMAGE for w in words):
        return _extreme_in_image(words, pending)
    if len(words) == 1 and compass_word(words[0]):
        got = choose_extreme(pending, map_direction(words[0]))   # type: ignore[arg-type]
        return _answer(got.index, f"the {compass_word(words[0])}ernmost (map frame)")
    if len(words) == 1 and words[0] in _BIG | _SMALL:
        if any(not o.footprint for o in pending):
            return Answer(UNCLEAR, None, "not every candidate could be measured: say its number")
        areas = [o.area for o in pending]
        pick = int(np.argmax(areas)) if words[0] in _BIG else int(np.argmin(areas))
        return _unique(pick, areas, "the " + ("larger" if words[0] in _BIG else "smaller") + " on the ground")
    if len(words) == 1 and words[0] in _NEAR | _FAR:
        if vehicle_xy is None or any(o.ground is None for o in pending):
            return Answer(UNCLEAR, None, "distances are not known: say its number")
        dist = [math.dist(vehicle_xy, o.ground) for o in pending]   # type: ignore[arg-type]
        pick = int(np.argmin(dist)) if words[0] in _NEAR else int(np.argmax(dist))
        return _unique(pick, dist, "the " + ("nearer" if words[0] in _NEAR else "farther") + " to the drone")
    if len(words) == 1 and words[0] in _COLOURS:
        want = "grey" if words[0] in ("gray", "silver") else words[0]
        match = [i for i, o in enumerate(pending) if (o.colour or "").replace("gray", "grey") == want]
        if len(match) == 1:
            return Answer(CHOICE, match[0], f"the only {want} one")
        return Answer(UNCLEAR, None, f"{len(match)} of the candidates are {want}: say its number")
    return Answer(NOT_AN_ANSWER, None, f"{body!r} does not pick one of the candidates")


def _extreme_in_image(words: Sequence[str], pending: Sequence[SceneObject]) -> Answer:
    """"the left one", "the top left one": largest sum of the named image coordinates (as the operator saw the
    frame that was shown with the question)."""
    score = [sum(_IMAGE[w][1] * float(o.box[_IMAGE[w][0]]) for w in words) for o in pending]
    return _unique(int(np.argmax(score)), score, "the " + " ".join(words) + " one in the image shown")


def _by_anchor(rel: str, anchor: str, pending: Sequence[SceneObject], yaw: Optional[float],
               locate_anchor: Optional[Callable[[str], Optional[XY]]]) -> Answer:
    where = locate_anchor(anchor) if locate_anchor is not None else None
    if where is None:
        return Answer(UNCLEAR, None, f"I cannot find {anchor}: say its number")
    rel = re.sub(r"^to\s+the\s+", "", rel)
    word = re.sub(r"\s+of$", "", rel)
    proximity = word in ("next to", "near", "nearest to", "nearest", "closest to", "closest", "by", "beside",
                         "close to")
    direction = None if proximity else map_direction(word) or (camera_direction(word, yaw) if yaw is not None
                                                               else None)
    if not proximity and direction is None:
        return Answer(UNCLEAR, None, f"{word!r} needs the drone's heading when the question was asked")
    if direction is not None:
        got = choose_from_anchor(pending, where, direction)
        frame = "map" if direction.frame == FRAME_MAP else "camera"
        return _answer(got.index, f"the one {word} of {anchor} ({frame} frame)")
    placed = [(math.dist(o.ground, where), i) for i, o in enumerate(pending) if o.ground is not None]
    if not placed:
        return Answer(UNCLEAR, None, "the candidates are not on the ground map: say its number")
    dist = [d for d, _ in placed]
    return _unique(placed[int(np.argmin(dist))][1], dist, f"the one nearest {anchor}", lowest=True)


def _unique(pick: int, values: Sequence[float], why: str, lowest: bool = False) -> Answer:
    """A choice by a value only when it is not tied with another candidate's (then ask for the number)."""
    ties = [v for i, v in enumerate(values) if i != pick and abs(v - values[pick]) <= 1e-6 * max(1.0, abs(v))]
    if ties:
        return Answer(UNCLEAR, None, f"{why}: two candidates are equal there; say its number")
    return Answer(CHOICE, pick, why)


def _answer(index: Optional[int], why: str) -> Answer:
    return Answer(CHOICE, index, why) if index is not None else Answer(UNCLEAR, None, f"no candidate is {why}")
