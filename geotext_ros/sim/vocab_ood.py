"""The out-of-distribution wording ("ood"): templates and synonyms written apart from the "train" and "heldout"
wordings of geotext_ros.sim.vocab, for the OOD test split that training never sees (docs/methods.md).

Same keys as the vocab tables; vocab.py adds each entry under the "ood" wording. Spatial words stay
image-relative and say the same 3x3 relation (tests check them against geotext_ros.relations); the sentence
structures differ ("near the top edge of the frame is a red rooftop", "head over to the ...").
"""
from __future__ import annotations

NOUNS = {
    "building": ["rooftop", "block"], "parking_lot": ["parking area", "parking space"],
    "soccer_field": ["sports pitch", "football ground"], "tennis_court": ["court for tennis"],
    "basketball_court": ["court for basketball", "hoops court"], "running_track": ["race track", "athletics oval"],
    "pool": ["swimming bath", "lido"], "pond": ["lake", "reservoir"], "plaza": ["forecourt", "pedestrian area"],
    "solar_panels": ["solar farm", "bank of solar modules"], "road": ["lane"], "tree": ["tree"],
    "car": ["automobile"], "boat": ["dinghy"],
}
BUILDING_SHAPES = {"rect": ["rectangle-shaped"], "square": ["boxy"], "l_shape": ["l-shaped"], "round": ["rounded"],
                   "long": ["stretched"]}
ROOF_COLOR_FORM = "{shape} {noun} roofed in {color}"
COLORS = {"gray": "grey", "silver": "metallic"}
RELATION_PHRASES = {
    (0, 1): ["off to the left of", "on the left of"], (2, 1): ["off to the right of", "on the right of"],
    (1, 0): ["up from", "higher up than"], (1, 2): ["down from", "lower down than"],
    (0, 0): ["up and left of", "toward the top left of"], (2, 0): ["up and right of", "toward the top right of"],
    (0, 2): ["down and left of", "toward the bottom left of"],
    (2, 2): ["down and right of", "toward the bottom right of"], (1, 1): ["over"],
}
POSITION_PHRASES = {
    (0, 0): ["near the top left corner of the frame", "top left in the shot"],
    (1, 0): ["near the top edge of the frame", "top centre in the shot"],
    (2, 0): ["near the top right corner of the frame", "top right in the shot"],
    (0, 1): ["near the left edge of the frame", "middle left in the shot"],
    (1, 1): ["at the centre of the frame", "dead centre in the shot"],
    (2, 1): ["near the right edge of the frame", "middle right in the shot"],
    (0, 2): ["near the bottom left corner of the frame", "bottom left in the shot"],
    (1, 2): ["near the bottom edge of the frame", "bottom centre in the shot"],
    (2, 2): ["near the bottom right corner of the frame", "bottom right in the shot"],
}
MAIN_TEMPLATES = ["look for {a_obj} {pos}", "{pos} is {a_obj}", "{a_obj}, {pos}"]
MAIN_RELATION_SUFFIX = [" placed {rel} the {anchor}", " and it is {rel} the {anchor}"]
SIDE_TEMPLATES = ["{rel} the {anchor} stands {a_obj}", "{a_obj} can be found {rel} the {anchor}"]
OPENERS = ["seen from the drone,", "from high above we see"]
INVENTORY_LEADS = ["next to it sit {items}", "close by one can see {items}"]
SCENE_LEADS = ["this frame has {items}", "pictured here are {items}"]
LARGEST = ["the main feature is the {obj} {pos}", "dominating the view is the {obj} {pos}"]
# instructions (geotext_ros.sim.instructions): {t} target, {r} relation words, {a} anchor
INSTRUCTIONS = ("head over to the {t} {r} the {a}", "navigate to the {t} that sits {r} the {a}",
                "take me to the {t} {r} the {a}")
PLAIN_INSTRUCTIONS = ("head over to the {t}", "take me to the {t}")
