"""open_backend(engine_dir, kind="auto"): tensorrt -> onnxruntime -> torch, or the one kind asked for."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from .backend import Backend
from .errors import BackendUnavailableError
from .manifest import engine_dir_path

log = logging.getLogger(__name__)

KINDS = ("tensorrt", "onnxruntime", "torch")


def open_backend(engine_dir: str | Path, kind: str = "auto", **options: Any) -> Backend:
    """The first backend of `kind` (or, for "auto", of tensorrt, onnxruntime, torch) that can run here.

    Only a missing package or device moves "auto" on to the next kind; a bad engine directory (missing file,
    checksum mismatch, truncated graph) is raised at once, since every backend would read the same files.
    options go to the backend: precision, providers, threads, cache_dir, rebuild, device, verify.
    """
    engine_dir = engine_dir_path(engine_dir)
    if kind != "auto":
        return _open(kind, engine_dir, options)
    reasons = []
    for candidate in KINDS:
        try:
            backend = _open(candidate, engine_dir, options)
        except BackendUnavailableError as e:
            reasons.append(f"{candidate}: {e}")
            log.info("backend %s unavailable: %s", candidate, e)
            continue
        log.info("using the %s backend for %s", candidate, engine_dir)
        return backend
    raise BackendUnavailableError("no backend can run here:\n  " + "\n  ".join(reasons))


def _open(kind: str, engine_dir: Path, options: dict[str, Any]) -> Backend:
    if kind == "tensorrt":
        from .trt_backend import TensorRTBackend

        return TensorRTBackend(engine_dir, **_pick(options, "precision", "cache_dir", "rebuild", "verify",
                                                   "workspace_mb"))
    if kind == "onnxruntime":
        from .ort_backend import OrtBackend

        opts = _pick(options, "providers", "threads", "verify", "precision")
        if opts.get("precision") == "fp16":  # fp16 is a TensorRT setting; ORT runs the fp32 graphs
            opts.pop("precision")
        return OrtBackend(engine_dir, **opts)
    if kind == "torch":
        from .torch_backend import TorchBackend

        return TorchBackend.from_engine_dir(engine_dir, **_pick(options, "verify", "device", "compile_trt"))
    raise ValueError(f"backend kind must be 'auto' or one of {KINDS}, got {kind!r}")


def _pick(options: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: options[k] for k in names if k in options}
