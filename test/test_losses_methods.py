"""The reference methods' loss details (issue 17 §4), hand-computed where the arithmetic allows: GeoText's spatial
label rule, ITC / RG-ITC as sums, HCCM's RG-ITC on the batch only, RG-ITM's 2R positives and 2R negatives, the
momentum copy of encoders and projections only, and real forward/backward steps of each changed term."""
import math

import pytest
import torch
import torch.nn.functional as F

from geotext_ros.model.factory import create_model
from geotext_ros.model.tokenizer import WordPieceTokenizer
from geotext_ros.relations import relation_labels
from training.losses.config import LossConfig, spatial_rule_of, with_legacy_spatial_rule
from training.losses.momentum import MomentumModel
from training.losses.objective import Objective
from training.losses.region_global import RegionGlobalITCLoss
from training.losses.region_matching import RegionMatchingLoss, region_tokens
from training.losses.spatial import SpatialLoss, geotext_relation_labels, ordered_pairs

torch.set_num_threads(1)
lse = lambda *x: math.log(sum(math.exp(v) for v in x))  # noqa: E731


@pytest.fixture(scope="module")
def tiny():
    torch.manual_seed(0)
    tok = WordPieceTokenizer.build_vocab(["a red roof left of the pool", "blue roof", "the pool"], min_freq=1)
    raw = {"name": "t", "vision": {"kind": "vit", "image_size": 64, "patch_size": 16, "width": 32, "layers": 1,
                                   "heads": 2},
           "text": {"vocab_size": 0, "hidden": 32, "layers": 1, "heads": 2, "intermediate": 64, "max_position": 16},
           "fusion_layers": 1, "embed_dim": 16, "max_text_len": 16, "relation_hidden": 16,
           "relation_inputs": "features", "pooling": "mean"}
    model, _, tok = create_model(raw, tokenizer=tok)
    return model, tok


def test_geotext_rule_uses_box_a_and_is_strict():
    # centre offset 0.125 = exactly half of A's width 0.25: GeoText says "right" (strict <), ours "center" (<=)
    a, b = [0.625, 0.5, 0.25, 0.25], [0.5, 0.5, 0.25, 0.25]
    assert geotext_relation_labels(a, b) == (2, 1)
    assert relation_labels(a, b) == (1, 1)
    # small A beside a large B: B's half-width (0.25) covers the offset 0.125, A's (0.0625) does not
    small, large = [0.375, 0.5, 0.125, 0.125], [0.5, 0.5, 0.5, 0.5]
    assert geotext_relation_labels(small, large) == (0, 1)   # left, and vertically aligned (offset 0)
    assert relation_labels(small, large) == (1, 1)
    # upper side: y grows downwards in both rules
    assert geotext_relation_labels([0.5, 0.25, 0.25, 0.25], [0.5, 0.5, 0.1, 0.1]) == (1, 0)


def test_ordered_pairs_follow_the_chosen_rule():
    boxes = torch.tensor([[0.375, 0.5, 0.125, 0.125], [0.5, 0.5, 0.5, 0.5]])
    owner = torch.tensor([0, 0])
    _, _, h_geo, _ = ordered_pairs(boxes, owner, "geotext")
    _, _, h_nav, _ = ordered_pairs(boxes, owner, "navigator")
    assert h_geo.tolist() == [0, 1] and h_nav.tolist() == [1, 2]
    with pytest.raises(ValueError, match="label rule"):
        ordered_pairs(boxes, owner, "paper")


def test_spatial_rule_config_and_legacy_checkpoints():
    assert LossConfig.from_dict({"losses": {"spatial": 1.0}}).spatial.label_rule == "geotext"
    with pytest.raises(ValueError, match="label_rule"):
        LossConfig.from_dict({"losses": {"spatial": 1.0}, "spatial_loss": {"label_rule": "mine"}})
    assert spatial_rule_of({"losses": {"spatial": 0.1}}) == "navigator"   # saved before the option existed
    assert spatial_rule_of({"spatial_loss": {"label_rule": "geotext"}}) == "geotext"
    assert with_legacy_spatial_rule({"losses": {}})["spatial_loss"] == {"label_rule": "navigator"}


def test_rg_itc_is_the_sum_of_both_directions_hand_computed():
    region_img = torch.tensor([[1.0, 0.0]])
    region_txt = torch.tensor([[0.0, 1.0]])
    img_keys = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    txt_keys = torch.tensor([[0.6, 0.8], [1.0, 0.0]])
    out = RegionGlobalITCLoss()(region_img, region_txt, torch.tensor([7]), txt_keys, img_keys,
                                torch.tensor([7, 9]), torch.tensor(1.0))["rg_itc"].item()
    r2t = lse(0.6, 1.0) - 0.6          # the region's caption (id 7) is key 0
    t2i = lse(0.0, 1.0) - 0.0
    assert out == pytest.approx(r2t + t2i, rel=1e-6)


def _batch(tok, model):
    g = torch.Generator().manual_seed(3)
    size = model.config.vision.image_size
    ids, mask = (torch.as_tensor(x) for x in tok(["a red roof left of the pool", "blue roof"]))
    r_ids, r_mask = (torch.as_tensor(x) for x in tok(["the pool", "blue roof"]))
    return {"images": torch.randn(2, 3, size, size, generator=g), "text_ids": ids, "text_mask": mask,
            "ids": torch.tensor([0, 1]), "region_ids": r_ids, "region_mask": r_mask,
            "region_boxes": torch.tensor([[0.3, 0.4, 0.4, 0.4], [0.6, 0.6, 0.5, 0.3]]),
            "region_index": torch.tensor([0, 1]),
            "pair_boxes": torch.tensor([[0.25, 0.25, 0.3, 0.3], [0.75, 0.7, 0.3, 0.3]]),
            "pair_index": torch.tensor([0, 0])}


def test_rg_itm_has_2r_positives_and_2r_negatives_hand_built(tiny):
    """Two images of different ids: every hard negative is forced to the other item, so the 4R pairs are known."""
    model, tok = tiny
    model.eval()
    b = _batch(tok, model)
    with torch.no_grad():
        img_tokens, _ = model.encode_image(b["images"])
        cap_tokens, _ = model.encode_text(b["text_ids"], b["text_mask"])
        s_tokens, _ = model.encode_text(b["region_ids"], b["region_mask"])
        reg = region_tokens(model, img_tokens, b["region_boxes"], b["region_index"])
        sim = torch.zeros(2, 2)
        got = RegionMatchingLoss()(model, img_tokens, cap_tokens, b["text_mask"], s_tokens, b["region_mask"], reg,
                                   b["region_index"], sim, sim, b["ids"])["rg_itm"]
        other = torch.tensor([1, 0])
        pairs = [  # (image-side tokens, text tokens, text mask, label)
            (img_tokens, s_tokens, b["region_mask"], 1),                      # sentence with its image
            (reg, cap_tokens, b["text_mask"], 1),                             # its caption with the region
            (img_tokens[other], s_tokens, b["region_mask"], 0),               # sentence, hard-negative image
            (reg, cap_tokens[other], b["text_mask"][other], 0)]               # hard-negative caption, region
        logits = torch.cat([model.itm_head(model.fuse(v, t, m)[:, 0]) for v, t, m, _ in pairs])
        labels = torch.tensor([lab for *_, lab in pairs for _ in range(2)])
    assert reg.shape == (2, 1 + model.config.roi_size ** 2, 32)
    assert got.item() == pytest.approx(F.cross_entropy(logits, labels).item(), rel=1e-5)


def test_momentum_copies_encoders_and_projections_only(tiny):
    model, _ = tiny
    mom = MomentumModel(model, 0.995)
    kept = {n.split(".")[0] for n, _ in mom.model.named_parameters()}
    assert kept == {"vision_encoder", "text_encoder", "vision_proj", "text_proj"}
    online = dict(model.named_parameters())
    with torch.no_grad():
        before = mom.model.vision_proj.weight.clone()
        online["vision_proj.weight"].add_(1.0)
        mom.update(model)
        online["vision_proj.weight"].sub_(1.0)
    assert torch.allclose(mom.model.vision_proj.weight, before + 0.005, atol=1e-6)   # (1 - m) * 1


@pytest.mark.parametrize("weights,momentum", [
    ({"itc": 1.0, "spatial": 1.0}, {}),
    ({"itc": 0.25, "rg_itc": 0.25, "rg_itm": 0.5},
     {"enabled": True, "queue_size": 4, "distill": True, "alpha": 0.4}),
])
def test_changed_terms_run_forward_and_backward(tiny, weights, momentum):
    model, tok = tiny
    model.train()
    obj = Objective(model, LossConfig.from_dict({"losses": weights, "momentum": momentum}))
    model.zero_grad()
    terms = obj(model, _batch(tok, model))
    assert set(weights) <= set(terms) and all(torch.isfinite(v) for v in terms.values())
    terms["loss"].backward()
    total = sum(w * float(terms[k].detach()) for k, w in weights.items())
    assert float(terms["loss"]) == pytest.approx(total, rel=1e-5)
    grads = {n: p.grad for n, p in model.named_parameters() if p.grad is not None}
    assert any(n.startswith("vision_encoder.") and g.abs().sum() > 0 for n, g in grads.items())
    if "spatial" in weights:   # the features-only relation head's loss reaches the image encoder
        model.zero_grad()
        SpatialLoss("geotext")(model, model.encode_image(_batch(tok, model)["images"])[0],
                               torch.tensor([[0.25, 0.25, 0.3, 0.3], [0.75, 0.7, 0.3, 0.3]]),
                               torch.tensor([0, 0]))["spatial"].backward()
        assert all(p.grad is None or p.grad.abs().sum() == 0 for p in model.text_encoder.parameters())
        assert sum(float(p.grad.abs().sum()) for p in model.vision_encoder.parameters() if p.grad is not None) > 0


def test_rg_itc_ignores_the_queue_while_itc_uses_it(tiny):
    """HCCM: RG-ITC contrasts against the batch's momentum features only; ITC also against the queue."""
    model, tok = tiny
    model.eval()
    cfg = LossConfig.from_dict({"losses": {"itc": 0.25, "rg_itc": 0.25},
                                "momentum": {"enabled": True, "queue_size": 6, "distill": True, "alpha": 0.4}})
    obj = Objective(model, cfg)
    batch = _batch(tok, model)
    with torch.no_grad():
        first = obj(model, batch)           # queue empty: batch keys only
        g = torch.Generator().manual_seed(9)
        obj.img_queue.enqueue(F.normalize(torch.randn(6, 16, generator=g), dim=1), torch.arange(10, 16))
        obj.txt_queue.enqueue(F.normalize(torch.randn(6, 16, generator=g), dim=1), torch.arange(10, 16))
        second = obj(model, batch)          # six foreign keys queued
    assert second["rg_itc"].item() == pytest.approx(first["rg_itc"].item(), rel=1e-6)
    assert second["itc"].item() > first["itc"].item() + 1e-3
