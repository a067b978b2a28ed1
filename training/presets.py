"""Training presets: JSON files in training/presets/ naming the loss terms, momentum settings and training
hyper-parameters of one paper row. `load_preset("hccm")` or `load_preset("path/to/file.json")`."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from geotext_ros.model.text import MAX_WORDS_TEST, MAX_WORDS_TRAIN
from training.losses.config import LossConfig

PRESET_DIR = Path(__file__).resolve().parent / "presets"
TRAIN_DEFAULTS: dict[str, Any] = {
    "lr": 1e-4, "weight_decay": 0.01, "warmup": 0.1, "batch_size": 32, "grad_accum": 1, "steps": 1000,
    "epochs": 0, "log_every": 10, "save_every": 0, "clip_grad": 0.0, "seed": 42, "cache_images": True,
    "num_workers": 0, "dense_paraphrase": 0.0, "dense_hard_negatives": 0.0,
    "corrupt": 0.0, "corrupt_max_severity": 2,  # train-time image corruptions (training.data.train_corruptions)
    # sentences whose frozen text-tower output is kept (training/text_cache.py); 0 = off. Used only with a model
    # whose text.freeze_layers equals text.layers (a trainable tower runs uncached)
    "text_cache": 0,
    # AdamW betas (torch's default; GeoText uses (0.9, 0.98)); lr multiplier of the heads X-VLM has no weights
    # for (training.train.NEW_HEADS); image augmentation (training.photometric.AUGMENTS)
    "betas": [0.9, 0.999], "head_lr_mult": 1.0, "augment": "none",
    # the model config a new run builds (--model-config overrides), and whether the recipe starts from the
    # published X-VLM checkpoint (then --init-xvlm PATH is required: weights are never downloaded)
    "model_config": "tiny", "init_xvlm": False,
}
# Evaluation settings of a recipe: ITM re-scores each query's ITC top k_test (geotext-eval --k-test)
EVAL_DEFAULTS: dict[str, Any] = {"k_test": 256}

# A method's text limits: words kept by caption cleaning in training and at test (and onboard: the tokenizer keeps
# the test limit), and the token limit (0 = the model config's max_text_len). GeoText: 30 / 50 words; HCCM: 90 / 90
# words and 90 tokens.
TEXT_DEFAULTS: dict[str, int] = {"max_words_train": MAX_WORDS_TRAIN, "max_words_test": MAX_WORDS_TEST,
                                 "max_tokens": 0}


def text_limits(preset: dict[str, Any]) -> dict[str, int]:
    """The preset's "text" section over TEXT_DEFAULTS (presets saved before the section get the defaults)."""
    raw = preset.get("text") or {}
    unknown = sorted(set(raw) - set(TEXT_DEFAULTS))
    if unknown:
        raise ValueError(f"preset {preset.get('name')!r} has unknown text settings {unknown}; known: "
                         f"{sorted(TEXT_DEFAULTS)}")
    out = {**TEXT_DEFAULTS, **raw}
    bad = {k: v for k, v in out.items() if not isinstance(v, int) or v < (0 if k == "max_tokens" else 1)}
    if bad:
        raise ValueError(f"preset {preset.get('name')!r}: text limits {bad} must be whole numbers (words >= 1, "
                         f"max_tokens >= 0 where 0 = the model config's max_text_len)")
    return out


def recipe_k_test(train_config: dict[str, Any] | None) -> int:
    """The k_test of the recipe a checkpoint was trained with (its saved preset's "eval"), else EVAL_DEFAULTS'."""
    preset = (train_config or {}).get("preset")
    evals = preset.get("eval") if isinstance(preset, dict) else None
    return int((evals or EVAL_DEFAULTS)["k_test"])


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
    for key in ("dense_paraphrase", "dense_hard_negatives", "corrupt"):
        if not 0.0 <= float(train[key]) <= 1.0:
            raise ValueError(f"preset {path}: train.{key} {train[key]} is a probability; use a value in [0, 1]")
    _check_train(path, train)
    evals = dict(EVAL_DEFAULTS)
    bad = sorted(set(raw.get("eval", {})) - set(evals))
    if bad:
        raise ValueError(f"preset {path} has unknown eval settings {bad}; known: {sorted(evals)}")
    evals.update(raw.get("eval", {}))
    return {"name": raw.get("name", path.stem), "losses": raw.get("losses", {}),
            "momentum": raw.get("momentum", {}), "dense_loss": raw.get("dense_loss", {}),
            "spatial_loss": LossConfig.from_dict(raw).to_dict()["spatial_loss"], "train": train, "eval": evals,
            "text": text_limits({"name": raw.get("name", path.stem), "text": raw.get("text")}),
            "description": raw.get("description", "")}


def _check_train(path: Path, train: dict[str, Any]) -> None:
    from training.photometric import AUGMENTS

    betas = train["betas"]
    if len(betas) != 2 or not all(0.0 <= float(b) < 1.0 for b in betas):
        raise ValueError(f"preset {path}: train.betas {betas} must be two values in [0, 1), e.g. [0.9, 0.98]")
    if float(train["head_lr_mult"]) <= 0:
        raise ValueError(f"preset {path}: train.head_lr_mult {train['head_lr_mult']} must be > 0 (1 = same lr)")
    if train["augment"] not in AUGMENTS:
        raise ValueError(f"preset {path}: train.augment {train['augment']!r} is not one of {sorted(AUGMENTS)}")
