"""Gallery index: build from gallery.json, save/load, checksum refusal, ITC top-k + ITM re-rank, CLI."""
import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from geotext_ros.model.config import load_config  # noqa: E402
from geotext_ros.model.factory import create_model, save_checkpoint  # noqa: E402
from geotext_ros.nav.gallery import GalleryError, GalleryIndex, backend_checksum, read_gallery_json  # noqa: E402
from geotext_ros.nav.gallery_cli import main  # noqa: E402
from geotext_ros.nav.parser import parse_instruction  # noqa: E402
from geotext_ros.runtime.torch_backend import TorchBackend  # noqa: E402


def tiny_backend(seed):
    torch.manual_seed(seed)
    model, transform, tokenizer = create_model(load_config("tiny"))
    return TorchBackend(model, transform, tokenizer, {"model_config": {"name": "tiny"}, "files": {}})


@pytest.fixture(scope="module")
def backend():
    return tiny_backend(0)


@pytest.fixture(scope="module")
def gallery(tmp_path_factory):
    from PIL import Image

    root = tmp_path_factory.mktemp("gallery")
    (root / "img").mkdir()
    rng = np.random.default_rng(1)
    places = []
    for i in range(6):
        Image.fromarray(rng.integers(0, 255, (64, 80, 3), dtype=np.uint8)).save(root / "img" / f"{i}.png")
        places.append({"place_id": f"{i:04d}", "image": f"img/{i}.png", "x": 10.0 * i, "y": -5.0 * i,
                       "altitude": None if i == 5 else 40.0 + i})
    (root / "gallery.json").write_text(json.dumps({"places": places}))
    return root / "gallery.json"


def test_build_save_load_round_trip(backend, gallery, tmp_path):
    index = GalleryIndex.build(backend, gallery, batch_size=4)
    assert len(index) == 6 and index.embeddings.dtype == np.float32
    assert np.allclose(np.linalg.norm(index.embeddings, axis=1), 1.0, atol=1e-4)
    assert index.image_tokens.dtype == np.float16 and index.image_tokens.shape[0] == 6
    path = index.save(tmp_path / "index.npz")
    loaded = GalleryIndex.load(path, backend)
    assert loaded.place_ids == [f"{i:04d}" for i in range(6)]
    assert np.array_equal(loaded.embeddings, index.embeddings)
    assert loaded.x.tolist() == [0, 10, 20, 30, 40, 50] and np.isnan(loaded.altitude[5])
    assert loaded.model_checksum == backend_checksum(backend)


def test_other_model_is_refused(backend, gallery, tmp_path):
    path = GalleryIndex.build(backend, gallery, keep_tokens=False).save(tmp_path / "index.npz")
    with pytest.raises(GalleryError, match="rebuild"):
        GalleryIndex.load(path, tiny_backend(1))
    with pytest.raises(GalleryError, match="rebuild"):
        GalleryIndex.load(path, expected_checksum="0" * 64)


def test_query_itc_then_itm_rerank(backend, gallery):
    index = GalleryIndex.build(backend, gallery)
    text = "the red building left of the pool"
    itc_only = index.query(text, k=6, rerank=0)
    ids, mask = backend.tokenizer([text])
    _, embed = backend.encode_text(ids, mask)
    cos = index.embeddings @ embed[0]
    assert [m.place_id for m in itc_only] == [index.place_ids[i] for i in np.argsort(-cos, kind="stable")]
    assert all(m.itm is None and m.score == m.itc for m in itc_only)

    reranked = index.query(text, k=6, rerank=3)
    head, tail = reranked[:3], reranked[3:]
    assert [m.itm for m in head] == sorted((m.itm for m in head), reverse=True)
    assert all(0.0 <= m.itm <= 1.0 for m in head) and all(m.itm is None for m in tail)
    assert {m.place_id for m in head} == {m.place_id for m in itc_only[:3]}
    assert [m.rank for m in reranked] == list(range(6))
    best = reranked[0]
    assert (best.x, best.y) == (index.x[int(best.place_id)], index.y[int(best.place_id)])
    assert len(index.query(text, k=2)) == 2
    assert [m.place_id for m in index.search(text, top_k=6)] == [m.place_id for m in index.query(text, k=6)]
    unbound = GalleryIndex(index.embeddings, index.place_ids, index.x, index.y, index.altitude, "x")
    with pytest.raises(GalleryError, match="backend"):
        unbound.query(text)
    assert len(unbound.query(text, k=3, backend=backend)) == 3


def test_query_fuses_itc_and_weighted_itm(backend, gallery):
    index = GalleryIndex.build(backend, gallery)
    text = "the red building left of the pool"
    itc_only = [m.place_id for m in index.query(text, k=6, rerank=0)]
    assert [m.place_id for m in index.query(text, k=6, itm_weight=0.0)] == itc_only   # weight 0: ITC order
    fused = index.query(text, k=6, itm_weight=0.05)
    assert all(m.score == pytest.approx(m.itc + 0.05 * m.itm) for m in fused)
    assert [m.score for m in fused] == sorted((m.score for m in fused), reverse=True)
    # a large weight orders by ITM, as the reference re-rank (itm_weight=None) does
    by_itm = [m.place_id for m in index.query(text, k=6)]
    assert [m.place_id for m in index.query(text, k=6, itm_weight=1e6)] == by_itm
    assert [m.place_id for m in index.search(text, top_k=6, itm_weight=0.05)] == [m.place_id for m in fused]
    for bad in (-0.1, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="itm_weight"):
            index.query(text, itm_weight=bad)


def test_pipeline_retrieves_with_the_configured_itm_weight(backend, gallery):
    from geotext_ros.param_file import load_node_params
    from geotext_ros.nav.pipeline import NavPipeline

    index = GalleryIndex.build(backend, gallery)
    text = "fly to the red building left of the pool"
    params = load_node_params("navigator")
    assert params["search_itm_weight"] == 0.05
    firsts = {w: index.query(parse_instruction(text).text, k=1, itm_weight=w)[0].place_id for w in (0.0, 1e6)}
    assert firsts[0.0] != firsts[1e6]          # else this test could not tell the weight was passed on
    for weight in (0.0, 1e6):
        pipe = NavPipeline.from_backend(backend, {**params, "search_itm_weight": weight, "search_ground_weight": 0.0,
                                                       "clarify.place_margin": 0.0},
                                        index)
        status = pipe.set_instruction(text, 0.0, (0.0, 0.0, 40.0, 0.0))
        expected = index.query(parse_instruction(text).text, k=5, itm_weight=weight)[0]
        assert status["place"]["place_id"] == expected.place_id, status


def test_bad_gallery_files(tmp_path):
    bad = tmp_path / "g.json"
    bad.write_text(json.dumps({"places": [{"place_id": "0001", "image": "a.png"}]}))
    with pytest.raises(GalleryError, match="place #0"):
        read_gallery_json(bad)
    bad.write_text("{not json")
    with pytest.raises(GalleryError, match="cannot read"):
        read_gallery_json(bad)
    with pytest.raises(GalleryError, match="cannot read gallery index"):
        GalleryIndex.load(tmp_path / "missing.npz")


def test_missing_image_is_named(backend, tmp_path):
    g = tmp_path / "g.json"
    g.write_text(json.dumps({"places": [{"place_id": "0007", "image": "nope.png", "x": 0, "y": 0}]}))
    with pytest.raises(GalleryError, match="0007"):
        GalleryIndex.build(backend, g)


def test_cli_build_and_query(backend, gallery, tmp_path, capsys):
    ckpt = save_checkpoint(tmp_path / "tiny.pt", backend.model, backend.tokenizer, backend.transform)
    out = tmp_path / "index.npz"
    assert main(["build", "--engine", str(ckpt), "--gallery", str(gallery), "--out", str(out)]) == 0
    built = json.loads(capsys.readouterr().out)
    assert built["places"] == 6 and out.is_file()
    assert main(["query", "--index", str(out), "--engine", str(ckpt), "-k", "3", "the pool"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert len(result["matches"]) == 3 and result["matches"][0]["rank"] == 0
    m = result["matches"][0]      # default: the navigator's weights of config/nav.yaml, grounded order included
    assert m["score"] == pytest.approx(m["itc"] + 0.05 * m["itm"] + 0.2 * m["ground"])
    assert main(["query", "--index", str(out), "--engine", str(ckpt), "--ground-weight", "0", "the pool"]) == 0
    m = json.loads(capsys.readouterr().out)["matches"][0]
    assert m["ground"] is None and m["score"] == pytest.approx(m["itc"] + 0.05 * m["itm"])
    assert main(["query", "--index", str(out), "--engine", str(ckpt), "--ground-weight", "-1", "the pool"]) == 2
    assert "--ground-weight '-1'" in capsys.readouterr().err
    assert main(["query", "--index", str(out), "--engine", str(ckpt), "--itm-weight", "none", "--ground-weight", "0",
                 "the pool"]) == 0   # the reference method's order
    m = json.loads(capsys.readouterr().out)["matches"][0]
    assert m["score"] == m["itm"]
    assert main(["query", "--index", str(out), "--engine", str(ckpt), "--itm-weight", "lots", "the pool"]) == 2
    assert "--itm-weight 'lots'" in capsys.readouterr().err
    assert main(["query", "--index", str(tmp_path / "none.npz"), "--engine", str(ckpt), "x"]) == 2
    assert "geotext-gallery" in capsys.readouterr().err


def test_cli_with_exported_engine_dir_across_backends(backend, gallery, tmp_path, capsys):
    """An index built with onnxruntime serves the torch backend of the same engine (same model checksum)."""
    pytest.importorskip("onnxruntime")
    from training.export import export

    ckpt = save_checkpoint(tmp_path / "tiny.pt", backend.model, backend.tokenizer, backend.transform)
    manifest = export(ckpt, tmp_path / "engine", allow_trt_issues=True)
    out = tmp_path / "index.npz"
    engine = str(tmp_path / "engine")
    assert main(["build", "--engine", engine, "--kind", "onnxruntime", "--gallery", str(gallery),
                 "--out", str(out)]) == 0
    assert json.loads(capsys.readouterr().out)["model_checksum"] == manifest["model_checksum"]
    assert main(["query", "--index", str(out), "--engine", engine, "--kind", "torch", "-k", "2", "a pool"]) == 0
    assert len(json.loads(capsys.readouterr().out)["matches"]) == 2
    # the same weights opened from the checkpoint have no manifest checksum: refused, with the fix named
    assert main(["query", "--index", str(out), "--engine", str(ckpt), "a pool"]) == 2
    assert "rebuild" in capsys.readouterr().err
