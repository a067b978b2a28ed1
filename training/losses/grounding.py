"""Grounding loss (X-VLM / GeoText): L1 + GIoU between the box head's sigmoid cxcywh box and the target box."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from training.losses.box_ops import cxcywh_to_xyxy, paired_giou


class GroundingLoss(nn.Module):
    """Terms `grounding_l1` (L1 summed over the 4 coordinates, mean over boxes) and `grounding_giou`
    (mean of 1 - GIoU). Both are averaged per box so the weight does not depend on the batch size."""

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> dict[str, torch.Tensor]:
        if pred.shape != target.shape or pred.shape[-1] != 4:
            raise ValueError(f"grounding boxes must both be [N, 4] cxcywh, got {tuple(pred.shape)} "
                             f"and {tuple(target.shape)}")
        pred, target = pred.float(), target.float()
        n = max(pred.shape[0], 1)
        l1 = F.l1_loss(pred, target, reduction="sum") / n
        giou = paired_giou(cxcywh_to_xyxy(pred), cxcywh_to_xyxy(target))
        return {"grounding_l1": l1, "grounding_giou": (1.0 - giou).sum() / n}
