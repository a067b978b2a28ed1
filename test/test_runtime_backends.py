"""Backends on one exported tiny model: torch vs ONNX Runtime per graph, end-to-end retrieval/grounding agreement,
open_backend selection and the errors for bad engine directories."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from geotext_ros.runtime import (BackendUnavailableError, ChecksumMismatchError, EngineDirError, GraphLoadError,
                                 open_backend, topk_cosine)
from geotext_ros.runtime.ort_backend import OrtBackend
from training.export_parity import max_abs_diff, run_all, synthetic_inputs
from geotext_ros.runtime.torch_backend import TorchBackend

FP32_TOL = 1e-4  # torch eager vs ORT CPU, both FP32


@pytest.fixture(scope="module")
def backends(engine_dir):
    return {"onnxruntime": open_backend(engine_dir, kind="onnxruntime"),
            "torch": open_backend(engine_dir, kind="torch")}


@pytest.fixture()
def copy_dir(engine_dir, tmp_path) -> Path:
    dst = tmp_path / "engine"
    shutil.copytree(engine_dir, dst, ignore=shutil.ignore_patterns("*.int8.onnx", "trt_cache"))
    return dst


def test_torch_and_onnxruntime_agree_on_every_graph(backends):
    for batch, boxes, seed in ((1, 1, 3), (4, 7, 4)):
        diffs = max_abs_diff(backends["torch"], backends["onnxruntime"], batch=batch, boxes=boxes, seed=seed)
        assert len(diffs) == 9
        assert max(diffs.values()) < FP32_TOL, diffs


def test_torch_backend_from_checkpoint_matches_engine_dir(engine_dir, backends):
    ckpt = engine_dir.parent / f"{engine_dir.name}.ckpt.pt"
    from_ckpt = TorchBackend.from_checkpoint(ckpt)
    diffs = max_abs_diff(from_ckpt, backends["onnxruntime"], batch=2, boxes=2, seed=5)
    assert max(diffs.values()) < FP32_TOL, diffs


def test_outputs_have_contract_shapes_and_ranges(backends):
    b = backends["onnxruntime"]
    x = synthetic_inputs(b, batch=3, boxes=4, seed=0)
    out = run_all(b, x)
    grid = b.manifest["input_sizes"]["grid"]
    assert out["image_tokens"].shape[:2] == (3, 1 + grid * grid)
    assert np.allclose(np.linalg.norm(out["image_embed"], axis=1), 1, atol=1e-5)
    assert np.allclose(np.linalg.norm(out["text_embed"], axis=1), 1, atol=1e-5)
    assert out["itm"].shape == (3,) and ((out["itm"] >= 0) & (out["itm"] <= 1)).all()
    assert out["box"].shape == (3, 4) and ((out["box"] >= 0) & (out["box"] <= 1)).all()
    assert out["dense"].shape == (3, grid, grid)
    assert out["h_prob"].shape == (4, 3) and np.allclose(out["v_prob"].sum(1), 1, atol=1e-5)


def test_end_to_end_retrieval_ranks_and_boxes_equal_between_backends(backends):
    """Gallery of 12 random images, 5 queries: same top-5 order, ITM re-rank order and boxes in both backends."""
    rng = np.random.default_rng(7)
    results = {}
    for kind, b in backends.items():
        size = b.transform.size
        gallery = np.stack([b.transform(im) for im in rng.integers(0, 256, (12, size, size, 3), dtype=np.uint8)])
        rng = np.random.default_rng(7)  # same images for the next backend
        tokens, embeds = b.encode_image(gallery)
        ids, mask = b.tokenizer(["red building left of the pool", "parking lot", "pond", "football field",
                                 "two trees"])
        ttok, temb = b.encode_text(ids, mask)
        top, _ = topk_cosine(temb, embeds, k=5)
        rerank, boxes = [], []
        for q in range(len(ids)):
            cand = top[q]
            fused = b.fuse(tokens[cand], np.repeat(ttok[q:q + 1], 5, 0), np.repeat(mask[q:q + 1], 5, 0))
            rerank.append(cand[np.argsort(-fused["itm"], kind="stable")])
            boxes.append(fused["box"])
        results[kind] = (top, np.stack(rerank), np.stack(boxes))
    (t1, r1, b1), (t2, r2, b2) = results.values()
    np.testing.assert_array_equal(t1, t2)
    np.testing.assert_array_equal(r1, r2)
    np.testing.assert_allclose(b1, b2, atol=FP32_TOL)


def test_int8_backend_runs_and_stays_close(engine_dir, backends):
    int8 = OrtBackend(engine_dir, precision="int8")
    x = synthetic_inputs(int8, batch=2, boxes=2, seed=9)
    ref, got = run_all(backends["onnxruntime"], x), run_all(int8, x)
    cos = np.sum(ref["image_embed"] * got["image_embed"], axis=1)
    assert cos.min() > 0.99
    assert np.abs(ref["box"] - got["box"]).max() < 0.05


def test_auto_falls_back_past_tensorrt_here(engine_dir):
    try:
        import tensorrt  # noqa: F401
        pytest.skip("tensorrt imports here: auto would pick it")
    except ImportError:
        pass
    backend = open_backend(engine_dir)
    assert backend.kind == "onnxruntime"
    with pytest.raises(BackendUnavailableError, match="'tensorrt'"):
        open_backend(engine_dir, kind="tensorrt")


def test_unknown_kind_is_rejected(engine_dir):
    with pytest.raises(ValueError, match="'tensorrt', 'onnxruntime', 'torch'"):
        open_backend(engine_dir, kind="tflite")


def test_missing_engine_dir_names_the_path_and_the_fix(tmp_path):
    missing = tmp_path / "no_such_engines"
    with pytest.raises(EngineDirError, match="no_such_engines.*geotext-export"):
        open_backend(missing)
    missing.mkdir()
    with pytest.raises(EngineDirError, match="manifest.json is missing"):
        open_backend(missing, kind="onnxruntime")


def test_checksum_mismatch_names_the_file(copy_dir):
    path = copy_dir / "fusion.onnx"
    data = bytearray(path.read_bytes())
    data[-10] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ChecksumMismatchError, match="fusion.onnx"):
        open_backend(copy_dir, kind="onnxruntime")
    # auto must not hide a corrupt directory by trying other backends
    with pytest.raises(ChecksumMismatchError):
        open_backend(copy_dir)


def test_truncated_onnx_gives_a_clear_error(copy_dir):
    path = copy_dir / "text_encoder.onnx"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 3])
    with pytest.raises(ChecksumMismatchError, match="text_encoder.onnx.*truncated"):
        OrtBackend(copy_dir)
    with pytest.raises(GraphLoadError, match="text_encoder.onnx.*truncated or corrupt"):
        OrtBackend(copy_dir, verify=False)


def test_file_listed_in_manifest_but_missing(copy_dir):
    (copy_dir / "dense.onnx").unlink()
    with pytest.raises(EngineDirError, match="dense.onnx.*missing"):
        open_backend(copy_dir, kind="onnxruntime")


def test_torch_weights_checksum_is_verified(copy_dir):
    manifest = json.loads((copy_dir / "manifest.json").read_text())
    manifest["files"]["weights.pt"]["sha256"] = "0" * 64
    (copy_dir / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ChecksumMismatchError, match="weights.pt"):
        open_backend(copy_dir, kind="torch")
