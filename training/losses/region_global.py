"""HCCM Region-Global ITC (RG-ITC): cross-granularity contrast in both directions.

- region -> global text: the ROI-pooled embedding of an annotated region is contrasted against the global
  caption embeddings of the batch (the momentum model's under MC); positives are captions of the region's image;
- region text -> global image: the embedding of a region sentence is contrasted against the global image
  embeddings of the batch (momentum under MC); positives are the images with the sentence's image id.
As in the HCCM code the keys are the batch's alone (no queue) and there are no distillation targets.
The matching half (RG-ITM) is training/losses/region_matching.py.
"""
from __future__ import annotations

import torch
from torch import nn

from training.losses.contrastive import one_way_nce


class RegionGlobalITCLoss(nn.Module):
    """Term `rg_itc` = region->global-text + region-text->global-image (summed, as HCCM)."""

    def forward(self, region_img: torch.Tensor, region_txt: torch.Tensor, region_ids: torch.Tensor,
                txt_keys: torch.Tensor, img_keys: torch.Tensor, key_ids: torch.Tensor, temp: torch.Tensor
                ) -> dict[str, torch.Tensor]:
        r2t = one_way_nce(region_img, txt_keys, region_ids, key_ids, temp)
        t2i = one_way_nce(region_txt, img_keys, region_ids, key_ids, temp)
        return {"rg_itc": r2t + t2i}
