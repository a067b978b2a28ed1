"""geotext-eval's two label modes on a hand-made test file whose recalls are worked out by hand below.

Exact labels: building = image_id[:4]. Reference labels: the GeoText-1652 evaluation code's counter, which
labels the first image of each new building with the previous building's number (training/metrics.py).
"""
import json

import numpy as np
import pytest
import torch
from PIL import Image

from training.eval_retrieval import Gallery, evaluate_retrieval_modes
from training import evaluate
from training.evaluate import format_table, label_modes
from training.metrics import reference_labels

# File order of the hand-made test split: one caption per image, caption i describes image i.
IMAGE_IDS = ["0001/a.png", "0001/b.png", "0002/a.png", "0002/b.png", "0003/a.png"]
# exact:      0001 0001 0002 0002 0003
# reference:  0    0    0    1    1      (0002/a and 0003/a are each the first image of a new building)
#
# Similarity of text t (row) to image i (column), gallery embeddings chosen so that ITC gives exactly this:
SIM = np.array([[0.50, 0.10, 0.90, 0.00, 0.00],    # t0 (0001): best image 2 (0002/a)
                [0.80, 0.30, 0.10, 0.00, 0.00],    # t1 (0001): best image 0 (0001/a)
                [0.00, 0.00, 0.60, 0.70, 0.00],    # t2 (0002): best image 3 (0002/b)
                [0.00, 0.20, 0.00, 0.40, 0.95],    # t3 (0002): best image 4 (0003/a)
                [0.00, 0.00, 0.00, 0.10, 0.85]])   # t4 (0003): best image 4 (0003/a)
# t2i R@1, exact:     t1, t2, t4 hit (t0: 0001 vs 0002, t3: 0002 vs 0003 miss)          -> 60
#          reference: t0 (0 = 0), t1, t3 (1 = 1), t4 hit; t2 (label 0 vs image 3's 1) miss -> 80
# i2t (best text per image = column argmax): img0 -> t1, img1 -> t1, img2 -> t0, img3 -> t2, img4 -> t3
#          exact:     img0, img1, img3 hit (img2: 0002 vs t0's 0001, img4: 0003 vs t3's 0002) -> 60
#          reference: img0, img1, img2 (0 = 0), img4 (1 = 1) hit; img3 (1 vs t2's 0) miss    -> 80
# R@5 / R@10: every query's label is somewhere among 5 items, in both modes                    -> 100


def test_reference_labels_move_one_image_late():
    assert reference_labels(["0001", "0001", "0002", "0002", "0003"]) == [0, 0, 0, 1, 1]
    assert reference_labels(["0007"]) == [0]
    assert reference_labels(["A", "B", "C"]) == [0, 0, 1]          # one-image buildings share a label
    assert reference_labels(["A", "B", "A", "A"]) == [0, 0, 1, 2]  # a building that comes back is a new number
    assert reference_labels([]) == []


@pytest.fixture()
def hand_made_split(tmp_path):
    (tmp_path / "images").mkdir()
    records = []
    for i, image_id in enumerate(IMAGE_IDS):
        (tmp_path / "images" / image_id).parent.mkdir(exist_ok=True)
        Image.new("RGB", (8, 8), (40 * i, 0, 0)).save(tmp_path / "images" / image_id)
        records.append({"image_id": image_id, "image": image_id, "caption": [f"caption of image {i}"]})
    (tmp_path / "split.json").write_text(json.dumps(records))
    return evaluate.TestSet(tmp_path, "split.json", None)


def test_both_label_modes_on_a_hand_made_test_file(hand_made_split):
    test = hand_made_split
    modes = label_modes(test.image_buildings, test.txt2img)
    assert modes["exact"] == (["0001", "0001", "0002", "0002", "0003"], ["0001", "0001", "0002", "0002", "0003"])
    assert modes["reference"] == ([0, 0, 0, 1, 1], [0, 0, 0, 1, 1])
    # image embeddings = identity, text embeddings = rows of SIM: the ITC score matrix is SIM itself
    gal = Gallery(torch.eye(5), torch.tensor(SIM, dtype=torch.float32), None, None, torch.ones(5, 1))
    out = evaluate_retrieval_modes(gal, modes, k_test=0)
    exact, ref = out["exact"]["final"], out["reference"]["final"]
    assert exact["t2i"] == {"r1": 60.0, "r5": 100.0, "r10": 100.0}
    assert exact["i2t"] == {"r1": 60.0, "r5": 100.0, "r10": 100.0}
    assert ref["t2i"] == {"r1": 80.0, "r5": 100.0, "r10": 100.0}
    assert ref["i2t"] == {"r1": 80.0, "r5": 100.0, "r10": 100.0}
    assert exact["r_mean"] == pytest.approx((60 + 100 + 100) / 3)
    assert ref["r_mean"] == pytest.approx((80 + 100 + 100) / 3)


def test_table_prints_both_modes(hand_made_split):
    test = hand_made_split
    gal = Gallery(torch.eye(5), torch.tensor(SIM, dtype=torch.float32), None, None, torch.ones(5, 1))
    out = evaluate_retrieval_modes(gal, label_modes(test.image_buildings, test.txt2img), k_test=0)
    res = {"retrieval": out["exact"], "retrieval_reference_labels": out["reference"], "n_images": 5,
           "n_texts": 5, "time_s": 0.0, "peak_rss_mb": 1.0}
    lines = format_table(res).splitlines()
    itc = next(x for x in lines if x.startswith("itc "))
    ref = next(x for x in lines if x.startswith("itc ref-labels"))
    assert itc.split()[1:3] == ["60.00", "100.00"] and ref.split()[2:4] == ["80.00", "100.00"]
    assert any("reference code's building labels" in x for x in lines)
