"""PyTorch backend: eager model from a checkpoint, or from an engine directory's manifest + weights file.

Runs the same wrapper modules that export traces (graphs.py). Optional torch-tensorrt compilation
(ir="dynamo") on CUDA when the torch_tensorrt package imports.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .assets import tokenizer_from_manifest, transform_from_manifest
from .backend import Backend
from .errors import BackendUnavailableError, EngineDirError, ManifestError
from .graph_spec import DEFAULT_PROFILE, GRAPHS, MANIFEST_NAME
from .graph_modules import graph_modules
from .manifest import load_manifest, verify_files

log = logging.getLogger(__name__)


class TorchBackend(Backend):
    kind = "torch"

    def __init__(self, model: torch.nn.Module, transform: Any, tokenizer: Any, manifest: dict,
                 device: str = "cpu", compile_trt: bool = False) -> None:
        self.device = torch.device(device)
        self.model = model.to(self.device).eval()
        self.transform, self.tokenizer, self.manifest = transform, tokenizer, manifest
        self.modules = graph_modules(self.model)
        if compile_trt:
            self.modules = _compile_torch_tensorrt(self.modules, self.device, manifest.get("profiles", DEFAULT_PROFILE))

    # --- construction -------------------------------------------------------------------------------------
    @classmethod
    def from_checkpoint(cls, path: str | Path, **kwargs: Any) -> "TorchBackend":
        from geotext_ros.model.factory import load_checkpoint

        loaded = load_checkpoint(path)
        manifest = {"model_config": loaded.config.to_dict(), "tokenizer": loaded.tokenizer.to_dict(),
                    "transform": loaded.transform.to_dict(), "graphs": {}, "files": {},
                    "source": {"checkpoint": str(path)}}
        return cls(loaded.model, loaded.transform, loaded.tokenizer, manifest, **kwargs)

    @classmethod
    def from_engine_dir(cls, engine_dir: str | Path, verify: bool = True, **kwargs: Any) -> "TorchBackend":
        from geotext_ros.model.config import load_config
        from geotext_ros.model.factory import create_model
        from geotext_ros.model.pretrained_weights import restore_pretrained

        engine_dir = Path(engine_dir)
        manifest = load_manifest(engine_dir, verify=False)
        weights = manifest.get("torch_weights")
        if not weights:
            raise EngineDirError(f"{engine_dir / MANIFEST_NAME} lists no torch weights file; export without "
                                 "--no-torch-weights, or open the torch backend from the checkpoint")
        if verify:
            vocab = manifest["tokenizer"].get("vocab_file")
            verify_files(engine_dir, manifest, [weights] + ([vocab] if vocab else []))
        tokenizer = tokenizer_from_manifest(manifest, engine_dir)
        model, _, _ = create_model(load_config(manifest["model_config"]), tokenizer=tokenizer)
        try:
            state = torch.load(engine_dir / weights, map_location="cpu", weights_only=True)
            restore_pretrained(model, state, manifest.get("torch_weights_pretrained", {}))
        except (RuntimeError, OSError, KeyError, ValueError) as e:
            raise ManifestError(f"{engine_dir / weights} does not fit the manifest's model config: {e}") from e
        return cls(model, transform_from_manifest(manifest), tokenizer, manifest, **kwargs)

    # --- running ------------------------------------------------------------------------------------------
    def _run(self, graph: str, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        spec = GRAPHS[graph]
        args = [torch.from_numpy(feeds[name]).to(self.device) for name in spec.inputs]
        with torch.inference_mode():
            out = self.modules[graph](*args)
        out = out if isinstance(out, tuple) else (out,)
        return [o.detach().float().cpu().numpy() for o in out]


def _compile_torch_tensorrt(modules: dict[str, torch.nn.Module], device: torch.device,
                            profiles: dict[str, list[int]]) -> dict[str, Any]:
    """Wrap each graph so that its first call compiles it with torch_tensorrt (ir="dynamo")."""
    try:
        import torch_tensorrt  # noqa: F401  (checked here so the error comes at open time)
    except ImportError as e:
        raise BackendUnavailableError("compile_trt=True needs the 'torch_tensorrt' package (pip install "
                                      "torch-tensorrt matching your torch, or NVIDIA's Jetson wheel)") from e
    if device.type != "cuda":
        raise ValueError(f"torch-tensorrt compiles for CUDA only; got device {device}")
    return {name: _LazyTrtModule(name, module, profiles) for name, module in modules.items()}


class _LazyTrtModule:
    """Compiles on first call: dynamic axes get the manifest's (min, opt, max), other axes the seen size."""

    def __init__(self, name: str, module: torch.nn.Module, profiles: dict[str, list[int]]) -> None:
        self.name, self.module, self.profiles = name, module, profiles
        self.compiled: Any = None

    def __call__(self, *args: torch.Tensor) -> Any:
        if self.compiled is None:
            self.compiled = self._compile(args)
        return self.compiled(*args)

    def _compile(self, args: tuple[torch.Tensor, ...]) -> Any:
        import torch_tensorrt

        spec = GRAPHS[self.name]
        inputs = []
        for tensor_name, arg in zip(spec.inputs, args):
            dyn = spec.dynamic.get(tensor_name, {})
            lo, opt, hi = (list(arg.shape) for _ in range(3))
            for axis, symbol in dyn.items():
                lo[axis], opt[axis], hi[axis] = self.profiles.get(symbol, [arg.shape[axis]] * 3)
            inputs.append(torch_tensorrt.Input(min_shape=lo, opt_shape=opt, max_shape=hi, dtype=arg.dtype))
        try:
            return torch_tensorrt.compile(self.module, ir="dynamo", arg_inputs=inputs,
                                          enabled_precisions={torch.float16, torch.float32},
                                          truncate_double=True, min_block_size=1)
        except Exception as e:  # one graph that does not compile must not take the others down
            log.warning("torch-tensorrt could not compile %s (%s); running it eagerly", self.name, e)
            return self.module
