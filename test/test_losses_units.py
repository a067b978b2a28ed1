"""Hand-computed cases for the pure loss code: relation labels, GIoU, ITC, queue, momentum, spatial, dense."""
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from geotext_ros.relations import relation_labels
from training.losses.box_ops import cxcywh_to_xyxy, paired_giou, paired_iou
from training.losses.config import LossConfig
from training.losses.contrastive import ITCLoss, positive_targets
from training.losses.dense import DenseLoss, patch_targets
from training.losses.grounding import GroundingLoss
from training.losses.matching import sample_hard_negatives
from training.losses.momentum import FeatureQueue, MomentumModel
from training.losses.objective import Objective
from training.losses.spatial import ordered_pairs, relation_ce
from training.presets import load_preset


def test_relation_labels_of_known_pairs():
    b = [0.5, 0.5, 0.2, 0.2]                       # half extents 0.1
    assert relation_labels([0.2, 0.5, 0.1, 0.1], b) == (0, 1)   # far left, same row
    assert relation_labels([0.8, 0.9, 0.1, 0.1], b) == (2, 2)   # right and below (y grows down)
    assert relation_labels([0.55, 0.3, 0.1, 0.1], b) == (1, 0)  # within half-width, above
    assert relation_labels([0.6, 0.6, 0.1, 0.1], b) == (1, 1)   # exactly on the half extent: aligned


def test_giou_of_known_boxes():
    a = torch.tensor([[0.0, 0.0, 2.0, 2.0]])
    b = torch.tensor([[1.0, 1.0, 3.0, 3.0]])
    iou, _ = paired_iou(a, b)
    assert iou.item() == pytest.approx(1 / 7)
    # hull 3x3 = 9, union 7: giou = 1/7 - 2/9
    assert paired_giou(a, b).item() == pytest.approx(1 / 7 - 2 / 9)
    far = torch.tensor([[10.0, 10.0, 11.0, 11.0]])
    unit = torch.tensor([[0.0, 0.0, 1.0, 1.0]])
    assert paired_giou(unit, far).item() == pytest.approx(0 - (121 - 2) / 121)
    assert paired_giou(unit, unit).item() == pytest.approx(1.0)


def test_grounding_terms_hand_computed():
    pred = torch.tensor([[0.5, 0.5, 0.2, 0.2]])
    target = torch.tensor([[0.6, 0.5, 0.2, 0.2]])
    out = GroundingLoss()(pred, target)
    assert out["grounding_l1"].item() == pytest.approx(0.1)
    # xyxy [.4,.4,.6,.6] vs [.5,.4,.7,.6]: inter .02, union .06, hull .06 -> giou 1/3
    assert out["grounding_giou"].item() == pytest.approx(1 - 1 / 3, abs=1e-6)
    assert torch.allclose(cxcywh_to_xyxy(pred), torch.tensor([[0.4, 0.4, 0.6, 0.6]]))


def test_itc_two_by_two_hand_computed():
    img = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    txt = torch.tensor([[1.0, 0.0], [0.6, 0.8]])
    ids = torch.tensor([0, 1])
    out = ITCLoss()(img, txt, ids, torch.tensor(1.0))["itc"].item()
    lse = lambda *x: math.log(sum(math.exp(v) for v in x))  # noqa: E731
    i2t = ((lse(1.0, 0.6) - 1.0) + (lse(0.0, 0.8) - 0.8)) / 2
    t2i = ((lse(1.0, 0.0) - 1.0) + (lse(0.6, 0.8) - 0.8)) / 2
    assert out == pytest.approx(i2t + t2i, rel=1e-6)   # summed, as X-VLM / GeoText / HCCM


def test_itc_same_id_counts_as_positive():
    targets = positive_targets(torch.tensor([3, 3, 5]), torch.tensor([3, 3, 5]))
    assert torch.allclose(targets[0], torch.tensor([0.5, 0.5, 0.0]))
    with pytest.raises(ValueError, match="no positive"):
        positive_targets(torch.tensor([7]), torch.tensor([1, 2]))


def test_itc_distillation_moves_targets_towards_teacher():
    img = torch.nn.functional.normalize(torch.randn(4, 8, generator=torch.Generator().manual_seed(0)), dim=1)
    txt = img.clone()
    ids = torch.arange(4)
    hard = ITCLoss()(img, txt, ids, torch.tensor(0.1))["itc"]
    soft = ITCLoss()(img, txt, ids, torch.tensor(0.1), img_teacher=img.flip(0), txt_teacher=txt.flip(0),
                     alpha=0.4)["itc"]
    assert soft.item() > hard.item()  # a teacher that disagrees with the labels raises the loss


def test_queue_is_fifo_and_wraps():
    q = FeatureQueue(dim=2, size=3)
    assert q.valid()[0].shape[0] == 0
    q.enqueue(torch.tensor([[1.0, 0], [2, 0]]), torch.tensor([10, 11]))
    feats, ids = q.valid()
    assert ids.tolist() == [10, 11] and int(q.ptr) == 2
    q.enqueue(torch.tensor([[3.0, 0], [4, 0]]), torch.tensor([12, 13]))
    # slot 0 (the oldest, id 10) was overwritten by id 13
    assert q.ids.tolist() == [13, 11, 12] and int(q.ptr) == 1
    assert q.feats[:, 0].tolist() == [4.0, 2.0, 3.0]
    q.enqueue(torch.tensor([[5.0, 0], [6, 0], [7, 0], [8, 0]]), torch.tensor([1, 2, 3, 4]))
    assert sorted(q.ids.tolist()) == [2, 3, 4]  # a batch larger than the queue keeps its newest entries


def test_momentum_update_is_ema():
    online = nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        online.weight.fill_(1.0)
    mom = MomentumModel(online, momentum=0.9, parts=("weight",))
    with torch.no_grad():
        online.weight.fill_(2.0)
    mom.update(online)
    assert mom.model.weight.item() == pytest.approx(0.9 * 1.0 + 0.1 * 2.0)
    assert not mom.model.weight.requires_grad
    mom.update(online)
    assert mom.model.weight.item() == pytest.approx(0.9 * 1.1 + 0.1 * 2.0)
    with pytest.raises(ValueError, match="momentum"):
        MomentumModel(online, momentum=1.0, parts=("weight",))


def test_spatial_pairs_cover_all_ordered_pairs_per_image():
    boxes = torch.tensor([[0.2, 0.5, 0.1, 0.1], [0.8, 0.5, 0.1, 0.1], [0.5, 0.2, 0.1, 0.1],
                          [0.5, 0.5, 0.1, 0.1], [0.5, 0.5, 0.1, 0.1]])
    owner = torch.tensor([0, 0, 0, 1, 1])          # image 1 holds two identical boxes: no pair
    ia, ib, h, v = ordered_pairs(boxes, owner, "navigator")
    assert list(zip(ia.tolist(), ib.tolist())) == [(0, 1), (0, 2), (1, 0), (1, 2), (2, 0), (2, 1)]
    assert (h[0].item(), v[0].item()) == (0, 1)    # box 0 is left of box 1
    assert (h[3].item(), v[3].item()) == (2, 2)    # box 1 is right of and below box 2


def test_spatial_loss_averages_all_pairs_so_first_pair_matters():
    h_labels = torch.tensor([0, 2, 1])
    v_labels = torch.tensor([1, 1, 0])
    h = torch.zeros(3, 3)
    v = torch.zeros(3, 3)
    base = relation_ce(h, v, h_labels, v_labels)
    assert base.item() == pytest.approx(2 * math.log(3))
    h2 = h.clone()
    h2[0, 0] = 5.0                                  # first pair now confidently right
    changed = relation_ce(h2, v, h_labels, v_labels)
    assert changed.item() < base.item()
    per_pair_first = (math.log(math.exp(5) + 2) - 5) + math.log(3)
    assert changed.item() == pytest.approx((per_pair_first + 2 * 2 * math.log(3)) / 3, rel=1e-6)


def test_dense_targets_mark_patches_inside_boxes():
    boxes = torch.tensor([[[0.25, 0.25, 0.5, 0.5], [0.9, 0.9, 0.05, 0.05]]])
    t = patch_targets(boxes, torch.tensor([[1, 0]]), grid=4)
    expected = torch.zeros(4, 4)
    expected[:2, :2] = 1.0                          # the masked second box adds nothing
    assert torch.equal(t[0], expected)


def test_hard_negatives_never_sample_positives():
    torch.manual_seed(0)
    sim = torch.tensor([[9.0, 0.0, 0.0], [0.0, 9.0, 0.0], [0.0, 0.0, 9.0]])
    pos = torch.tensor([[True, True, False], [True, True, False], [False, False, True]])
    for _ in range(20):
        rows, cols = sample_hard_negatives(sim, pos)
        assert not pos[rows, cols].any()
    rows, _ = sample_hard_negatives(sim, torch.ones(3, 3, dtype=torch.bool))
    assert rows.numel() == 0                        # nothing to sample: rows are dropped, no crash


def test_loss_config_validates_names():
    cfg = LossConfig.from_dict({"losses": {"itc": 1, "itm": 1, "grounding": 0.1}})
    assert cfg.on("grounding") and not cfg.on("spatial")
    with pytest.raises(ValueError, match="unknown loss terms"):
        LossConfig.from_dict({"losses": {"itcc": 1}})
    with pytest.raises(ValueError, match="needs momentum.enabled"):
        LossConfig.from_dict({"losses": {"itc": 1}, "momentum": {"distill": True}})


def test_focal_dense_is_bce_at_gamma_0_and_hand_computed_otherwise():
    boxes = torch.tensor([[[0.25, 0.25, 0.5, 0.5]]])       # the top-left 2 x 2 patches of a 4 x 4 grid
    mask = torch.ones(1, 1)
    logits = torch.full((1, 4, 4), -2.0)
    logits[0, 0, 0] = 3.0                                   # one confident right patch; three positives missed
    plain = DenseLoss()(logits, boxes, mask)["dense"]
    targets = patch_targets(boxes, mask, 4)
    torch.testing.assert_close(plain, F.binary_cross_entropy_with_logits(logits, targets))
    focal = DenseLoss(focal_gamma=2.0)(logits, boxes, mask)["dense"]
    p = torch.sigmoid(logits)
    p_t = torch.where(targets > 0, p, 1 - p)
    expected = ((1 - p_t) ** 2 * -torch.log(p_t)).mean()
    torch.testing.assert_close(focal, expected)
    # the missed positives dominate: the right background patches (p_t 0.88) are scaled by 0.014, they by 0.78
    missed = (1 - p_t[0, 0, 1]) ** 2 / (1 - p_t[0, 3, 3]) ** 2
    assert missed > 50
    with pytest.raises(ValueError, match="focal_gamma"):
        DenseLoss(focal_gamma=-1.0)


def test_dense_loss_settings_are_validated_and_reach_the_objective():
    cfg = LossConfig.from_dict({"losses": {"itc": 1, "dense": 0.5}, "dense_loss": {"focal_gamma": 2}})
    assert cfg.dense.focal_gamma == 2.0 and cfg.to_dict()["dense_loss"] == {"focal_gamma": 2.0}
    assert LossConfig.from_dict({"losses": {"itc": 1}}).dense.focal_gamma == 0.0
    with pytest.raises(ValueError, match=r"unknown dense_loss settings \['gama'\]"):
        LossConfig.from_dict({"losses": {"itc": 1}, "dense_loss": {"gama": 2}})
    with pytest.raises(ValueError, match="focal_gamma must be in"):
        LossConfig.from_dict({"losses": {"itc": 1}, "dense_loss": {"focal_gamma": -1}})
    preset = load_preset("finetune_focal")
    assert LossConfig.from_dict(preset).dense.focal_gamma == 2.0
    assert Objective(nn.Linear(1, 1), LossConfig.from_dict(preset)).dense.focal_gamma == 2.0
