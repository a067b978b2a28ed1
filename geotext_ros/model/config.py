"""Model configuration: dataclasses plus JSON files in `configs/` (tiny, small, xvlm-base).

`load_config("tiny")` reads `configs/tiny.json`; a path to any JSON file works too. Missing keys take the
dataclass defaults; unknown keys raise, so a typo in a config never silently trains the wrong model.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geotext_ros.model.preprocess import INTERPOLATIONS

CONFIG_DIR = Path(__file__).resolve().parent / "configs"
RELATION_INPUTS = ("features", "features+boxes")


@dataclass
class VisionConfig:
    kind: str = "vit"                 # "vit" | "swin"
    image_size: int = 128
    patch_size: int = 16
    # ViT patch embedding: "patch" = one patch_size x patch_size convolution; "conv" = a stack of 3x3 stride-2
    # convolutions (BatchNorm + ReLU) down to the same grid, then a 1x1 to `width` (Xiao et al. 2021, "Early
    # convolutions help transformers see better"): the local image prior a ViT trained from scratch lacks
    stem: str = "patch"
    # ViT
    width: int = 192
    layers: int = 4
    heads: int = 3
    mlp_ratio: float = 4.0
    # Swin (X-VLM naming): the output width is embed_dim * 2**(len(depths)-1)
    embed_dim: int = 128
    depths: list[int] = field(default_factory=lambda: [2, 2, 18, 2])
    swin_heads: list[int] = field(default_factory=lambda: [4, 8, 16, 32])
    window_size: int = 12
    layer_norm_eps: float = 1e-6

    @property
    def out_width(self) -> int:
        """Token width Dv of encode_image."""
        if self.kind == "swin":
            return self.embed_dim * 2 ** (len(self.depths) - 1)
        return self.width

    @property
    def grid(self) -> int:
        """Side G of the patch grid of encode_image (tokens = 1 + G*G)."""
        g = self.image_size // self.patch_size
        if self.kind == "swin":
            g //= 2 ** (len(self.depths) - 1)
        return g


@dataclass
class TextConfig:
    vocab_size: int = 30522
    hidden: int = 192
    layers: int = 3                    # text-only layers; fusion layers follow (ModelConfig.fusion_layers)
    heads: int = 3
    intermediate: int = 768
    max_position: int = 64
    type_vocab_size: int = 2
    layer_norm_eps: float = 1e-12
    pretrained_path: str | None = None  # local HF BERT-family dir (config.json + weights + vocab.txt)
    # vocabulary when no pretrained_path: a bundled name (model/vocab/<name>.txt), a vocab.txt path or
    # "pkg:<module>"; None = the tokenizer passed to create_model (or a character-level one)
    vocab_file: str | None = None
    # training: the embeddings and the lowest `freeze_layers` text-only layers keep their (pretrained) weights
    # (requires_grad False); 0 = all trainable, `layers` = the whole text tower frozen, which keeps every word of
    # the pretrained vocabulary where pretraining put it instead of drifting towards the training captions' words
    freeze_layers: int = 0


@dataclass
class ModelConfig:
    name: str = "tiny"
    vision: VisionConfig = field(default_factory=VisionConfig)
    text: TextConfig = field(default_factory=TextConfig)
    fusion_layers: int = 2
    embed_dim: int = 128
    max_text_len: int = 40
    image_mean: list[float] = field(default_factory=lambda: [0.48145466, 0.4578275, 0.40821073])
    image_std: list[float] = field(default_factory=lambda: [0.26862954, 0.26130258, 0.27577711])
    # resize filter of the image transform (preprocess.INTERPOLATIONS); X-VLM / GeoText / HCCM resize bicubically
    image_interpolation: str = "bilinear"
    temp: float = 0.07
    temp_min: float = 0.001
    temp_max: float = 0.5
    relation_hidden: int = 256
    # What the relation head reads. "features": the two regions' ROI features only (GeoText's spatial head).
    # "features+boxes": also both boxes and their difference, from which the labels are computed, so the head
    # can answer from coordinates alone. A config without this key is a checkpoint saved before the key
    # existed (engines/default): it means the legacy "features+boxes"; the bundled configs say "features".
    relation_inputs: str = "features+boxes"
    dense_head: bool = True
    roi_size: int = 3                  # ROI Align output grid (mean-pooled to one feature)
    roi_sampling_ratio: int = 2
    dropout: float = 0.0
    # "cls": embeddings and the fused summary come from the [CLS] position (X-VLM, pretrained weights).
    # "mean": masked mean of the tokens; a from-scratch post-LN encoder's [CLS] starts nearly identical for
    # every input and contrastive/matching losses then stall at chance (measured on the tiny config).
    pooling: str = "cls"

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ModelConfig":
        data = dict(data)
        vision = _build(VisionConfig, data.pop("vision", {}) or {}, "vision")
        text = _build(TextConfig, data.pop("text", {}) or {}, "text")
        cfg = _build(cls, data, "model")
        cfg.vision, cfg.text = vision, text
        _validate(cfg)
        return cfg


def _build(cls: type, data: dict[str, Any], where: str) -> Any:
    known = {f.name for f in dataclasses.fields(cls)} - {"vision", "text"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"unknown key(s) {unknown} in the '{where}' section of the model config; "
                         f"allowed keys: {sorted(known)}")
    return cls(**data)


def _validate(cfg: ModelConfig) -> None:
    v, t = cfg.vision, cfg.text
    if v.kind not in ("vit", "swin"):
        raise ValueError(f"vision.kind must be 'vit' or 'swin', got {v.kind!r}")
    if v.image_size % v.patch_size:
        raise ValueError(f"vision.image_size {v.image_size} is not a multiple of patch_size {v.patch_size}")
    if v.kind == "vit" and v.width % v.heads:
        raise ValueError(f"vision.width {v.width} is not divisible by vision.heads {v.heads}")
    if v.stem not in ("patch", "conv"):
        raise ValueError(f"vision.stem must be 'patch' or 'conv', got {v.stem!r}")
    if v.stem == "conv":
        if v.kind != "vit":
            raise ValueError(f"vision.stem 'conv' is for the ViT encoder; vision.kind is {v.kind!r}")
        n = v.patch_size.bit_length() - 1
        if v.patch_size < 2 or 1 << n != v.patch_size or v.width % (1 << (n - 1)):
            raise ValueError(f"vision.stem 'conv' needs a power-of-two patch_size >= 2 and a width divisible by "
                             f"patch_size / 2; got patch_size {v.patch_size}, width {v.width}")
    if not 0 <= t.freeze_layers <= t.layers:
        raise ValueError(f"text.freeze_layers must be in [0, text.layers={t.layers}], got {t.freeze_layers}")
    if v.kind == "swin" and len(v.depths) != len(v.swin_heads):
        raise ValueError(f"vision.depths {v.depths} and vision.swin_heads {v.swin_heads} differ in length")
    if t.hidden % t.heads:
        raise ValueError(f"text.hidden {t.hidden} is not divisible by text.heads {t.heads}")
    if cfg.max_text_len > t.max_position:
        raise ValueError(f"max_text_len {cfg.max_text_len} exceeds text.max_position {t.max_position}")
    if cfg.pooling not in ("cls", "mean"):
        raise ValueError(f"pooling must be 'cls' or 'mean', got {cfg.pooling!r}")
    if cfg.image_interpolation not in INTERPOLATIONS:
        raise ValueError(f"image_interpolation must be one of {sorted(INTERPOLATIONS)}, got "
                         f"{cfg.image_interpolation!r}")
    if cfg.relation_inputs not in RELATION_INPUTS:
        raise ValueError(f"relation_inputs must be one of {RELATION_INPUTS}, got {cfg.relation_inputs!r}")
    if len(cfg.image_mean) != 3 or len(cfg.image_std) != 3:
        raise ValueError(f"image_mean/image_std need 3 values, got {cfg.image_mean} / {cfg.image_std}")


def available_configs() -> list[str]:
    return sorted(p.stem for p in CONFIG_DIR.glob("*.json"))


def load_config(name_or_path: str | Path | dict | ModelConfig) -> ModelConfig:
    """A ModelConfig from a built-in name ("tiny", "small", "xvlm-base"), a JSON path, a dict or a ModelConfig."""
    if isinstance(name_or_path, ModelConfig):
        return name_or_path
    if isinstance(name_or_path, dict):
        return ModelConfig.from_dict(name_or_path)
    path = Path(name_or_path)
    if not path.suffix and not path.exists():
        path = CONFIG_DIR / f"{name_or_path}.json"
    if not path.is_file():
        raise FileNotFoundError(f"model config {name_or_path!r} not found: give a path to a JSON file or one of "
                                f"{available_configs()}")
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise ValueError(f"model config {path} is not valid JSON: {e}") from e
    data.setdefault("name", path.stem)
    return ModelConfig.from_dict(data)
