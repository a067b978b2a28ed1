"""Tokenizer and image transform of an engine directory, rebuilt from its manifest."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from geotext_ros.model.preprocess import ImageTransform
from geotext_ros.model.tokenizer import WordPieceTokenizer

from .errors import ManifestError


def tokenizer_from_manifest(manifest: dict[str, Any], engine_dir: Path) -> WordPieceTokenizer:
    """The tokenizer recorded at export: a vocab.txt next to the manifest, or a vocabulary inline."""
    data = dict(manifest["tokenizer"])
    try:
        if "vocab_file" in data:
            return WordPieceTokenizer.from_vocab_file(
                Path(engine_dir) / data["vocab_file"], max_len=data.get("max_len", 40),
                max_words=data.get("max_words", 50))
        return WordPieceTokenizer.from_dict(data)
    except (ValueError, FileNotFoundError, KeyError) as e:
        raise ManifestError(f"tokenizer of {engine_dir}/manifest.json cannot be rebuilt: {e}; re-export") from e


def transform_from_manifest(manifest: dict[str, Any]) -> ImageTransform:
    try:
        return ImageTransform.from_dict(manifest["transform"])
    except (ValueError, KeyError, TypeError) as e:
        raise ManifestError(f"transform {manifest.get('transform')!r} in manifest.json is invalid: {e}") from e
