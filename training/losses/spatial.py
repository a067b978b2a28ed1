"""Spatial-relation loss (GeoText-1652 "spatial matching"): a relation head over ROI features of EVERY ordered
pair of distinct boxes of an image, labels from a 3x3 rule (config `spatial_loss.label_rule`), cross-entropy
AVERAGED over all pairs (the public reference overwrote the loss inside its pair loop, so only the last pair
counted)."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from geotext_ros.relations import Box, relation_labels


def geotext_relation_labels(box_a: Box, box_b: Box) -> tuple[int, int]:
    """(horizontal, vertical) class of box A relative to box B by the GeoText-1652 rule: aligned on an axis when
    |A.c - B.c| is strictly below half of A's extent; otherwise 0 (A left of / above B) or 2. The class order is
    geotext_ros.relations' (the reference numbers the two sides the other way round; only names differ)."""
    ax, ay, aw, ah = (float(v) for v in box_a[:4])
    bx, by = float(box_b[0]), float(box_b[1])

    def axis(delta: float, half: float) -> int:
        if abs(delta) < half:
            return 1
        return 0 if delta < 0 else 2

    return axis(ax - bx, aw / 2.0), axis(ay - by, ah / 2.0)


LABEL_RULES = {"geotext": geotext_relation_labels, "navigator": relation_labels}


def ordered_pairs(boxes: torch.Tensor, batch_index: torch.Tensor, rule: str
                  ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """All ordered pairs (a, b), a != b, of boxes [K, 4] that share an image; identical boxes are skipped.

    Returns (index_a, index_b, horizontal labels, vertical labels), each [P] long, in a fixed order (image,
    then a, then b) so the loss is deterministic. `rule` names the labelling (LABEL_RULES).
    """
    if rule not in LABEL_RULES:
        raise ValueError(f"unknown spatial label rule {rule!r}; use one of {sorted(LABEL_RULES)}")
    labels = LABEL_RULES[rule]
    ia, ib, hl, vl = [], [], [], []
    rows = boxes.detach().cpu().tolist()
    owners = batch_index.detach().cpu().tolist()
    for a in range(len(rows)):
        for b in range(len(rows)):
            if a == b or owners[a] != owners[b] or rows[a] == rows[b]:
                continue
            h, v = labels(rows[a], rows[b])
            ia.append(a), ib.append(b), hl.append(h), vl.append(v)
    as_long = lambda x: torch.tensor(x, dtype=torch.long, device=boxes.device)  # noqa: E731
    return as_long(ia), as_long(ib), as_long(hl), as_long(vl)


def relation_ce(h_logits: torch.Tensor, v_logits: torch.Tensor, h_labels: torch.Tensor,
                v_labels: torch.Tensor) -> torch.Tensor:
    """Per-pair CE(h) + CE(v), averaged over all pairs."""
    return (F.cross_entropy(h_logits.float(), h_labels) + F.cross_entropy(v_logits.float(), v_labels))


class SpatialLoss(nn.Module):
    """Term `spatial`; zero (with a graph) when no image of the batch has two distinct boxes."""

    def __init__(self, label_rule: str) -> None:
        super().__init__()
        if label_rule not in LABEL_RULES:
            raise ValueError(f"unknown spatial label rule {label_rule!r}; use one of {sorted(LABEL_RULES)}")
        self.label_rule = label_rule

    def forward(self, model: nn.Module, img_tokens: torch.Tensor, boxes: torch.Tensor,
                batch_index: torch.Tensor) -> dict[str, torch.Tensor]:
        ia, ib, hl, vl = ordered_pairs(boxes, batch_index, self.label_rule)
        if ia.numel() == 0:
            return {"spatial": img_tokens.sum() * 0.0}
        feats = model.region_features(img_tokens, boxes, batch_index)
        h_logits, v_logits = model.relation_head(feats[ia], feats[ib], boxes[ia], boxes[ib])
        return {"spatial": relation_ce(h_logits, v_logits, hl, vl)}
