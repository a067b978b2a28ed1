"""Large graphs as a graph file plus bounded external weight files (training/export_external.py): ONNX Runtime
reads them from the graph's folder with the same outputs, the manifest hashes and verifies them, and the engine
cache key follows their contents. The committed default engine holds every file under 50 MB."""
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from geotext_ros.runtime.errors import ChecksumMismatchError
from geotext_ros.runtime.manifest import graph_files, graph_sha256, verify_files, write_manifest
from training.export_external import split_external_data

ENGINE = Path(__file__).resolve().parents[1] / "engines" / "default"
ort = pytest.importorskip("onnxruntime")


def _run(path: Path, feeds: dict) -> list[np.ndarray]:
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, feeds)


@pytest.fixture()
def split_engine(tiny_engine_dir, tmp_path):
    eng = tmp_path / "engine"
    shutil.copytree(tiny_engine_dir, eng)
    manifest = json.loads((eng / "manifest.json").read_text())
    entry = manifest["graphs"]["text_encoder"]
    ids = np.array([[101, 2000, 2001, 102]], np.int64) % 50
    feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
    want = _run(eng / entry["file"], feeds)
    size = (eng / entry["file"]).stat().st_size
    entry["data_files"] = split_external_data(eng / entry["file"], max_bytes=size // 3)
    manifest["files"].update({f: {} for f in entry["data_files"]})
    write_manifest(eng, manifest)
    return eng, manifest, feeds, want, size


def test_a_split_graph_gives_the_same_outputs_from_bounded_files(split_engine):
    eng, manifest, feeds, want, size = split_engine
    entry = manifest["graphs"]["text_encoder"]
    assert len(entry["data_files"]) >= 3
    assert all((eng / f).stat().st_size <= size // 3 for f in entry["data_files"])
    assert (eng / entry["file"]).stat().st_size < size // 10
    for got, ref in zip(_run(eng / entry["file"], feeds), want):
        np.testing.assert_array_equal(got, ref)
    assert set(entry["data_files"]) <= set(graph_files(manifest))


def test_a_changed_data_file_is_refused_and_changes_the_cache_key(split_engine):
    eng, manifest, *_ = split_engine
    before = graph_sha256(manifest, "text_encoder")
    assert before != manifest["files"]["text_encoder.onnx"]["sha256"]
    victim = eng / manifest["graphs"]["text_encoder"]["data_files"][-1]
    data = bytearray(victim.read_bytes())
    data[-1] ^= 0xFF
    victim.write_bytes(bytes(data))
    with pytest.raises(ChecksumMismatchError, match=victim.name):
        verify_files(eng, manifest, graph_files(manifest))
    write_manifest(eng, manifest)
    assert graph_sha256(manifest, "text_encoder") != before


def test_a_small_graph_stays_one_file_and_an_oversized_tensor_is_named(tiny_engine_dir, tmp_path):
    path = tmp_path / "text_encoder.onnx"
    shutil.copy(tiny_engine_dir / "text_encoder.onnx", path)
    assert split_external_data(path, max_bytes=path.stat().st_size) == []
    with pytest.raises(ValueError, match="initializer .* more than one data file"):
        split_external_data(path, max_bytes=2048)


@pytest.mark.skipif(not (ENGINE / "manifest.json").is_file(), reason="engines/default is absent")
def test_the_committed_engine_holds_every_file_under_50_mb():
    sizes = {p.name: p.stat().st_size for p in ENGINE.iterdir()}
    assert max(sizes.values()) < 50_000_000, sizes
    manifest = json.loads((ENGINE / "manifest.json").read_text())
    assert set(manifest["files"]) <= set(sizes)


@pytest.mark.skipif(not (ENGINE / "manifest.json").is_file(), reason="engines/default is absent")
def test_int8_graphs_of_the_committed_engine_stay_under_50_mb_and_run(tmp_path):
    """quantize_dynamic leaves MiniLM's 47 MB word-embedding table (a Gather) in fp32, so the int8 text graph
    would be one 59 MB file: it is split like the fp32 graphs, verified, and ONNX Runtime reads it."""
    from geotext_ros.runtime.manifest import load_manifest
    from geotext_ros.runtime.ort_backend import OrtBackend
    from training.export import quantize_all

    eng = tmp_path / "engine"
    shutil.copytree(ENGINE, eng, ignore=shutil.ignore_patterns("weights.pt", "*.md"))
    manifest = load_manifest(eng, verify=False)
    manifest["files"].pop("weights.pt", None)
    manifest["int8"] = quantize_all(eng, manifest, OrtBackend(eng, providers=["CPUExecutionProvider"]))
    write_manifest(eng, manifest)
    entry = manifest["graphs"]["text_encoder"]
    assert entry["int8_data_files"] and set(entry["int8_data_files"]) <= set(graph_files(manifest, "int8"))
    assert not set(entry["data_files"]) & set(graph_files(manifest, "int8"))
    assert max(p.stat().st_size for p in eng.iterdir()) < 50_000_000
    verify_files(eng, manifest, graph_files(manifest, "int8"))
    assert manifest["int8"]["accuracy_vs_fp32"]["text_embed_min_cos"] > 0.95
