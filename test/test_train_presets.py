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
    # the open-world recipes train the same objective (issue 17's loss scale and spatial rule) on other data
    for name in ("open", "open_world"):
        assert load_preset(name)["losses"] == default["losses"], name
        assert load_preset(name)["spatial_loss"] == default["spatial_loss"], name
        assert load_preset(name)["train"]["corrupt"] > 0, name


@pytest.mark.parametrize("name", available_presets())
def test_preset_trains_and_loss_decreases(name, tiny_data, tmp_path):
    preset = json.loads((PRESET_DIR / f"{name}.json").read_text())
    assert preset["_command"].startswith("geotext-train ")
    if "momentum" in preset:  # queue = one batch, so the number of contrastive keys is fixed after step 1
        preset["momentum"]["queue_size"] = 8
    train = preset.setdefault("train", {})
    # the real-data recipes on the tiny config: no X-VLM weights, steps instead of epochs, and a warm-up that
    # fits 5 steps (their schedules are tested on their own below); no augmentation, so the batch stays fixed
    train.update(init_xvlm=False, epochs=0, augment="none")
    if train.get("warmup", 0) >= 1:
        train["warmup"] = 1
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


def test_real_data_recipes_carry_the_papers_settings():
    g, h = load_preset("geotext_real"), load_preset("hccm_real")
    for p in (g, h):
        t = p["train"]
        assert (t["model_config"], t["init_xvlm"], t["lr"], t["weight_decay"]) == ("xvlm-base", True, 3e-5, 0.01)
        assert t["augment"] == "photometric" and t["batch_size"] == 24
    assert g["train"]["betas"] == [0.9, 0.98] and g["train"]["head_lr_mult"] == 2.0
    assert (g["train"]["warmup"], g["train"]["epochs"]) == (0.1, 1)
    assert g["losses"] == {"itc": 1.0, "itm": 1.0, "grounding": 0.1, "spatial": 1.0}
    assert g["spatial_loss"] == {"label_rule": "geotext"} and g["eval"]["k_test"] == 256
    assert h["train"]["betas"] == [0.9, 0.999] and h["train"]["head_lr_mult"] == 1.0
    assert (h["train"]["warmup"], h["train"]["epochs"]) == (1000, 6)
    assert h["losses"] == {"itc": 0.25, "itm": 1.0, "rg_itc": 0.25, "rg_itm": 0.5, "grounding": 0.1}
    assert h["momentum"]["queue_size"] == 57600 and h["momentum"]["distill"] and h["eval"]["k_test"] == 128
    assert load_preset("hccm")["eval"]["k_test"] == 128 and load_preset("geotext")["eval"]["k_test"] == 256


def test_real_recipe_without_the_xvlm_checkpoint_names_the_flag(tiny_data, tmp_path, capsys):
    rc = main(["--data", str(tiny_data), "--preset", "geotext_real", "--out", str(tmp_path / "run")])
    assert rc == 2
    assert "--init-xvlm" in capsys.readouterr().err


def test_bad_recipe_settings_are_rejected(tmp_path):
    for train, match in (({"betas": [0.9]}, "betas"), ({"head_lr_mult": 0}, "head_lr_mult"),
                         ({"augment": "flip"}, "augment")):
        path = tmp_path / "p.json"
        path.write_text(json.dumps({"losses": {"itc": 1.0}, "train": train}))
        with pytest.raises(ValueError, match=match):
            load_preset(str(path))
    path.write_text(json.dumps({"losses": {"itc": 1.0}, "eval": {"k": 3}}))
    with pytest.raises(ValueError, match="eval"):
        load_preset(str(path))


def test_warmup_schedules_of_the_recipes():
    from training.train_state import lr_at

    # HCCM: 1,000 warm-up iterations, then linear decay to 0 at the end
    assert lr_at(0, 5000, 3e-5, 1000) == pytest.approx(3e-5 / 1000)
    assert lr_at(999, 5000, 3e-5, 1000) == pytest.approx(3e-5)
    assert lr_at(3000, 5000, 3e-5, 1000) == pytest.approx(3e-5 * 0.5)
    # GeoText: 10 % of the steps
    assert lr_at(99, 1000, 3e-5, 0.1) == pytest.approx(3e-5)
    assert lr_at(550, 1000, 3e-5, 0.1) == pytest.approx(3e-5 * 0.5)


def test_new_heads_learn_at_twice_the_rate_with_the_recipes_betas(tiny_data, tmp_path):
    """A real optimizer step: the head groups' lr is 2x the encoders' and AdamW runs with betas (0.9, 0.98)."""
    from training.train import NEW_HEADS, Trainer, parse_args

    preset = load_preset("geotext_real")
    raw = {"losses": preset["losses"], "spatial_loss": preset["spatial_loss"],
           "train": {**preset["train"], "init_xvlm": False, "epochs": 0, "model_config": "tiny"}}
    path = tmp_path / "g.json"
    path.write_text(json.dumps(raw))
    trainer = Trainer(parse_args(["--data", str(tiny_data), "--preset", str(path), "--out", str(tmp_path / "r"),
                                  "--steps", "4", "--batch-size", "4", "--limit", "4"]))
    trainer.train_step()
    lrs = {}
    names = {id(p): n for n, p in trainer.model.named_parameters()}
    for group in trainer.optimizer.param_groups:
        assert group["betas"] == (0.9, 0.98)
        for p in group["params"]:
            lrs[names[id(p)]] = group["lr"]
    base = lrs["temp"]
    assert base > 0
    for name, lr in lrs.items():
        assert lr == pytest.approx(2 * base if name.startswith(NEW_HEADS) else base), name
    assert any(n.startswith("relation_mlp.") for n in lrs)
