"""Model configs, WordPiece tokenizer and image transform: real files, no mocks."""
import json

import numpy as np
import pytest
from PIL import Image

from geotext_ros.model.config import ModelConfig, available_configs, load_config
from geotext_ros.model.factory import VOCAB_DIR
from geotext_ros.model.preprocess import ImageTransform
from geotext_ros.model.tokenizer import SPECIALS, WordPieceTokenizer


def test_builtin_configs_load_with_expected_shapes():
    assert {"tiny", "small", "xvlm-base"} <= set(available_configs())
    tiny, small, base = load_config("tiny"), load_config("small"), load_config("xvlm-base")
    assert (tiny.vision.kind, tiny.vision.grid, tiny.embed_dim) == ("vit", 8, 128)
    assert (small.text.hidden, small.text.layers, small.text.heads, small.text.vocab_size) == (384, 6, 12, 30522)
    assert base.vision.kind == "swin" and base.vision.grid == 12 and base.vision.out_width == 1024
    assert (base.text.hidden, base.text.layers, base.fusion_layers, base.embed_dim) == (768, 6, 6, 256)


def test_missing_keys_take_defaults_and_unknown_keys_fail(tmp_path):
    path = tmp_path / "mine.json"
    path.write_text(json.dumps({"vision": {"layers": 1}, "embed_dim": 64}))
    cfg = load_config(path)
    assert cfg.name == "mine" and cfg.vision.layers == 1 and cfg.embed_dim == 64
    assert cfg.text.hidden == ModelConfig().text.hidden
    path.write_text(json.dumps({"vision": {"layerz": 1}}))
    with pytest.raises(ValueError, match="layerz"):
        load_config(path)
    with pytest.raises(ValueError, match="fusion_layer"):
        load_config({"fusion_layer": 2})
    with pytest.raises(FileNotFoundError, match="tiny"):
        load_config("no-such-config")


def test_config_dict_round_trip():
    cfg = load_config("xvlm-base")
    assert ModelConfig.from_dict(cfg.to_dict()) == cfg


@pytest.fixture(scope="module")
def bert_tok():
    return WordPieceTokenizer.from_vocab_file(VOCAB_DIR / "bert-base-uncased.txt")


def test_bert_vocab_known_wordpieces(bert_tok):
    # expected pieces taken from transformers.BertTokenizer on the same vocab.txt
    assert bert_tok.tokenize("unaffable") == ["una", "##ffa", "##ble"]
    assert bert_tok.tokenize("The Red-roofed building!") == ["the", "red", "roofed", "building"]
    ids, mask = bert_tok(["parking lot"])
    assert ids.tolist() == [[101, 5581, 2843, 102]] and mask.tolist() == [[1, 1, 1, 1]]


def test_padding_truncation_and_dtypes(bert_tok):
    ids, mask = bert_tok(["a pool", "the building left of the parking lot"])
    assert ids.dtype == np.int64 and mask.dtype == np.int64 and ids.shape == mask.shape
    assert mask.sum(1).tolist() == [4, 9] and ids[0, 4:].tolist() == [0] * 5
    ids, mask = bert_tok(["the building left of the parking lot"], max_len=5)
    assert ids.shape == (1, 5) and ids[0, 0] == bert_tok.cls_id and ids[0, -1] == bert_tok.sep_id
    ids, _ = bert_tok("a pool", max_len=12)
    assert ids.shape == (1, 12)


def test_build_vocab_char_fallback_and_round_trip():
    caps = ["red building near the pool", "red building left of the road", "a blue car"]
    tok = WordPieceTokenizer.build_vocab(caps, min_freq=2)
    assert tok.vocab[:5] == list(SPECIALS)
    assert "red" in tok.index and "building" in tok.index and "blue" not in tok.index
    assert tok.tokenize("blue") == ["b", "##l", "##u", "##e"]          # unseen word -> characters
    assert tok.decode(tok("blue building")[0][0]) == "blue building"
    assert tok.tokenize("red ÿ") == ["red", "y"]                        # accents stripped like BERT
    again = WordPieceTokenizer.from_dict(json.loads(json.dumps(tok.to_dict())))
    assert again.vocab == tok.vocab
    for a, b in zip(again(caps), tok(caps)):
        np.testing.assert_array_equal(a, b)


def test_bad_vocab_is_rejected():
    with pytest.raises(ValueError, match=r"\[CLS\]"):
        WordPieceTokenizer(["[PAD]", "[UNK]", "a"])


def test_image_transform_resizes_and_normalizes():
    tf = ImageTransform(32, [0.5, 0.5, 0.5], [0.25, 0.5, 1.0], interpolation="bilinear")
    rgb = np.full((48, 64, 3), 255, np.uint8)
    out = tf(rgb)
    assert out.shape == (3, 32, 32) and out.dtype == np.float32
    np.testing.assert_allclose(out[:, 0, 0], [2.0, 1.0, 0.5], rtol=1e-6)
    np.testing.assert_allclose(tf(Image.fromarray(rgb)), out)
    assert ImageTransform.from_dict(tf.to_dict()).to_dict() == tf.to_dict()
    assert tf.batch([rgb, rgb]).shape == (2, 3, 32, 32)
    with pytest.raises(ValueError, match="HxWx3"):
        tf(np.zeros((8, 8), np.uint8))
