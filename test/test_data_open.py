"""Open-world data (issue 18): the OOD split, the held-out appearance family and wording, train-time corruptions."""
import json
import re
from pathlib import Path

import numpy as np
import pytest

from geotext_ros.sim import vocab, vocab_ood
from geotext_ros.sim.appearance import FAMILIES
from geotext_ros.sim.instructions import PLAIN_TEMPLATES, TEMPLATES
from training.data import load_test, write_dataset
from training.data.cli import main
from training.data.train_corruptions import CORRUPTIONS, TrainCorruptions, corrupt
from training.data.synth import resolve_config


@pytest.fixture(scope="module")
def open_tiny(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("open") / "d"
    write_dataset(out, preset="open_tiny", seed=3, views=4)
    return out


def test_ood_split_holds_the_heldout_family_and_wording_only(open_tiny):
    train = json.loads((open_tiny / "train.json").read_text())
    test = json.loads((open_tiny / "test_951_version.json").read_text())
    ood = json.loads((open_tiny / "ood/test_951_version.json").read_text())
    held = resolve_config("open_tiny").holdout_family
    assert held == "overcast"
    in_dist = {r.get("appearance", "classic") for r in train + test}
    assert held not in in_dist and len(in_dist) >= 4, in_dist  # several families, never the held-out one
    assert {r["appearance"] for r in ood} == {held}
    places = [{r["image_id"][:4] for r in recs} for recs in (train, test, ood)]
    assert all(places) and not (places[0] & places[1] or places[0] & places[2] or places[1] & places[2])
    assert sorted(places[2]) == json.loads((open_tiny / "synth_meta.json").read_text())["ood_places"]
    assert any("pitch_deg" in r["view"] for r in train) and any("pitch_deg" in r["view"] for r in ood)
    # train-only words never reach the OOD captions: every train position phrase says "image", OOD ones do not
    ood_text = " ".join(c for r in ood for c in r["caption"]) + " " + " ".join(
        s for r in ood for reg in r["regions"] for s in reg["sentences"] or [] if s)
    assert " image" not in ood_text and re.search(r"\b(frame|shot)\b", ood_text)
    train_text = " ".join(r["caption"] for r in train)
    assert " image" in train_text and " frame" not in train_text


def test_ood_split_reads_as_a_geotext1652_test_folder(open_tiny):
    recs = load_test(open_tiny / "ood/test_951_version.json", open_tiny / "ood/images")
    assert recs and all(len(r.captions) == 3 and r.image_path.is_file() for r in recs)
    gallery = json.loads((open_tiny / "ood/gallery.json").read_text())["places"]
    assert {g["place_id"] for g in gallery} == {r.building_id for r in recs}
    assert main(["check", "--root", str(open_tiny / "ood"), "--split", "test"]) == 0
    assert main(["check", "--root", str(open_tiny / "ood"), "--split", "test24g"]) == 0


def test_heldout_family_can_never_make_train_data(tmp_path, capsys):
    with pytest.raises(ValueError, match="held-out"):
        resolve_config("open_tiny", families=("flat", "overcast"))
    assert "photo" not in resolve_config("open_tiny", holdout_family="photo").train_families()
    for name in FAMILIES:   # any family can be the held-out one; "all" then leaves exactly it out
        names = resolve_config("open_tiny", holdout_family=name).train_families()
        assert name not in names and len(names) == len(FAMILIES)
    assert main(["synth", "--out", str(tmp_path / "x"), "--preset", "open_tiny", "--families", "flat,overcast",
                 "--no-progress"]) == 2
    assert "held-out" in capsys.readouterr().err
    with pytest.raises(ValueError, match="ood_wording"):
        resolve_config("open_tiny", ood_wording="train")


def test_cli_flags_pick_families_and_the_ood_split(tmp_path, capsys):
    out = tmp_path / "d"
    assert main(["synth", "--out", str(out), "--preset", "tiny", "--places", "2", "--test-places", "2", "--views", "2",
                 "--size", "64", "--families", "flat,haze", "--holdout-family", "noon", "--ood-places", "2",
                 "--ood-wording", "heldout", "--no-progress"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["ood_places"] == 2 and summary["ood_images"] == 4
    train = json.loads((out / "train.json").read_text())
    assert {r["appearance"] for r in train} <= {"flat", "haze"}
    assert {r["appearance"] for r in json.loads((out / "ood/test_951_version.json").read_text())} == {"noon"}


def test_classic_presets_write_no_ood_split_and_no_appearance_keys(tmp_path):
    write_dataset(tmp_path / "c", preset="tiny", places=2, test_places=2, views=2, size=64)
    assert not (tmp_path / "c/ood").exists()
    recs = json.loads((tmp_path / "c/train.json").read_text())
    assert all("appearance" not in r and "pitch_deg" not in r["view"] for r in recs)


def test_ood_wording_is_written_apart_from_train():
    tables = (vocab.NOUNS, vocab.BUILDING_SHAPES, vocab.RELATION_PHRASES, vocab.POSITION_PHRASES)
    shared_ok = {"tree", "l-shaped"}   # scenery noun never described; the one shape word English has
    for table in tables:
        train = {p for w in table.values() for p in w["train"]}
        ood = {p for w in table.values() for p in w["ood"]}
        assert not (train & ood) - shared_ok, train & ood
    for table in (vocab.MAIN_TEMPLATES, vocab.MAIN_RELATION_SUFFIX, vocab.SIDE_TEMPLATES, vocab.OPENERS,
                  vocab.INVENTORY_LEADS, vocab.SCENE_LEADS, vocab.LARGEST):
        assert table["ood"] and not set(table["ood"]) & set(table["train"])
    assert TEMPLATES["ood"] == vocab_ood.INSTRUCTIONS and not set(TEMPLATES["ood"]) & set(TEMPLATES["train"])
    assert not set(PLAIN_TEMPLATES["ood"]) & set(PLAIN_TEMPLATES["train"])


@pytest.fixture(scope="module")
def image():
    rng = np.random.default_rng(0)
    x = np.zeros((96, 96, 3), np.uint8)
    x[:, :] = (90, 130, 60)
    x[20:60, 30:70] = (176, 54, 46)
    return np.clip(x + rng.normal(0, 3, x.shape), 0, 255).astype(np.uint8)


@pytest.mark.parametrize("name", CORRUPTIONS)
def test_corruptions_grow_with_severity_and_keep_the_frame(name, image):
    d = []
    for sev in (1, 2, 3):
        a = corrupt(image, name, sev, np.random.default_rng(1))
        assert a.shape == image.shape and a.dtype == np.uint8
        assert np.array_equal(a, corrupt(image, name, sev, np.random.default_rng(1)))
        d.append(np.abs(a.astype(float) - image).mean())
    assert 0 < d[0] < d[1] < d[2], d
    # no pixel moves: the red block stays where it was (its centre is still the reddest place)
    a = corrupt(image, name, 3, np.random.default_rng(1)).astype(float)
    red = a[..., 0] - a[..., 1]
    assert red[25:55, 35:65].mean() > red[70:, :].mean() + 40


def test_train_corruptions_switch(image):
    off, on = TrainCorruptions(p=0.0), TrainCorruptions(p=1.0, max_severity=3)
    rng = np.random.default_rng(0)
    assert off(image, rng) is image
    assert all(not np.array_equal(on(image, rng), image) for _ in range(10))
    with pytest.raises(ValueError, match="unknown corruptions"):
        TrainCorruptions(p=0.5, kinds=("rain",))
    with pytest.raises(ValueError, match="severity"):
        corrupt(image, "fog", 4, rng)


def test_train_samples_apply_the_preset_corruptions(open_tiny):
    from geotext_ros.model.preprocess import ImageTransform
    from training.presets import load_preset
    from training.train_data import TrainSamples, read_train_records

    assert load_preset("open")["train"]["corrupt"] > 0 and load_preset("default")["train"]["corrupt"] == 0
    recs = read_train_records(open_tiny)[:6]
    tf = ImageTransform(64, (0.5, 0.5, 0.5), (0.25, 0.25, 0.25), interpolation="bilinear")
    plain = TrainSamples(recs, tf, True)
    noisy = TrainSamples(recs, tf, True, TrainCorruptions(p=1.0), seed=1)
    again = TrainSamples(recs, tf, True, TrainCorruptions(p=1.0), seed=1)
    for i in range(len(recs)):
        assert not np.allclose(plain[i]["pixels"], noisy[i]["pixels"])
        assert np.array_equal(noisy[i]["pixels"], again[i]["pixels"])   # resumable: same record, same corruption


def test_streamed_test_set_streams_an_ood_look_and_wording():
    from training.data.synth import StreamedTestSet
    plain = StreamedTestSet(4, 12, 2, 64)
    ood = StreamedTestSet(4, 12, 2, 64, families=("overcast",), wording="ood")
    assert plain.image_buildings == ood.image_buildings
    assert not np.array_equal(plain.image(0), ood.image(0))
    assert " image" in " ".join(plain.texts()) and " image" not in " ".join(ood.texts())
