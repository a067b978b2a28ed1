"""Captions from geometry: 3 global captions per image and [main, left, right] region sentences with boxes.

Every spatial word comes from geotext_ros.relations on the objects' frame boxes: `relation_labels` for a
pair, `image_position_labels` for a place in the frame. Wording ("train", "heldout" or "ood") picks disjoint template
and synonym sets (geotext_ros.sim.vocab) so a benchmark can use phrasing never seen in training.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, Sequence

import numpy as np

from geotext_ros.model.text import clean_caption
from geotext_ros.relations import image_position_labels, relation_labels
from geotext_ros.sim import vocab
from geotext_ros.sim.world import DESCRIBABLE_KINDS

MAX_CAPTION_WORDS = 30  # the train-time cleaning limit: longer captions would be cut mid-phrase


class Describable(Protocol):
    kind: str
    color: str
    shape: str


@dataclass(frozen=True)
class Annotation:
    """One GeoText-1652 caption record's text: caption, [main, left, right] sentences and boxes (None = absent)."""

    caption: str
    sentences: list[str | None] | None
    bboxes: list[list[float] | None] | None
    target_id: int | None = None


def _check_wording(wording: str) -> None:
    if wording not in vocab.WORDINGS:
        raise ValueError(f"wording={wording!r}; use one of {vocab.WORDINGS}")


def _pick(rng: np.random.Generator | None, options: Sequence[str]) -> str:
    return options[0] if rng is None else options[int(rng.integers(len(options)))]


def object_phrase(obj: Describable, rng: np.random.Generator | None = None, wording: str = "train") -> str:
    """Short noun phrase: "red l-shaped building", "swimming pool". rng=None gives the canonical phrase."""
    _check_wording(wording)
    if obj.kind not in vocab.NOUNS:
        raise ValueError(f"no noun for kind {obj.kind!r}; add it to geotext_ros.sim.vocab.NOUNS")
    noun = _pick(rng, vocab.NOUNS[obj.kind][wording])
    color = vocab.COLORS[wording].get(obj.color, obj.color)
    if obj.kind == "building":
        shape = _pick(rng, vocab.BUILDING_SHAPES[obj.shape][wording]) if obj.shape in vocab.BUILDING_SHAPES else ""
        if rng is not None and rng.random() < 0.25:
            return vocab.ROOF_COLOR_FORM[wording].format(shape=shape, noun=noun, color=color).strip()
        return f"{color} {shape} {noun}".replace("  ", " ")
    if obj.kind in vocab.COLORED_KINDS:
        return f"{color} {noun}"
    return noun


def with_article(phrase: str) -> str:
    vowel_sound = phrase[0] in "aeiou" or phrase.startswith("l-")  # "an l-shaped building"
    return ("an " if vowel_sound else "a ") + phrase


def plural(phrase: str) -> str:
    """Pluralise the head noun: "row of solar panels" -> "rows of solar panels", "bus" -> "buses"."""
    head, sep, tail = phrase.partition(" of ")
    words = head.split(" ")
    w = words[-1]
    words[-1] = w + ("es" if w.endswith(("s", "sh", "ch", "x")) else "s")
    return " ".join(words) + (sep + tail if sep else "")


def relation_phrase(box_a: Sequence[float], box_b: Sequence[float], rng: np.random.Generator | None,
                    wording: str = "train") -> str:
    """Words for where box A is relative to box B (3x3 rule of geotext_ros.relations)."""
    return _pick(rng, vocab.RELATION_PHRASES[relation_labels(box_a, box_b)][wording])


def position_phrase(box: Sequence[float], rng: np.random.Generator | None, wording: str = "train") -> str:
    """Words for where the box centre is in the frame (thirds, geotext_ros.relations)."""
    return _pick(rng, vocab.POSITION_PHRASES[image_position_labels(box)][wording])


def describable(objects: Sequence, min_area: float = 0.008) -> list:
    """Objects worth a sentence: describable kinds, big enough, mostly in frame; largest first."""
    return [o for o in objects if o.kind in DESCRIBABLE_KINDS and o.area >= min_area and o.visible >= 0.5]


def region_annotation(objects: Sequence, target, rng: np.random.Generator, wording: str = "train"
                      ) -> tuple[list[str | None], list[list[float] | None]]:
    """[main, left, right] sentences and boxes for `target`; left/right = nearest objects on that side."""
    others = [o for o in describable(objects) if o.object_id != target.object_id]
    main = _main_sentence(target, others, rng, wording)
    sentences: list[str | None] = [main, None, None]
    boxes: list[list[float] | None] = [list(target.bbox), None, None]
    for slot, h_class in ((1, 0), (2, 2)):
        side = [o for o in others if relation_labels(o.bbox, target.bbox)[0] == h_class]
        if not side:
            continue
        near = min(side, key=lambda o: (o.bbox[0] - target.bbox[0]) ** 2 + (o.bbox[1] - target.bbox[1]) ** 2)
        sentences[slot] = _side_sentence(near, target, rng, wording)
        boxes[slot] = list(near.bbox)
    return sentences, boxes


def _fill(template: str, obj: str, **kw: str) -> str:
    return template.format(obj=obj, a_obj=with_article(obj), **kw)


def _main_sentence(target, others: list, rng: np.random.Generator, wording: str) -> str:
    text = _fill(_pick(rng, vocab.MAIN_TEMPLATES[wording]), object_phrase(target, rng, wording),
                 pos=position_phrase(target.bbox, rng, wording))
    anchors = [o for o in others if relation_labels(target.bbox, o.bbox) != (1, 1)]
    same_kind = any(o.kind == target.kind for o in others)
    if anchors and (same_kind or rng.random() < 0.5):
        anchor = anchors[int(rng.integers(len(anchors)))]
        text += _pick(rng, vocab.MAIN_RELATION_SUFFIX[wording]).format(
            rel=relation_phrase(target.bbox, anchor.bbox, rng, wording), anchor=object_phrase(anchor, rng, wording))
    return text


def _side_sentence(side, target, rng: np.random.Generator, wording: str) -> str:
    return _fill(_pick(rng, vocab.SIDE_TEMPLATES[wording]), object_phrase(side, rng, wording),
                 rel=relation_phrase(side.bbox, target.bbox, rng, wording),
                 anchor=object_phrase(target, rng, wording))


def _inventory(objects: Sequence, rng: np.random.Generator, wording: str, max_items: int = 4) -> str:
    """ "two red buildings, a parking lot and a pond" from the visible describable objects."""
    groups: dict[str, int] = {}
    for o in objects:
        key = object_phrase(o, None, wording)
        groups[key] = groups.get(key, 0) + 1
    items = [with_article(k) if n == 1 else f"{vocab.COUNT_WORDS[min(n, 9)]} {plural(k)}" for k, n in groups.items()]
    if rng.random() < 0.5:
        items = items[::-1]
    items = items[:max_items]
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]


def global_captions(objects: Sequence, rng: np.random.Generator, wording: str = "train") -> list[str]:
    """Three captions that differ in wording and detail: landmark + inventory, a relation, a scene inventory."""
    _check_wording(wording)
    objs = describable(objects, min_area=0.004)
    if not objs:
        opener = _pick(rng, vocab.OPENERS[wording])
        return [f"{opener} an open grassy area", f"{opener} a field with a few trees", "an empty green area"]
    big = objs[0]
    first = [f"{_pick(rng, vocab.OPENERS[wording])} {with_article(object_phrase(big, rng, wording))} "
             f"{position_phrase(big.bbox, rng, wording)}"]
    if len(objs) > 1:
        first.append(_pick(rng, vocab.INVENTORY_LEADS[wording]).format(
            items=_inventory(objs[1:], rng, wording, max_items=2)))
    third = [_pick(rng, vocab.SCENE_LEADS[wording]).format(items=_inventory(objs, rng, wording)),
             _pick(rng, vocab.LARGEST[wording]).format(obj=object_phrase(big, rng, wording),
                                                       pos=position_phrase(big.bbox, rng, wording))]
    return [_fit_clauses(first), _fit_clauses(_relation_caption(objs, rng, wording)), _fit_clauses(third)]


def _relation_caption(objs: list, rng: np.random.Generator, wording: str) -> list[str]:
    pairs = [(a, b) for a in objs for b in objs if a is not b and relation_labels(a.bbox, b.bbox) != (1, 1)]
    if not pairs:
        o = objs[0]
        return [f"{with_article(object_phrase(o, rng, wording))} {position_phrase(o.bbox, rng, wording)}"]
    a, b = pairs[int(rng.integers(len(pairs)))]
    clauses = [f"{with_article(object_phrase(a, rng, wording))} is "
               f"{relation_phrase(a.bbox, b.bbox, rng, wording)} the {object_phrase(b, rng, wording)}"]
    rest = [o for o in objs if o is not a and o is not b]
    if rest:
        c = rest[0]
        clauses.append(f"and {with_article(object_phrase(c, rng, wording))} is "
                       f"{position_phrase(c.bbox, rng, wording)}")
    return clauses


def _fit_clauses(clauses: list[str], max_words: int = MAX_CAPTION_WORDS) -> str:
    """Join whole clauses while they fit the word limit, so cleaning never cuts a spatial phrase in half."""
    text = clauses[0]
    for clause in clauses[1:]:
        if len(clean_caption(text + " " + clause, 0).split(" ")) > max_words:
            break
        text += " " + clause
    return text


def annotate(objects: Sequence, rng: np.random.Generator, wording: str = "train", n: int = 3) -> list[Annotation]:
    """n caption records for one frame: global captions, each paired with region sentences for a distinct target."""
    captions = global_captions(objects, rng, wording)
    targets = describable(objects)
    order = list(rng.permutation(len(targets))) if targets else []
    out = []
    for i in range(n):
        caption = captions[i % len(captions)]
        if not targets:
            out.append(Annotation(caption, None, None, None))
            continue
        target = targets[order[i % len(order)]]
        sentences, boxes = region_annotation(objects, target, rng, wording)
        out.append(Annotation(caption, sentences, boxes, target.object_id))
    return out
