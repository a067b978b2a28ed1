"""save_checkpoint / load_checkpoint round trip, shape errors, checksum."""
import hashlib

import numpy as np
import pytest
import torch

from geotext_ros.model.config import load_config
from geotext_ros.model.factory import (create_model, load_checkpoint, model_checksum, save_checkpoint,
                                        with_image_size)
from geotext_ros.model.vit import resize_pos_embed
from geotext_ros.model.tokenizer import WordPieceTokenizer

CAPS = ["red building left of the pool", "a parking lot"]


def _tiny(layers=None):
    cfg = load_config("tiny")
    cfg.vision.layers, cfg.text.layers, cfg.fusion_layers = 1, 1, 1   # small and quick
    if layers:
        cfg.vision.width, cfg.vision.heads = layers, 2
    tok = WordPieceTokenizer.build_vocab(CAPS, min_freq=1)
    torch.manual_seed(1)
    return cfg, create_model(cfg, tokenizer=tok)


def _outputs(model, transform, tok):
    rgb = np.random.default_rng(3).integers(0, 255, (64, 64, 3), dtype=np.uint8)
    images = torch.from_numpy(transform.batch([rgb, rgb[::-1].copy()]))
    ids, mask = (torch.from_numpy(a) for a in tok(CAPS))
    with torch.no_grad():
        out = model(images, ids, mask)
        it, _ = model.encode_image(images)
        out["dense"] = model.dense_map(it, out["txt_embed"])
    return out


def test_round_trip_rebuilds_identical_model(tmp_path):
    cfg, (model, transform, tok) = _tiny()
    model.eval()
    path = save_checkpoint(tmp_path / "sub" / "ckpt.pt", model, tok, transform, model.config,
                           train_config={"lr": 1e-4}, step=42, extra={"note": "x"})
    loaded = load_checkpoint(path)
    assert loaded.meta["step"] == 42 and loaded.meta["train_config"] == {"lr": 1e-4}
    assert loaded.meta["extra"] == {"note": "x"}
    assert loaded.config == model.config and loaded.tokenizer.vocab == tok.vocab
    assert loaded.transform.to_dict() == transform.to_dict()
    assert not loaded.model.training
    a, b = _outputs(model, transform, tok), _outputs(loaded.model, loaded.transform, loaded.tokenizer)
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=0, atol=0)


def test_wrong_shaped_checkpoint_names_the_parameter(tmp_path):
    _, (model, transform, tok) = _tiny()
    path = save_checkpoint(tmp_path / "c.pt", model, tok, transform)
    payload = torch.load(path, weights_only=True)
    payload["state_dict"]["vision_proj.weight"] = torch.zeros(7, 192)
    torch.save(payload, path)
    with pytest.raises(ValueError, match=r"vision_proj\.weight.*\(7, 192\).*\(128, 192\)"):
        load_checkpoint(path)
    del payload["state_dict"]["vision_proj.weight"]
    torch.save(payload, path)
    with pytest.raises(ValueError, match=r"missing \['vision_proj\.weight'\]"):
        load_checkpoint(path)


def test_not_a_checkpoint_and_missing_file(tmp_path):
    bad = tmp_path / "bad.pt"
    torch.save({"hello": 1}, bad)
    with pytest.raises(ValueError, match="lacks"):
        load_checkpoint(bad)
    with pytest.raises(FileNotFoundError, match="nope"):
        load_checkpoint(tmp_path / "nope.pt")


def test_vocab_size_mismatch_is_a_clear_error():
    cfg = load_config("tiny")
    cfg.text.vocab_size = 999
    with pytest.raises(ValueError, match="vocab_size=999.*tokens"):
        create_model(cfg, tokenizer=WordPieceTokenizer.build_vocab(CAPS))


def test_model_checksum_is_sha256(tmp_path):
    f = tmp_path / "f.bin"
    f.write_bytes(b"geotext" * 1000)
    assert model_checksum(f) == hashlib.sha256(b"geotext" * 1000).hexdigest()


def test_resize_pos_embed_keeps_cls_and_samples_the_grid():
    g, d = 8, 3
    table = torch.arange(g * g * d, dtype=torch.float32).reshape(1, g * g, d)
    pe = torch.cat([torch.full((1, 1, d), -5.0), table], dim=1)
    same = resize_pos_embed(pe, g)
    assert torch.equal(same, pe) and same is not pe
    big = resize_pos_embed(pe, 16)
    assert big.shape == (1, 1 + 256, d) and torch.equal(big[:, 0], pe[:, 0])
    # a table linear in row and column stays close to linear inside the border (PyTorch's bicubic, a = -0.75, is
    # not exactly linear-preserving) and keeps row-major order: one output column right is about half an input
    # column (d / 2), one row down about g * d / 2
    grid = big[0, 1:].reshape(16, 16, d)[5:11, 5:11, 0]
    cols, rows = grid[:, 1:] - grid[:, :-1], grid[1:] - grid[:-1]
    assert (cols > 0).all() and (rows > 0).all()
    assert float(cols.mean()) == pytest.approx(d / 2, rel=0.05)
    assert float(rows.mean()) == pytest.approx(g * d / 2, rel=0.05)
    with pytest.raises(ValueError, match="square grid"):
        resize_pos_embed(pe[:, :-1], 8)


def test_with_image_size_keeps_every_weight_and_runs_at_the_new_size(tmp_path):
    _, (model, transform, tok) = _tiny()
    path = save_checkpoint(tmp_path / "c.pt", model, tok, transform)
    loaded = load_checkpoint(path)
    big = with_image_size(loaded, 96)
    assert big.config.vision.image_size == 96 and big.config.vision.grid == 6 and big.transform.size == 96
    assert loaded.config.vision.image_size == 128          # the original is untouched
    sa, sb = loaded.model.state_dict(), big.model.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa if k != "vision_encoder.pos_embed")
    assert sb["vision_encoder.pos_embed"].shape == (1, 37, sa["vision_encoder.pos_embed"].shape[-1])
    out = _outputs(big.model, big.transform, big.tokenizer)
    assert out["dense"].shape[-2:] == (6, 6) and torch.isfinite(out["dense"]).all()
    # and it saves and reloads as a 96 px model with nothing else given
    again = load_checkpoint(save_checkpoint(tmp_path / "big.pt", big.model, big.tokenizer, big.transform))
    assert again.config.vision.image_size == 96 and again.transform.size == 96
    assert with_image_size(loaded, 128) is loaded
    with pytest.raises(ValueError, match="multiple of the patch size 16"):
        with_image_size(loaded, 100)
