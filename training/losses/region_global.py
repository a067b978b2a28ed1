"""HCCM Region-Global ITC (RG-ITC): cross-granularity contrast in both directions.

- region -> global text: the ROI-pooled embedding of an annotated region is contrasted against the global
  caption embeddings (momentum features + queue under MC); positives are captions of the region's image;
- region text -> global image: the embedding of a region sentence is contrasted against the global image
  embeddings (momentum + queue); positives are the images with the sentence's image id.
The matching half (RG-ITM) is `MatchingLoss(name="rg_itm")` over region sentences and global images.
"""
from __future__ import annotations

from typing import Optional

import torch
from torch import nn

from training.losses.contrastive import one_way_nce


class RegionGlobalITCLoss(nn.Module):
    """Term `rg_itc` = (region->global-text + region-text->global-image) / 2."""

    def forward(self, region_img: torch.Tensor, region_txt: torch.Tensor, region_ids: torch.Tensor,
                txt_keys: torch.Tensor, img_keys: torch.Tensor, key_ids: torch.Tensor, temp: torch.Tensor,
                region_img_teacher: Optional[torch.Tensor] = None,
                region_txt_teacher: Optional[torch.Tensor] = None, alpha: float = 0.0
                ) -> dict[str, torch.Tensor]:
        r2t = one_way_nce(region_img, txt_keys, region_ids, key_ids, temp, region_img_teacher, alpha)
        t2i = one_way_nce(region_txt, img_keys, region_ids, key_ids, temp, region_txt_teacher, alpha)
        return {"rg_itc": (r2t + t2i) / 2}
