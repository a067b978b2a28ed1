"""Image-text contrastive (ITC) loss: symmetric InfoNCE with a learnable temperature, id-aware positives,
optional momentum keys + queue (MC) and momentum distillation soft targets (MD, ALBEF-style)."""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn


def positive_targets(query_ids: torch.Tensor, key_ids: torch.Tensor) -> torch.Tensor:
    """[N, M] targets: 1/(number of positives) where key id == query id (several captions of one image)."""
    pos = (query_ids.view(-1, 1) == key_ids.view(1, -1)).float()
    counts = pos.sum(dim=1, keepdim=True)
    if bool((counts == 0).any()):
        bad = query_ids[(counts == 0).view(-1)].tolist()
        raise ValueError(f"contrastive query ids {bad[:5]} have no positive key; every query's own "
                         "feature must be among the keys (pass the batch keys before the queue)")
    return pos / counts


def soft_cross_entropy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean over rows of -sum_j targets_ij * log softmax(logits)_ij."""
    return -(F.log_softmax(logits, dim=1) * targets).sum(dim=1).mean()


def distilled(targets: torch.Tensor, teacher_logits: Optional[torch.Tensor], alpha: float) -> torch.Tensor:
    """MD: alpha * softmax(teacher) + (1 - alpha) * ground truth; ground truth alone without a teacher."""
    if teacher_logits is None or alpha <= 0.0:
        return targets
    return alpha * F.softmax(teacher_logits, dim=1) + (1.0 - alpha) * targets


def one_way_nce(query: torch.Tensor, keys: torch.Tensor, query_ids: torch.Tensor, key_ids: torch.Tensor,
                temp: torch.Tensor, teacher_query: Optional[torch.Tensor] = None, alpha: float = 0.0
                ) -> torch.Tensor:
    """InfoNCE of queries [N, E] against keys [M, E]; a teacher query (momentum feature) adds soft targets."""
    logits = query @ keys.t() / temp
    targets = positive_targets(query_ids, key_ids)
    teacher = None
    if teacher_query is not None and alpha > 0.0:
        with torch.no_grad():
            teacher = teacher_query @ keys.t() / temp
    return soft_cross_entropy(logits, distilled(targets, teacher, alpha))


class ITCLoss(nn.Module):
    """Symmetric ITC: image->text + text->image, summed as X-VLM, GeoText and HCCM do (the mean at weight w is
    the sum at weight w/2, so a preset wanting the old strength halves its weight; no switch needed).

    Without keys given, the keys are the (all-gathered) online features of the batch; with MC the caller
    passes momentum features of the batch followed by the queue, and for MD the momentum features of the
    queries as teachers.
    """

    def forward(self, img: torch.Tensor, txt: torch.Tensor, ids: torch.Tensor, temp: torch.Tensor,
                img_keys: Optional[torch.Tensor] = None, txt_keys: Optional[torch.Tensor] = None,
                key_ids: Optional[torch.Tensor] = None, img_teacher: Optional[torch.Tensor] = None,
                txt_teacher: Optional[torch.Tensor] = None, alpha: float = 0.0) -> dict[str, torch.Tensor]:
        img_keys = img if img_keys is None else img_keys
        txt_keys = txt if txt_keys is None else txt_keys
        key_ids = ids if key_ids is None else key_ids
        i2t = one_way_nce(img, txt_keys, ids, key_ids, temp, img_teacher, alpha)
        t2i = one_way_nce(txt, img_keys, ids, key_ids, temp, txt_teacher, alpha)
        return {"itc": i2t + t2i}
