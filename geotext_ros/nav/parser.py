"""Instruction parsing: an operator's sentence -> command, target phrase, anchor(s), relation, image position.

The parser never raises on a ``str`` (empty, huge, control characters, non-ASCII, injection-like text all produce
an Instruction). Before anything else it removes ANSI escape sequences and Unicode format characters and turns
control characters into spaces. A goto whose target phrase names nothing the model can ground (no known kind or
attribute, geotext_ros/nav/vocabulary.py: only function words, junk, or another script) is marked
`not_understood` with the reason: the navigator answers NOT_UNDERSTOOD and does not move.

The parser is the one vocabulary of operator commands (stop, hold, return, resume): the navigator's mission and
the PX4 bridge's override both use `parse_instruction(...).command`.

NUL: ROS 2 strings are C strings, so rclpy delivers "fly to the\0red building" as "fly to the" (cut at the NUL);
that names no object and is NOT_UNDERSTOOD. A NUL that reaches the parser itself is a control character (space).
Relations are image-relative ("left of", "above", the diagonals "lower left of" / "below and to the left of";
geotext_ros/nav/relation_words.py), said after the target or first ("to the left of the pool there is a red
building"); compass words are map relations (nav/map_relations.py). Words that present an object ("there is",
"can be seen") and positions said of the image ("in the lower right of the image") are not part of any phrase.

    >>> parse_instruction("Fly to the red building left of the pool").relation
    'left of'
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Optional

from geotext_ros.model.text import MAX_WORDS_TEST, clean_caption
from geotext_ros.nav.map_relations import MapRelation, parse_map_relation
from geotext_ros.nav.order_size import Selector, parse_selector
from geotext_ros.nav.relation_words import (RELATION_LABELS, RELATIONS, REL_RE, front_relation,  # noqa: F401
                                             relation_name)
from geotext_ros.nav.vocabulary import groundable_words

COMMANDS = ("goto", "stop", "hold", "return", "resume")

# Input longer than this is cut before any regex runs: bounded work for hostile or accidental 100 kB messages.
MAX_INPUT_CHARS = 2000


@dataclass(frozen=True)
class Instruction:
    """A parsed operator instruction.

    command: "goto" | "stop" | "hold" | "return" | "resume" (resume the mission a hold interrupted).
    raw: the input (after truncation to MAX_INPUT_CHARS). text: cleaned sentence (clean_caption, 50 words) —
    the full sentence used for ITM confidence and the box head. target: phrase to ground; empty only when the
    input had no words (see `empty`).
    anchor / anchor2: reference phrase(s) of the relation (anchor2 only for "between").
    relation: one of RELATIONS or None. position: (h, v) image-position classes (0 left/upper, 1 center/middle,
    2 right/lower; None = axis not named) or None. truncated: the input was cut (chars or words).
    not_understood: for a goto whose target names nothing groundable, why (for the operator); else None.
    map_relation: "the building north of the pool" / "the eastern parking lot" (map frame, nav/map_relations.py);
    selector: "the second building from the left" / "the largest parking lot" (nav/order_size.py). With either,
    target is the kind to ground and anchor the reference phrase (if any); relation and position are None: the
    choice among the candidates is made on the ground (nav/spatial_choice.py), not by the image 3x3 rule.
    """

    command: str
    raw: str
    text: str
    target: str
    anchor: Optional[str] = None
    anchor2: Optional[str] = None
    relation: Optional[str] = None
    position: Optional[tuple[Optional[int], Optional[int]]] = None
    truncated: bool = False
    not_understood: Optional[str] = None
    map_relation: Optional[MapRelation] = None
    selector: Optional[Selector] = None
    land: Optional[str] = None    # "beside" ("land next to the pool") or "on" ("land on the helipad"); else None

    @property
    def understood(self) -> bool:
        """False for a goto that must not move the drone (empty, or nothing groundable in its target)."""
        return not (self.command == "goto" and (self.empty or self.not_understood is not None))

    @property
    def empty(self) -> bool:
        """True for a goto with nothing to ground (empty or whitespace-only input): callers ignore it."""
        return self.command == "goto" and not self.target

    @property
    def anchors(self) -> list[str]:
        """The anchor phrases present, in order (0, 1 or 2 of them)."""
        return [a for a in (self.anchor, self.anchor2) if a]


# ---- command words ----------------------------------------------------------------------------------------

# One vocabulary for the navigator and the PX4 bridge. Whole-phrase matching (after dropping _FILLER words):
# "fly to the bus stop" stays a goto.
_FILLER = {"please", "now", "immediately", "drone", "the", "right", "away", "at", "once", "ok", "okay", "and"}
_STOP = {"stop", "halt", "abort", "freeze", "cancel", "emergency stop", "stop moving", "stop mission", "stop here",
         "abort mission", "cancel mission", "stop it", "cancel that", "stop that"}
_HOLD = {"hold", "hold position", "hover", "hover here", "stay", "stay here", "wait", "wait here",
         "hold here", "keep position", "loiter", "pause", "pause mission", "hold on", "stay put", "stay there"}
_RETURN = {"return", "return home", "return to home", "go home", "come back", "come home", "rtl", "rth",
           "return to launch", "return to base", "go back home", "fly home", "fly back home", "head home",
           "return to start", "go back to start", "back home", "take me home", "bring drone home",
           "fly me home", "bring it home", "return to launch point", "go back"}
_RESUME = {"resume", "continue", "resume mission", "continue mission", "carry on", "go on", "proceed",
           "keep going", "go ahead", "resume flight", "continue flight", "unpause", "you may continue"}

# ---- navigation verbs stripped from the front --------------------------------------------------------------

_VERBS = sorted([
    "fly to", "fly over to", "fly towards", "fly toward", "fly over", "fly above", "fly", "go to", "go over to",
    "go towards", "go", "head to", "head over to", "head towards", "head for", "navigate to", "navigate towards",
    "move to", "move towards", "move over to", "find", "locate", "search for", "look for", "land near",
    "land next to", "land at", "land on", "land by", "land", "hover over", "hover above", "approach",
    "take me to", "bring me to", "show me", "where is", "get to", "travel to", "proceed to", "reach",
    "point at", "point to", "track", "follow", "inspect", "circle", "target", "i want to go to",
    "can you fly to", "could you fly to", "can you find", "could you find", "please",
    # requests and verbs that end in a relation word ("above", "over") must be stripped before relations are split
    "get above", "get over", "get over to", "get on top of", "position above", "position over", "hover on top of",
    "take the drone to", "take the drone over to", "take us to", "take us over to", "i need eyes on",
    "i want eyes on", "give me eyes on", "put the drone above", "put the drone over", "can you", "could you",
    "would you", "i need you to", "i want you to",
], key=len, reverse=True)
_VERB_RE = re.compile(r"^(?:" + "|".join(re.escape(v) for v in _VERBS) + r")\b\s*")
# "take me above the car park", "bring the drone over the pool", "fly me to ...": verb + whom + a preposition
# is the request, never part of the phrase (the preposition would otherwise split off as a relation).
_REQUEST_RE = re.compile(
    r"^(?:take|bring|fly|send|move|get|put|steer|guide|carry|position|navigate)\s+"
    r"(?:me|us|it|the\s+(?:drone|uav|aircraft|quadcopter|copter|camera))\b"
    r"(?:\s+(?:over\s+to|over|above|on\s+top\s+of|up\s+to|to|towards|toward|across\s+to|onto|into|near\s+to|"
    r"near|by|next\s+to|close\s+to|right\s+above|directly\s+above|straight\s+to))?\b\s*")

# ---- image-position words ----------------------------------------------------------------------------------

_P = r"(?:top|upper|uppermost|topmost|bottom|lower|lowermost|bottommost|left|leftmost|right|rightmost|" \
     r"center|centre|middle|central)"
_PP = rf"{_P}(?:\s+{_P})?"
_FRAME_NOUN = r"(?:image|picture|photo|frame|view|screen|scene|camera|camera\s+view|video)"
_FRAME = rf"(?:\s+of\s+the\s+{_FRAME_NOUN})?"
_PART = r"(?:\s+(?:corner|side|part|area|edge|portion|half|region|third|one))?"
_POS_PREP_RE = re.compile(rf"\s*\b(?:in|at|on|to|towards|near)\s+the\s+(?P<pos>{_PP}){_PART}{_FRAME}\b")
_POS_FRAMED_RE = re.compile(rf"\s*\b(?:in|at|on|to|towards|near|along|of)\s+the\s+(?:very\s+|far\s+)?(?P<pos>{_PP})"
                            rf"{_PART}\s+of\s+the\s+{_FRAME_NOUN}\b")
_POS_ONE_OF_RE = re.compile(
    rf"\bthe\s+(?P<pos>{_PP})\s+(?:one|1)\s+(?:of|among|from)\s+(?:the\s+)?"
    r"(?:(?:two|three|four|five|several|many|\d+)\s+)?")
_POS_ADJ_RE = re.compile(rf"\bthe\s+(?P<pos>{_PP})\s+(?=\S)")
_POS_TAIL_RE = re.compile(rf"\s+(?P<pos>{_PP}){_FRAME}$")

_POS_ONLY_RE = re.compile(rf"(?:the\s+)?{_PP}{_PART}{_FRAME}|the\s+(?:image|picture|photo|frame|view|screen)")

_H_WORDS = {"left": 0, "leftmost": 0, "right": 2, "rightmost": 2}
_V_WORDS = {"top": 0, "upper": 0, "uppermost": 0, "topmost": 0, "bottom": 2, "lower": 2, "lowermost": 2,
            "bottommost": 2}
_C_WORDS = {"center", "centre", "middle", "central"}

_EMPTY_PHRASES = {"", "the", "a", "an", "one", "the one", "thing", "the thing", "object", "the object", "it",
                  "that", "this", "there", "here", "something", "target", "the target", "one that"}
_TRAILING_JUNK_RE = re.compile(r"(?:\s+(?:that|which|who|is|are|located|situated|lying|sitting|standing|placed|"
                               r"thats|please|now|there|here|can|be|seen|spotted|visible|shown|found|lies|sits|"
                               r"stands|appears))+$")
# "there is a pool", "you can spot a pool": the words that present an object are not part of it.
_PRESENTING_RE = re.compile(r"^(?:there\s+(?:is|are|s)|(?:you|we|one|i)\s+(?:can\s+|will\s+)?(?:see|spot|find)|"
                            r"looking\s+down\s+(?:from\s+the\s+air\s+)?(?:we|you|one)\s+(?:can\s+)?"
                            r"(?:see|find|spot))\s+(?=\S)")


def parse_instruction(text: str) -> Instruction:
    """Parse one operator sentence. Never raises on a str; raises TypeError on anything else."""
    if not isinstance(text, str):
        raise TypeError(f"instruction must be a str, got {type(text).__name__}: {text!r:.80}; "
                        "decode bytes to str (utf-8) before parsing")
    truncated = len(text) > MAX_INPUT_CHARS
    raw = text[:MAX_INPUT_CHARS]
    truncated |= len(sanitize(raw).split()) > MAX_WORDS_TEST
    cleaned = clean_caption(sanitize(raw), MAX_WORDS_TEST)
    command = _command_of(cleaned)
    if command != "goto":
        return Instruction(command=command, raw=raw, text=cleaned, target="", truncated=truncated)
    if not cleaned:
        return Instruction(command="goto", raw=raw, text="", target="", truncated=truncated)
    land = None
    m = _LAND_RE.match(cleaned)
    if m:   # "land next to the pool": the target is the pool, the landing point beside it (nav/landing.py)
        land, cleaned_body = ("on" if m.group("how") in ("on", "onto", "on top of") else "beside"), m.group("rest")
    # the rest of a landing reads like any target: "land near the small pond beneath the track"
    body = _strip_verbs(cleaned_body if land else cleaned)
    spatial = _spatial(body)
    if spatial is not None:
        target, anchor, map_relation, selector = spatial
        return Instruction(command="goto", raw=raw, text=cleaned, target=target, anchor=anchor,
                           truncated=truncated, not_understood=_why_not_groundable(target),
                           map_relation=map_relation, selector=selector, land=land)
    body, framed = _extract_framed_position(body)
    target, anchor, anchor2, relation = _split_relation(body)
    target, position = _extract_position(target)
    position = framed or position
    target = _tidy(target)
    if anchor is not None:
        anchor = _tidy(_extract_position(anchor)[0]) or None
    if anchor2 is not None:
        anchor2 = _tidy(_extract_position(anchor2)[0]) or None
    if relation is not None and (anchor is None or (relation == "between" and anchor2 is None)):
        relation, anchor, anchor2 = None, None, None   # a relation without its anchor(s) cannot be resolved
    if target in _EMPTY_PHRASES:
        # Nothing usable left (e.g. "the one left of the pool"): ground the whole sentence instead.
        target = _tidy(body) or cleaned
        if target in _EMPTY_PHRASES:
            target = cleaned
    return Instruction(command="goto", raw=raw, text=cleaned, target=target, anchor=anchor,
                       anchor2=anchor2, relation=relation, position=position, truncated=truncated,
                       not_understood=_why_not_groundable(target), land=land)


_LAND_RE = re.compile(r"^(?:please\s+)?land\s+(?P<how>next\s+to|beside|near(?:\s+to)?|close\s+to|by|on\s+top\s+of"
                      r"|onto|on)"
                      r"\s+(?P<rest>.+)$")


def _spatial(body: str) -> Optional[tuple[str, Optional[str], Optional[MapRelation], Optional[Selector]]]:
    """(target, anchor, map_relation, selector) for an ordinal / superlative / compass phrase, else None."""
    selector = parse_selector(body)
    if selector is not None and groundable_words(selector.target):
        return "the " + _tidy(selector.target), selector.anchor, None, selector
    relation = parse_map_relation(body)
    if relation is not None and groundable_words(relation.target):
        anchor = _tidy(relation.anchor) if relation.anchor else None
        return "the " + _tidy(relation.target), anchor or None, relation, None
    return None


def relation_labels_of(relation: Optional[str]) -> tuple[Optional[int], Optional[int]]:
    """(h, v) class indices that `relation` asks of target relative to anchor; (None, None) if none apply."""
    return RELATION_LABELS.get(relation or "", (None, None))


# ANSI / VT100 escape sequences: CSI (ESC [ ... final, or the 8-bit CSI 0x9b), OSC (ESC ] ... BEL or ESC \),
# and two-character ESC sequences. Removed whole, so "\x1b[2J" leaves nothing (not "[2j").
_ANSI_RE = re.compile(r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[ -/]*[0-~]?")


def sanitize(text: str) -> str:
    """Remove ANSI escapes and format characters (zero-width, bidi controls, soft hyphen: they hide inside words),
    NFKC-normalise, and turn control/separator characters (and lone surrogates) into spaces."""
    text = _ANSI_RE.sub("", text)
    try:
        text = unicodedata.normalize("NFKC", text)
    except (ValueError, UnicodeError):
        pass
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat == "Cf":
            continue
        out.append(" " if cat[0] in "CZ" else ch)
    return "".join(out)


def _why_not_groundable(target: str) -> Optional[str]:
    """None when the target phrase names a kind or attribute the model knows; else the reason, for the operator."""
    if groundable_words(target):
        return None
    scripts = sorted({_script_of(ch) for ch in target if ch.isalpha()} - {"LATIN"})
    if scripts:
        return (f"language not supported: write in English (the instruction is in {', '.join(scripts).lower()} "
                "script)")
    return (f"no object named in {target[:80]!r}: say which thing to fly to, with a kind or colour the model knows, "
            "e.g. 'the red building left of the pool'")


def _script_of(ch: str) -> str:
    try:
        return unicodedata.name(ch).split()[0]
    except ValueError:
        return "UNKNOWN"


def _command_of(cleaned: str) -> str:
    words = [w for w in cleaned.split() if w not in _FILLER]
    phrase = " ".join(words)
    if phrase in _STOP:
        return "stop"
    if phrase in _HOLD:
        return "hold"
    if phrase in _RETURN:
        return "return"
    if phrase in _RESUME:
        return "resume"
    return "goto"


def _strip_verbs(text: str) -> str:
    # Repeat: "please fly to ..." / "drone please go to ..." carry several leading fillers.
    for _ in range(4):
        text = re.sub(r"^(?:drone|hey drone|ok|okay|now)\b\s*", "", text)
        new = _REQUEST_RE.sub("", text, count=1)
        if new == text:
            new = _VERB_RE.sub("", text, count=1)
        if new == text:
            break
        text = new
    return text.strip()


def _split_relation(body: str) -> tuple[str, Optional[str], Optional[str], Optional[str]]:
    """target, anchor, anchor2, relation: a relation said first ("left of the pool there is a car"), else the
    first relation phrase that has words on both sides."""
    front = front_relation(body) if body else None
    if front is not None:
        target, rest, relation = front
    else:
        m = REL_RE.search(" " + body) if body else None
        if m is None:
            return body, None, None, None
        relation = relation_name(m)
        target = (" " + body)[:m.start()].strip()
        rest = m.group("rest").strip()
    if _POS_ONLY_RE.fullmatch(rest):
        return body, None, None, None   # "near the center of the image" is a position, not an anchor
    if relation != "between":
        return target, rest, None, relation
    parts = re.split(r"\s+and\s+", rest, maxsplit=1)
    if len(parts) != 2:
        return target, None, None, None
    return target, parts[0].strip(), parts[1].strip(), relation


def _extract_framed_position(body: str) -> tuple[str, Optional[tuple[Optional[int], Optional[int]]]]:
    """Remove the first position said of the image itself ("in the lower right of the image", "along the top
    edge of the picture") wherever it stands, before relations are split: its "right of" is not a relation."""
    m = _POS_FRAMED_RE.search(body)
    position = _position_of(m.group("pos")) if m else None
    if m is None or position is None:
        return body, None
    return re.sub(r"\s+", " ", body[:m.start()] + " " + body[m.end():]).strip(), position


def _extract_position(phrase: str) -> tuple[str, Optional[tuple[Optional[int], Optional[int]]]]:
    """Remove image-position wording from a phrase; return the phrase and (h, v) classes or None."""
    for regex, repl in ((_POS_ONE_OF_RE, "the "), (_POS_PREP_RE, " "), (_POS_ADJ_RE, "the "),
                        (_POS_TAIL_RE, "")):
        m = regex.search(phrase)
        if m is None:
            continue
        position = _position_of(m.group("pos"))
        if position is None:
            continue
        rest = (phrase[:m.start()] + repl + phrase[m.end():]).strip()
        if _tidy(rest) in _EMPTY_PHRASES:
            continue   # "the left one" alone: keep the words, there is nothing else to ground
        return rest, position
    return phrase, None


def _position_of(words: str) -> Optional[tuple[Optional[int], Optional[int]]]:
    h: Optional[int] = None
    v: Optional[int] = None
    centre = False
    for w in words.split():
        if w in _H_WORDS:
            h = _H_WORDS[w]
        elif w in _V_WORDS:
            v = _V_WORDS[w]
        elif w in _C_WORDS:
            centre = True
    if centre:
        # "center" alone = the middle cell; "center left" = middle row, "top center" = middle column.
        if h is None and v is None:
            h, v = 1, 1
        elif h is None:
            h = 1
        elif v is None:
            v = 1
    if h is None and v is None:
        return None
    return h, v


def _tidy(phrase: str) -> str:
    phrase = re.sub(r"\s+", " ", phrase).strip()
    phrase = _TRAILING_JUNK_RE.sub("", phrase).strip()
    phrase = _PRESENTING_RE.sub("", phrase)
    phrase = re.sub(r"^(?:to|at|on|over|towards|toward|into|in)\s+(?=the\b|a\b|an\b)", "", phrase)
    return phrase.strip()
