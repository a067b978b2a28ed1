"""Errors raised by the runtime: each names the bad file or value and what to do about it."""
from __future__ import annotations


class RuntimeSetupError(RuntimeError):
    """Base class: the engine directory or a backend could not be set up."""


class EngineDirError(RuntimeSetupError):
    """The engine directory is missing or lacks a file the manifest needs."""


class ManifestError(RuntimeSetupError):
    """manifest.json is missing, unreadable or inconsistent."""


class ChecksumMismatchError(ManifestError):
    """A file's sha256 differs from the one recorded in manifest.json."""


class BackendUnavailableError(RuntimeSetupError):
    """The Python package a backend needs is not importable (the message names the package)."""


class EngineMismatchError(RuntimeSetupError):
    """A cached TensorRT engine was built for another GPU, TensorRT version or model."""


class GraphLoadError(RuntimeSetupError):
    """An ONNX graph could not be loaded (truncated or corrupt file)."""
