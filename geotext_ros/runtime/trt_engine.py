"""TensorRT engine building and the engine cache (TensorRT 10.x and 11.x).

Engines are built on the target from the exported ONNX: FP16 with LayerNorm and softmax kept in FP32, one
optimization profile per graph from the manifest's min/opt/max. Precision by TensorRT major version:
- 10.x: weakly typed network + BuilderFlag.FP16 + OBEY_PRECISION_CONSTRAINTS, normalization/softmax/reduce
  layers pinned to FP32 (layer.precision and output types);
- 11.x: BuilderFlag.FP16 is gone and every network is strongly typed: the ONNX is first converted to mixed
  precision with ModelOpt AutoCast (modelopt.onnx.autocast, LayerNormalization/Softmax excluded, FP32 I/O
  kept); without modelopt the engine is built in FP32 and the log says so.
A cached plan is keyed by the graph's sha256 + precision + GPU name + compute capability + TensorRT version +
profile; its JSON sidecar records those, so a plan built elsewhere is detected and rebuilt (or refused).
"""
from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .errors import BackendUnavailableError, EngineMismatchError, GraphLoadError
from .graph_spec import GRAPHS

log = logging.getLogger(__name__)

FP32_LAYER_TYPES = ("NORMALIZATION", "SOFTMAX", "REDUCE")  # trt.LayerType names kept in FP32 on 10.x
AUTOCAST_FP32_OPS = ["LayerNormalization", "Softmax", "ReduceMean", "Pow", "Sqrt"]


def import_tensorrt() -> Any:
    try:
        import tensorrt as trt
    except ImportError as e:
        raise BackendUnavailableError(
            "the tensorrt backend needs the 'tensorrt' Python package: on Jetson it comes with JetPack "
            "(apt install python3-libnvinfer; TensorRT 10.3 on JetPack 6), on x86 pip install tensorrt-cu12") from e
    return trt


def trt_major(trt: Any) -> int:
    return int(str(trt.__version__).split(".")[0])


@dataclass(frozen=True)
class EngineKey:
    """Everything a serialized engine depends on; its hash names the cache file."""
    graph: str
    onnx_sha256: str
    precision: str           # "fp16" (FP16 with FP32 norms) or "fp32"
    gpu_name: str
    compute_capability: str  # "8.7" on Orin
    trt_version: str
    profile: str             # JSON of the min/opt/max table used

    def digest(self) -> str:
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:20]

    def plan_name(self) -> str:
        return f"{self.graph}.{self.digest()}.plan"

    def mismatch(self, other: dict[str, Any]) -> list[str]:
        """Human-readable differences against a cached sidecar record."""
        mine = asdict(self)
        return [f"{k}: cached {other.get(k)!r}, here {v!r}" for k, v in mine.items() if other.get(k) != v]


def gpu_identity() -> tuple[str, str]:
    """(GPU name, compute capability) of CUDA device 0, through torch (JetPack's PyTorch has CUDA)."""
    try:
        import torch
    except ImportError as e:
        raise BackendUnavailableError("the tensorrt backend uses torch (CUDA build) for device buffers; "
                                      "install NVIDIA's PyTorch wheel for JetPack") from e
    if not torch.cuda.is_available():
        raise BackendUnavailableError("the tensorrt backend needs a CUDA device, and torch sees none "
                                      "(CPU-only torch build, or no GPU): use kind='onnxruntime'")
    major, minor = torch.cuda.get_device_capability(0)
    return torch.cuda.get_device_name(0), f"{major}.{minor}"


def engine_key(trt: Any, graph: str, onnx_sha256: str, precision: str, profiles: dict) -> EngineKey:
    name, cc = gpu_identity()
    precision = effective_precision(trt, precision)
    spec = GRAPHS[graph]
    used = {s: profiles[s] for axes in spec.dynamic.values() for s in axes.values() if s in profiles}
    return EngineKey(graph, onnx_sha256, precision, name, cc, str(trt.__version__), json.dumps(used, sort_keys=True))


def input_shapes(graph: str, onnx_input_dims: dict[str, list[int]], profiles: dict) -> dict[str, tuple]:
    """Per input name, (min, opt, max) shapes: dynamic axes from the profile table, fixed axes as exported."""
    spec = GRAPHS[graph]
    out = {}
    for name in spec.inputs:
        dims = onnx_input_dims[name]
        shapes = [list(dims), list(dims), list(dims)]
        for axis, symbol in spec.dynamic.get(name, {}).items():
            for i in range(3):
                shapes[i][axis] = int(profiles[symbol][i])
        if any(d is None or d < 0 for s in shapes for d in s):
            raise GraphLoadError(f"{graph}: input {name} has an undeclared dynamic axis {dims}; re-export")
        out[name] = tuple(tuple(s) for s in shapes)
    return out


def build_engine(trt: Any, onnx_path: Path, graph: str, profiles: dict, precision: str = "fp16",
                 workspace_mb: int = 1024) -> tuple[bytes, str]:
    """Serialized engine bytes and the precision actually built ("fp16" or "fp32")."""
    logger = trt.Logger(trt.Logger.WARNING)
    builder = trt.Builder(logger)
    source, precision = _network_source(trt, onnx_path, precision)
    strongly_typed = trt_major(trt) >= 11 or precision == "fp16-autocast"
    flags = 0
    if strongly_typed and hasattr(trt.NetworkDefinitionCreationFlag, "STRONGLY_TYPED"):
        flags |= 1 << int(trt.NetworkDefinitionCreationFlag.STRONGLY_TYPED)
    network = builder.create_network(flags)
    parser = trt.OnnxParser(network, logger)
    # the path argument lets the parser find external weight files next to the graph
    if not parser.parse(source, str(onnx_path)):
        errors = "; ".join(str(parser.get_error(i)) for i in range(parser.num_errors))
        raise GraphLoadError(f"TensorRT cannot parse {onnx_path}: {errors}")
    config = builder.create_builder_config()
    config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, workspace_mb << 20)
    if precision == "fp16" and not strongly_typed:
        _pin_fp32_layers(trt, network, config)
    profile = builder.create_optimization_profile()
    dims = {network.get_input(i).name: list(network.get_input(i).shape) for i in range(network.num_inputs)}
    for name, (lo, opt, hi) in input_shapes(graph, dims, profiles).items():
        profile.set_shape(name, lo, opt, hi)
    config.add_optimization_profile(profile)
    serialized = builder.build_serialized_network(network, config)
    if serialized is None:
        raise GraphLoadError(f"TensorRT failed to build {onnx_path} ({precision}); see the TensorRT log above")
    return bytes(serialized), "fp16" if precision.startswith("fp16") else "fp32"


def effective_precision(trt: Any, requested: str) -> str:
    """The precision a build will really get: on 11.x FP16 needs modelopt's AutoCast, else FP32."""
    if requested not in ("fp16", "fp32"):
        raise ValueError(f"TensorRT precision must be 'fp16' or 'fp32', got {requested!r}")
    if requested == "fp16" and trt_major(trt) >= 11:
        try:
            import modelopt.onnx.autocast  # noqa: F401
        except ImportError:
            log.warning("TensorRT %s has no FP16 builder flag and modelopt is not installed (pip install "
                        "nvidia-modelopt[onnx]); engines are built in FP32", trt.__version__)
            return "fp32"
    return requested


def _network_source(trt: Any, onnx_path: Path, precision: str) -> tuple[bytes, str]:
    """The ONNX bytes to parse and the precision mode: on 11.x FP16 means an AutoCast mixed-precision ONNX."""
    raw = onnx_path.read_bytes()
    if precision != "fp16" or trt_major(trt) < 11:
        return raw, precision
    from modelopt.onnx.autocast import convert_to_mixed_precision  # effective_precision checked it imports

    model = convert_to_mixed_precision(onnx_path=str(onnx_path), low_precision_type="fp16",
                                       op_types_to_exclude=AUTOCAST_FP32_OPS, keep_io_types=True)
    return model.SerializeToString(), "fp16-autocast"


def _pin_fp32_layers(trt: Any, network: Any, config: Any) -> None:
    """TensorRT 10.x: FP16 everywhere except normalization/softmax/reduce layers (FP16 LayerNorm overflows)."""
    config.set_flag(trt.BuilderFlag.FP16)
    config.set_flag(trt.BuilderFlag.OBEY_PRECISION_CONSTRAINTS)
    keep = {getattr(trt.LayerType, n) for n in FP32_LAYER_TYPES if hasattr(trt.LayerType, n)}
    for i in range(network.num_layers):
        layer = network.get_layer(i)
        if layer.type in keep:
            layer.precision = trt.float32
            for j in range(layer.num_outputs):
                if layer.get_output(j).dtype in (trt.float32, trt.float16):
                    layer.set_output_type(j, trt.float32)


class EngineCache:
    """<cache_dir>/<graph>.<key>.plan with a <graph>.<key>.json sidecar holding the EngineKey fields."""

    def __init__(self, cache_dir: Path) -> None:
        self.cache_dir = Path(cache_dir)

    def plan_path(self, key: EngineKey) -> Path:
        return self.cache_dir / key.plan_name()

    def lookup(self, key: EngineKey) -> bytes | None:
        path = self.plan_path(key)
        return path.read_bytes() if path.is_file() else None

    def stale_reasons(self, key: EngineKey) -> list[str]:
        """Why cached plans of this graph do not fit here (another GPU / TensorRT version / model)."""
        reasons = []
        for sidecar in sorted(self.cache_dir.glob(f"{key.graph}.*.json")):
            try:
                reasons += key.mismatch(json.loads(sidecar.read_text()))
            except (OSError, json.JSONDecodeError):
                reasons.append(f"{sidecar.name} unreadable")
        return reasons

    def store(self, key: EngineKey, plan: bytes, build_s: float) -> Path:
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        path = self.plan_path(key)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(plan)
        tmp.replace(path)  # atomic: a crash mid-write never leaves a truncated plan under the real name
        meta = dict(asdict(key), build_s=round(build_s, 2), bytes=len(plan), built_at=time.time())
        path.with_suffix(".json").write_text(json.dumps(meta, indent=1, sort_keys=True))
        return path


def get_engine(trt: Any, cache: EngineCache, key: EngineKey, onnx_path: Path, profiles: dict,
               rebuild: bool = True, workspace_mb: int = 1024) -> tuple[bytes, EngineKey]:
    """Cached plan for key, or build it (logging progress and duration); rebuild=False refuses instead."""
    plan = cache.lookup(key)
    if plan is not None:
        return plan, key
    reasons = cache.stale_reasons(key)
    if not rebuild:
        why = "; ".join(reasons) if reasons else "no engine built yet"
        raise EngineMismatchError(f"no usable TensorRT engine for {key.graph} in {cache.cache_dir} ({why}); "
                                  "run `geotext-export --build-engines --out ENGINE_DIR` on this device")
    if reasons:
        log.warning("rebuilding %s: cached engine does not fit (%s)", key.graph, "; ".join(reasons))
    log.info("building TensorRT engine %s (%s) from %s ...", key.graph, key.precision, onnx_path.name)
    start = time.monotonic()
    plan, _ = build_engine(trt, onnx_path, key.graph, profiles, key.precision, workspace_mb)
    elapsed = time.monotonic() - start
    path = cache.store(key, plan, elapsed)
    log.info("built %s in %.1f s -> %s (%.1f MB)", key.graph, elapsed, path, len(plan) / 1e6)
    return plan, key
