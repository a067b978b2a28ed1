"""The recipes' RandAugment-style photometric augmentation: hand-computed operations, no geometric change, a
seeded draw, and the train samples applying it."""
import numpy as np
import pytest
import torch

from test_train_tinydata import write_tiny_dataset
from training.photometric import AUGMENTS, OPS, PhotometricAugment, autocontrast, brightness, equalize, sharpness

torch.set_num_threads(1)


def test_enhance_factor_at_the_recipes_magnitude():
    assert PhotometricAugment().factor == pytest.approx(0.7 * 1.8 + 0.1)   # 1.36
    assert set(OPS) == {"identity", "autocontrast", "equalize", "brightness", "sharpness"}


def test_operations_hand_computed():
    img = np.full((4, 4, 3), 100, dtype=np.uint8)
    assert (brightness(img, 1.36) == 136).all()
    assert (brightness(np.full((2, 2, 3), 200, np.uint8), 1.36) == 255).all()     # clipped
    two = np.full((4, 4, 3), 50, dtype=np.uint8)
    two[:2] = 150
    out = autocontrast(two)
    assert set(np.unique(out).tolist()) == {0, 255}
    assert (sharpness(two, 1.0) == two).all()                                     # factor 1: unchanged
    eq = equalize(two)
    assert eq.dtype == np.uint8 and eq.shape == two.shape and eq[0, 0, 0] > eq[3, 3, 0]


def test_no_operation_moves_anything():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 60, (32, 32, 3), dtype=np.uint8)
    img[4:10, 20:28] = 220                                                        # a bright roof, upper right
    aug = PhotometricAugment(n_ops=2, p_apply=1.0)
    for op in OPS:
        out = aug.apply(img, op)
        assert out.shape == img.shape and out.dtype == np.uint8
        bright = out.mean(axis=2) >= np.percentile(out.mean(axis=2), 95)
        ys, xs = np.nonzero(bright)
        assert 4 <= ys.mean() < 10 and 20 <= xs.mean() < 28, op


def test_seeded_draws_repeat_and_differ_between_seeds():
    img = np.random.default_rng(1).integers(0, 255, (16, 16, 3), dtype=np.uint8)
    aug = PhotometricAugment()
    a = [aug(img, np.random.default_rng(5)) for _ in range(2)]
    assert np.array_equal(a[0], a[1])
    outs = {aug(img, np.random.default_rng(s)).tobytes() for s in range(12)}
    assert len(outs) > 2


def test_train_samples_apply_the_augmentation(tmp_path):
    from geotext_ros.model.preprocess import ImageTransform
    from training.train_data import TrainSamples, read_train_records

    data = write_tiny_dataset(tmp_path, n_train=1, n_test=1, views=1)
    records = read_train_records(data)
    tf = ImageTransform(32, [0.5] * 3, [0.25] * 3, interpolation="bilinear")
    plain = TrainSamples(records, tf)[0]["pixels"]
    np.random.seed(0)
    bright = TrainSamples(records, tf, augment=lambda rgb: brightness(rgb, 1.36))[0]["pixels"]
    assert not np.allclose(plain, bright)
    assert AUGMENTS["none"] is None and isinstance(AUGMENTS["photometric"], PhotometricAugment)
