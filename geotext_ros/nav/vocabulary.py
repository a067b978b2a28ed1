"""The words an instruction needs before it may move the drone: kinds of things the model can ground and the
attributes that describe them (ROS-free; used by the parser, so the navigator and the PX4 bridge agree).

A target phrase is groundable when one of its words (or the word without a plural "s"/"es") is a KIND or an
ATTRIBUTE. The sim world's own nouns, shapes and colours (geotext_ros/sim) are included, plus the things aerial
GeoText-1652 captions name on real campuses, so a real-data model is not refused everyday words.
"""
from __future__ import annotations

from geotext_ros.sim import layouts, vocab

_SIM_NOUN_WORDS = {w for wordings in vocab.NOUNS.values() for words in wordings.values() for phrase in words
                   for w in phrase.replace("-", " ").split()}
_SIM_SHAPE_WORDS = {w for wordings in vocab.BUILDING_SHAPES.values() for words in wordings.values()
                    for phrase in words for w in phrase.replace("-", " ").split()}
_SIM_COLOURS = set(layouts.ROOF_COLORS + layouts.COURT_COLORS + layouts.CAR_COLORS + layouts.BOAT_COLORS) | {
    c for wording in vocab.COLORS.values() for c in wording.values()}
# colour words: a phrase holding one names its colour (the grounder's colour offers are for phrases without)
COLOURS: frozenset[str] = frozenset(_SIM_COLOURS | {
    "red", "blue", "green", "white", "black", "gray", "grey", "brown", "orange", "yellow", "purple", "pink",
    "silver", "beige", "tan", "metallic", "colored", "coloured"})

# Generic words the sim nouns contain that name nothing on their own ("small lake" -> "small" is an attribute,
# "row of solar panels" -> "row"/"of" are not kinds).
_NOT_KINDS = {"of", "small", "body", "row", "area", "array", "outdoor", "l", "shaped"}

KINDS: frozenset[str] = frozenset((_SIM_NOUN_WORDS - _NOT_KINDS) | {
    "house", "tower", "church", "chapel", "cathedral", "temple", "mosque", "dome", "bridge", "river",
    "canal", "lake", "stream", "fountain", "stadium", "arena", "gym", "gymnasium", "roof", "rooftop", "warehouse",
    "factory", "school", "hospital", "library", "museum", "hotel", "mall", "shop", "store", "office", "dormitory",
    "dorm", "garden", "park", "lawn", "grass", "forest", "woods", "field", "pitch", "court", "courts", "track",
    "farm", "greenhouse", "container", "ship", "truck", "bus", "train", "railway", "rail", "station", "runway",
    "airport", "helipad", "garage", "parking", "lot", "playground", "bleachers", "stands", "gate", "wall", "path",
    "sidewalk", "crossing", "intersection", "roundabout", "square", "campus", "hall", "tent", "shed", "barn",
    "silo", "chimney", "antenna", "crane", "construction", "site", "skyscraper", "apartment", "villa", "pavilion",
    "monument", "statue", "courtyard", "quad", "pier", "dock", "harbor", "harbour", "beach", "island", "hill",
    "bush", "bushes", "hedge", "trees", "vehicle", "cars", "van", "lane", "highway", "yard", "panel", "panels",
    "solar", "water", "baseball", "volleyball", "golf", "tennis", "basketball", "soccer", "football", "swimming",
    "running", "athletics",
})

ATTRIBUTES: frozenset[str] = frozenset(_SIM_SHAPE_WORDS - _NOT_KINDS | COLOURS | {
    "dark", "light", "bright", "big", "large", "largest",
    "biggest", "small", "smallest", "tiny", "tall", "tallest", "short", "wide", "narrow", "huge", "long", "round",
    "circular", "rectangular", "square", "oval", "triangular", "curved", "flat", "paved", "empty", "tiled",
    "glass", "metal", "brick", "concrete", "wooden", "striped", "domed",
})

GROUNDABLE: frozenset[str] = KINDS | ATTRIBUTES


def groundable_words(phrase: str) -> list[str]:
    """The words of a cleaned phrase that name a kind or an attribute ("the red thing" -> ["red"])."""
    out = []
    for word in phrase.split():
        for form in (word, word[:-1] if word.endswith("s") else "", word[:-2] if word.endswith("es") else ""):
            if form and form in GROUNDABLE:
                out.append(word)
                break
    return out
