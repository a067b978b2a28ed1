"""Tokenizer and image transform of an engine directory, rebuilt from its manifest."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from geotext_ros.model.preprocess import ImageTransform
from geotext_ros.model.tokenizer import WordPieceTokenizer

from .errors import ManifestError


def tokenizer_from_manifest(manifest: dict[str, Any], engine_dir: Path) -> WordPieceTokenizer:
    """The tokenizer recorded at export: a vocab.txt next to the manifest, or a vocabulary inline; plus the alias
    table (aliases.json, training/aliases.py) when the manifest names one."""
    data = dict(manifest["tokenizer"])
    try:
        if "vocab_file" in data:
            tok = WordPieceTokenizer.from_vocab_file(
                Path(engine_dir) / data["vocab_file"], max_len=data.get("max_len", 40),
                max_words=data.get("max_words", 50))
        else:
            tok = WordPieceTokenizer.from_dict(data)
        if "aliases_file" in data:
            tok = tok.with_aliases(*_read_aliases(Path(engine_dir) / data["aliases_file"]))
        return tok
    except (ValueError, FileNotFoundError, KeyError) as e:
        raise ManifestError(f"tokenizer of {engine_dir}/manifest.json cannot be rebuilt: {e}; re-export") from e


def _read_aliases(path: Path) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The table's aliases and their alternatives (absent in tables written before alternatives: none)."""
    try:
        table = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise ValueError(f"cannot read the alias table {path}: {e}") from e
    aliases = table.get("aliases") if isinstance(table, dict) else None
    if not isinstance(aliases, dict):
        raise ValueError(f"{path} has no 'aliases' object (written by `python -m training.aliases`)")
    alternatives = table.get("alternatives", {})
    if not isinstance(alternatives, dict) or not all(isinstance(v, list) for v in alternatives.values()):
        raise ValueError(f"{path}: 'alternatives' must map words to lists of words")
    return aliases, alternatives


def transform_from_manifest(manifest: dict[str, Any]) -> ImageTransform:
    try:
        return ImageTransform.from_dict(manifest["transform"])
    except (ValueError, KeyError, TypeError) as e:
        raise ManifestError(f"transform {manifest.get('transform')!r} in manifest.json is invalid: {e}") from e
