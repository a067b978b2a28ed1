"""Synthetic dataset writer: GeoText-1652 layout, determinism, round trip through the reader, the CLI."""
import hashlib
import json
from pathlib import Path

import pytest

from geotext_ros.model.text import clean_caption
from training.data import load_test, load_train, write_dataset
from training.data.cli import main


def _hashes(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "tiny"
    write_dataset(out, preset="tiny", seed=1)
    return out


def test_same_seed_gives_identical_bytes(tiny, tmp_path):
    again = tmp_path / "again"
    write_dataset(again, preset="tiny", seed=1)
    a, b = _hashes(tiny), _hashes(again)
    assert a == b and len(a) > 20
    other = tmp_path / "other"
    write_dataset(other, preset="tiny", seed=2, places=2, test_places=2, views=2)
    assert json.loads((other / "train.json").read_text()) != json.loads((tiny / "train.json").read_text())


def test_layout_and_records_follow_the_geotext1652_format(tiny):
    train = json.loads((tiny / "train.json").read_text())
    test = json.loads((tiny / "test_951_version.json").read_text())
    small = json.loads((tiny / "test_24G_version.json").read_text())
    meta = json.loads((tiny / "synth_meta.json").read_text())
    assert len(train) == 4 * 3 * 3 and len(test) == 4 * 3  # places x views (x 3 captions for train)
    for r in train:
        place, name = r["image_id"].split("/")
        assert r["image"] == f"train/{r['image_id']}" and name.startswith("image-") and name.endswith(".jpeg")
        assert (tiny / "images" / r["image"]).is_file() and (tiny / "images/train" / place / f"{place}.jpg").is_file()
        assert isinstance(r["caption"], str)
        if r["sentences"] is not None:
            assert len(r["sentences"]) == len(r["bboxes"]) == 3 and r["sentences"][0] and r["bboxes"][0]
            for s, b in zip(r["sentences"], r["bboxes"]):
                assert (s is None) == (b is None)
        assert r["view"]["type"] == "drone" and r["objects"]
    for r in test:
        assert r["image"] == f"test/gallery_no_train/{r['image_id']}" and (tiny / "images" / r["image"]).is_file()
        assert isinstance(r["caption"], list) and len(r["caption"]) == 3
    assert small and all(r in test for r in small) and len(small) < len(test)
    train_ids = {r["image_id"][:4] for r in train}
    test_ids = {r["image_id"][:4] for r in test}
    assert not train_ids & test_ids and train_ids == set(meta["train_places"])
    gallery = json.loads((tiny / "gallery.json").read_text())["places"]
    assert {g["place_id"] for g in gallery} == test_ids
    for g in gallery:
        assert (tiny / g["image"]).is_file() and {"x", "y", "altitude"} <= set(g)
    assert any("mirror_of" in r for r in test) and any("mirror_of" in r for r in train)


def test_reader_round_trip(tiny):
    raw = json.loads((tiny / "train.json").read_text())
    recs = load_train(tiny / "train.json", tiny / "images")
    assert len(recs) == len(raw)
    for rec, r in zip(recs, raw):
        assert rec.image_id == r["image_id"] and rec.building_id == r["image_id"][:4]
        assert rec.caption == clean_caption(r["caption"], 30) and rec.image_path.is_file()
        assert rec.extras["view"] == r["view"] and rec.extras["objects"] == r["objects"]
        if r["bboxes"] is not None:
            assert [None if b is None else list(b) for b in rec.bboxes] == r["bboxes"]
    test = load_test(tiny / "test_24G_version.json", tiny / "images")
    assert all(len(t.captions) == 3 and "regions" in t.extras for t in test)


def test_cli_writes_dataset_and_preview(tmp_path, capsys):
    out, sheet = tmp_path / "d", tmp_path / "sheet.png"
    assert main(["synth", "--out", str(out), "--places", "2", "--test-places", "2", "--views", "2", "--size", "96",
                 "--seed", "4", "--preview", str(sheet), "--no-progress"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["train_images"] == 4 and summary["test_images"] == 4 and sheet.stat().st_size > 1000
    assert main(["check", "--root", str(out)]) == 0
    (out / "images/train/0000/image-01.jpeg").unlink()
    assert main(["check", "--root", str(out), "--split", "train"]) == 1
    assert "image-01.jpeg" in capsys.readouterr().err
