"""Evaluation probes beyond retrieval: grounding accuracy (IoU >= 0.5) of the box head on region sentences,
spatial-relation accuracy of the relation head on object pairs, and the mirror-twin subset."""
from __future__ import annotations

from typing import Callable, Sequence

import torch

from training.losses.box_ops import cxcywh_to_xyxy, paired_iou
from training.losses.spatial import ordered_pairs


@torch.no_grad()
def grounding_accuracy(model: torch.nn.Module, pixels: Callable[[Sequence[int]], torch.Tensor],
                       regions: Sequence[tuple[int, str, list[float]]], tokenizer: Callable,
                       batch_size: int = 64, device: str | torch.device = "cpu") -> dict:
    """regions: (image index, sentence, box). Share of predicted boxes with IoU >= 0.5, and mean IoU."""
    ious = []
    for start in range(0, len(regions), batch_size):
        part = regions[start:start + batch_size]
        img_tokens, _ = model.encode_image(pixels([r[0] for r in part]).to(device))
        ids, mask = (torch.as_tensor(x, device=device) for x in tokenizer([r[1] for r in part]))
        txt_tokens, _ = model.encode_text(ids, mask)
        pred = model.box_head(model.fuse(img_tokens, txt_tokens, mask)[:, 0])
        target = torch.tensor([r[2] for r in part], dtype=torch.float32)
        ious.append(paired_iou(cxcywh_to_xyxy(pred.float().cpu()), cxcywh_to_xyxy(target))[0])
    if not ious:
        return {"n": 0}
    iou = torch.cat(ious)
    return {"n": int(iou.numel()), "acc_iou50": float(100 * (iou >= 0.5).float().mean()),
            "mean_iou": float(iou.mean())}


@torch.no_grad()
def spatial_accuracy(model: torch.nn.Module, pixels: Callable[[Sequence[int]], torch.Tensor],
                     boxes_per_image: Sequence[tuple[int, list[list[float]]]], rule: str,
                     batch_size: int = 32, device: str | torch.device = "cpu") -> dict:
    """(image index, distinct boxes) per image; accuracy over all ordered pairs, per axis and both, against the
    labels of `rule` (the one the head was trained with: training.losses.config.spatial_rule_of)."""
    hits_h = hits_v = hits_both = total = 0
    for start in range(0, len(boxes_per_image), batch_size):
        part = boxes_per_image[start:start + batch_size]
        img_tokens, _ = model.encode_image(pixels([p[0] for p in part]).to(device))
        boxes = torch.tensor([b for _, bs in part for b in bs], dtype=torch.float32, device=device)
        owner = torch.tensor([j for j, (_, bs) in enumerate(part) for _ in bs], dtype=torch.long, device=device)
        ia, ib, hl, vl = ordered_pairs(boxes, owner, rule)
        if ia.numel() == 0:
            continue
        feats = model.region_features(img_tokens, boxes, owner)
        h, v = model.relation_head(feats[ia], feats[ib], boxes[ia], boxes[ib])
        ok_h, ok_v = h.argmax(1) == hl, v.argmax(1) == vl
        hits_h += int(ok_h.sum())
        hits_v += int(ok_v.sum())
        hits_both += int((ok_h & ok_v).sum())
        total += int(ia.numel())
    if total == 0:
        return {"n_pairs": 0}
    return {"n_pairs": total, "acc_h": 100 * hits_h / total, "acc_v": 100 * hits_v / total,
            "acc_both": 100 * hits_both / total, "label_rule": rule}


def mirror_accuracy(pairs: Sequence[tuple[int, int, int]], itc: Callable[[list[int], list[int]], torch.Tensor],
                    itm: Callable[[list[int], list[int]], torch.Tensor]) -> dict:
    """pairs: (text index, its own image, the mirror twin's image). A caption is right when it scores its own
    image above the twin: relation-blind = ITC cosine, spatial-aware = ITM (cross-attention) score."""
    if not pairs:
        return {"n": 0}
    texts = [p[0] for p in pairs]
    own, twin = [p[1] for p in pairs], [p[2] for p in pairs]
    blind = _wins(itc(texts, own), itc(texts, twin))
    aware = _wins(itm(texts, own), itm(texts, twin))
    return {"n": len(pairs), "relation_blind_acc": float(100 * blind), "spatial_aware_acc": float(100 * aware)}


def _wins(right: torch.Tensor, wrong: torch.Tensor) -> torch.Tensor:
    """Share of rows where the right image scores higher; an exact tie counts half (a coin flip)."""
    return ((right > wrong).float() + 0.5 * (right == wrong).float()).mean()
