"""Training presets: JSON files in training/presets/ naming the loss terms, momentum settings and training
hyper-parameters of one paper row. `load_preset("hccm")` or `load_preset("path/to/file.json")`."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from training.losses.config import LossConfig

PRESET_DIR = Path(__file__).resolve().parent / "presets"
TRAIN_DEFAULTS: dict[str, Any] = {
    "lr": 1e-4, "weight_decay": 0.01, "warmup": 0.1, "batch_size": 32, "grad_accum": 1, "steps": 1000,
    "epochs": 0, "log_every": 10, "save_every": 0, "clip_grad": 0.0, "seed": 42, "cache_images": True,
    "num_workers": 0, "dense_paraphrase": 0.0, "dense_hard_negatives": 0.0,
}


def available_presets() -> list[str]:
    return sorted(p.stem for p in PRESET_DIR.glob("*.json"))


def load_preset(name_or_path: str) -> dict[str, Any]:
    """The preset dict with "name", validated "losses"/"momentum"/"dense_loss", and "train" filled with defaults."""
    path = Path(name_or_path)
    if not path.suffix:
        path = PRESET_DIR / f"{name_or_path}.json"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise FileNotFoundError(f"preset {name_or_path!r} not found (looked at {path}); known presets: "
                                f"{available_presets()}") from e
    except json.JSONDecodeError as e:
        raise ValueError(f"preset {path} is not valid JSON: {e}") from e
    LossConfig.from_dict(raw)  # fail early on a bad loss section
    train = dict(TRAIN_DEFAULTS)
    unknown = sorted(set(raw.get("train", {})) - set(train))
    if unknown:
        raise ValueError(f"preset {path} has unknown train settings {unknown}; known: {sorted(train)}")
    train.update(raw.get("train", {}))
    for key in ("dense_paraphrase", "dense_hard_negatives"):
        if not 0.0 <= float(train[key]) <= 1.0:
            raise ValueError(f"preset {path}: train.{key} {train[key]} is a probability; use a value in [0, 1]")
    return {"name": raw.get("name", path.stem), "losses": raw.get("losses", {}),
            "momentum": raw.get("momentum", {}), "dense_loss": raw.get("dense_loss", {}),
            "spatial_loss": LossConfig.from_dict(raw).to_dict()["spatial_loss"], "train": train,
            "description": raw.get("description", "")}
