"""geotext_ros.runtime: inference backends (tensorrt, onnxruntime, torch) behind one interface.

    backend = open_backend("engines/default")          # tensorrt -> onnxruntime -> torch
    tokens, embed = backend.encode_image(backend.transform(rgb)[None])

Heavy/optional packages (onnxruntime, tensorrt, torch_tensorrt) are imported only by the backend that needs them.
"""
from .backend import Backend
from .errors import (BackendUnavailableError, ChecksumMismatchError, EngineDirError, EngineMismatchError,
                     GraphLoadError, ManifestError, RuntimeSetupError)
from .manifest import load_manifest
from .open_backend import KINDS, open_backend
from .retrieval import topk_cosine

__all__ = ["Backend", "open_backend", "KINDS", "topk_cosine", "load_manifest", "RuntimeSetupError",
           "EngineDirError", "ManifestError", "ChecksumMismatchError", "BackendUnavailableError",
           "EngineMismatchError", "GraphLoadError"]
