"""BERT-style text + fusion encoder with HF BERT parameter names.

Layers 0 .. text_layers-1 are text-only (self-attention); layers text_layers .. text_layers+fusion_layers-1 add
`crossattention` to the image tokens (X-VLM's xbert layout), so HF BERT checkpoints (`embeddings.*`,
`encoder.layer.N.*`) and X-VLM `text_encoder.bert.*` keys load by name.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from geotext_ros.model.config import TextConfig

_NEG = -10000.0  # additive mask value of the original BERT (finite: stays exact in fp16 and in ONNX)


def extended_mask(mask: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """[B, L] 1/0 -> [B, 1, 1, L] additive attention mask."""
    return (1.0 - mask[:, None, None, :].to(dtype)) * _NEG


class BertEmbeddings(nn.Module):
    def __init__(self, cfg: TextConfig) -> None:
        super().__init__()
        self.word_embeddings = nn.Embedding(cfg.vocab_size, cfg.hidden, padding_idx=0)
        self.position_embeddings = nn.Embedding(cfg.max_position, cfg.hidden)
        self.token_type_embeddings = nn.Embedding(cfg.type_vocab_size, cfg.hidden)
        self.LayerNorm = nn.LayerNorm(cfg.hidden, eps=cfg.layer_norm_eps)
        self.register_buffer("position_ids", torch.arange(cfg.max_position)[None], persistent=False)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        pos = self.position_ids[:, : ids.shape[1]]
        # token type 0 everywhere: single-segment input, as X-VLM and sentence-transformers use it
        x = self.word_embeddings(ids) + self.position_embeddings(pos) + self.token_type_embeddings.weight[0]
        return self.LayerNorm(x)


class BertSelfAttention(nn.Module):
    def __init__(self, hidden: int, heads: int, kv_width: int | None = None) -> None:
        super().__init__()
        kv_width = kv_width or hidden
        self.heads, self.head_dim = heads, hidden // heads
        self.query = nn.Linear(hidden, hidden)
        self.key = nn.Linear(kv_width, hidden)
        self.value = nn.Linear(kv_width, hidden)

    def _split(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(x.shape[0], x.shape[1], self.heads, self.head_dim).transpose(1, 2)

    def forward(self, x: torch.Tensor, kv: torch.Tensor, add_mask: torch.Tensor | None) -> torch.Tensor:
        q, k, v = self._split(self.query(x)), self._split(self.key(kv)), self._split(self.value(kv))
        scores = q @ k.transpose(-1, -2) / math.sqrt(self.head_dim)
        if add_mask is not None:
            scores = scores + add_mask
        out = scores.softmax(dim=-1) @ v
        return out.transpose(1, 2).reshape(x.shape[0], x.shape[1], self.heads * self.head_dim)


class BertOutput(nn.Module):
    """dense -> dropout -> LayerNorm(residual + .): HF's BertSelfOutput / BertOutput."""

    def __init__(self, d_in: int, hidden: int, eps: float, dropout: float) -> None:
        super().__init__()
        self.dense = nn.Linear(d_in, hidden)
        self.LayerNorm = nn.LayerNorm(hidden, eps=eps)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(self.dropout(self.dense(x)) + residual)


class BertAttention(nn.Module):
    def __init__(self, cfg: TextConfig, kv_width: int | None, dropout: float) -> None:
        super().__init__()
        self.self = BertSelfAttention(cfg.hidden, cfg.heads, kv_width)
        self.output = BertOutput(cfg.hidden, cfg.hidden, cfg.layer_norm_eps, dropout)

    def forward(self, x: torch.Tensor, kv: torch.Tensor, add_mask: torch.Tensor | None) -> torch.Tensor:
        return self.output(self.self(x, kv, add_mask), x)


class BertIntermediate(nn.Module):
    def __init__(self, cfg: TextConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(cfg.hidden, cfg.intermediate)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.gelu(self.dense(x))  # exact (erf) GELU, as HF "gelu"


class BertLayer(nn.Module):
    def __init__(self, cfg: TextConfig, cross_width: int | None = None, dropout: float = 0.0) -> None:
        super().__init__()
        self.attention = BertAttention(cfg, None, dropout)
        self.has_cross = cross_width is not None
        if self.has_cross:
            self.crossattention = BertAttention(cfg, cross_width, dropout)
        self.intermediate = BertIntermediate(cfg)
        self.output = BertOutput(cfg.intermediate, cfg.hidden, cfg.layer_norm_eps, dropout)

    def forward(self, x: torch.Tensor, add_mask: torch.Tensor,
                image: torch.Tensor | None = None) -> torch.Tensor:
        x = self.attention(x, x, add_mask)
        if self.has_cross:
            x = self.crossattention(x, image, None)  # every image token is valid: no image mask
        return self.output(self.intermediate(x), x)


class BertEncoder(nn.Module):
    def __init__(self, cfg: TextConfig, fusion_layers: int, cross_width: int, dropout: float) -> None:
        super().__init__()
        self.layer = nn.ModuleList(
            [BertLayer(cfg, None, dropout) for _ in range(cfg.layers)]
            + [BertLayer(cfg, cross_width, dropout) for _ in range(fusion_layers)])


class BertTextFusion(nn.Module):
    """`text(ids, mask)` -> [B, L, H] after the text layers; `fuse(hidden, mask, image)` -> [B, L, H]."""

    def __init__(self, cfg: TextConfig, fusion_layers: int, cross_width: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.text_layers = cfg.layers
        self.embeddings = BertEmbeddings(cfg)
        self.encoder = BertEncoder(cfg, fusion_layers, cross_width, dropout)

    def freeze_text(self, layers: int) -> None:
        """requires_grad False for the embeddings and text layers 0 .. layers-1 (none when layers is 0); the
        fusion layers always train. Autograd then records nothing below the first trainable layer."""
        frozen = [self.embeddings] + list(self.encoder.layer[:layers]) if layers > 0 else []
        for module in frozen:
            for p in module.parameters():
                p.requires_grad_(False)

    def text(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        x = self.embeddings(ids)
        add_mask = extended_mask(mask, x.dtype)
        for layer in self.encoder.layer[: self.text_layers]:
            x = layer(x, add_mask)
        return x

    def fuse(self, hidden: torch.Tensor, mask: torch.Tensor, image: torch.Tensor) -> torch.Tensor:
        add_mask = extended_mask(mask, hidden.dtype)
        for layer in self.encoder.layer[self.text_layers:]:
            hidden = layer(hidden, add_mask, image)
        return hidden
