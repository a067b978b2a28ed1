"""Momentum contrast (MC) parts of HCCM/ALBEF: an EMA copy of the model and FIFO feature queues."""
from __future__ import annotations

import copy

import torch
from torch import nn


# What HCCM's (and ALBEF's) momentum model holds: the two encoders (the text encoder with its fusion layers)
# and the two projections. The heads (ITM, box, relation, dense) and the temperature are not copied.
MOMENTUM_PARTS = ("vision_encoder", "text_encoder", "vision_proj", "text_proj")


class MomentumModel(nn.Module):
    """An exponential-moving-average copy of a model's encoders and projections: p_m <- m * p_m + (1 - m) * p,
    never trained directly. It keeps the model's methods (encode_image, encode_text, region_features,
    region_embed), which use only those parts; calling a head on it raises AttributeError."""

    def __init__(self, model: nn.Module, momentum: float, parts: tuple[str, ...] = MOMENTUM_PARTS) -> None:
        super().__init__()
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"momentum must be in [0, 1), got {momentum}; HCCM/ALBEF use 0.995")
        missing = [p for p in parts if not hasattr(model, p)]
        if missing:
            raise ValueError(f"model {type(model).__name__} has no {missing}: the momentum copy needs {parts}")
        self.momentum = momentum
        self.model = copy.deepcopy(model)
        for name in [n for n, _ in self.model.named_children() if n not in parts]:
            delattr(self.model, name)
        for name in [n for n, _ in self.model.named_parameters(recurse=False) if n not in parts]:
            delattr(self.model, name)   # direct parameters (temperature, dense scale/bias) are heads' too
        for p in self.model.parameters():
            p.requires_grad_(False)
        self.model.eval()  # no dropout in the teacher: its features are targets

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        """One EMA step towards the online model's current parameters (buffers are copied), matched by name."""
        m = self.momentum
        online = dict(model.named_parameters())
        for name, p_m in self.model.named_parameters():
            p_m.mul_(m).add_(online[name].detach(), alpha=1.0 - m)
        buffers = dict(model.named_buffers())
        for name, b_m in self.model.named_buffers():
            b_m.copy_(buffers[name])

    def train(self, mode: bool = True) -> "MomentumModel":
        super().train(mode)
        self.model.eval()
        return self


class FeatureQueue(nn.Module):
    """A FIFO ring of L2-normalized features with the id of the image each came from.

    Ids let the contrastive terms treat queued features of the same image/place as positives. Slots never
    written hold id -1 and are excluded by `valid` so an unfilled queue adds no fake negatives.
    """

    def __init__(self, dim: int, size: int) -> None:
        super().__init__()
        if size <= 0 or dim <= 0:
            raise ValueError(f"queue dim and size must be positive, got dim={dim} size={size}")
        self.register_buffer("feats", torch.zeros(size, dim))
        self.register_buffer("ids", torch.full((size,), -1, dtype=torch.long))
        self.register_buffer("ptr", torch.zeros((), dtype=torch.long))

    @property
    def size(self) -> int:
        return self.feats.shape[0]

    @torch.no_grad()
    def enqueue(self, feats: torch.Tensor, ids: torch.Tensor) -> None:
        """Write feats/ids at the pointer, overwriting the oldest entries, wrapping around the end."""
        n = feats.shape[0]
        if n > self.size:  # keep only the newest `size` entries
            feats, ids, n = feats[-self.size:], ids[-self.size:], self.size
        pos = (self.ptr + torch.arange(n, device=self.feats.device)) % self.size
        self.feats[pos] = feats.detach().to(self.feats.dtype)
        self.ids[pos] = ids.detach().to(torch.long)
        self.ptr.fill_(int((self.ptr + n) % self.size))

    def valid(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(features, ids) of the slots written so far."""
        keep = self.ids >= 0
        return self.feats[keep], self.ids[keep]
