"""The relation head's inputs (issue 17): a "features" head reads only the two ROI features, so the answer
cannot come from the coordinates; a config without the key (checkpoints and engines saved before it existed)
means the legacy "features+boxes" layout, and the committed engine still loads and runs exactly as exported."""
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from geotext_ros.model.config import available_configs, load_config
from geotext_ros.model.factory import create_model
from geotext_ros.model.tokenizer import WordPieceTokenizer

ENGINE = Path(__file__).resolve().parents[1] / "engines" / "default"
BOXES = torch.tensor([[0.2, 0.3, 0.1, 0.2], [0.7, 0.6, 0.3, 0.2]])


def _model(relation_inputs=None):
    raw = load_config("tiny").to_dict()
    raw.pop("relation_inputs")
    if relation_inputs is not None:
        raw["relation_inputs"] = relation_inputs
    raw["vision"].update(width=48, layers=1, heads=2)
    raw["text"].update(hidden=48, layers=1, heads=2, intermediate=96)
    raw.update(fusion_layers=1, embed_dim=16, relation_hidden=32)
    torch.manual_seed(0)
    tok = WordPieceTokenizer.build_vocab(["a red roof"], min_freq=1)
    return create_model(raw, tokenizer=tok)[0].eval()


def test_bundled_configs_use_a_features_only_head():
    assert {"tiny", "small", "xvlm-base", "open_world"} <= set(available_configs())
    for name in available_configs():  # a config added later must not fall back to the legacy layout
        assert load_config(name).relation_inputs == "features", name


def test_features_head_does_not_read_the_boxes():
    model = _model("features")
    assert model.relation_mlp[0].in_features == 2 * 48
    feats = torch.randn(2, 48, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        h1, v1 = model.relation_head(feats, feats.flip(0), BOXES, BOXES.flip(0))
        h2, v2 = model.relation_head(feats, feats.flip(0), BOXES.flip(0), BOXES)   # boxes swapped: no effect
        h3, _ = model.relation_head(feats.flip(0), feats, BOXES, BOXES.flip(0))    # features swapped: changes
    assert torch.equal(h1, h2) and torch.equal(v1, v2)
    assert not torch.allclose(h1, h3)


def test_absent_key_means_the_legacy_layout_that_reads_the_boxes():
    model = _model(None)
    assert model.config.relation_inputs == "features+boxes"
    assert model.relation_mlp[0].in_features == 2 * 48 + 12
    feats = torch.zeros(2, 48)
    with torch.no_grad():
        h1, _ = model.relation_head(feats, feats, BOXES, BOXES.flip(0))
        h2, _ = model.relation_head(feats, feats, BOXES.flip(0), BOXES)
    assert not torch.allclose(h1, h2)          # identical features, different boxes: the head still answers


def test_unknown_relation_inputs_is_rejected():
    with pytest.raises(ValueError, match="relation_inputs"):
        _model("boxes")


@pytest.mark.skipif(not (ENGINE / "manifest.json").is_file(), reason="engines/default is absent")
def test_committed_engine_reads_only_features_and_agrees_with_its_onnx_graph():
    """The committed head must not see the box coordinates its labels are computed from (issue 17 §4)."""
    ort = pytest.importorskip("onnxruntime")
    from geotext_ros.runtime.torch_backend import TorchBackend

    manifest = json.loads((ENGINE / "manifest.json").read_text())
    assert manifest["model_config"]["relation_inputs"] == "features"
    backend = TorchBackend.from_engine_dir(ENGINE)
    assert backend.model.config.relation_inputs == "features"
    rng = np.random.default_rng(0)
    grid = backend.model.config.vision.grid
    tokens = rng.standard_normal((1, 1 + grid * grid, backend.model.vision_width)).astype(np.float32)
    feeds = {"image_tokens": tokens, "box_a": BOXES.numpy(), "box_b": BOXES.flip(0).numpy()}
    sess = ort.InferenceSession(str(ENGINE / "relation.onnx"), providers=["CPUExecutionProvider"])
    want = sess.run(None, feeds)
    got = backend._run("relation", feeds)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, atol=1e-5)


def test_features_only_relation_graph_runs_in_onnxruntime_within_tolerance(engine_dir):
    """geotext-export of a tiny (features-only) model: ORT's relation graph agrees with PyTorch."""
    manifest = json.loads((engine_dir / "manifest.json").read_text())
    assert manifest["model_config"]["relation_inputs"] == "features"
    parity = manifest["parity"]["max_abs_diff"]
    assert parity["h_prob"] < 1e-4 and parity["v_prob"] < 1e-4, parity
