"""ONNX Runtime backend: CPU everywhere, CUDA execution provider where onnxruntime-gpu provides it."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .assets import tokenizer_from_manifest, transform_from_manifest
from .backend import Backend
from .errors import BackendUnavailableError, EngineDirError, GraphLoadError
from .graph_spec import GRAPHS
from .manifest import engine_dir_path, graph_files, load_manifest, verify_files

log = logging.getLogger(__name__)


def import_onnxruntime() -> Any:
    try:
        import onnxruntime
    except ImportError as e:
        raise BackendUnavailableError(
            "the onnxruntime backend needs the 'onnxruntime' package (pip install onnxruntime, or "
            "onnxruntime-gpu for CUDA; on Jetson the JetPack wheel from NVIDIA)") from e
    return onnxruntime


def default_providers(ort: Any) -> list[str]:
    available = ort.get_available_providers()
    wanted = ["CUDAExecutionProvider", "CPUExecutionProvider"]
    return [p for p in wanted if p in available] or ["CPUExecutionProvider"]


class OrtBackend(Backend):
    """One InferenceSession per graph. precision="int8" uses the dynamically quantized graphs when exported."""

    kind = "onnxruntime"

    def __init__(self, engine_dir: str | Path, providers: Sequence[str] | None = None,
                 precision: str = "fp32", threads: int = 0, verify: bool = True) -> None:
        ort = import_onnxruntime()
        self.engine_dir = engine_dir_path(engine_dir)
        self.manifest = load_manifest(self.engine_dir, verify=False)
        if verify:  # only what this backend reads: an engine dir shipped without int8 graphs is fine
            verify_files(self.engine_dir, self.manifest, graph_files(self.manifest, precision))
        self.transform = transform_from_manifest(self.manifest)
        self.tokenizer = tokenizer_from_manifest(self.manifest, self.engine_dir)
        self.precision = precision
        self.providers = list(providers) if providers else default_providers(ort)
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = int(threads)
        options.log_severity_level = 3  # errors only: unused-initializer warnings are noise here
        self.sessions = {name: self._session(ort, name, options) for name in self.manifest["graphs"]}

    def graph_path(self, name: str) -> Path:
        graphs = self.manifest["graphs"]
        if name not in graphs:
            raise EngineDirError(f"{self.engine_dir}/manifest.json has no graph {name!r}; re-export")
        entry = graphs[name]
        if self.precision == "int8":
            if "int8_file" not in entry:
                raise EngineDirError(f"{self.engine_dir} has no int8 graphs; export with `geotext-export --int8`")
            return self.engine_dir / entry["int8_file"]
        if self.precision != "fp32":
            raise ValueError(f"onnxruntime precision must be 'fp32' or 'int8', got {self.precision!r}")
        return self.engine_dir / entry["file"]

    def _session(self, ort: Any, name: str, options: Any) -> Any:
        path = self.graph_path(name)
        if not path.is_file():
            raise EngineDirError(f"{path} is missing; re-export the engine directory")
        try:
            return ort.InferenceSession(str(path), sess_options=options, providers=self.providers)
        except Exception as e:  # onnxruntime raises its own Fail/InvalidProtobuf types
            raise GraphLoadError(f"onnxruntime cannot load {path} ({type(e).__name__}: {str(e)[:200]}); "
                                 "the file is truncated or corrupt: re-export or copy it again") from e

    def _run(self, graph: str, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        if graph not in self.sessions:
            raise self.missing_graph(graph)
        return self.sessions[graph].run(list(GRAPHS[graph].outputs), feeds)

    def close(self) -> None:
        self.sessions = {}
