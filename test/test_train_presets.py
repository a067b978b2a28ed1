"""Every preset trains on the tiny config: a short geotext-train run on one fixed batch of 8 samples at a high
learning rate must give finite named loss terms and a lower total loss at the end than at the start."""
import json
import math

import pytest
import torch

from test_train_tinydata import write_tiny_dataset
from training.presets import PRESET_DIR, available_presets, load_preset
from training.train import main

torch.set_num_threads(1)  # 2 shared cores: one thread per test process avoids oversubscription
STEPS = 5


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    return write_tiny_dataset(tmp_path_factory.mktemp("data"), n_train=2, n_test=2, views=2)


def test_all_required_presets_exist():
    names = set(available_presets())
    assert {"baseline", "geotext", "hccm", "default", "ablate_grounding", "ablate_spatial", "ablate_mc",
            "ablate_md", "ablate_rg_itc", "ablate_rg_itm"} <= names
    hccm = load_preset("hccm")
    assert hccm["losses"] == {"itc": 0.25, "itm": 1.0, "rg_itc": 0.25, "rg_itm": 0.5, "grounding": 0.1}
    assert hccm["momentum"]["alpha"] == 0.4 and hccm["momentum"]["momentum"] == 0.995
    assert hccm["momentum"]["queue_size"] == 57600
    geotext = load_preset("geotext")
    assert geotext["losses"] == {"itc": 1.0, "itm": 1.0, "grounding": 0.1, "spatial": 1.0}  # GeoText's weights
    assert geotext["spatial_loss"] == {"label_rule": "geotext"}
    # the embedded model's presets keep the navigator's rule and the ITC strength they were trained with
    default = load_preset("default")
    assert default["spatial_loss"] == {"label_rule": "navigator"}
    assert default["losses"]["itc"] == 0.5 and default["losses"]["rg_itc"] == 0.125


@pytest.mark.parametrize("name", available_presets())
def test_preset_trains_and_loss_decreases(name, tiny_data, tmp_path):
    preset = json.loads((PRESET_DIR / f"{name}.json").read_text())
    assert preset["_command"].startswith("geotext-train ")
    if "momentum" in preset:  # queue = one batch, so the number of contrastive keys is fixed after step 1
        preset["momentum"]["queue_size"] = 8
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(preset))
    run = tmp_path / "run"
    rc = main(["--data", str(tiny_data), "--preset", str(path), "--model-config", "tiny", "--out", str(run),
               "--steps", str(STEPS), "--batch-size", "8", "--limit", "8", "--lr", "5e-4", "--log-every", "1",
               "--no-plot"])
    assert rc == 0
    rows = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == list(range(1, STEPS + 1))
    enabled = {k for k, v in preset["losses"].items() if v > 0}
    named = {("grounding" if k.startswith("grounding_") else k) for k in rows[0]} - {"loss", "lr", "step",
                                                                                     "step_time_s", "temp"}
    assert named == enabled
    assert all(math.isfinite(v) for r in rows for v in r.values())
    first = rows[1]["loss"] if "momentum" in preset else rows[0]["loss"]
    assert rows[-1]["loss"] < first, [r["loss"] for r in rows]
    assert (run / "last.pt").exists()
