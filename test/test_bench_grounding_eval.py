"""bench/grounding_eval.py: the navigator's Grounder (config/nav.yaml settings) on the region sentences of a split,
splits side by side; counts and rates consistent, the settings the ones nav.yaml gives."""
import importlib.util
import json
from pathlib import Path

import pytest

from geotext_ros.nav.grounding import GroundingConfig
from geotext_ros.param_file import load_node_params
from test_train_tinydata import write_tiny_dataset

ROOT = Path(__file__).resolve().parents[1]


def _module():
    spec = importlib.util.spec_from_file_location("bench_grounding_eval", ROOT / "bench" / "grounding_eval.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_centre_inside():
    m = _module()
    assert m.centre_inside((0.52, 0.41, 0.1, 0.1), (0.55, 0.5, 0.1, 0.2))
    assert not m.centre_inside((0.7, 0.5, 0.1, 0.1), (0.55, 0.5, 0.1, 0.2))


def test_grounding_eval_two_splits(tiny_engine_dir, tmp_path, capsys):
    data = write_tiny_dataset(tmp_path / "data", n_train=1, n_test=2, views=2)
    out = tmp_path / "g.json"
    assert _module().main(["--data", str(data), "--ood", str(data), "--engine-dir", str(tiny_engine_dir),
                           "--out", str(out)]) == 0
    res = json.loads(out.read_text())
    assert list(res["splits"]) == ["in_distribution", "ood"]
    assert res["grounding"] == GroundingConfig.from_params(load_node_params("navigator")).__dict__
    r = res["splits"]["in_distribution"]
    assert r["n_images"] == 4 and r["n_regions"] == 8   # 2 region sentences per image in the tiny set
    assert 0 <= r["iou50_pct"] <= r["found_pct"] <= 100 and 0 <= r["centre_hit_pct"] <= r["found_pct"]
    # the grounder is deterministic: the same folder twice gives the same figures
    same = {k: v for k, v in res["splits"]["ood"].items() if k != "ms_per_sentence"}
    assert same == {k: v for k, v in r.items() if k != "ms_per_sentence"}
    assert "centre %" in capsys.readouterr().out


def test_grounding_eval_bad_split_is_one_line(tmp_path, capsys):
    assert _module().main(["--data", str(tmp_path / "missing")]) == 2
    assert "grounding_eval: error" in capsys.readouterr().err
