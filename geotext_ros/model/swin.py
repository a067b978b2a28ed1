"""Swin Transformer image encoder with the module/parameter names of X-VLM's `vision_encoder.*` (Microsoft's
Swin layout: patch_embed.{proj,norm}, layers.i.blocks.j.{norm1,attn.{qkv,proj,relative_position_bias_table},
norm2,mlp.{fc1,fc2}}, layers.i.downsample.{reduction,norm}, norm), so the published checkpoint maps by name.

Output as X-VLM: final LayerNorm, then a CLS token = the mean of the patch tokens in front: [B, 1 + G*G, C].
Every stage's resolution must be a multiple of its window (no padding: keeps the graph static for ONNX).
"""
from __future__ import annotations

import functools

import torch
from torch import nn

from geotext_ros.model.config import VisionConfig
from geotext_ros.model.vit import Mlp


def window_partition(x: torch.Tensor, ws: int) -> torch.Tensor:
    """[B, H, W, C] -> [B * nW, ws*ws, C]."""
    _, h, w, c = x.shape
    x = x.reshape(-1, h // ws, ws, w // ws, ws, c).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(-1, ws * ws, c)


def window_reverse(win: torch.Tensor, ws: int, h: int, w: int) -> torch.Tensor:
    """[B * nW, ws*ws, C] -> [B, H, W, C]."""
    c = win.shape[-1]
    x = win.reshape(-1, h // ws, w // ws, ws, ws, c).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(-1, h, w, c)


@functools.lru_cache(maxsize=None)
def _cached_index(ws: int) -> torch.Tensor:
    with torch.device("cpu"):  # also under a meta-device context: small, computed once per window size
        return relative_position_index(ws)


@functools.lru_cache(maxsize=None)
def _cached_shift_mask(res: int, ws: int, shift: int) -> torch.Tensor:
    with torch.device("cpu"):
        return shift_mask(res, res, ws, shift)


def relative_position_index(ws: int) -> torch.Tensor:
    coords = torch.stack(torch.meshgrid(torch.arange(ws), torch.arange(ws), indexing="ij")).flatten(1)
    rel = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0) + (ws - 1)
    return rel[..., 0] * (2 * ws - 1) + rel[..., 1]  # [ws*ws, ws*ws]


def shift_mask(h: int, w: int, ws: int, shift: int) -> torch.Tensor:
    """Additive mask [nW, ws*ws, ws*ws] keeping attention inside the regions a cyclic shift glued together."""
    img = torch.zeros(1, h, w, 1)
    cnt = 0
    for hs in (slice(0, -ws), slice(-ws, -shift), slice(-shift, None)):
        for wsl in (slice(0, -ws), slice(-ws, -shift), slice(-shift, None)):
            img[:, hs, wsl, :] = cnt
            cnt += 1
    win = window_partition(img, ws).squeeze(-1)
    diff = win[:, None, :] - win[:, :, None]
    return torch.where(diff != 0, torch.tensor(-100.0), torch.tensor(0.0))


class WindowAttention(nn.Module):
    def __init__(self, dim: int, ws: int, heads: int) -> None:
        super().__init__()
        self.ws, self.heads, self.head_dim = ws, heads, dim // heads
        self.scale = self.head_dim ** -0.5
        self.relative_position_bias_table = nn.Parameter(torch.zeros((2 * ws - 1) ** 2, heads))
        self.register_buffer("relative_position_index", _cached_index(ws).clone(), persistent=False)
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)
        nn.init.trunc_normal_(self.relative_position_bias_table, std=0.02)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        bw, n, c = x.shape
        qkv = self.qkv(x).reshape(bw, n, 3, self.heads, self.head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = q * self.scale @ k.transpose(-2, -1)
        bias = self.relative_position_bias_table[self.relative_position_index.reshape(-1)]
        attn = attn + bias.reshape(n, n, self.heads).permute(2, 0, 1)[None]
        if mask is not None:
            nw = mask.shape[0]
            attn = attn.reshape(-1, nw, self.heads, n, n) + mask[None, :, None]
            attn = attn.reshape(-1, self.heads, n, n)
        return self.proj((attn.softmax(dim=-1) @ v).transpose(1, 2).reshape(bw, n, c))


class SwinTransformerBlock(nn.Module):
    def __init__(self, dim: int, res: int, heads: int, ws: int, shift: int, mlp_ratio: float, eps: float) -> None:
        super().__init__()
        if res <= ws:  # Swin rule: one window covers the map, no shift
            ws, shift = res, 0
        if res % ws:
            raise ValueError(f"Swin stage resolution {res} is not a multiple of window size {ws}: choose "
                             f"image_size / patch_size / window_size so every stage divides evenly")
        self.res, self.ws, self.shift = res, ws, shift
        self.norm1 = nn.LayerNorm(dim, eps=eps)
        self.attn = WindowAttention(dim, ws, heads)
        self.norm2 = nn.LayerNorm(dim, eps=eps)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))
        mask = _cached_shift_mask(res, ws, shift).clone() if shift > 0 else None
        self.register_buffer("attn_mask", mask, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = w = self.res
        c = x.shape[-1]
        y = self.norm1(x).reshape(-1, h, w, c)
        if self.shift:
            y = torch.roll(y, shifts=(-self.shift, -self.shift), dims=(1, 2))
        y = window_reverse(self.attn(window_partition(y, self.ws), self.attn_mask), self.ws, h, w)
        if self.shift:
            y = torch.roll(y, shifts=(self.shift, self.shift), dims=(1, 2))
        x = x + y.reshape(-1, h * w, c)
        return x + self.mlp(self.norm2(x))


class PatchMerging(nn.Module):
    def __init__(self, res: int, dim: int, eps: float) -> None:
        super().__init__()
        self.res = res
        self.norm = nn.LayerNorm(4 * dim, eps=eps)
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        c = x.shape[-1]
        x = x.reshape(-1, self.res, self.res, c)
        x = torch.cat([x[:, 0::2, 0::2], x[:, 1::2, 0::2], x[:, 0::2, 1::2], x[:, 1::2, 1::2]], dim=-1)
        return self.reduction(self.norm(x.reshape(-1, (self.res // 2) ** 2, 4 * c)))


class BasicLayer(nn.Module):
    def __init__(self, dim: int, res: int, depth: int, heads: int, ws: int, last: bool, eps: float) -> None:
        super().__init__()
        self.blocks = nn.ModuleList([
            SwinTransformerBlock(dim, res, heads, ws, 0 if i % 2 == 0 else ws // 2, 4.0, eps) for i in range(depth)])
        self.downsample = None if last else PatchMerging(res, dim, eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for blk in self.blocks:
            x = blk(x)
        return x if self.downsample is None else self.downsample(x)


class SwinPatchEmbed(nn.Module):
    def __init__(self, patch: int, dim: int, eps: float) -> None:
        super().__init__()
        self.proj = nn.Conv2d(3, dim, kernel_size=patch, stride=patch)
        self.norm = nn.LayerNorm(dim, eps=eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(self.proj(x).flatten(2).transpose(1, 2))


class SwinTransformer(nn.Module):
    def __init__(self, cfg: VisionConfig) -> None:
        super().__init__()
        eps = cfg.layer_norm_eps
        self.patch_embed = SwinPatchEmbed(cfg.patch_size, cfg.embed_dim, eps)
        res, dim = cfg.image_size // cfg.patch_size, cfg.embed_dim
        n = len(cfg.depths)
        layers = []
        for i, (depth, heads) in enumerate(zip(cfg.depths, cfg.swin_heads)):
            layers.append(BasicLayer(dim, res, depth, heads, cfg.window_size, i == n - 1, eps))
            if i < n - 1:
                res, dim = res // 2, dim * 2
        self.layers = nn.ModuleList(layers)
        self.norm = nn.LayerNorm(dim, eps=eps)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        x = self.patch_embed(images)
        for layer in self.layers:
            x = layer(x)
        x = self.norm(x)
        return torch.cat([x.mean(dim=1, keepdim=True), x], dim=1)  # X-VLM: CLS = average of the patches
