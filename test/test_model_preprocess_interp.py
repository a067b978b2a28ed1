"""The resize filter is a recorded field of the image transform: bicubic for xvlm-base (as X-VLM / GeoText / HCCM
resize), bilinear for tiny/small and for every record written before the field existed (committed engine)."""
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from geotext_ros.model.config import load_config
from geotext_ros.model.factory import create_model, load_checkpoint, make_transform, save_checkpoint
from geotext_ros.model.preprocess import ImageTransform
from geotext_ros.runtime.assets import transform_from_manifest
from training.train_data import load_resized

ENGINE = Path(__file__).resolve().parents[1] / "engines" / "default"
MEAN, STD = [0.48145466, 0.4578275, 0.40821073], [0.26862954, 0.26130258, 0.27577711]


def _photo(h=61, w=83, seed=0):
    """A textured RGB image: bilinear and bicubic resizes of it differ."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    base = 127 + 100 * np.sin(x / 3.0)[..., None] * np.cos(y / 5.0)[..., None] * np.ones(3)
    return np.clip(base + rng.normal(0, 20, (h, w, 3)), 0, 255).astype(np.uint8)


def _by_hand(rgb, size, pil_filter):
    """The expected pixels, computed without the transform: PIL resize, /255, normalize."""
    arr = np.asarray(Image.fromarray(rgb).resize((size, size), pil_filter), np.float32).transpose(2, 0, 1) / 255.0
    return (arr - np.float32(MEAN).reshape(3, 1, 1)) / np.float32(STD).reshape(3, 1, 1)


def test_configs_pick_their_filter():
    assert load_config("xvlm-base").image_interpolation == "bicubic"
    assert load_config("tiny").image_interpolation == "bilinear"
    assert load_config("small").image_interpolation == "bilinear"
    cfg = load_config("tiny")
    cfg.image_interpolation = "bicubic"
    assert make_transform(cfg).interpolation == "bicubic"
    with pytest.raises(ValueError, match="image_interpolation"):
        load_config({"image_interpolation": "nearest"})


def test_bicubic_and_bilinear_give_the_pil_pixels_and_differ():
    rgb = _photo()
    cubic = ImageTransform(32, MEAN, STD, interpolation="bicubic")
    linear = ImageTransform(32, MEAN, STD, interpolation="bilinear")
    np.testing.assert_allclose(cubic(rgb), _by_hand(rgb, 32, Image.BICUBIC), rtol=0, atol=1e-6)
    np.testing.assert_allclose(linear(rgb), _by_hand(rgb, 32, Image.BILINEAR), rtol=0, atol=1e-6)
    assert np.abs(cubic(rgb) - linear(rgb)).max() > 0.05
    assert ImageTransform.from_dict(cubic.to_dict()).interpolation == "bicubic"
    with pytest.raises(ValueError, match="interpolation"):
        ImageTransform(32, MEAN, STD, interpolation="lanczos")


def test_records_without_the_field_stay_bilinear_and_the_committed_engine_is_bilinear():
    old = {"size": 32, "mean": MEAN, "std": STD}    # what checkpoints/manifests held before the field
    assert ImageTransform.from_dict(old).interpolation == "bilinear"
    manifest = json.loads((ENGINE / "manifest.json").read_text())
    assert manifest["transform"].get("interpolation", "bilinear") == "bilinear"   # trained on bilinear pixels
    tf = transform_from_manifest(manifest)
    rgb = _photo(97, 131, seed=3)
    assert tf.interpolation == "bilinear"
    np.testing.assert_array_equal(tf(rgb), _by_hand_full(rgb, manifest["transform"]))


def _by_hand_full(rgb, rec):
    arr = np.asarray(Image.fromarray(rgb).resize((rec["size"], rec["size"]), Image.BILINEAR),
                     np.float32).transpose(2, 0, 1) / 255.0
    out = (arr - np.asarray(rec["mean"], np.float32).reshape(3, 1, 1)) / np.asarray(rec["std"], np.float32).reshape(
        3, 1, 1)
    return np.ascontiguousarray(out, dtype=np.float32)


def test_checkpoint_records_the_filter(tmp_path):
    cfg = load_config("tiny")
    cfg.image_interpolation = "bicubic"
    torch.manual_seed(0)
    model, transform, tok = create_model(cfg)
    path = save_checkpoint(tmp_path / "m.pt", model, tok, transform)
    loaded = load_checkpoint(path)
    assert loaded.transform.interpolation == "bicubic" and loaded.config.image_interpolation == "bicubic"
    # a checkpoint written before the field (transform without it, config without it): bilinear as before
    payload = torch.load(path, weights_only=True)
    payload["transform"].pop("interpolation")
    payload["config"].pop("image_interpolation")
    torch.save(payload, tmp_path / "old.pt")
    old = load_checkpoint(tmp_path / "old.pt")
    assert old.transform.interpolation == "bilinear" and old.config.image_interpolation == "bilinear"


def test_training_image_cache_resizes_with_the_transform(tmp_path):
    rgb = _photo(70, 90, seed=5)
    path = tmp_path / "im.png"
    Image.fromarray(rgb).save(path)
    for name, pil_filter in (("bicubic", Image.BICUBIC), ("bilinear", Image.BILINEAR)):
        tf = ImageTransform(48, MEAN, STD, interpolation=name)
        cached = load_resized(path, tf)
        np.testing.assert_array_equal(cached, np.asarray(Image.fromarray(rgb).resize((48, 48), pil_filter)))
        # the cache path and the direct path give the model the same pixels
        np.testing.assert_array_equal(tf(cached), tf(rgb))
