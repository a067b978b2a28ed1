"""training/text_cache.py: a frozen text tower's cached outputs equal the uncached ones at every real token, only
unseen sentences are encoded, the LRU bound holds, and a trainable tower is refused."""
import pytest
import torch

from geotext_ros.model.config import load_config
from geotext_ros.model.factory import create_model
from geotext_ros.model.tokenizer import WordPieceTokenizer
from training.text_cache import TextCache

torch.set_num_threads(1)
TEXTS = ["a red roof left of the pool", "two trees", "the pool", "a grey road below two trees and a red roof"]


def _model(freeze):
    cfg = load_config("tiny")
    cfg.text.vocab_size, cfg.text.freeze_layers = 0, freeze
    torch.manual_seed(0)
    return create_model(cfg, tokenizer=WordPieceTokenizer.build_vocab(TEXTS, min_freq=1))


def test_cached_rows_equal_uncached_and_count_misses():
    model, _, tok = _model(freeze=3)
    ids, mask = (torch.as_tensor(x) for x in tok(TEXTS))
    with torch.no_grad():
        ref_tokens, ref_embed = model.encode_text(ids, mask)
    cache = TextCache(model, max_entries=100)
    tokens, embed = model.encode_text(ids, mask)
    valid = mask.bool()
    assert (tokens - ref_tokens)[valid].abs().max() < 1e-5
    assert (embed - ref_embed).abs().max() < 1e-5
    assert cache.stats()["misses"] == 4 and cache.stats()["hits"] == 0
    # a different batch (other padding width) with two known sentences: only the new one is encoded
    ids2, mask2 = (torch.as_tensor(x) for x in tok(["two trees", "the pool", "a red roof"]))
    model.encode_text(ids2, mask2)
    assert cache.stats()["misses"] == 5 and cache.stats()["hits"] == 2
    cache.remove()
    assert torch.equal(model.encode_text(ids, mask)[1].detach(), model.encode_text(ids, mask)[1].detach())


def test_lru_bound_and_refusals():
    model, _, tok = _model(freeze=3)
    cache = TextCache(model, max_entries=2)
    ids, mask = (torch.as_tensor(x) for x in tok(TEXTS))
    model.encode_text(ids, mask)
    assert cache.stats()["entries"] == 2
    with pytest.raises(ValueError, match="freeze_layers"):
        TextCache(_model(freeze=1)[0], 10)


def test_training_with_the_cache_runs(tmp_path):
    from test_train_tinydata import write_tiny_dataset
    from training.train import main as train_main
    data = write_tiny_dataset(tmp_path / "data", n_train=2, n_test=2, views=2)
    cfg = tmp_path / "frozen.json"
    cfg.write_text('{"name": "frozen", "text": {"vocab_size": 0, "hidden": 192, "layers": 3, "heads": 3, '
                   '"intermediate": 768, "max_position": 64, "freeze_layers": 3}, "pooling": "mean"}')
    preset = tmp_path / "p.json"
    preset.write_text('{"losses": {"itc": 1.0, "itm": 1.0, "grounding": 0.1, "dense": 0.1}, '
                      '"train": {"text_cache": 1000, "batch_size": 8}}')
    assert train_main(["--data", str(data), "--preset", str(preset), "--model-config", str(cfg),
                       "--out", str(tmp_path / "run"), "--steps", "3", "--no-plot"]) == 0
    assert (tmp_path / "run" / "last.pt").is_file()
    # the same preset on a model whose text tower trains: runs uncached
    assert train_main(["--data", str(data), "--preset", str(preset), "--model-config", "tiny",
                       "--out", str(tmp_path / "run2"), "--steps", "2", "--no-plot"]) == 0
