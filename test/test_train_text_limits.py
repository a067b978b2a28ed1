"""Presets carry their method's text limits (GeoText 30 / 50 words; HCCM 90 / 90 words and 90 tokens); a run
applies them to the train captions and saves them in the tokenizer that geotext-eval and the drone use."""
import json

import pytest
import torch

from geotext_ros.model.factory import load_checkpoint
from test_train_tinydata import write_tiny_dataset
from training.presets import load_preset, text_limits
from training.train import main
from training.train_data import read_train_records

torch.set_num_threads(1)


def test_presets_carry_the_methods_limits():
    assert load_preset("geotext")["text"] == {"max_words_train": 30, "max_words_test": 50, "max_tokens": 0}
    assert load_preset("hccm")["text"] == {"max_words_train": 90, "max_words_test": 90, "max_tokens": 90}
    assert load_preset("default")["text"] == {"max_words_train": 30, "max_words_test": 50, "max_tokens": 0}
    assert text_limits({"name": "saved before the section"}) == load_preset("default")["text"]
    with pytest.raises(ValueError, match="max_word_train"):
        text_limits({"name": "typo", "text": {"max_word_train": 3}})
    with pytest.raises(ValueError, match="whole numbers"):
        text_limits({"name": "bad", "text": {"max_words_test": 0}})


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    return write_tiny_dataset(tmp_path_factory.mktemp("data"), n_train=2, n_test=2, views=2)


def _train(tiny_data, tmp_path, text):
    preset = json.loads(json.dumps(load_preset("baseline")))
    preset["text"] = text
    path = tmp_path / "preset.json"
    path.write_text(json.dumps(preset))
    run = tmp_path / "run"
    rc = main(["--data", str(tiny_data), "--preset", str(path), "--model-config", "tiny", "--out", str(run),
               "--steps", "1", "--batch-size", "4", "--limit", "4", "--no-plot"])
    assert rc == 0
    return load_checkpoint(run / "last.pt")


def test_run_applies_and_saves_the_limits(tiny_data, tmp_path):
    assert max(len(r.caption.split()) for r in read_train_records(tiny_data)) > 5
    assert max(len(r.caption.split()) for r in read_train_records(tiny_data, max_words=5)) == 5
    loaded = _train(tiny_data, tmp_path, {"max_words_train": 5, "max_words_test": 7, "max_tokens": 12})
    tok = loaded.tokenizer
    assert (tok.max_words, tok.max_len, loaded.config.max_text_len) == (7, 12, 12)
    ids, _ = tok(["a b c d e f g h i j k l m n o p"])
    assert ids.shape[1] <= 12


def test_token_limit_beyond_the_model_is_capped_with_a_warning(tiny_data, tmp_path, caplog):
    loaded = _train(tiny_data, tmp_path, {"max_words_train": 90, "max_words_test": 90, "max_tokens": 90})
    assert loaded.config.max_text_len == 64 == loaded.tokenizer.max_len    # tiny: text.max_position 64
    assert loaded.tokenizer.max_words == 90
    assert "exceeds model config 'tiny'" in caplog.text
