"""Torch datasets over the reader's records, and augmentation that keeps spatial words true."""
import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from geotext_ros.nav.relations import image_position_labels, relation_labels
from training.data import load_test, load_train, write_dataset
from training.data.augment import TrainAugment, crop_box
from training.data.datasets import TestImages, TestTexts, TrainDataset, collate_train


def _transform(rgb: np.ndarray) -> np.ndarray:
    return (rgb[::2, ::2].astype(np.float32) / 255.0).transpose(2, 0, 1).copy()


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    out = tmp_path_factory.mktemp("ds")
    write_dataset(out, preset="tiny", seed=2, places=2, test_places=2, views=2, size=64)
    return out


def test_train_dataset_batches(data):
    recs = load_train(data / "train.json", data / "images")
    ds = TrainDataset(recs, _transform, augment=TrainAugment(p_crop=1.0), seed=0)
    batch = next(iter(DataLoader(ds, batch_size=4, collate_fn=collate_train)))
    assert batch["image"].shape == (4, 3, 32, 32) and batch["image"].dtype == torch.float32
    assert batch["building"].tolist() == [ds.buildings[r.building_id] for r in recs[:4]]
    for regions, sentences in zip(batch["regions"], batch["sentences"]):
        assert all(sentences[k] == s and len(b) == 4 for k, s, b in regions)
    assert np.array_equal(ds[1]["image"].numpy(), ds[1]["image"].numpy())  # seeded augmentation


def test_test_images_and_texts_share_building_labels(data):
    recs = load_test(data / "test_951_version.json", data / "images")
    images, texts = TestImages(recs, _transform), TestTexts(recs)
    assert len(images) == len(recs) and len(texts) == 3 * len(recs)
    for t, i in enumerate(texts.txt2img):
        assert t in texts.img2txt[i] and texts.labels[t] == images.labels[i]
    x, i = images[0]
    assert x.shape == (3, 32, 32) and i == 0


def test_augmentation_keeps_position_and_relation_labels():
    rng = np.random.default_rng(0)
    aug = TrainAugment(p_crop=1.0)
    image = rng.integers(0, 255, size=(64, 64, 3), dtype=np.uint8)
    cropped = 0
    for _ in range(200):
        boxes = [list(rng.uniform([0.1, 0.1, 0.05, 0.05], [0.9, 0.9, 0.3, 0.3])) for _ in range(3)]
        boxes[int(rng.integers(3))] = None
        out_img, out = aug(image, boxes, rng)
        assert out_img.shape == image.shape and out_img.dtype == np.uint8
        pairs = [(a, b) for a, b in zip(boxes, out) if a is not None]
        assert all(b is not None for _, b in pairs)
        cropped += any(a != b for a, b in pairs)
        for a, b in pairs:
            assert image_position_labels(a) == image_position_labels(b)
            assert all(0.0 <= v <= 1.0 for v in b)
        for a1, b1 in pairs:
            for a2, b2 in pairs:
                if a1 is not a2:
                    assert relation_labels(a1, a2) == relation_labels(b1, b2)
    assert cropped > 50  # the crop does happen, it is not always rejected


def test_crop_box_maps_coordinates():
    assert crop_box([0.5, 0.5, 0.2, 0.2], 0.25, 0.25, 0.5) == pytest.approx([0.5, 0.5, 0.4, 0.4])
    assert crop_box([0.05, 0.05, 0.05, 0.05], 0.5, 0.5, 0.5) is None
