"""What a resumable checkpoint needs besides the weights: RNG states (torch CPU/CUDA, numpy, python) in a
form `torch.load(weights_only=True)` accepts, and the learning-rate schedule as a pure function of the step."""
from __future__ import annotations

import random
from typing import Any

import numpy as np
import torch


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)


def capture_rng() -> dict[str, Any]:
    kind, keys, pos, has_gauss, gauss = np.random.get_state()
    state = {"torch": torch.get_rng_state(), "python": _to_lists(random.getstate()),
             "numpy": {"kind": kind, "keys": torch.from_numpy(keys.astype(np.int64)), "pos": int(pos),
                       "has_gauss": int(has_gauss), "gauss": float(gauss)}}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    random.setstate(_to_tuples(state["python"]))
    n = state["numpy"]
    np.random.set_state((n["kind"], n["keys"].numpy().astype(np.uint32), n["pos"], n["has_gauss"], n["gauss"]))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _to_lists(x: Any) -> Any:
    return [_to_lists(v) for v in x] if isinstance(x, (tuple, list)) else x


def _to_tuples(x: Any) -> Any:
    return tuple(_to_tuples(v) for v in x) if isinstance(x, list) else x


def lr_at(step: int, total: int, base_lr: float, warmup: float) -> float:
    """Linear warmup then linear decay to 0. `warmup` < 1 is a fraction of the steps, else a step count."""
    warm = int(round(warmup * total)) if warmup < 1 else int(warmup)
    if warm > 0 and step < warm:
        return base_lr * (step + 1) / warm
    remaining = max(total - warm, 1)
    return base_lr * max(0.0, 1.0 - (step - warm) / remaining)
