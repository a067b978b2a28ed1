"""Choosing one candidate box: by spatial relation to anchor box(es), by image position, or by model agreement.

Pure geometry + given probabilities, no model: the Grounder feeds it candidates from dense maps and the relation
head's probabilities. Relations come from geotext_ros.relations (the 3x3 rule) only.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional, Sequence

import numpy as np

from geotext_ros.nav.candidates import BoxT, Candidate, center_distance, iou
from geotext_ros.nav.parser import relation_labels_of
from geotext_ros.relations import image_position_labels, relation_labels

# relation name -> probabilities [K] that each candidate stands in it to the anchor, from the relation head
RelationProb = Callable[[list[BoxT], BoxT, str], np.ndarray]


@dataclass(frozen=True)
class SelectionWeights:
    """How a relation choice weighs evidence. The 3x3 rule decides which candidates stand in the relation; among
    those, the dense score (is this the named object?) plus `head` x the relation head's probability."""

    head: float = 0.3
    overlap_iou: float = 0.5   # a candidate overlapping an anchor this much is the anchor itself
    agree_iou: float = 0.3     # the full-sentence box head "agrees" with a candidate at this IoU


@dataclass(frozen=True)
class Selection:
    """Chosen candidate index (None = none), the relation actually applied, and why."""

    index: Optional[int]
    relation: Optional[str]
    reason: str


def select_candidate(candidates: Sequence[Candidate], relation: Optional[str] = None,
                     anchors: Sequence[BoxT] = (), position: Optional[tuple[Optional[int], Optional[int]]] = None,
                     head_box: Optional[BoxT] = None, relation_prob: Optional[RelationProb] = None,
                     weights: SelectionWeights = SelectionWeights()) -> Selection:
    """Pick one candidate.

    relation + anchors: "between" (needs 2 anchors) = closest to the anchors' midpoint; "next to" = nearest to
    the anchor; "left of"/"right of"/"above"/"below" = _by_direction.
    Otherwise position (h, v) classes pick by image position; otherwise the candidate the full-sentence box
    head overlaps most (>= agree_iou), else the highest score.
    """
    if not candidates:
        return Selection(None, None, "no candidate region")
    if relation and anchors:
        return _by_relation(candidates, relation, list(anchors), relation_prob, weights)
    if position is not None and any(p is not None for p in position):
        return Selection(_by_position(candidates, position), None, f"image position {position}")
    return _by_agreement(candidates, head_box, weights)


def _by_relation(cands: Sequence[Candidate], relation: str, anchors: list[BoxT],
                 relation_prob: Optional[RelationProb], weights: SelectionWeights) -> Selection:
    pool = [i for i, c in enumerate(cands) if all(iou(c.box, a) < weights.overlap_iou for a in anchors)]
    note = ""
    if not pool:
        pool, note = list(range(len(cands))), " (every candidate overlaps the anchor)"
    if relation == "between":
        if len(anchors) < 2:
            relation = "next to"
            note += " (second anchor not found: nearest to the first)"
        else:
            mid = ((anchors[0][0] + anchors[1][0]) / 2, (anchors[0][1] + anchors[1][1]) / 2)
            best = min(pool, key=lambda i: center_distance(cands[i].box, mid))
            return Selection(best, "between", "closest to the anchors' midpoint" + note)
    if relation == "next to":
        best = min(pool, key=lambda i: center_distance(cands[i].box, anchors[0]))
        return Selection(best, "next to", "nearest to the anchor" + note)
    want = relation_labels_of(relation)
    if want == (None, None):
        return Selection(max(pool, key=lambda i: cands[i].score), None, f"unknown relation {relation!r}")
    return _by_direction(cands, pool, relation, want, anchors[0], relation_prob, weights, note)


def _by_direction(cands: Sequence[Candidate], pool: list[int], relation: str,
                  want: tuple[Optional[int], Optional[int]], anchor: BoxT, relation_prob: Optional[RelationProb],
                  weights: SelectionWeights, note: str) -> Selection:
    """The 3x3 rule is the relation's definition (instructions name the one object of its kind that stands in
    it), so it filters; several candidates passing means some are not the named kind, and the dense score tells
    which (measuring *how far* above, the head's strength, picked same-coloured objects of other kinds). With
    none passing, the head alone: the rule may fail on an estimated anchor box that the head tolerates."""
    boxes = [cands[i].box for i in pool]
    geo = np.array([_matches(relation_labels(b, anchor), want) for b in boxes])
    head = np.zeros(len(pool)) if relation_prob is None else np.asarray(relation_prob(boxes, anchor, relation),
                                                                         dtype=np.float64).reshape(-1)
    head = np.nan_to_num(head)
    if geo.any():
        score = np.array([cands[i].score for i in pool])
        k = int(np.argmax(np.where(geo, score + weights.head * head, -np.inf)))
        why = "3x3 rule, then dense score and relation head"
    else:
        k = int(np.argmax(head))
        why = "relation head only (no candidate satisfies the 3x3 rule)"
    return Selection(pool[k], relation, why + note)


def rule_anchor(candidates: Sequence[Candidate], relation: Optional[str], anchors: Sequence[BoxT],
                weights: SelectionWeights = SelectionWeights()) -> Optional[int]:
    """Which of an anchor phrase's regions (best first) to read a left/right/above/below relation from: the best
    one unless no target candidate apart from it stands in the relation to it (3x3 rule) while a later one has
    such a candidate; then the first that has. Why: a phrase of the target's colour ("the grey piazza" beside a
    grey building) may light the target itself best, which leaves the relation nothing to choose from.
    None when there is no anchor region."""
    if not anchors:
        return None
    want = relation_labels_of(relation) if relation else (None, None)
    if want == (None, None) or relation in ("between", "next to"):
        return 0
    for k, anchor in enumerate(anchors):
        if any(iou(c.box, anchor) < weights.overlap_iou and _matches(relation_labels(c.box, anchor), want)
               for c in candidates):
            return k
    return 0


def _matches(labels: tuple[int, int], want: tuple[Optional[int], Optional[int]]) -> bool:
    return all(w is None or w == got for got, w in zip(labels, want))


def _by_position(cands: Sequence[Candidate], position: tuple[Optional[int], Optional[int]]) -> int:
    """Exact 3x3-thirds match first, then the most extreme in the named direction ("the left one of two")."""
    def score(c: Candidate) -> float:
        labels = image_position_labels(c.box)
        total = 0.0
        for axis, want in enumerate(position):
            if want is None:
                continue
            coord = float(c.box[axis])
            total += 1.0 if labels[axis] == want else 0.0
            total += 0.5 * ((1.0 - coord) if want == 0 else coord if want == 2 else 1.0 - 2.0 * abs(coord - 0.5))
        return total + 0.01 * c.score
    return max(range(len(cands)), key=lambda i: score(cands[i]))


def _by_agreement(cands: Sequence[Candidate], head_box: Optional[BoxT], weights: SelectionWeights) -> Selection:
    if len(cands) == 1:
        return Selection(0, None, "single candidate")
    if head_box is not None:
        overlaps = [iou(c.box, head_box) for c in cands]
        best = int(np.argmax(overlaps))
        if overlaps[best] >= weights.agree_iou:
            return Selection(best, None, "candidate the full-sentence box head agrees with")
    best = max(range(len(cands)), key=lambda i: cands[i].score)
    return Selection(best, None, "highest dense score")
