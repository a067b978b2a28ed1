"""Retrieval metrics on hand-made similarity matrices with known recalls, including building boundaries."""
import numpy as np
import pytest
import torch

from training.metrics import StreamingTopK, building_of, recall_at_k, retrieval_report, \
    streaming_similarity_topk


def test_building_is_the_first_four_characters():
    assert building_of("0839/image-43.jpeg") == "0839"
    with pytest.raises(ValueError):
        building_of("08")


def test_recall_hand_made_matrix():
    # 4 texts, 4 images; buildings: images [A, A, B, C]; texts [A, B, C, C]
    image_ids = ["000A/1", "000A/2", "000B/1", "000C/1"]
    text_ids = ["000A/1", "000B/1", "000C/1", "000C/1"]
    sim = np.array([[0.9, 0.1, 0.2, 0.3],    # text A: top-1 image 0 (A) hit@1
                    [0.8, 0.7, 0.6, 0.1],    # text B: image B ranked 3rd -> hit@5 only
                    [0.5, 0.4, 0.3, 0.2],    # text C: image C ranked 4th -> hit@5
                    [0.1, 0.2, 0.3, 0.9]])   # text C: hit@1
    t2i = np.argsort(-sim, axis=1)
    i2t = np.argsort(-sim.T, axis=1)
    rep = retrieval_report(t2i, i2t, [building_of(x) for x in text_ids], [building_of(x) for x in image_ids],
                           ks=(1, 3, 5))
    assert rep["t2i"] == {"r1": 50.0, "r3": 75.0, "r5": 100.0}
    # image queries: img0(A) -> texts by [.9,.8,.5,.1] -> text0 A hit@1; img1(A) -> [.1,.7,.4,.2]: text0 4th
    # img2(B) -> [.2,.6,.3,.3]: text1 B hit@1; img3(C) -> [.3,.1,.2,.9]: text3 C hit@1
    assert rep["i2t"] == {"r1": 75.0, "r3": 75.0, "r5": 100.0}
    assert rep["r_mean"] == pytest.approx(np.mean([50, 75, 100, 75, 75, 100]))


def test_building_boundary_first_image_of_new_building():
    """The reference labelled the first image of each new building with the previous building's id.

    Images [0001/a, 0001/b, 0002/a]: a text of building 0002 whose best image is 0002/a (the first image of
    the new building) must be a hit at rank 1; with the reference's off-by-one labels it would be a miss
    (0002/a labelled 0001) and a text of 0001 ranking 0002/a first would wrongly count as a hit.
    """
    image_buildings = [building_of(x) for x in ["0001/a", "0001/b", "0002/a"]]
    text_buildings = ["0002", "0001"]
    t2i = np.array([[2, 0, 1], [2, 1, 0]])
    i2t = np.array([[1, 0], [1, 0], [0, 1]])
    rep = retrieval_report(t2i, i2t, text_buildings, image_buildings, ks=(1,))
    assert rep["t2i"]["r1"] == 50.0     # text 0002 hit, text 0001 (top image 0002/a) miss
    assert rep["i2t"]["r1"] == 100.0
    buggy = np.array([0, 0, 0])         # what the reference's counter produced for these images
    assert recall_at_k(t2i, np.array([1, 0]), buggy)["r1"] == 50.0  # but the wrong one is the hit
    assert recall_at_k(t2i[:1], np.array([1]), buggy)["r1"] == 0.0


def test_streaming_topk_matches_full_sort():
    g = torch.Generator().manual_seed(1)
    txt = torch.nn.functional.normalize(torch.randn(37, 8, generator=g), dim=1)
    img = torch.nn.functional.normalize(torch.randn(23, 8, generator=g), dim=1)
    t2i, i2t = streaming_similarity_topk(txt, img, k=5, chunk=7)
    full = txt @ img.t()
    assert torch.equal(t2i.index.long(), full.topk(5, dim=1).indices)
    assert torch.equal(i2t.index.long(), full.t().topk(5, dim=1).indices)
    assert torch.allclose(t2i.scores, full.topk(5, dim=1).values)


def test_streaming_topk_k_larger_than_first_block():
    acc = StreamingTopK(num_queries=1, k=3)
    acc.update(slice(0, 1), torch.tensor([[0.5, 0.1]]), 0)
    acc.update(slice(0, 1), torch.tensor([[0.9, 0.2]]), 2)
    assert acc.index.tolist() == [[2, 0, 3]]


def test_mirror_accuracy_hand_made_scores_and_ties():
    from training.eval_probes import mirror_accuracy
    # 3 captions; image scores are looked up in a table: image 0/1 own places, 2/3 their mirror twins
    itc_table = torch.tensor([[0.9, 0.1, 0.5, 0.1], [0.2, 0.4, 0.2, 0.6], [0.3, 0.3, 0.3, 0.3]])
    itm_table = torch.tensor([[2.0, 0.0, 1.0, 0.0], [0.0, 3.0, 0.0, 1.0], [0.0, 0.0, 0.0, 0.0]])
    pairs = [(0, 0, 2), (1, 1, 3), (2, 0, 2)]
    res = mirror_accuracy(pairs, lambda t, i: itc_table[t, i], lambda t, i: itm_table[t, i])
    assert res["n"] == 3
    assert res["relation_blind_acc"] == pytest.approx(100 * (1 + 0 + 0.5) / 3)  # caption 2 ties: half
    assert res["spatial_aware_acc"] == pytest.approx(100 * (1 + 1 + 0.5) / 3)
    assert mirror_accuracy([], None, None) == {"n": 0}
