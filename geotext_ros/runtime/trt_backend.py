"""TensorRT backend: engines from the cache (built on first use), CUDA buffers through torch.

Works with TensorRT 10.x (JetPack 6 ships 10.3) and 11.x: it uses only the name-based tensor API
(num_io_tensors, get_tensor_name, set_input_shape, set_tensor_address, execute_async_v3), which both have.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from .assets import tokenizer_from_manifest, transform_from_manifest
from .backend import Backend
from .errors import EngineMismatchError, GraphLoadError
from .graph_spec import GRAPHS
from .manifest import engine_dir_path, graph_files, graph_sha256, load_manifest, verify_files
from .trt_engine import EngineCache, engine_key, get_engine, gpu_identity, import_tensorrt

log = logging.getLogger(__name__)


def default_cache_dir(engine_dir: Path) -> Path:
    """<engine_dir>/trt_cache when writable (the usual case on the drone), else ~/.cache/geotext_ros/engines."""
    local = engine_dir / "trt_cache"
    if os.access(engine_dir, os.W_OK) or local.is_dir():
        return local
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "geotext_ros" / "engines"


class _Engine:
    """One deserialized engine + execution context for one graph."""

    def __init__(self, trt: Any, runtime: Any, plan: bytes, graph: str) -> None:
        import torch

        self.torch, self.trt, self.graph = torch, trt, graph
        self.engine = runtime.deserialize_cuda_engine(plan)
        if self.engine is None:
            raise EngineMismatchError(f"TensorRT {trt.__version__} cannot deserialize the cached {graph} engine "
                                      "(built by another TensorRT version or corrupt): delete trt_cache/ or "
                                      "re-run `geotext-export --build-engines`")
        self.context = self.engine.create_execution_context()
        self.stream = torch.cuda.Stream()
        names = [self.engine.get_tensor_name(i) for i in range(self.engine.num_io_tensors)]
        self.outputs = [n for n in names if self.engine.get_tensor_mode(n) == trt.TensorIOMode.OUTPUT]
        self.dtypes = {n: _torch_dtype(torch, trt, self.engine.get_tensor_dtype(n)) for n in names}

    def run(self, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        torch = self.torch
        keep = []  # device tensors must outlive the asynchronous launch
        with torch.cuda.stream(self.stream):
            for name, value in feeds.items():
                tensor = torch.from_numpy(np.ascontiguousarray(value)).to("cuda", non_blocking=True)
                tensor = tensor.to(self.dtypes[name])
                self.context.set_input_shape(name, tuple(tensor.shape))
                self.context.set_tensor_address(name, tensor.data_ptr())
                keep.append(tensor)
            outs = {}
            for name in self.outputs:
                shape = tuple(self.context.get_tensor_shape(name))
                outs[name] = torch.empty(shape, dtype=self.dtypes[name], device="cuda")
                self.context.set_tensor_address(name, outs[name].data_ptr())
            if not self.context.execute_async_v3(self.stream.cuda_stream):
                raise RuntimeError(f"TensorRT execution of {self.graph} failed for input shapes "
                                   f"{ {k: v.shape for k, v in feeds.items()} }; are they inside the profile?")
        self.stream.synchronize()
        return {k: v.float().cpu().numpy() for k, v in outs.items()}


def _torch_dtype(torch: Any, trt: Any, dtype: Any) -> Any:
    table = {trt.float32: torch.float32, trt.float16: torch.float16, trt.int32: torch.int32,
             trt.int64: torch.int64, trt.bool: torch.bool, trt.int8: torch.int8}
    if dtype not in table:
        raise GraphLoadError(f"engine tensor dtype {dtype} has no torch equivalent here")
    return table[dtype]


class TensorRTBackend(Backend):
    """precision "fp16" (FP16 with LayerNorm/softmax in FP32) or "fp32"; rebuild=False refuses to build."""

    kind = "tensorrt"

    def __init__(self, engine_dir: str | Path, precision: str = "fp16", cache_dir: str | Path | None = None,
                 rebuild: bool = True, verify: bool = True, workspace_mb: int = 1024) -> None:
        trt = import_tensorrt()
        gpu_identity()  # fail early, with the reason, when there is no CUDA device
        self.engine_dir = engine_dir_path(engine_dir)
        self.manifest = load_manifest(self.engine_dir, verify=False)
        if verify:
            verify_files(self.engine_dir, self.manifest, graph_files(self.manifest, "fp32"))
        self.transform = transform_from_manifest(self.manifest)
        self.tokenizer = tokenizer_from_manifest(self.manifest, self.engine_dir)
        self.cache = EngineCache(Path(cache_dir) if cache_dir else default_cache_dir(self.engine_dir))
        self.keys = {}
        runtime = trt.Runtime(trt.Logger(trt.Logger.WARNING))
        profiles = self.manifest["profiles"]
        self.engines: dict[str, _Engine] = {}
        for name in self.manifest["graphs"]:
            entry = self.manifest["graphs"][name]
            key = engine_key(trt, name, graph_sha256(self.manifest, name), precision, profiles)
            plan, key = get_engine(trt, self.cache, key, self.engine_dir / entry["file"], profiles, rebuild,
                                   workspace_mb)
            self.keys[name] = key
            self.engines[name] = _Engine(trt, runtime, plan, name)

    def _run(self, graph: str, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        if graph not in self.engines:
            raise self.missing_graph(graph)
        out = self.engines[graph].run(feeds)
        return [out[name] for name in GRAPHS[graph].outputs]

    def close(self) -> None:
        self.engines = {}


def build_engines(engine_dir: str | Path, precision: str = "fp16", cache_dir: str | Path | None = None,
                  workspace_mb: int = 1024) -> TensorRTBackend:
    """Build (or reuse) every engine of engine_dir on this device; returns the ready backend."""
    return TensorRTBackend(engine_dir, precision=precision, cache_dir=cache_dir, rebuild=True,
                           workspace_mb=workspace_mb)
