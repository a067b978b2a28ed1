"""GeoText-1652 reader: errors name the file and record, building ids come from image_id[:4]."""
import json
import logging
from pathlib import Path

import pytest

from training.data.geotext1652 import (DataFormatError, building_id, building_index, building_labels, load_test,
                                       load_train)


def _img(root: Path, rel: str) -> str:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(b"x")
    return rel


def _train(root: Path, **over) -> dict:
    rec = {"image_id": "0839/image-43.jpeg", "image": _img(root, "train/0839/image-43.jpeg"),
           "caption": "A Red-roofed building, (left) of the pool!", "sentences": ["the red building", None, "a pool"],
           "bboxes": [[0.5, 0.5, 0.2, 0.2], None, [0.8, 0.5, 0.1, 0.1]]}
    rec.update(over)
    return rec


def _write(root: Path, recs) -> Path:
    path = root / "train.json"
    path.write_text(json.dumps(recs))
    return path


def test_valid_record_is_cleaned_and_extras_pass_through(tmp_path):
    path = _write(tmp_path, [_train(tmp_path, view={"type": "drone"})])
    [r] = load_train(path, tmp_path)
    assert r.caption == "a red roofed building left of the pool" and r.building_id == "0839"
    assert r.sentences == ("the red building", None, "a pool") and r.bboxes[1] is None
    assert r.extras == {"view": {"type": "drone"}}


@pytest.mark.parametrize("bad, message", [
    ({"caption": ["a", "b"]}, "caption"),
    ({"bboxes": [[0.5, 0.5, 0.2], None, None]}, r"bboxes\[0\]"),
    ({"bboxes": [[0.5, 1.5, 0.2, 0.2], None, None]}, "outside"),
    ({"bboxes": [[0.5, 0.5, 0.2, 0.2]]}, "sentences but"),
    ({"image": "train/0839/missing.jpeg"}, "does not exist"),
    ({"image_id": 839}, "image_id"),
    ({"sentences": "the red building"}, "sentences"),
])
def test_bad_train_record_error_names_file_and_record(tmp_path, bad, message):
    path = _write(tmp_path, [_train(tmp_path), _train(tmp_path), _train(tmp_path, **bad)])
    with pytest.raises(DataFormatError, match=message) as e:
        load_train(path, tmp_path)
    assert str(path) in str(e.value) and "record 2" in str(e.value)


def test_missing_key_and_bad_json(tmp_path):
    rec = _train(tmp_path)
    del rec["caption"]
    path = _write(tmp_path, [rec])
    with pytest.raises(DataFormatError, match=r"record 0: missing keys \['caption'\]"):
        load_train(path, tmp_path)
    path.write_text("[{")
    with pytest.raises(DataFormatError, match="not valid JSON") as e:
        load_train(path, tmp_path)
    assert str(path) in str(e.value)


def test_test_caption_must_be_a_list(tmp_path):
    good = {"image_id": "0001/image-01.jpeg", "image": _img(tmp_path, "test/gallery_no_train/0001/image-01.jpeg"),
            "caption": ["One.", "two", "three"]}
    path = tmp_path / "test.json"
    path.write_text(json.dumps([good, {**good, "caption": "one caption"}]))
    with pytest.raises(DataFormatError, match="record 1: 'caption' of a test record"):
        load_test(path, tmp_path)
    path.write_text(json.dumps([good]))
    assert load_test(path, tmp_path)[0].captions == ("one", "two", "three")


def test_skip_invalid_skips_with_a_logged_count(tmp_path, caplog):
    path = _write(tmp_path, [_train(tmp_path), _train(tmp_path, caption=3), _train(tmp_path, bboxes=[[2, 0, 0, 0]])])
    with caplog.at_level(logging.WARNING):
        recs = load_train(path, tmp_path, skip_invalid=True)
    assert len(recs) == 1 and "skipped 2 of 3 records" in caplog.text and str(path) in caplog.text


def test_building_map_comes_from_each_image_id(tmp_path):
    ids = ["0001/image-01.jpeg", "0001/image-02.jpeg", "0002/image-01.jpeg", "0002/image-02.jpeg",
           "0005/image-01.jpeg"]
    recs = [{"image_id": i, "image": _img(tmp_path, f"test/gallery_no_train/{i}"), "caption": ["a", "b", "c"]}
            for i in ids]
    path = tmp_path / "t.json"
    path.write_text(json.dumps(recs))
    loaded = load_test(path, tmp_path)
    labels = building_labels(loaded)
    # The reference code's defect would give the first image of 0002 (index 2) the label of 0001.
    assert labels == [0, 0, 1, 1, 2] and labels[2] != labels[1]
    assert building_index(loaded) == {"0001": 0, "0002": 1, "0005": 2}
    assert building_id("0839/image-43.jpeg") == "0839"
    with pytest.raises(ValueError, match="image_id"):
        building_id("839/image-43.jpeg")
