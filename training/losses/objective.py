"""The training objective: runs the model on a batch once and adds up every enabled named loss term.

Batch (dict of tensors, see training/collate.py which builds it from dataset records):
  images [B,3,S,S]; text_ids/text_mask [B,L]; ids [B] (same id = positive pair, e.g. same image);
  region_ids/region_mask [R,L], region_boxes [R,4], region_index [R] (region sentences with a box);
  pair_boxes [P,4], pair_index [P] (distinct boxes per image for the spatial term);
  dense_text_ids/dense_text_mask [D,L], dense_index [D], dense_boxes [D,M,4], dense_box_mask [D,M]
  (optional: short object phrases with the boxes of ALL objects of the image that the phrase names).
"""
from __future__ import annotations

from typing import Optional

import torch
from torch import nn

from training.losses.config import LossConfig
from training.losses.contrastive import ITCLoss
from training.losses.dense import DenseLoss
from training.losses.distributed import gather_no_grad, gather_with_grad
from training.losses.grounding import GroundingLoss
from training.losses.matching import MatchingLoss
from training.losses.momentum import FeatureQueue, MomentumModel
from training.losses.region_global import RegionGlobalITCLoss
from training.losses.region_matching import RegionMatchingLoss, region_tokens
from training.losses.spatial import SpatialLoss


def probe_embed_dim(model: nn.Module) -> int:
    """Embedding size of the model's text embedding (queues are sized from it)."""
    was_training = model.training
    model.eval()
    with torch.no_grad():
        dev = next(model.parameters()).device
        _, emb = model.encode_text(torch.zeros(1, 2, dtype=torch.long, device=dev),
                                   torch.ones(1, 2, dtype=torch.long, device=dev))
    model.train(was_training)
    return int(emb.shape[-1])


class Objective(nn.Module):
    """Owns the loss modules and the MC state (momentum model, image/text queues); the model is passed in."""

    def __init__(self, model: nn.Module, cfg: LossConfig, embed_dim: Optional[int] = None) -> None:
        super().__init__()
        self.cfg = cfg
        self.itc, self.itm = ITCLoss(), MatchingLoss("itm")
        self.rg_itc, self.rg_itm = RegionGlobalITCLoss(), RegionMatchingLoss()
        self.grounding, self.spatial = GroundingLoss(), SpatialLoss(cfg.spatial.label_rule)
        self.dense = DenseLoss(cfg.dense.focal_gamma)
        self.momentum: Optional[MomentumModel] = None
        if cfg.momentum.enabled:
            dim = embed_dim or probe_embed_dim(model)
            self.momentum = MomentumModel(model, cfg.momentum.momentum)
            self.img_queue = FeatureQueue(dim, cfg.momentum.queue_size)
            self.txt_queue = FeatureQueue(dim, cfg.momentum.queue_size)

    def forward(self, model: nn.Module, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        cfg = self.cfg
        img_tokens, img_embed = model.encode_image(batch["images"])
        txt_tokens, txt_embed = model.encode_text(batch["text_ids"], batch["text_mask"])
        temp = model.get_temp()
        ids = batch["ids"]
        keys = self._keys(model, batch, img_embed, txt_embed)
        terms: dict[str, torch.Tensor] = {}
        if cfg.on("itc"):
            terms.update(self.itc(img_embed, txt_embed, ids, temp, keys["img"], keys["txt"], keys["ids"],
                                  keys.get("img_teacher"), keys.get("txt_teacher"), keys["alpha"]))
        if cfg.on("itm"):
            sim_t2i = (txt_embed @ img_embed.t() / temp).detach()
            arange = torch.arange(ids.shape[0], device=ids.device)
            terms.update(self.itm(model, img_tokens, txt_tokens, batch["text_mask"], arange, sim_t2i, ids))
        terms.update(self._region_terms(model, batch, (img_tokens, img_embed), (txt_tokens, txt_embed), temp, keys))
        if cfg.on("spatial") and batch.get("pair_boxes") is not None:
            terms.update(self.spatial(model, img_tokens, batch["pair_boxes"], batch["pair_index"]))
        if cfg.on("dense") and batch.get("dense_text_ids") is not None and batch["dense_text_ids"].shape[0]:
            # switched off automatically when the data has no `objects` extras (no dense phrases)
            d_embed = model.encode_text(batch["dense_text_ids"], batch["dense_text_mask"])[1]
            logits = model.dense_map(img_tokens[batch["dense_index"]], d_embed)
            terms.update(self.dense(logits, batch["dense_boxes"], batch["dense_box_mask"]))
        self._enqueue(keys)
        terms["loss"] = self._total(terms, img_embed)
        return terms

    def _region_terms(self, model: nn.Module, batch: dict, img: tuple[torch.Tensor, torch.Tensor],
                      txt: tuple[torch.Tensor, torch.Tensor], temp: torch.Tensor, keys: dict
                      ) -> dict[str, torch.Tensor]:
        """grounding, RG-ITC, RG-ITM; img and txt are (tokens, embedding) of the batch's images and captions."""
        cfg, out = self.cfg, {}
        (img_tokens, img_embed), (txt_tokens, txt_embed) = img, txt
        wanted = [t for t in ("grounding", "rg_itc", "rg_itm") if cfg.on(t)]
        if not wanted or batch.get("region_ids") is None or batch["region_ids"].shape[0] == 0:
            return out
        r_idx, r_mask, r_boxes = batch["region_index"], batch["region_mask"], batch["region_boxes"]
        r_tokens, r_embed = model.encode_text(batch["region_ids"], r_mask)
        if cfg.on("grounding"):
            fused = model.fuse(img_tokens[r_idx], r_tokens, r_mask)
            out.update(self.grounding(model.box_head(fused[:, 0]), r_boxes))
        if cfg.on("rg_itc") or cfg.on("rg_itm"):
            region_img = model.region_embed(model.region_features(img_tokens, r_boxes, r_idx))
        if cfg.on("rg_itc"):
            # HCCM: the batch's features only (the momentum model's under MC), no queue, no distillation
            img_keys, txt_keys, key_ids = ((keys["new_img"], keys["new_txt"], keys["new_ids"]) if "new_img" in keys
                                           else (keys["img"], keys["txt"], keys["ids"]))
            out.update(self.rg_itc(region_img, r_embed, batch["ids"][r_idx], txt_keys, img_keys, key_ids, temp))
        if cfg.on("rg_itm"):
            sim_sent2img = (r_embed @ img_embed.t() / temp).detach()
            sim_reg2cap = (region_img @ txt_embed.t() / temp).detach()
            out.update(self.rg_itm(model, img_tokens, txt_tokens, batch["text_mask"], r_tokens, r_mask,
                                   region_tokens(model, img_tokens, r_boxes, r_idx), r_idx, sim_sent2img,
                                   sim_reg2cap, batch["ids"]))
        return out

    def _keys(self, model: nn.Module, batch: dict, img_embed: torch.Tensor, txt_embed: torch.Tensor) -> dict:
        """Contrastive keys: gathered online features, or (MC) gathered momentum features + the queues."""
        ids_all = gather_no_grad(batch["ids"])
        if self.momentum is None:
            return {"img": gather_with_grad(img_embed), "txt": gather_with_grad(txt_embed), "ids": ids_all,
                    "alpha": 0.0}
        with torch.no_grad():
            self.momentum.update(model)  # ALBEF order: EMA step, then the teacher features of this batch
            m_img = self.momentum.model.encode_image(batch["images"])[1]
            m_txt = self.momentum.model.encode_text(batch["text_ids"], batch["text_mask"])[1]
            m_img_all, m_txt_all = gather_no_grad(m_img), gather_no_grad(m_txt)
            q_img, q_img_ids = self.img_queue.valid()
            q_txt, _ = self.txt_queue.valid()  # same ids as the image queue: both enqueue together
        distill = self.cfg.momentum.distill
        return {"img": torch.cat((m_img_all, q_img)), "txt": torch.cat((m_txt_all, q_txt)),
                "ids": torch.cat((ids_all, q_img_ids)),
                "new_img": m_img_all, "new_txt": m_txt_all, "new_ids": ids_all,
                "img_teacher": m_img if distill else None, "txt_teacher": m_txt if distill else None,
                "alpha": self.cfg.momentum.alpha if distill else 0.0}

    def _enqueue(self, keys: dict) -> None:
        if self.momentum is not None:
            self.img_queue.enqueue(keys["new_img"], keys["new_ids"])
            self.txt_queue.enqueue(keys["new_txt"], keys["new_ids"])

    def _total(self, terms: dict[str, torch.Tensor], anchor: torch.Tensor) -> torch.Tensor:
        total = anchor.sum() * 0.0
        for name, value in terms.items():
            term = "grounding" if name.startswith("grounding_") else name
            total = total + self.cfg.weight(term) * value
        return total
