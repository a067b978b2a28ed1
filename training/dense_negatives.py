"""Hard-negative dense queries: an object's colour with another kind's noun, naming nothing in the image.

The tiny model's dense head learned colour far better than kind: on the first frame of episode seed 100066
"the red tennis court" scores 0.43 on a red *building* against 0.64 on the red tennis court it names, and on
seed 100061 0.60 on an orange basketball court (bench/episodes.py; the navigator then lets the relation choose
among them and picks the wrong kind). The synthetic records rarely hold a same-coloured object of another kind
in one image, so the dense term seldom shows that "red tennis court" must stay dark on a red roof (nor "green
building" on a green football field or on trees, the other confusions of bench/episodes.py). With
`dense_hard_negatives` p > 0 (preset "train" section) each image gets, with probability p, one more dense query
made of a colour some object in the image has (trees and fields included) and the noun of a large coloured kind
that has no object of that colour in the image ("red tennis court" over a red building): its target map is
empty. Training wording only, canonical phrases. Tried for the embedded model and not kept: fewer wrong kinds,
but the named targets' maps weakened too (docs/results.md).
"""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

from geotext_ros.sim import vocab
from geotext_ros.sim.captions import object_phrase
from training.dense_wording import PhraseObject

# large kinds named with a colour: the targets whose look-alikes in colour the navigator confuses (cars and
# boats are coloured too, but a few pixels: a query budget spent on them teaches little)
NEGATIVE_KINDS = ("building", "tennis_court", "basketball_court", "plaza")


def hard_negative(objects: Sequence[dict], rng: np.random.Generator) -> Optional[str]:
    """A canonical phrase "<colour of an object here> <large coloured kind>" that names no object of objects,
    drawn uniformly over such (colour, kind) pairs; None when there is none."""
    present = {(o.get("kind"), o.get("color")) for o in objects}
    colors = sorted({str(o["color"]) for o in objects if o.get("color")})
    options = [(color, kind) for color in colors for kind in NEGATIVE_KINDS if (kind, color) not in present]
    if not options:
        return None
    color, kind = options[int(rng.integers(len(options)))]
    shapes = sorted(vocab.BUILDING_SHAPES) if kind == "building" else [""]
    return object_phrase(PhraseObject(kind, color, shapes[int(rng.integers(len(shapes)))]), None, "train")
