"""DDP helpers for contrastive terms: gather features from every rank, keeping gradients for the local part."""
from __future__ import annotations

import torch
import torch.distributed as dist


def is_distributed() -> bool:
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def gather_with_grad(x: torch.Tensor) -> torch.Tensor:
    """Concatenate x from all ranks along dim 0; gradients flow back to each rank's own slice.

    Single process: returns x unchanged, so the single-process path is exactly the plain computation.
    """
    if not is_distributed():
        return x
    from torch.distributed.nn.functional import all_gather  # autograd-aware all_gather

    return torch.cat(all_gather(x), dim=0)


@torch.no_grad()
def gather_no_grad(x: torch.Tensor) -> torch.Tensor:
    """Concatenate x from all ranks along dim 0 without gradients (ids, momentum features)."""
    if not is_distributed():
        return x
    parts = [torch.empty_like(x) for _ in range(dist.get_world_size())]
    dist.all_gather(parts, x.contiguous())
    return torch.cat(parts, dim=0)
