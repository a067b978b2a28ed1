"""Dense-query rewording (training/dense_wording.py): the shape is read back from canonical phrases, rewordings use
training words only and keep the object's colour, and collate's dense queries keep their boxes when reworded."""
import json

import numpy as np
import pytest
import torch

from geotext_ros.sim import vocab
from geotext_ros.sim.captions import object_phrase
from training.dense_wording import PhraseObject, building_shape, reword
from training.collate import dense_queries
from training.presets import load_preset


def _heldout_only_words() -> set[str]:
    def words(wording):
        out = set()
        for table in (vocab.NOUNS, vocab.BUILDING_SHAPES):
            for opts in table.values():
                out.update(w for phrase in opts[wording] for w in phrase.split())
        return out | set(vocab.COLORS[wording].values())
    return words("heldout") - words("train")


@pytest.mark.parametrize("shape", sorted(vocab.BUILDING_SHAPES))
def test_building_shape_reads_back_the_canonical_phrase(shape):
    phrase = object_phrase(PhraseObject("building", "red", shape))   # rng=None: the canonical phrase of the records
    assert building_shape(phrase) == shape


def test_reword_uses_training_words_and_keeps_the_colour():
    rng = np.random.default_rng(0)
    obj = {"kind": "building", "color": "green", "phrase": object_phrase(PhraseObject("building", "green", "long"))}
    phrases = {reword(obj, rng) for _ in range(200)}
    assert len(phrases) >= 4                                   # building/structure x long/elongated x roof form
    assert all("green" in p for p in phrases)
    assert all(building_shape(p.replace("elongated", "long")) == "long" for p in phrases)
    banned = _heldout_only_words()
    assert banned and not any(set(p.split()) & banned for p in phrases)


def test_reword_skips_unknown_kinds():
    assert reword({"kind": "helipad", "phrase": "helipad"}, np.random.default_rng(0)) is None


def _record():
    objs = [{"kind": "building", "color": "red", "phrase": "red long building", "bbox": [0.2, 0.2, 0.1, 0.1]},
            {"kind": "building", "color": "red", "phrase": "red long building", "bbox": [0.7, 0.2, 0.1, 0.1]},
            {"kind": "pond", "color": "blue", "phrase": "pond", "bbox": [0.5, 0.7, 0.2, 0.2]}]
    return {"objects": objs}


def test_dense_queries_reword_but_keep_the_boxes():
    torch.manual_seed(0)
    plain = dict(dense_queries(_record()))
    assert sorted(plain) == ["pond", "red long building"]
    seen = set()
    for seed in range(30):
        torch.manual_seed(seed)
        reworded = dense_queries(_record(), paraphrase=1.0)
        by_boxes = {json.dumps(boxes): phrase for phrase, boxes in reworded}
        assert set(by_boxes) == {json.dumps(b) for b in plain.values()}
        seen.update(by_boxes.values())
    assert seen - set(plain)                                   # some queries did change wording
    assert {"small lake", "pond"} <= seen


def test_dense_queries_reword_reproducibly_from_the_torch_seed():
    torch.manual_seed(5)
    a = dense_queries(_record(), paraphrase=0.5)
    torch.manual_seed(5)
    assert dense_queries(_record(), paraphrase=0.5) == a


def test_preset_rejects_a_paraphrase_probability_outside_0_1(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"losses": {"itc": 1.0}, "train": {"dense_paraphrase": 1.5}}))
    with pytest.raises(ValueError, match="dense_paraphrase 1.5"):
        load_preset(str(bad))
    assert load_preset("finetune_reworded")["train"]["dense_paraphrase"] == 0.5
