"""ROI Align with `grid_sample` (no torchvision): exports to ONNX opset 17 as GridSample.

Semantics follow `torchvision.ops.roi_align(..., aligned=True)` for sample points inside the feature map:
each of the out x out bins averages ratio x ratio bilinear samples at the bin's sub-cell centres. Points
within one pixel outside the map are clamped to the border like torchvision; further outside torchvision
returns 0 while this returns the border value (boxes here are normalized to the image, so that never happens
for valid boxes).

Boxes come in normalized (cx, cy, w, h) and are converted explicitly to feature-map pixel coordinates
(the reference code passed normalized boxes to a pixel op).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def cxcywh_to_feature_xyxy(boxes: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Normalized cxcywh [K, 4] -> corners [K, 4] in feature pixels (cell i spans [i, i+1))."""
    cx, cy, w, h = boxes.unbind(-1)
    return torch.stack([(cx - w / 2) * width, (cy - h / 2) * height,
                        (cx + w / 2) * width, (cy + h / 2) * height], dim=-1)


def roi_align(features: torch.Tensor, boxes: torch.Tensor, batch_index: torch.Tensor,
              output_size: int = 3, sampling_ratio: int = 2) -> torch.Tensor:
    """features [B, C, H, W], boxes [K, 4] normalized cxcywh, batch_index [K] int -> [K, C, out, out]."""
    height, width = features.shape[-2], features.shape[-1]
    xyxy = cxcywh_to_feature_xyxy(boxes.to(features.dtype), height, width)  # continuous pixel coords
    n = output_size * sampling_ratio
    # sub-sample centres along a unit interval: (j + 0.5) / n for j in 0..n-1
    steps = (torch.arange(n, dtype=features.dtype, device=features.device) + 0.5) / n
    xs = xyxy[:, 0:1] + (xyxy[:, 2:3] - xyxy[:, 0:1]) * steps  # [K, n]
    ys = xyxy[:, 1:2] + (xyxy[:, 3:4] - xyxy[:, 1:2]) * steps
    # aligned=True samples at continuous coordinate c, i.e. pixel index c - 0.5; grid_sample with
    # align_corners=False maps index i to -1 + (2 i + 1) / size, so the half pixels cancel: g = 2 c / size - 1
    gx = xs * (2.0 / width) - 1.0
    gy = ys * (2.0 / height) - 1.0
    k = boxes.shape[0]
    grid = torch.stack([gx[:, None, :].expand(k, n, n), gy[:, :, None].expand(k, n, n)], dim=-1)
    per_roi = features.index_select(0, batch_index.reshape(-1).to(torch.long))
    samples = F.grid_sample(per_roi, grid, mode="bilinear", padding_mode="border", align_corners=False)
    return F.avg_pool2d(samples, kernel_size=sampling_ratio, stride=sampling_ratio)
