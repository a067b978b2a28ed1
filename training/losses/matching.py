"""Image-text matching (ITM) with in-batch hard negatives (ALBEF / X-VLM): negatives are sampled with
probability softmax(ITC similarity), positives (same id) excluded. Also serves RG-ITM (region sentences)."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def sample_hard_negatives(sim: torch.Tensor, positive: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """For each row of sim [N, M], draw one column with p ~ softmax(row), never a positive column.

    Returns (rows that have at least one negative, the drawn column per such row). Uses the global torch
    RNG, so a checkpoint that saves RNG state resumes to the same draw.
    """
    weights = F.softmax(sim.float(), dim=1).masked_fill(positive, 0.0)
    # softmax can underflow to exactly 0 for far-away negatives; a tiny floor keeps them drawable.
    weights = torch.where(positive, weights, weights + 1e-12)
    rows = torch.nonzero(weights.sum(dim=1) > 0).view(-1)
    if rows.numel() == 0:
        return rows, rows
    cols = torch.multinomial(weights[rows], 1).view(-1)
    return rows, cols


class MatchingLoss(nn.Module):
    """Binary matching CE over positive pairs and two kinds of hard negatives.

    texts[t] belongs to image `txt_img[t]`; `sim_t2i` [T, B] is the detached text-to-image similarity used for
    sampling; `img_ids` [B] mark images that count as the same (several captions, or the same place).
    """

    def __init__(self, name: str = "itm") -> None:
        super().__init__()
        self.name = name

    def forward(self, model: nn.Module, img_tokens: torch.Tensor, txt_tokens: torch.Tensor,
                txt_mask: torch.Tensor, txt_img: torch.Tensor, sim_t2i: torch.Tensor,
                img_ids: torch.Tensor) -> dict[str, torch.Tensor]:
        with torch.no_grad():
            txt_ids = img_ids[txt_img]
            pos_t2i = txt_ids.view(-1, 1) == img_ids.view(1, -1)          # [T, B]
            neg_t, neg_img = sample_hard_negatives(sim_t2i.detach(), pos_t2i)
            # For each text's image, a hard negative text: sample over texts of a different id.
            sim_i2t = sim_t2i.detach().t()[txt_img]                        # [T, T]: row = image of text t
            pos_i2t = txt_ids.view(-1, 1) == txt_ids.view(1, -1)
            neg_row, neg_txt = sample_hard_negatives(sim_i2t, pos_i2t)
        imgs = torch.cat((img_tokens[txt_img], img_tokens[neg_img], img_tokens[txt_img[neg_row]]), dim=0)
        txts = torch.cat((txt_tokens, txt_tokens[neg_t], txt_tokens[neg_txt]), dim=0)
        masks = torch.cat((txt_mask, txt_mask[neg_t], txt_mask[neg_txt]), dim=0)
        logits = model.itm_head(model.fuse(imgs, txts, masks)[:, 0])
        labels = torch.zeros(logits.shape[0], dtype=torch.long, device=logits.device)
        labels[: txt_tokens.shape[0]] = 1
        return {self.name: F.cross_entropy(logits.float(), labels)}
