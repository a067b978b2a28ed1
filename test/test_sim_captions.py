"""Captions from geometry: every spatial phrase agrees with geotext_ros.relations on the boxes."""
import re

import numpy as np
import pytest

from geotext_ros.model.text import clean_caption
from geotext_ros.relations import image_position_labels, relation_labels
from geotext_ros.sim import CameraPose, Renderer, WorldObject, annotate, generate_world, intrinsics_for, object_phrase
from geotext_ros.sim import vocab

H_WORDS = {0: {"left"}, 1: set(), 2: {"right"}}
V_WORDS = {0: {"upper", "above", "top", "up"}, 1: set(), 2: {"lower", "below", "bottom", "down"}}


def _frames(wording: str, n: int = 40):
    world = generate_world(seed=11, n_campuses=2, places_per_campus=8)
    r = Renderer(world)
    k = intrinsics_for(128, 128)
    rng = np.random.default_rng(5)
    out = []
    for i in range(n):
        p = world.places[i % len(world.places)]
        pose = CameraPose(p.x + rng.uniform(-10, 10), p.y + rng.uniform(-10, 10), rng.uniform(45, 85),
                          rng.uniform(0, 2 * np.pi))
        frame = r.render(pose, k, style_seed=i)
        out.append((frame, annotate(frame.objects, np.random.default_rng(i), wording)))
    return out


def _find(text: str, table: dict, wording: str) -> tuple[list[tuple[int, int]], str]:
    """Labels of the table phrases in `text`, longest phrase first, non-overlapping; returns the rest of the text."""
    phrases = sorted(((p, key) for key, w in table.items() for p in w[wording]), key=lambda x: -len(x[0]))
    found = []
    for phrase, key in phrases:
        pattern = r"(?<![a-z])" + re.escape(phrase) + r"(?![a-z])"
        while re.search(pattern, text):
            found.append(key)
            text = re.sub(pattern, " | ", text, count=1)
    return found, text


@pytest.mark.parametrize("wording", ["train", "heldout", "ood"])
def test_region_sentences_agree_with_relations(wording):
    checked = {"main_pos": 0, "main_rel": 0, "side": 0}
    for frame, anns in _frames(wording):
        boxes = {o.object_id: o.bbox for o in frame.objects}
        for a in anns:
            if a.sentences is None:
                continue
            main, left, right = a.sentences
            tb = a.bboxes[0]
            assert tuple(tb) == boxes[a.target_id]
            pos, rest = _find(main, vocab.POSITION_PHRASES, wording)
            assert pos == [image_position_labels(tb)], main
            checked["main_pos"] += 1
            rel, _ = _find(rest, vocab.RELATION_PHRASES, wording)
            assert len(rel) <= 1, main
            if rel:  # the anchor is some object in view that this relation really holds for
                assert any(relation_labels(tb, b) == rel[0] for oid, b in boxes.items() if oid != a.target_id), main
                checked["main_rel"] += 1
            for slot, sentence in ((1, left), (2, right)):
                box = a.bboxes[slot]
                assert (sentence is None) == (box is None)
                if sentence is None:
                    continue
                h, v = relation_labels(box, tb)
                assert h == (0 if slot == 1 else 2), (sentence, box, tb)
                rel, _ = _find(sentence, vocab.RELATION_PHRASES, wording)
                assert rel == [(h, v)], sentence
                words = set(clean_caption(sentence).split())
                assert H_WORDS[h] <= words and not (H_WORDS[2 - h] & words), sentence
                assert V_WORDS[v] & words if v != 1 else not ((V_WORDS[0] | V_WORDS[2]) & words), sentence
                checked["side"] += 1
    assert min(checked.values()) >= 10, checked


def test_global_captions_differ_and_fit_the_train_word_limit():
    for frame, anns in _frames("train", n=20):
        caps = [a.caption for a in anns]
        assert len(caps) == 3 and len(set(caps)) == 3
        for c in caps:
            assert len(clean_caption(c, 0).split()) <= 30, c


def test_heldout_wording_is_disjoint_from_train():
    for table in (vocab.RELATION_PHRASES, vocab.POSITION_PHRASES):
        train = {p for w in table.values() for p in w["train"]}
        held = {p for w in table.values() for p in w["heldout"]}
        assert not train & held
    heldout_text = " ".join(s for _, anns in _frames("heldout", n=10) for a in anns for s in (a.sentences or [])
                            if s)
    assert "picture" in heldout_text and "image" not in heldout_text


def test_object_phrase():
    b = WorldObject(0, "building", "gray", "l_shape", 0, 0, 20, 16, 0)
    assert object_phrase(b) == "gray l-shaped building"
    assert "grey" in object_phrase(b, None, "heldout")
    pool = WorldObject(1, "pool", "blue", "rect", 0, 0, 20, 10, 0)
    assert object_phrase(pool) == "swimming pool"
    phrases = {object_phrase(b, np.random.default_rng(i)) for i in range(30)}
    assert len(phrases) > 1 and all("gray" in p for p in phrases)
    with pytest.raises(ValueError, match="wording"):
        object_phrase(b, None, "test")
