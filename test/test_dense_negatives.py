"""Hard-negative dense queries (training/dense_negatives.py): the phrase takes a colour that is in the image and a
kind that has no object of that colour there, collate gives it an empty target map, and presets validate the
probability."""
import json

import numpy as np
import pytest
import torch

from geotext_ros.sim import vocab
from training.dense_negatives import NEGATIVE_KINDS, hard_negative
from training.collate import collate, dense_queries
from training.losses.dense import DenseLoss, patch_targets
from training.presets import load_preset


def _kind_of(phrase: str) -> str:
    """The kind whose canonical (first training) noun ends the phrase."""
    return next(k for k in NEGATIVE_KINDS if phrase.endswith(" " + vocab.NOUNS[k]["train"][0]))


def _objects():
    return [{"kind": "building", "color": "red", "phrase": "red long building", "bbox": [0.2, 0.2, 0.1, 0.1]},
            {"kind": "tennis_court", "color": "red", "phrase": "red tennis court", "bbox": [0.7, 0.2, 0.2, 0.1]},
            {"kind": "tennis_court", "color": "green", "phrase": "green tennis court", "bbox": [0.7, 0.6, 0.2, 0.1]},
            {"kind": "pond", "color": "blue", "phrase": "pond", "bbox": [0.3, 0.7, 0.2, 0.2]},
            {"kind": "tree", "color": "green", "phrase": "tree", "bbox": [0.9, 0.9, 0.1, 0.1]}]


def test_hard_negative_takes_a_colour_here_and_a_kind_not_here_in_that_colour():
    rng = np.random.default_rng(0)
    objs = _objects()
    present = {(o["kind"], o["color"]) for o in objs}
    phrases = {hard_negative(objs, rng) for _ in range(300)}
    assert len(phrases) > 8
    for phrase in phrases:
        color, kind = phrase.split()[0], _kind_of(phrase)
        assert color in {"red", "green", "blue"}         # colours of objects in the image, any kind
        assert (kind, color) not in present, phrase
    # the confusions the preset is for: a red tennis court's colour on another kind, a tree's on a building
    assert "red basketball court" in phrases and "blue plaza" in phrases
    assert any(p.startswith("green") and p.endswith("building") for p in phrases)
    assert not {"red tennis court", "green tennis court"} & phrases
    assert not any(p.startswith("red") and p.endswith("building") for p in phrases)   # a red building is here


def test_hard_negative_needs_a_colour_not_taken_by_every_kind():
    rng = np.random.default_rng(0)
    every_kind_in_red = [{"kind": k, "color": "red"} for k in NEGATIVE_KINDS]
    assert hard_negative(every_kind_in_red, rng) is None
    assert hard_negative([{"kind": "pond"}], rng) is None            # no colour recorded
    assert hard_negative([], rng) is None


def test_dense_queries_add_one_empty_query_and_keep_the_others():
    record = {"objects": _objects()}
    torch.manual_seed(3)
    plain = dense_queries(record)
    torch.manual_seed(3)
    with_negative = dense_queries(record, negatives=1.0)
    assert with_negative[:-1] == plain
    phrase, boxes = with_negative[-1]
    assert boxes == [] and phrase not in {o["phrase"] for o in record["objects"]}
    torch.manual_seed(3)
    assert dense_queries(record, negatives=1.0) == with_negative      # reproducible from the torch seed


def _tokenizer(texts):
    ids = torch.tensor([[1 + len(t) % 7, 2, 3] for t in texts])
    return ids, torch.ones_like(ids)


def test_collate_gives_the_negative_an_empty_target_map():
    sample = {"pixels": np.zeros((3, 8, 8), np.float32), "caption": "a scene", "id": 0, "objects": _objects()}
    torch.manual_seed(1)
    batch = collate([sample], _tokenizer, dense_negatives=1.0)
    targets = patch_targets(batch["dense_boxes"], batch["dense_box_mask"], 8)
    assert targets.shape[0] == 4                                         # 3 phrases (MAX_DENSE_PHRASES) + 1
    assert targets[-1].sum() == 0 and all(t.sum() > 0 for t in targets[:-1])
    # the loss pushes every cell of the negative's map down
    logits = torch.zeros(4, 8, 8, requires_grad=True)
    DenseLoss()(logits, batch["dense_boxes"], batch["dense_box_mask"])["dense"].backward()
    assert (logits.grad[-1] > 0).all()


def test_collate_handles_a_batch_of_only_negatives():
    objs = [{"kind": "building", "color": "red", "phrase": "red long building", "bbox": [0.2, 0.2, 0.0, 0.0]}]
    sample = {"pixels": np.zeros((3, 8, 8), np.float32), "caption": "a scene", "id": 0, "objects": objs}
    batch = collate([sample], _tokenizer, dense_negatives=1.0)        # the zero-size box is not a query
    assert batch["dense_box_mask"].shape == (1, 1) and batch["dense_box_mask"].sum() == 0


def test_preset_validates_the_negative_probability(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"losses": {"itc": 1.0}, "train": {"dense_hard_negatives": -0.1}}))
    with pytest.raises(ValueError, match="dense_hard_negatives -0.1"):
        load_preset(str(bad))
    assert load_preset("finetune_negatives")["train"]["dense_hard_negatives"] == 1.0
    assert load_preset("default")["train"]["dense_hard_negatives"] == 0.0
