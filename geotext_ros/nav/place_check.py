"""Gallery places re-ordered by what the grounder finds in each place's own image.

Retrieval compares one sentence embedding with one image embedding per place: it reads an untrained noun
("the photovoltaic array") or a shape word no better than the text tower does, and a place with a similar
building can win. The grounder reads the same words phrase by phrase (alias and trained-noun readings), so the
top places are checked once more on the image tokens the gallery index keeps (no image is encoded again): a
place's evidence is the dense-map peak of the target plus the lowest peak among the relation's anchors (the
target alone without one), and the places are ordered by their retrieval score + weight x evidence
(`search_ground_weight`). Relations are not checked: a gallery image is north-up while the operator spoke in
the camera's frame.

    matches = grounded_order(matches, index, grounder, parse_instruction(text), weight=0.2)
"""
from __future__ import annotations

import dataclasses
from typing import Any, Sequence

import numpy as np


def place_evidence(peaks: np.ndarray) -> np.ndarray:
    """[P] evidence from [P, n] phrase peaks (column 0 the target, then the anchors)."""
    peaks = np.asarray(peaks, np.float64)
    anchors = peaks[:, 1:].min(axis=1) if peaks.shape[1] > 1 else 0.0
    return peaks[:, 0] + anchors


def grounded_order(matches: Sequence[Any], index: Any, grounder: Any, instruction: Any,
                   weight: float) -> list[Any]:
    """The PlaceMatches re-scored (score + weight x evidence, `ground` = evidence) and re-ranked best first;
    unchanged when weight is 0 or the index kept no image tokens (geotext-gallery build --no-tokens)."""
    matches = list(matches)
    tokens = index.tokens_of([m.place_id for m in matches]) if weight > 0 and matches else None
    if tokens is None:
        return matches
    evidence = place_evidence(grounder.phrase_peaks(tokens, instruction))
    scored = [dataclasses.replace(m, ground=float(e), score=float(m.score + weight * e))
              for m, e in zip(matches, evidence)]
    ranked = sorted(scored, key=lambda m: -m.score)   # stable: ties keep the retrieval order
    return [dataclasses.replace(m, rank=rank) for rank, m in enumerate(ranked)]
