"""The words of image-relative relations, for the instruction parser (geotext_ros/nav/parser.py).

Relations are named by the cell of the 3x3 rule (geotext_ros/relations.py) they ask of the target relative to
the anchor: "left of" constrains the horizontal axis only, "lower left of" both ("to the lower left of the pool",
"below and to the left of the pool"). Operators and GeoText-style descriptions also put the relation first
("to the left of the pool there is a red building"): `front_relation` reads that order.

Text here is cleaned (geotext_ros.model.text.clean_caption): lower case, no punctuation, hyphens are spaces.
"""
from __future__ import annotations

import re
from typing import Optional

RELATIONS = ("left of", "right of", "above", "below", "upper left of", "upper right of", "lower left of",
             "lower right of", "between", "next to")

# (h, v) class indices in the 3x3 relation rule that a relation asks of the target relative to the anchor;
# None = that axis is unconstrained. "between"/"next to" are distance-based and have no label.
RELATION_LABELS: dict[str, tuple[Optional[int], Optional[int]]] = {
    "left of": (0, None),
    "right of": (2, None),
    "above": (None, 0),
    "below": (None, 2),
    "upper left of": (0, 0),
    "upper right of": (2, 0),
    "lower left of": (0, 2),
    "lower right of": (2, 2),
}

INTENSIFIERS = r"(?:(?:right|directly|just|immediately|slightly|somewhat|straight|located|situated|that is|" \
               r"which is|thats|lying|sitting|standing|placed|lies|sits|stands|appears|is|are)\s+)*"


def _diagonal(vertical: str, horizontal: str) -> str:
    """Every wording of one diagonal: "to the upper left of", "above and to the left of", "up and to the left
    of", "left of and above", "in the top left direction from"."""
    up = {"upper": r"(?:upper|top)", "lower": r"(?:lower|bottom)"}[vertical]
    over = {"upper": r"(?:above|up|higher)", "lower": r"(?:below|down|beneath|lower)"}[vertical]
    return "|".join([
        rf"(?:(?:to|on|at|towards)\s+the\s+)?{up}\s+{horizontal}(?:\s+(?:hand\s+)?side)?\s+(?:of|from)",
        rf"{over}\s+and\s+(?:(?:to|on)\s+the\s+)?{horizontal}(?:\s+side)?\s+of",
        rf"(?:to\s+the\s+)?{horizontal}\s+of\s+and\s+{over}",
        rf"in\s+the\s+{up}\s+{horizontal}\s+direction\s+(?:from|of)",
    ])


# (relation, pattern); diagonals first: "below and to the left of" must not stop at "below".
REL_PATTERNS: list[tuple[str, str]] = [
    ("upper left of", _diagonal("upper", "left")),
    ("upper right of", _diagonal("upper", "right")),
    ("lower left of", _diagonal("lower", "left")),
    ("lower right of", _diagonal("lower", "right")),
    ("between", r"(?:in\s+)?between"),
    ("left of", r"(?:(?:to|on|at)\s+the\s+)?left(?:\s+(?:hand\s+)?side)?\s+of"),
    ("right of", r"(?:(?:to|on|at)\s+the\s+)?right(?:\s+(?:hand\s+)?side)?\s+of"),
    ("above", r"above|(?:on\s+the\s+)?upper\s+side\s+of|higher\s+up\s+than|up\s+from"),
    ("below", r"below|beneath|underneath|(?:on\s+the\s+)?lower\s+side\s+of|down\s+from"),
    ("next to", r"next\s+to|beside|besides|near(?:\s+to)?|nearby|close\s+to|adjacent\s+to|alongside|"
                r"by\s+the\s+side\s+of"),
]
_ALTERNATIVES = "|".join(f"(?P<r{i}>{p})" for i, (_, p) in enumerate(REL_PATTERNS))
# A relation inside a sentence: " <intensifiers> <relation> <rest>".
REL_RE = re.compile(r"\s+" + INTENSIFIERS + r"(?P<rel>" + _ALTERNATIVES + r")\s+(?P<rest>\S.*)$")

# A relation said first: "<relation> <anchor> <marker> <target>". The marker is what English puts between the
# two ("there is", "you can see", "lies", "is"); the anchor is the shortest phrase before it.
_MARKER = r"(?:there\s+(?:is|are|s)|(?:you|we|one|i)\s+(?:can\s+|will\s+)?(?:see|spot|find)|" \
          r"(?:lies|lie|sits|sit|stands|stand|appears|is|are)(?:\s+(?:located|situated|placed))?)"
_FRONT_RE = re.compile(r"^(?:(?:which|that)\s+is\s+)?" + INTENSIFIERS + r"(?P<rel>" + _ALTERNATIVES
                       + r")\s+(?P<anchor>\S.*?)\s+" + _MARKER + r"\s+(?P<target>\S.*)$")


def relation_name(match: re.Match) -> str:
    """The relation whose pattern matched in REL_RE / _FRONT_RE's match."""
    return next(name for i, (name, _) in enumerate(REL_PATTERNS) if match.group(f"r{i}"))


def front_relation(body: str) -> Optional[tuple[str, str, str]]:
    """(target, anchor phrase, relation) of a sentence that says the relation first ("to the lower left of the
    pool there is a red building"), else None."""
    m = _FRONT_RE.match(body)
    if m is None:
        return None
    return m.group("target").strip(), m.group("anchor").strip(), relation_name(m)
