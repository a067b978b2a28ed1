"""The X-VLM-style model: image encoder (ViT or Swin), BERT text encoder, cross-attention fusion, and heads.

Parameter names follow X-VLM (vision_encoder.*, text_encoder.* = BERT names, vision_proj, text_proj, temp,
itm_head.{0,1,3}, bbox_head.{0,1,3}) so published weights map; the heads GeoText/HCCM add (dense_proj,
relation_mlp) are new. Every method is free of data-dependent Python control flow, so each exports to ONNX.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from geotext_ros.model.bert import BertTextFusion
from geotext_ros.model.config import ModelConfig
from geotext_ros.model.roi_align import roi_align
from geotext_ros.model.swin import SwinTransformer
from geotext_ros.model.vit import VisionTransformer


def build_mlp(d_in: int, d_out: int) -> nn.Sequential:
    """X-VLM's head: Linear(d, 2d), LayerNorm, GELU, Linear(2d, out) -> keys .0 .1 .3."""
    return nn.Sequential(nn.Linear(d_in, 2 * d_in), nn.LayerNorm(2 * d_in), nn.GELU(), nn.Linear(2 * d_in, d_out))


class GeoTextModel(nn.Module):
    """See docs/architecture.md "Model interface" for the contract of every method."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        v, t = config.vision, config.text
        if t.vocab_size <= 0:
            raise ValueError("text.vocab_size is 0 ('take it from the tokenizer'): build the model through "
                             "create_model(config, tokenizer=...) which fills it in")
        self.grid = v.grid
        self.vision_width, self.text_width = v.out_width, t.hidden
        self.vision_encoder = SwinTransformer(v) if v.kind == "swin" else VisionTransformer(v)
        self.text_encoder = BertTextFusion(t, config.fusion_layers, self.vision_width, config.dropout)
        e = config.embed_dim
        self.vision_proj = nn.Linear(self.vision_width, e)
        self.text_proj = nn.Linear(self.text_width, e)
        self.temp = nn.Parameter(torch.tensor(float(config.temp)))
        self.itm_head = build_mlp(self.text_width, 2)
        self.bbox_head = build_mlp(self.text_width, 4)
        if config.dense_head:
            self.dense_proj = nn.Linear(self.vision_width, e)
            # logit = scale * cos(patch, text) + bias; a cosine alone cannot reach confident logits
            self.dense_logit_scale = nn.Parameter(torch.tensor(10.0))
            self.dense_bias = nn.Parameter(torch.tensor(-5.0))
        # features: feat_a, feat_b; features+boxes (legacy): also box_a, box_b, box_a - box_b
        rel_in = 2 * self.vision_width + (12 if config.relation_inputs == "features+boxes" else 0)
        h = config.relation_hidden
        self.relation_mlp = nn.Sequential(nn.Linear(rel_in, h), nn.LayerNorm(h), nn.GELU(), nn.Linear(h, 6))
        self.apply(_init_weights)
        self.text_encoder.freeze_text(t.freeze_layers)

    # --- encoders -----------------------------------------------------------------------------------------
    def encode_image(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """images [B, 3, S, S] -> tokens [B, 1+G*G, Dv] (0 = CLS), embed [B, E] L2-normed."""
        tokens = self.vision_encoder(images)
        summary = tokens[:, 1:].mean(dim=1) if self.config.pooling == "mean" else tokens[:, 0]
        return tokens, F.normalize(self.vision_proj(summary), dim=-1)

    def encode_text(self, ids: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """ids, mask [B, L] -> tokens [B, L, Dt], embed [B, E] L2-normed (from [CLS] or the masked mean)."""
        tokens = self.text_encoder.text(ids, mask)
        summary = masked_mean(tokens, mask) if self.config.pooling == "mean" else tokens[:, 0]
        return tokens, F.normalize(self.text_proj(summary), dim=-1)

    def fuse(self, img_tokens: torch.Tensor, txt_tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Fusion layers: text tokens cross-attend to the image tokens -> [B, L, Dt].

        Position 0 is the pair's summary that the ITM and box heads read: [CLS], or with pooling "mean" the
        masked mean of the fused tokens (so every consumer keeps reading fused[:, 0]).
        """
        fused = self.text_encoder.fuse(txt_tokens, mask, img_tokens)
        if self.config.pooling != "mean":
            return fused
        return torch.cat([masked_mean(fused, mask).unsqueeze(1), fused[:, 1:]], dim=1)

    # --- heads --------------------------------------------------------------------------------------------
    def box_head(self, fused_cls: torch.Tensor) -> torch.Tensor:
        """[B, Dt] -> [B, 4] normalized cxcywh (sigmoid)."""
        return self.bbox_head(fused_cls).sigmoid()

    def get_temp(self) -> torch.Tensor:
        """ITC temperature clamped to [temp_min, temp_max] (X-VLM clamps it; differentiable inside the range)."""
        return self.temp.clamp(self.config.temp_min, self.config.temp_max)

    @torch.no_grad()
    def clamp_temp_(self) -> None:
        """Clamp the stored temperature in place, as X-VLM does before each step."""
        self.temp.clamp_(self.config.temp_min, self.config.temp_max)

    def patch_grid(self, img_tokens: torch.Tensor) -> torch.Tensor:
        """[B, 1+G*G, Dv] -> [B, Dv, G, G] (row-major grid: row = y)."""
        patches = img_tokens[:, 1:]
        return patches.transpose(1, 2).reshape(patches.shape[0], patches.shape[2], self.grid, self.grid)

    def dense_map(self, img_tokens: torch.Tensor, txt_embed: torch.Tensor) -> torch.Tensor:
        """[B, G, G] logits of "the phrase is here" per patch (sigmoid -> probability)."""
        if not self.config.dense_head:
            raise RuntimeError(f"model config {self.config.name!r} has dense_head=false: no dense map; "
                               "enable dense_head in the config and train it")
        patches = F.normalize(self.dense_proj(img_tokens[:, 1:]), dim=-1)        # [B, G*G, E]
        cos = (patches @ txt_embed.unsqueeze(-1)).squeeze(-1)                      # [B, G*G]
        logits = cos * self.dense_logit_scale + self.dense_bias
        return logits.reshape(-1, self.grid, self.grid)

    def region_features(self, img_tokens: torch.Tensor, boxes: torch.Tensor,
                        batch_index: torch.Tensor) -> torch.Tensor:
        """ROI Align of normalized cxcywh boxes [K, 4] on image batch_index [K] -> [K, Dv] (mean of the bins)."""
        pooled = roi_align(self.patch_grid(img_tokens), boxes, batch_index,
                           self.config.roi_size, self.config.roi_sampling_ratio)
        return pooled.mean(dim=(2, 3))

    def region_embed(self, feats: torch.Tensor) -> torch.Tensor:
        """[K, Dv] -> [K, E] L2-normed, in the ITC space (vision_proj shared with the global embedding)."""
        return F.normalize(self.vision_proj(feats), dim=-1)

    def relation_head(self, feat_a: torch.Tensor, feat_b: torch.Tensor, box_a: torch.Tensor,
                      box_b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Relation of A to B: (h_logits, v_logits) [K, 3] each; classes as geotext_ros.relations.

        The boxes are read only by a legacy "features+boxes" head; a "features" head sees what ROI Align drew
        from them and nothing else, so it cannot read the answer off the coordinates."""
        parts = [feat_a, feat_b]
        if self.config.relation_inputs == "features+boxes":
            parts += [box_a, box_b, box_a - box_b]
        x = torch.cat(parts, dim=-1)
        out = self.relation_mlp(x)
        return out[:, :3], out[:, 3:]

    def forward(self, images: torch.Tensor, ids: torch.Tensor, mask: torch.Tensor) -> dict[str, torch.Tensor]:
        """Convenience pass: global embeddings plus ITM and box of each (image, text) pair."""
        img_tokens, img_embed = self.encode_image(images)
        txt_tokens, txt_embed = self.encode_text(ids, mask)
        fused = self.fuse(img_tokens, txt_tokens, mask)
        return {"img_embed": img_embed, "txt_embed": txt_embed, "itm": self.itm_head(fused[:, 0]),
                "box": self.box_head(fused[:, 0])}


def masked_mean(tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over the positions where mask is 1: [B, L, D], [B, L] -> [B, D]."""
    weights = mask.to(tokens.dtype).unsqueeze(-1)
    return (tokens * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1.0)


def _init_weights(module: nn.Module) -> None:
    """BERT init (normal 0.02, zero bias, unit LayerNorm) for linear/embedding layers."""
    if isinstance(module, (nn.Linear, nn.Embedding)):
        nn.init.normal_(module.weight, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)
        if isinstance(module, nn.Embedding) and module.padding_idx is not None:
            with torch.no_grad():
                module.weight[module.padding_idx].zero_()
    elif isinstance(module, nn.LayerNorm):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)
