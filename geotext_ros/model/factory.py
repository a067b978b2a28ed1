"""The one factory: config -> (model, transform, tokenizer); checkpoints that rebuild everything from one file.

Tokenizer rules:
- a tokenizer passed in always wins;
- `text.pretrained_path` set (an HF BERT-family dir, or "pkg:<module>" for an installed model package):
  the dir's vocab.txt, and (load_pretrained=True) its weights go into the text encoder;
- `text.vocab_file` set: that vocabulary (xvlm-base: the bundled bert-base-uncased vocab.txt);
- for configs with neither (tiny), training builds the vocabulary from the captions,
  `tok = WordPieceTokenizer.build_vocab(captions, min_freq)`, and calls `create_model(config, tokenizer=tok)`;
- otherwise a character-level vocabulary (`build_vocab([])`) so the model is usable at once.
`text.vocab_size` 0 means "the tokenizer's size"; any other value must equal len(tokenizer).
"""
from __future__ import annotations

import copy
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from geotext_ros.checksum import sha256_file
from geotext_ros.model.config import ModelConfig, load_config
from geotext_ros.model.geotext_model import GeoTextModel
from geotext_ros.model.preprocess import ImageTransform
from geotext_ros.model.tokenizer import WordPieceTokenizer
from geotext_ros.model.vit import resize_pos_embed

CHECKPOINT_FORMAT = 1
VOCAB_DIR = Path(__file__).resolve().parent / "vocab"


@dataclass
class LoadedModel:
    model: GeoTextModel
    transform: ImageTransform
    tokenizer: WordPieceTokenizer
    config: ModelConfig
    meta: dict[str, Any] = field(default_factory=dict)  # train_config, step, extra, optimizer (if saved), path


def make_transform(config: ModelConfig) -> ImageTransform:
    return ImageTransform(config.vision.image_size, config.image_mean, config.image_std,
                          interpolation=config.image_interpolation)


def _pick_tokenizer(config: ModelConfig, tokenizer: WordPieceTokenizer | None) -> WordPieceTokenizer:
    if tokenizer is not None:
        return tokenizer
    if config.text.pretrained_path:
        from geotext_ros.model.hf_text import resolve_pretrained_dir
        return WordPieceTokenizer.from_vocab_file(resolve_pretrained_dir(config.text.pretrained_path),
                                                  max_len=config.max_text_len)
    if config.text.vocab_file:
        return WordPieceTokenizer.from_vocab_file(resolve_vocab_file(config.text.vocab_file),
                                                  max_len=config.max_text_len)
    return WordPieceTokenizer.build_vocab([], max_len=config.max_text_len)


def resolve_vocab_file(spec: str) -> Path:
    """Bundled vocab name (geotext_ros/model/vocab/<name>.txt), "pkg:<module>" or a path to vocab.txt."""
    if spec.startswith("pkg:"):
        from geotext_ros.model.hf_text import resolve_pretrained_dir
        return resolve_pretrained_dir(spec) / "vocab.txt"
    bundled = VOCAB_DIR / f"{spec}.txt"
    if bundled.is_file():
        return bundled
    path = Path(spec).expanduser()
    if not path.exists():
        raise FileNotFoundError(f"text.vocab_file {spec!r} is neither a bundled vocabulary "
                                f"{sorted(p.stem for p in VOCAB_DIR.glob('*.txt'))} nor an existing path")
    return path


def create_model(config: ModelConfig | str | Path | dict, tokenizer: WordPieceTokenizer | None = None,
                 load_pretrained: bool = True) -> tuple[GeoTextModel, ImageTransform, WordPieceTokenizer]:
    """Build the model for a config (name, path, dict or ModelConfig). The returned model keeps a copy of the
    config with text.vocab_size filled in (model.config)."""
    config = copy.deepcopy(load_config(config))
    tok = _pick_tokenizer(config, tokenizer)
    if config.text.vocab_size == 0:
        config.text.vocab_size = len(tok)
    elif config.text.vocab_size != len(tok):
        raise ValueError(f"config {config.name!r} has text.vocab_size={config.text.vocab_size} but the tokenizer "
                         f"has {len(tok)} tokens: set text.vocab_size to {len(tok)} (or 0 = take the "
                         f"tokenizer's size)")
    model = GeoTextModel(config)
    if load_pretrained and config.text.pretrained_path:
        from geotext_ros.model.hf_text import load_hf_text_encoder
        load_hf_text_encoder(model.text_encoder, config.text.pretrained_path)
    return model, make_transform(config), tok


def save_checkpoint(path: str | Path, model: GeoTextModel, tokenizer: WordPieceTokenizer,
                    transform: ImageTransform, config: ModelConfig | None = None,
                    train_config: dict[str, Any] | None = None, step: int = 0,
                    extra: dict[str, Any] | None = None, optimizer: dict[str, Any] | None = None) -> Path:
    """Write everything needed to rebuild the model (atomically: temp file then rename)."""
    if tokenizer is None:
        raise ValueError("save_checkpoint needs the tokenizer: a checkpoint must rebuild the model on its own")
    config = config if config is not None else model.config
    payload = {
        "format": CHECKPOINT_FORMAT,
        "config": config.to_dict(),
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "tokenizer": tokenizer.to_dict(),
        "transform": transform.to_dict(),
        "train_config": train_config or {},
        "step": int(step),
        "extra": extra or {},
    }
    if optimizer is not None:
        payload["optimizer"] = optimizer
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(payload, tmp)
    os.replace(tmp, path)
    return path


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> LoadedModel:
    """Rebuild model (eval mode), transform, tokenizer and config from a save_checkpoint file."""
    path = Path(path)
    try:
        payload = torch.load(path, map_location=map_location, weights_only=True)
    except FileNotFoundError as e:
        raise FileNotFoundError(f"checkpoint {path} does not exist") from e
    except Exception as e:  # corrupt or foreign file: say which file and what we expected
        raise ValueError(f"cannot read checkpoint {path} (expected a geotext save_checkpoint file): "
                         f"{_one_line(e)}") from e
    missing = [k for k in ("config", "state_dict", "tokenizer", "transform") if k not in payload]
    if missing:
        raise ValueError(f"checkpoint {path} lacks {missing}; it was not written by save_checkpoint")
    config = ModelConfig.from_dict(payload["config"])
    tok = WordPieceTokenizer.from_dict(payload["tokenizer"])
    model, _, tok = create_model(config, tokenizer=tok, load_pretrained=False)
    load_state_dict_checked(model, payload["state_dict"], source=str(path))
    model.to(map_location).eval()
    meta = {k: payload.get(k) for k in ("train_config", "step", "extra", "optimizer", "format")}
    meta["path"] = str(path)
    return LoadedModel(model, ImageTransform.from_dict(payload["transform"]), tok, model.config, meta)


def with_image_size(loaded: LoadedModel, image_size: int) -> LoadedModel:
    """The same model for another square input size (ViT only): every weight copied, the position table resampled
    (vit.resize_pos_embed), config and transform set to the new size; the tokenizer is shared. Meant for
    fine-tuning at a higher resolution: the patch grid, the dense maps and the ROI features grow with it."""
    vision = loaded.config.vision
    if image_size == vision.image_size:
        return loaded
    if vision.kind != "vit":
        raise ValueError(f"changing the input size is supported for ViT vision encoders, not {vision.kind!r} "
                         f"(a Swin model's window tables are resized by geotext_ros/model/xvlm.py on load)")
    if image_size < vision.patch_size or image_size % vision.patch_size:
        raise ValueError(f"image size {image_size} must be a positive multiple of the patch size "
                         f"{vision.patch_size}, e.g. {vision.patch_size * (image_size // vision.patch_size + 1)}")
    config = copy.deepcopy(loaded.config)
    config.vision.image_size = int(image_size)
    model, _, tok = create_model(config, tokenizer=loaded.tokenizer, load_pretrained=False)
    state = dict(loaded.model.state_dict())
    key = "vision_encoder.pos_embed"
    state[key] = resize_pos_embed(state[key], config.vision.grid)
    load_state_dict_checked(model, state, source=f"{loaded.meta.get('path', 'model')} at {image_size} px")
    model.train(loaded.model.training)
    # the checkpoint's own normalization and resize filter, not the config's defaults
    transform = ImageTransform(config.vision.image_size, loaded.transform.mean.reshape(-1).tolist(),
                               loaded.transform.std.reshape(-1).tolist(),
                               interpolation=loaded.transform.interpolation)
    return LoadedModel(model, transform, tok, model.config, dict(loaded.meta))


def _one_line(e: Exception) -> str:
    """The cause of a torch.load failure in one line: CLIs print errors as one line, and torch's weights-only
    message runs to many lines whose advice (turn weights_only off) is not one to follow for a corrupt file."""
    text = str(e)
    m = re.search(r"WeightsUnpickler error:\s*(\S[^\n]*)", text)
    if m:
        return f"not a weights-only torch file ({m.group(1).strip()})"
    return next((line.strip() for line in text.splitlines() if line.strip()), type(e).__name__)


def load_state_dict_checked(model: torch.nn.Module, state_dict: dict[str, torch.Tensor], source: str = "") -> None:
    """Strict load with errors that name the parameter and both shapes."""
    own = model.state_dict()
    bad = [f"{k}: checkpoint {tuple(v.shape)} vs model {tuple(own[k].shape)}"
           for k, v in state_dict.items() if k in own and own[k].shape != v.shape]
    if bad:
        raise ValueError(f"checkpoint {source} does not fit the model built from its config; wrong-shaped "
                         f"parameter(s): {bad[:10]}")
    missing = sorted(set(own) - set(state_dict))
    unexpected = sorted(set(state_dict) - set(own))
    if missing or unexpected:
        raise ValueError(f"checkpoint {source} does not fit the model: missing {missing[:10]}, "
                         f"unexpected {unexpected[:10]}")
    model.load_state_dict(state_dict)


def model_checksum(path: str | Path) -> str:
    """sha256 hex digest of a checkpoint file (the identity manifests and gallery indexes record)."""
    return sha256_file(path)
