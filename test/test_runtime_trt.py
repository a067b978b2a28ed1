"""TensorRT engine cache keys and refusal paths (run anywhere), and engine parity (only where tensorrt imports)."""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from geotext_ros.runtime.errors import EngineMismatchError
from geotext_ros.runtime.trt_engine import EngineCache, EngineKey, get_engine, input_shapes

KEY = EngineKey("fusion", "ab" * 32, "fp16", "Orin", "8.7", "10.3.0", json.dumps({"batch": [1, 1, 8]}))


def test_key_digest_changes_with_every_field():
    digests = {KEY.digest()}
    for field, value in (("onnx_sha256", "cd" * 32), ("precision", "fp32"), ("gpu_name", "H100"),
                         ("compute_capability", "9.0"), ("trt_version", "11.4.0"), ("profile", "{}")):
        digests.add(replace(KEY, **{field: value}).digest())
    assert len(digests) == 7
    assert KEY.plan_name().startswith("fusion.") and KEY.plan_name().endswith(".plan")


def test_cache_round_trip_and_stale_reasons(tmp_path):
    cache = EngineCache(tmp_path / "trt_cache")
    assert cache.lookup(KEY) is None
    path = cache.store(KEY, b"plan-bytes", build_s=1.5)
    assert path.read_bytes() == b"plan-bytes" and cache.lookup(KEY) == b"plan-bytes"
    assert not list(path.parent.glob("*.tmp"))
    other = replace(KEY, gpu_name="NVIDIA H100", compute_capability="9.0", trt_version="11.4.0")
    reasons = cache.stale_reasons(other)
    assert any("gpu_name: cached 'Orin'" in r for r in reasons)
    assert any("trt_version: cached '10.3.0', here '11.4.0'" in r for r in reasons)
    assert cache.lookup(other) is None


def test_refuses_with_the_reason_when_rebuild_is_off(tmp_path):
    cache = EngineCache(tmp_path)
    cache.store(KEY, b"x", 0.1)
    other = replace(KEY, trt_version="10.8.0")
    with pytest.raises(EngineMismatchError, match="trt_version: cached '10.3.0', here '10.8.0'.*--build-engines"):
        get_engine(None, cache, other, Path("fusion.onnx"), {}, rebuild=False)
    plan, key = get_engine(None, cache, KEY, Path("fusion.onnx"), {}, rebuild=False)  # cached: no build
    assert plan == b"x" and key == KEY


def test_profile_shapes_for_an_engine():
    profiles = {"batch": [1, 2, 8], "seq": [1, 16, 40], "boxes": [1, 8, 64]}
    dims = {"image_tokens": [-1, 65, 192], "text_tokens": [-1, -1, 192], "attention_mask": [-1, -1]}
    shapes = input_shapes("fusion", dims, profiles)
    assert shapes["image_tokens"] == ((1, 65, 192), (2, 65, 192), (8, 65, 192))
    assert shapes["attention_mask"] == ((1, 1), (2, 16), (8, 40))
    rel = input_shapes("relation", {"image_tokens": [1, 65, 192], "box_a": [-1, 4], "box_b": [-1, 4]}, profiles)
    assert rel["box_a"] == ((1, 4), (8, 4), (64, 4))


def _tensorrt_with_gpu():
    try:
        import tensorrt  # noqa: F401
        import torch
    except ImportError as e:
        return f"tensorrt does not import here ({e}); engine parity runs on the device (docs/deployment.md)"
    if not torch.cuda.is_available():
        return "tensorrt imports but torch sees no CUDA device"
    return None


@pytest.mark.skipif(_tensorrt_with_gpu() is not None, reason=str(_tensorrt_with_gpu()))
def test_tensorrt_engines_match_onnxruntime(tmp_path_factory):
    """FP16 engines (LayerNorm/softmax FP32) vs ORT FP32: embeddings within 2e-2, probabilities within 2e-2."""
    from geotext_ros.runtime.ort_backend import OrtBackend
    from training.export_parity import max_abs_diff
    from geotext_ros.runtime.trt_backend import TensorRTBackend
    from training.export import export_random_model

    out = tmp_path_factory.getbasetemp() / "tiny_engine_trt"
    export_random_model(out, "tiny", seed=0, max_batch=8, max_boxes=16)
    trt_backend = TensorRTBackend(out, precision="fp16", cache_dir=out / "trt_cache")
    diffs = max_abs_diff(OrtBackend(out), trt_backend, batch=2, boxes=3)
    assert max(diffs.values()) < 2e-2, diffs
    # second open reuses the cache (no rebuild) and gives the same numbers
    again = TensorRTBackend(out, precision="fp16", cache_dir=out / "trt_cache", rebuild=False)
    x = np.zeros((1, 3, again.transform.size, again.transform.size), np.float32)
    np.testing.assert_allclose(again.encode_image(x)[1], trt_backend.encode_image(x)[1], atol=1e-6)
