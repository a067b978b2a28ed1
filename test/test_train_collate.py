"""The loss batch built from records: region sentences with boxes only, distinct boxes per image, dense phrases
that collect every object with the same phrase; and the disk-backed token store used by evaluation."""
import numpy as np
import torch

from geotext_ros.model.tokenizer import WordPieceTokenizer
from training.collate import collate
from training.token_store import TokenStore


def _sample(i, objects=True):
    s = {"pixels": np.zeros((3, 8, 8), np.float32), "caption": "red roof left of pool", "id": i,
         "sentences": ["the red roof", "the pool", None], "bboxes": [[0.2, 0.5, 0.1, 0.1], None, None]}
    if objects:
        s["objects"] = [{"kind": "building", "phrase": "red roof", "bbox": [0.2, 0.5, 0.1, 0.1]},
                        {"kind": "building", "phrase": "red roof", "bbox": [0.8, 0.5, 0.1, 0.1]},
                        {"kind": "pool", "phrase": "pool", "bbox": [0.5, 0.2, 0.2, 0.1]}]
    return s


def test_collate_regions_pairs_and_dense():
    tok = WordPieceTokenizer.build_vocab(["red roof left of pool the"], min_freq=1)
    b = collate([_sample(0), _sample(1, objects=False)], tok)
    assert b["region_index"].tolist() == [0, 1]          # only the sentence that has a box, per image
    # image 0: region box equals an object box -> 3 distinct boxes; image 1: one box, no pair possible
    assert b["pair_index"].tolist() == [0, 0, 0, 1]
    assert b["dense_index"].tolist() == [0, 0]           # phrases "pool" and "red roof" of image 0
    assert b["dense_box_mask"].tolist() == [[1, 0], [1, 1]]  # "red roof" names both red roofs
    assert b["images"].shape == (2, 3, 8, 8) and b["text_ids"].shape[0] == 2


def test_collate_without_extras_has_no_dense_keys():
    tok = WordPieceTokenizer.build_vocab(["red roof"], min_freq=1)
    b = collate([_sample(0, objects=False)], tok)
    assert "dense_text_ids" not in b and "pair_boxes" in b


def test_token_store_disk_roundtrip(tmp_path):
    rows = torch.arange(5 * 2 * 3, dtype=torch.float32).view(5, 2, 3)
    store = TokenStore(5, (2, 3), directory=str(tmp_path), force_disk=True)
    store.append(rows[:2])
    store.append(rows[2:])
    assert store.mem is None
    assert torch.equal(store.get([4, 0, 4]), rows[[4, 0, 4]])
    store.close()
    assert not any(tmp_path.iterdir())
