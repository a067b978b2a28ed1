"""Words of the caption generator, in disjoint wordings: "train", "heldout" and "ood" (the last two unseen in
training; "ood" is written apart in geotext_ros.sim.vocab_ood and merged here).

Keys of RELATION_PHRASES / POSITION_PHRASES are (horizontal, vertical) class indices of
geotext_ros.relations (h: 0 left, 1 center, 2 right; v: 0 upper, 1 middle, 2 lower). All spatial words are
image-relative (never compass words): the drone's image "up" is its heading, not north.
"""
from __future__ import annotations

from geotext_ros.sim import vocab_ood

WORDINGS = ("train", "heldout", "ood")  # "ood": geotext_ros.sim.vocab_ood

NOUNS: dict[str, dict[str, list[str]]] = {
    "building": {"train": ["building", "structure"], "heldout": ["edifice", "hall"]},
    "parking_lot": {"train": ["parking lot", "car park"], "heldout": ["parking area"]},
    "soccer_field": {"train": ["soccer field", "football field"], "heldout": ["football pitch"]},
    "tennis_court": {"train": ["tennis court"], "heldout": ["tennis ground"]},
    "basketball_court": {"train": ["basketball court"], "heldout": ["basketball ground"]},
    "running_track": {"train": ["running track", "athletics track"], "heldout": ["jogging track"]},
    "pool": {"train": ["swimming pool", "pool"], "heldout": ["outdoor pool"]},
    "pond": {"train": ["pond", "small lake"], "heldout": ["water body"]},
    "plaza": {"train": ["plaza", "paved courtyard"], "heldout": ["piazza"]},
    "solar_panels": {"train": ["solar panel array", "row of solar panels"], "heldout": ["photovoltaic array"]},
    "road": {"train": ["road", "street"], "heldout": ["roadway"]},
    "tree": {"train": ["tree"], "heldout": ["tree"]},
    "car": {"train": ["car"], "heldout": ["vehicle"]},
    "boat": {"train": ["boat"], "heldout": ["vessel"]},
}

BUILDING_SHAPES: dict[str, dict[str, list[str]]] = {
    "rect": {"train": ["rectangular"], "heldout": ["oblong"]},
    "square": {"train": ["square"], "heldout": ["square"]},
    "l_shape": {"train": ["l-shaped"], "heldout": ["l-shaped"]},
    "round": {"train": ["round", "circular"], "heldout": ["cylindrical"]},
    "long": {"train": ["long", "elongated"], "heldout": ["lengthy"]},
}

# Colour words: only unambiguous synonyms ("gray"/"grey"); the held-out spelling is the British one.
COLORS: dict[str, dict[str, str]] = {"train": {"gray": "gray"}, "heldout": {"gray": "grey"}, "ood": vocab_ood.COLORS}

# A building named by its roof colour after the noun (a quarter of the time).
ROOF_COLOR_FORM = {"train": "{shape} {noun} with a {color} roof", "heldout": "{shape} {noun} with a {color} roof",
                   "ood": vocab_ood.ROOF_COLOR_FORM}

# Kinds whose colour is worth saying (a pool is always blue, a parking lot always gray).
COLORED_KINDS = ("building", "tennis_court", "basketball_court", "plaza", "car", "boat")

RELATION_PHRASES: dict[tuple[int, int], dict[str, list[str]]] = {
    (0, 1): {"train": ["to the left of", "on the left side of", "left of"],
             "heldout": ["on the left-hand side of", "further left than"]},
    (2, 1): {"train": ["to the right of", "on the right side of", "right of"],
             "heldout": ["on the right-hand side of", "further right than"]},
    (1, 0): {"train": ["above", "directly above"], "heldout": ["straight above", "just above"]},
    (1, 2): {"train": ["below", "directly below"], "heldout": ["straight below", "just below"]},
    (0, 0): {"train": ["to the upper left of", "above and to the left of"],
             "heldout": ["up and to the left of", "in the top left direction from"]},
    (2, 0): {"train": ["to the upper right of", "above and to the right of"],
             "heldout": ["up and to the right of", "in the top right direction from"]},
    (0, 2): {"train": ["to the lower left of", "below and to the left of"],
             "heldout": ["down and to the left of", "in the bottom left direction from"]},
    (2, 2): {"train": ["to the lower right of", "below and to the right of"],
             "heldout": ["down and to the right of", "in the bottom right direction from"]},
    (1, 1): {"train": ["overlapping"], "heldout": ["on top of"]},
}

POSITION_PHRASES: dict[tuple[int, int], dict[str, list[str]]] = {
    (0, 0): {"train": ["in the upper left of the image", "in the top left corner of the image"],
             "heldout": ["in the top left part of the picture"]},
    (1, 0): {"train": ["at the top of the image", "in the upper middle of the image"],
             "heldout": ["along the top edge of the picture"]},
    (2, 0): {"train": ["in the upper right of the image", "in the top right corner of the image"],
             "heldout": ["in the top right part of the picture"]},
    (0, 1): {"train": ["on the left side of the image", "in the middle left of the image"],
             "heldout": ["along the left edge of the picture"]},
    (1, 1): {"train": ["in the center of the image", "in the middle of the image"],
             "heldout": ["in the very centre of the picture"]},
    (2, 1): {"train": ["on the right side of the image", "in the middle right of the image"],
             "heldout": ["along the right edge of the picture"]},
    (0, 2): {"train": ["in the lower left of the image", "in the bottom left corner of the image"],
             "heldout": ["in the bottom left part of the picture"]},
    (1, 2): {"train": ["at the bottom of the image", "in the lower middle of the image"],
             "heldout": ["along the bottom edge of the picture"]},
    (2, 2): {"train": ["in the lower right of the image", "in the bottom right corner of the image"],
             "heldout": ["in the bottom right part of the picture"]},
}

# Sentence templates. {a_obj}: phrase with article; {obj}: bare phrase; {pos}: position; {rel}: relation;
# {anchor}: bare phrase of the reference object.
MAIN_TEMPLATES = {
    "train": ["the {obj} {pos}", "{a_obj} located {pos}", "there is {a_obj} {pos}", "{a_obj} can be seen {pos}"],
    "heldout": ["you can spot {a_obj} {pos}", "{a_obj} sits {pos}"],
}
MAIN_RELATION_SUFFIX = {
    "train": [" {rel} the {anchor}", " which is {rel} the {anchor}", ", {rel} the {anchor}"],
    "heldout": [" lying {rel} the {anchor}"],
}
SIDE_TEMPLATES = {
    "train": ["{a_obj} is {rel} the {anchor}", "{rel} the {anchor} there is {a_obj}", "the {obj} {rel} the {anchor}"],
    "heldout": ["{a_obj} lies {rel} the {anchor}", "{a_obj} appears {rel} the {anchor}"],
}
OPENERS = {
    "train": ["an aerial view of", "a drone image showing", "this picture shows", "an overhead view of"],
    "heldout": ["a bird's eye photo of", "looking down from the air we find"],
}
INVENTORY_LEADS = {
    "train": ["there are also {items}", "nearby are {items}", "the area also contains {items}"],
    "heldout": ["around it one finds {items}", "the surroundings include {items}"],
}
SCENE_LEADS = {
    "train": ["the scene contains {items}", "in this image we see {items}", "the photo includes {items}"],
    "heldout": ["visible from above are {items}", "the shot captures {items}"],
}
LARGEST = {"train": ["the largest is the {obj} {pos}", "the biggest one is the {obj} {pos}"],
           "heldout": ["the most prominent is the {obj} {pos}"]}
COUNT_WORDS = ("no", "a", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def _merge_ood() -> None:
    """Add the "ood" wording of vocab_ood to every table (written apart, so no train word leaks into it)."""
    for table, ood in ((NOUNS, vocab_ood.NOUNS), (BUILDING_SHAPES, vocab_ood.BUILDING_SHAPES),
                       (RELATION_PHRASES, vocab_ood.RELATION_PHRASES), (POSITION_PHRASES, vocab_ood.POSITION_PHRASES)):
        if set(table) != set(ood):
            raise ValueError(f"vocab_ood keys {sorted(set(ood) ^ set(table))} differ from vocab's; keep them equal")
        for key, words in ood.items():
            table[key]["ood"] = list(words)  # type: ignore[index]
    for table, words in ((MAIN_TEMPLATES, vocab_ood.MAIN_TEMPLATES), (MAIN_RELATION_SUFFIX,
                         vocab_ood.MAIN_RELATION_SUFFIX), (SIDE_TEMPLATES, vocab_ood.SIDE_TEMPLATES),
                         (OPENERS, vocab_ood.OPENERS), (INVENTORY_LEADS, vocab_ood.INVENTORY_LEADS),
                         (SCENE_LEADS, vocab_ood.SCENE_LEADS), (LARGEST, vocab_ood.LARGEST)):
        table["ood"] = list(words)


_merge_ood()
