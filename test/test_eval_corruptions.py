"""Corruption benchmark and side-by-side splits: the corruptions themselves (deterministic, shape-preserving,
worse with severity), the kept-fraction arithmetic, and geotext-eval end to end with --ood, --eval-split and
--corruptions on a tiny trained checkpoint."""
import json

import numpy as np
import pytest
import torch

from test_train_tinydata import write_tiny_dataset
from training.data.benchmark_corruptions import CORRUPTIONS, SEVERITIES, corrupt
from training.evaluate import corruption_summary, main as eval_main, parse_split_specs
from training.train import main as train_main

torch.set_num_threads(1)


def _scene(seed=0, h=96, w=128):
    rng = np.random.default_rng(seed)
    img = np.zeros((h, w, 3), np.uint8)
    img[:] = (90, 140, 70)
    for _ in range(6):   # flat rectangles with sharp edges: blur and JPEG must visibly change them
        y, x = rng.integers(0, h - 20), rng.integers(0, w - 20)
        img[y:y + 20, x:x + 20] = rng.integers(0, 256, 3)
    return img


@pytest.mark.parametrize("name", sorted(CORRUPTIONS))
def test_corruption_is_deterministic_and_worse_with_severity(name):
    img = _scene()
    errors = []
    for s in SEVERITIES:
        a, b = corrupt(img, name, s, seed=3), corrupt(img, name, s, seed=3)
        assert a.dtype == np.uint8 and a.shape == img.shape
        np.testing.assert_array_equal(a, b)
        errors.append(float(np.abs(a.astype(np.float32) - img).mean()))
    assert errors[0] > 0.3, f"{name} severity 1 barely changes the image ({errors[0]:.2f})"
    assert errors[0] < errors[1] < errors[2], f"{name}: mean abs error {errors} does not grow with severity"
    assert np.array_equal(img, _scene()), "corrupt must not modify its input"


def test_seed_changes_random_corruptions_only():
    img = _scene()
    assert not np.array_equal(corrupt(img, "gaussian_noise", 2, seed=1), corrupt(img, "gaussian_noise", 2, seed=2))
    np.testing.assert_array_equal(corrupt(img, "jpeg", 2, seed=1), corrupt(img, "jpeg", 2, seed=2))


def test_bad_arguments_name_the_value():
    img = _scene()
    with pytest.raises(ValueError, match="snow"):
        corrupt(img, "snow", 1)
    with pytest.raises(ValueError, match="severity"):
        corrupt(img, "fog", 4)
    with pytest.raises(ValueError, match="uint8"):
        corrupt(img.astype(np.float32), "fog", 1)


def test_corruption_summary_means():
    per = {"fog": {"1": {"t2i": 40.0, "i2t": 30.0}, "2": {"t2i": 20.0, "i2t": 15.0}}}
    s = corruption_summary({"t2i": 40.0, "i2t": 60.0}, per)
    assert s["per"]["fog"]["1"]["t2i_kept"] == 1.0 and s["per"]["fog"]["2"]["i2t_kept"] == 0.25
    assert s["mean_kept_t2i"] == pytest.approx(0.75) and s["mean_kept_i2t"] == pytest.approx(0.375)
    assert s["mean_kept"] == pytest.approx(0.5625)
    assert corruption_summary({"t2i": 0.0, "i2t": 0.0}, {"fog": {"1": {"t2i": 0.0, "i2t": 0.0}}})["mean_kept"] is None


def test_split_specs():
    out = parse_split_specs("a", "b", ["words=c"])
    assert list(out) == ["in_distribution", "ood", "words"]
    with pytest.raises(ValueError, match="NAME=DIR"):
        parse_split_specs("a", None, ["nodir"])
    with pytest.raises(ValueError, match="twice"):
        parse_split_specs("a", "b", ["ood=c"])


def test_eval_splits_side_by_side_and_corruptions(tmp_path, capsys):
    data = write_tiny_dataset(tmp_path / "data", n_train=2, n_test=4, views=2)
    assert train_main(["--data", str(data), "--preset", "geotext", "--model-config", "tiny",
                       "--out", str(tmp_path / "run"), "--steps", "2", "--batch-size", "8", "--no-plot"]) == 0
    out = tmp_path / "eval.json"
    assert eval_main(["--ckpt", str(tmp_path / "run" / "last.pt"), "--data", str(data), "--ood", str(data),
                      "--eval-split", f"again={data}", "--k-test", "0", "--corruptions", "--batch-size", "8",
                      "--out", str(out)]) == 0
    res = json.loads(out.read_text())
    assert list(res["splits"]) == ["in_distribution", "ood", "again"]
    # the same folder three times: the same figures, and the top level is the first split's report
    first = res["splits"]["in_distribution"]["retrieval"]
    assert res["splits"]["ood"]["retrieval"] == first == res["retrieval"]
    c = res["corruption"]
    assert set(c["per"]) == set(CORRUPTIONS) and all(set(v) == {"1", "2", "3"} for v in c["per"].values())
    assert c["clean_r1"]["t2i"] == res["retrieval"]["final"]["t2i"]["r1"]
    for cells in c["per"].values():
        for cell in cells.values():
            assert 0 <= cell["t2i"] <= 100 and 0 <= cell["i2t"] <= 100
    assert c["mean_kept"] is None or c["mean_kept"] >= 0
    table = capsys.readouterr().out
    assert "in_distribution" in table and "mean fraction of clean R@1 kept" in table
    assert eval_main(["--ckpt", str(tmp_path / "run" / "last.pt"), "--data", str(data),
                      "--eval-split", "broken"]) == 2
