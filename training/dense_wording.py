"""Reword the dense term's object phrases with the caption generator's training synonyms.

The synthetic records name each object by its canonical phrase ("green long building"). Trained on those alone,
the dense head learned one wording per object: on one frame (committed model, episode seed 100016) "the green
long building" peaks at 0.57 where "the green rectangular structure" (training words too) peaks at 0.21, and the
navigator grounds whatever wording the operator used. With `dense_paraphrase` p > 0 (preset "train" section) each dense query is, with probability
p, said another way with the training wording of geotext_ros.sim.captions.object_phrase ("long structure with a
green roof", "green elongated building"). The held-out wording is never used. Records without synthetic
`objects` (real GeoText-1652) are unaffected. Tried for the embedded model, not kept: it helped the training
wording and not the held-out one (docs/results.md).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from geotext_ros.sim import vocab
from geotext_ros.sim.captions import object_phrase


@dataclass(frozen=True)
class PhraseObject:
    """What geotext_ros.sim.captions.object_phrase reads of an object."""

    kind: str
    color: str
    shape: str


def building_shape(phrase: str) -> str:
    """The BUILDING_SHAPES key named in a canonical building phrase ("red l-shaped building" -> "l_shape"); ""."""
    words = f" {phrase} "
    return next((key for key, opts in vocab.BUILDING_SHAPES.items() if f" {opts['train'][0]} " in words), "")


def reword(obj: dict, rng: np.random.Generator) -> Optional[str]:
    """A random training-wording phrase for a synthetic record's object, or None when it has no known kind."""
    kind, phrase = obj.get("kind"), obj.get("phrase") or ""
    if kind not in vocab.NOUNS:
        return None
    shape = building_shape(phrase) if kind == "building" else ""
    return object_phrase(PhraseObject(kind, str(obj.get("color") or ""), shape), rng, "train")
