"""Dense phrase-localization loss: BCE between model.dense_map (a G x G logit grid per phrase) and the patches
whose centres fall inside any box of the objects the phrase names (synthetic `objects` extras)."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def patch_targets(boxes: torch.Tensor, mask: torch.Tensor, grid: int) -> torch.Tensor:
    """[R, M, 4] cxcywh boxes with [R, M] validity -> [R, G, G] float targets (1 = patch centre in a box)."""
    centres = (torch.arange(grid, device=boxes.device, dtype=torch.float32) + 0.5) / grid
    x0 = (boxes[..., 0] - boxes[..., 2] / 2)[..., None, None]
    x1 = (boxes[..., 0] + boxes[..., 2] / 2)[..., None, None]
    y0 = (boxes[..., 1] - boxes[..., 3] / 2)[..., None, None]
    y1 = (boxes[..., 1] + boxes[..., 3] / 2)[..., None, None]
    cy = centres.view(1, 1, grid, 1)
    cx = centres.view(1, 1, 1, grid)
    inside = (cx >= x0) & (cx <= x1) & (cy >= y0) & (cy <= y1)             # [R, M, G, G]
    inside = inside & mask.bool()[..., None, None]
    return inside.any(dim=1).float()


class DenseLoss(nn.Module):
    """Term `dense`: mean BCE-with-logits over every patch of every phrase; with focal_gamma > 0 each patch's BCE
    is scaled by (1 - p_t)^gamma (p_t = the probability given to the right answer), the focal loss of Lin et al.,
    so the many easy background patches stop dominating."""

    def __init__(self, focal_gamma: float = 0.0) -> None:
        super().__init__()
        if focal_gamma < 0:
            raise ValueError(f"focal_gamma must be >= 0 (0 = plain BCE), got {focal_gamma}")
        self.focal_gamma = float(focal_gamma)

    def forward(self, logits: torch.Tensor, boxes: torch.Tensor, mask: torch.Tensor) -> dict[str, torch.Tensor]:
        targets = patch_targets(boxes, mask, logits.shape[-1])
        logits = logits.float()
        if self.focal_gamma == 0:
            return {"dense": F.binary_cross_entropy_with_logits(logits, targets)}
        bce = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
        p_t = torch.exp(-bce)   # BCE = -log p_t
        return {"dense": ((1.0 - p_t) ** self.focal_gamma * bce).mean()}
