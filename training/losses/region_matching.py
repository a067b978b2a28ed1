"""HCCM Region-Global ITM (RG-ITM): binary matching across granularities, 2R positives and 2R negatives for R
annotated regions:

  positives  (region sentence, its whole image)      (its image's caption, the region)
  negatives  (region sentence, a hard-negative image) (a hard-negative caption, the region)

Hard negatives are drawn with p ~ softmax(similarity) over the batch's global features, never one of the
region's own id: the sentence's embedding against the global image embeddings, the region's visual embedding
against the global caption embeddings. "The region" on the image side of the fusion is its ROI Align bins on the
patch grid (`region_tokens`), where HCCM crops and re-encodes the region (see docs/methods.md for why ours).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from geotext_ros.model.roi_align import roi_align
from training.losses.matching import sample_hard_negatives


def region_tokens(model: nn.Module, img_tokens: torch.Tensor, boxes: torch.Tensor,
                  batch_index: torch.Tensor) -> torch.Tensor:
    """[K, 1 + r*r, Dv]: the r x r ROI Align bins of each box as tokens, led by their mean in the summary slot
    (position 0, where an image's CLS sits), so the fusion layers read a region like a small image."""
    cfg = model.config
    bins = roi_align(model.patch_grid(img_tokens), boxes, batch_index, cfg.roi_size, cfg.roi_sampling_ratio)
    bins = bins.flatten(2).transpose(1, 2)                                     # [K, r*r, Dv]
    return torch.cat([bins.mean(dim=1, keepdim=True), bins], dim=1)


class RegionMatchingLoss(nn.Module):
    """Term `rg_itm`: cross-entropy of the ITM head over the 4R pairs above (labels 1 for the 2R positives)."""

    def forward(self, model: nn.Module, img_tokens: torch.Tensor, cap_tokens: torch.Tensor, cap_mask: torch.Tensor,
                sent_tokens: torch.Tensor, sent_mask: torch.Tensor, reg_tokens: torch.Tensor,
                region_index: torch.Tensor, sim_sent2img: torch.Tensor, sim_reg2cap: torch.Tensor,
                ids: torch.Tensor) -> dict[str, torch.Tensor]:
        """img_tokens [B, N, Dv] and captions cap_tokens/cap_mask [B, L, ...] of the batch (caption b describes
        image b); region r: sentence sent_tokens/sent_mask [R, Ls, ...], visual tokens reg_tokens [R, M, Dv], image
        region_index [R]; detached similarities [R, B] for sampling; ids [B] (same id = positive)."""
        with torch.no_grad():
            own = ids[region_index].view(-1, 1) == ids.view(1, -1)              # [R, B]
            neg_s, neg_img = sample_hard_negatives(sim_sent2img.detach(), own)
            neg_r, neg_cap = sample_hard_negatives(sim_reg2cap.detach(), own)
        pos_sent = model.fuse(img_tokens[region_index], sent_tokens, sent_mask)[:, 0]
        pos_reg = model.fuse(reg_tokens, cap_tokens[region_index], cap_mask[region_index])[:, 0]
        neg_sent = model.fuse(img_tokens[neg_img], sent_tokens[neg_s], sent_mask[neg_s])[:, 0]
        neg_reg = model.fuse(reg_tokens[neg_r], cap_tokens[neg_cap], cap_mask[neg_cap])[:, 0]
        logits = model.itm_head(torch.cat((pos_sent, pos_reg, neg_sent, neg_reg), dim=0))
        labels = torch.zeros(logits.shape[0], dtype=torch.long, device=logits.device)
        labels[: 2 * region_index.shape[0]] = 1
        return {"rg_itm": F.cross_entropy(logits.float(), labels)}
