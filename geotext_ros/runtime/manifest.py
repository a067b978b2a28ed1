"""manifest.json beside the exported graphs: reading, checksum verification, writing.

The manifest is the single description of an engine directory: model config, tokenizer, transform, graph
inputs/outputs, opset, optimization profiles, the sha256 of every file and the parity measured at export.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from geotext_ros.checksum import sha256_file

from .errors import ChecksumMismatchError, EngineDirError, ManifestError
from .graph_spec import MANIFEST_NAME

MANIFEST_VERSION = 1
REQUIRED_KEYS = ("version", "model_config", "tokenizer", "transform", "graphs", "files", "opset", "profiles")


def engine_dir_path(engine_dir: str | Path) -> Path:
    """The engine directory as a Path, or EngineDirError saying how to create it."""
    path = Path(engine_dir)
    if not path.is_dir():
        raise EngineDirError(
            f"engine directory {str(path)!r} does not exist; create it with "
            f"`geotext-export --ckpt CHECKPOINT --out {path}`")
    return path


def load_manifest(engine_dir: str | Path, verify: bool = True) -> dict[str, Any]:
    """Read <engine_dir>/manifest.json; with verify, check every listed file's sha256."""
    path = engine_dir_path(engine_dir) / MANIFEST_NAME
    if not path.is_file():
        raise EngineDirError(f"{path} is missing: the directory was not written by geotext-export "
                             f"(re-run `geotext-export --ckpt CHECKPOINT --out {path.parent}`)")
    try:
        manifest = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise ManifestError(f"{path} is not valid JSON ({e}); re-export the engine directory") from e
    missing = [k for k in REQUIRED_KEYS if k not in manifest]
    if missing:
        raise ManifestError(f"{path} lacks keys {missing}; re-export with this version of geotext-export")
    if manifest["version"] > MANIFEST_VERSION:
        raise ManifestError(f"{path} has manifest version {manifest['version']}, this runtime reads up to "
                            f"{MANIFEST_VERSION}; update geotext_ros")
    if verify:
        verify_files(path.parent, manifest)
    return manifest


def verify_files(engine_dir: Path, manifest: dict[str, Any], names: list[str] | None = None) -> None:
    """Raise naming the first file that is missing or whose sha256 differs from the manifest."""
    files = manifest["files"]
    for name in names if names is not None else sorted(files):
        if name not in files:
            raise ManifestError(f"{engine_dir / MANIFEST_NAME} does not list {name!r}; re-export")
        path = engine_dir / name
        if not path.is_file():
            raise EngineDirError(f"{path} is listed in the manifest but missing; copy the whole engine "
                                 "directory or re-export")
        actual = sha256_file(path)
        if actual != files[name]["sha256"]:
            raise ChecksumMismatchError(
                f"{path}: sha256 {actual[:16]}... differs from the manifest's {files[name]['sha256'][:16]}...; "
                "the file was changed or truncated after export: re-export or copy it again")


def graph_files(manifest: dict[str, Any], precision: str = "fp32") -> list[str]:
    """Files a graph backend reads: the graphs at that precision plus the vocabulary file if any."""
    key, data_key = ("int8_file", "int8_data_files") if precision == "int8" else ("file", "data_files")
    names = [g[key] for g in manifest["graphs"].values() if key in g]
    # the graphs' external weights (training/export_external.py)
    names += [f for g in manifest["graphs"].values() if key in g for f in g.get(data_key, [])]
    vocab = manifest.get("tokenizer", {}).get("vocab_file")
    return names + ([vocab] if vocab else [])


def graph_sha256(manifest: dict[str, Any], graph: str) -> str:
    """A graph's identity for engine caches: its .onnx file's sha256, combined with those of its external weight
    files when it has some (the graph file alone names them, it does not hash their contents)."""
    entry = manifest["graphs"][graph]
    digests = [manifest["files"][f]["sha256"] for f in [entry["file"], *entry.get("data_files", [])]]
    return digests[0] if len(digests) == 1 else hashlib.sha256("".join(digests).encode()).hexdigest()


def file_entry(path: Path) -> dict[str, Any]:
    return {"sha256": sha256_file(path), "bytes": path.stat().st_size}


def model_checksum(manifest: dict[str, Any]) -> str:
    """One hash over every graph's sha256: identifies the model for engine caches."""
    digest = hashlib.sha256()
    for name in sorted(manifest["files"]):
        digest.update(f"{name}:{manifest['files'][name]['sha256']}\n".encode())
    return digest.hexdigest()


def write_manifest(engine_dir: Path, manifest: dict[str, Any]) -> Path:
    """Fill files (sha256 of every file listed) and write manifest.json."""
    for name in list(manifest["files"]):
        manifest["files"][name] = file_entry(engine_dir / name)
    manifest["model_checksum"] = model_checksum(manifest)
    path = engine_dir / MANIFEST_NAME
    path.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return path
