"""Plain ViT image encoder (tiny/small configs): [B, 3, S, S] -> [B, 1 + G*G, D], token 0 = learned CLS."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from geotext_ros.model.config import VisionConfig


class PatchEmbed(nn.Module):
    def __init__(self, patch: int, width: int) -> None:
        super().__init__()
        self.proj = nn.Conv2d(3, width, kernel_size=patch, stride=patch)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(x).flatten(2).transpose(1, 2)  # [B, G*G, D], row-major over the grid


class ConvStem(nn.Module):
    """log2(patch) 3x3 stride-2 convolutions (BatchNorm, ReLU), channels doubling up to `width`, then a 1x1
    projection: the same [B, G*G, D] tokens as PatchEmbed, from overlapping local filters."""

    def __init__(self, patch: int, width: int) -> None:
        super().__init__()
        steps = patch.bit_length() - 1
        layers: list[nn.Module] = []
        c_in = 3
        for i in range(steps):
            c_out = width // 2 ** (steps - 1 - i)
            layers += [nn.Conv2d(c_in, c_out, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(c_out),
                       nn.ReLU(inplace=True)]
            c_in = c_out
        self.convs = nn.Sequential(*layers)
        self.proj = nn.Conv2d(c_in, width, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(self.convs(x)).flatten(2).transpose(1, 2)


class Mlp(nn.Module):
    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.act(self.fc1(x)))


class Attention(nn.Module):
    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads, self.head_dim = heads, dim // heads
        self.scale = self.head_dim ** -0.5
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, c = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.heads, self.head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = (q @ k.transpose(-2, -1) * self.scale).softmax(dim=-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(b, n, c))


class Block(nn.Module):
    def __init__(self, dim: int, heads: int, mlp_ratio: float, eps: float) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=eps)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=eps)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class VisionTransformer(nn.Module):
    def __init__(self, cfg: VisionConfig) -> None:
        super().__init__()
        grid = cfg.image_size // cfg.patch_size
        self.patch_embed = (ConvStem if cfg.stem == "conv" else PatchEmbed)(cfg.patch_size, cfg.width)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, cfg.width))
        self.pos_embed = nn.Parameter(torch.zeros(1, 1 + grid * grid, cfg.width))
        self.blocks = nn.ModuleList([Block(cfg.width, cfg.heads, cfg.mlp_ratio, cfg.layer_norm_eps)
                                     for _ in range(cfg.layers)])
        self.norm = nn.LayerNorm(cfg.width, eps=cfg.layer_norm_eps)
        nn.init.trunc_normal_(self.pos_embed, std=0.02)
        nn.init.trunc_normal_(self.cls_token, std=0.02)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        x = self.patch_embed(images)
        cls = self.cls_token.expand(x.shape[0], -1, -1)
        x = torch.cat([cls, x], dim=1) + self.pos_embed
        for blk in self.blocks:
            x = blk(x)
        return self.norm(x)


def resize_pos_embed(pos_embed: torch.Tensor, grid: int) -> torch.Tensor:
    """[1, 1 + g*g, D] -> [1, 1 + grid*grid, D]: the CLS slot kept, the patch table resampled bicubically as a
    g x g image, so a trained encoder starts from its own positions at another input size (fine-tuning a 128 px
    model at 192 px; the same thing open_clip and timm do when they change a ViT's resolution)."""
    if pos_embed.ndim != 3 or pos_embed.shape[0] != 1:
        raise ValueError(f"pos_embed must be [1, 1 + G*G, D], got {tuple(pos_embed.shape)}")
    old = int(round((pos_embed.shape[1] - 1) ** 0.5))
    if old * old != pos_embed.shape[1] - 1:
        raise ValueError(f"pos_embed has {pos_embed.shape[1] - 1} patch positions, not a square grid")
    if grid < 1:
        raise ValueError(f"grid must be >= 1, got {grid}")
    if grid == old:
        return pos_embed.clone()
    table = pos_embed[:, 1:].reshape(1, old, old, -1).permute(0, 3, 1, 2).float()
    table = F.interpolate(table, size=(grid, grid), mode="bicubic", align_corners=False)
    table = table.permute(0, 2, 3, 1).reshape(1, grid * grid, -1).to(pos_embed.dtype)
    return torch.cat([pos_embed[:, :1], table], dim=1)
