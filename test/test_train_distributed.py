"""Distributed training, tested with real processes: `torchrun --nproc_per_node 2` on CPU (gloo).

1. Same losses as one process at the same global batch. Two ranks with 2 captions each see, step for step, the
   same 4 captions as one process with batch 4 (the DistributedSampler order dealt out to ranks), so with the
   contrastive keys all-gathered (ITC and RG-ITC score each rank's queries against all 4 keys), gradients
   averaged and each logged term averaged over the ranks, every term of every step must match the single
   process to float rounding: tolerance 1e-5 relative (measured: at most 5.3e-7). Without the all-gather, step 1's
   ITC would be over 2 keys instead of 4 and differ by far more. The preset keeps the terms whose value does not
   depend on a random draw and whose per-rank shares are equal (ITC, RG-ITC, grounding, spatial, dense); ITM
   and RG-ITM draw hard negatives from each rank's own batch with its own RNG, which one process cannot repeat.
2. Resume under DDP is bit-exact: the `default` preset (random hard negatives included) over an epoch
   boundary, 4 steps straight vs 2 steps + resume + 2 steps, both on 2 ranks: identical weights, objective
   state and logged losses (each rank's RNG is saved and restored). Half of the captions have no region
   sentences, so in step 3 one rank has no grounding / region terms and no gradient for the box head while the
   other has: the gradient all-reduce must still pair up (it used to reduce only the parameters with a
   gradient, so the ranks' collectives no longer matched).
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from geotext_ros.model.factory import load_checkpoint
from test_train_tinydata import write_tiny_dataset
from training.train import main as train_main
from training.train_data import micro_batch

ROOT = Path(__file__).resolve().parents[1]
REL_TOL = 1e-5
PRESET = {"name": "ddp_check", "losses": {"itc": 1.0, "rg_itc": 0.25, "grounding": 0.1, "spatial": 0.1,
                                          "dense": 0.1},
          "momentum": {"enabled": False}, "train": {"lr": 3e-4, "warmup": 0}}
torch.set_num_threads(1)


def _torchrun(args: list[str], log: Path) -> None:
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=os.pathsep.join(
        [str(ROOT)] + ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else [])))
    if "GLOO_SOCKET_IFNAME" not in env and Path("/sys/class/net/lo").exists():
        env["GLOO_SOCKET_IFNAME"] = "lo"   # both ranks are local: do not depend on the host's network setup
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           "-m", "training.train", *args]
    with open(log, "w") as f:
        proc = subprocess.run(cmd, cwd=ROOT, env=env, stdout=f, stderr=subprocess.STDOUT, timeout=300)
    assert proc.returncode == 0, f"torchrun failed ({proc.returncode}):\n{log.read_text()[-3000:]}"


def _rows(run: Path) -> list[dict]:
    return [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return write_tiny_dataset(tmp_path_factory.mktemp("ddp") / "data", n_train=2, n_test=2, views=2)


def _common(data: Path, out: Path, preset: str, steps: int, batch: int) -> list[str]:
    return ["--data", str(data), "--preset", preset, "--model-config", "tiny", "--out", str(out),
            "--steps", str(steps), "--batch-size", str(batch), "--limit", "12", "--log-every", "1", "--no-plot"]


def test_two_ranks_give_the_single_process_losses(data, tmp_path):
    preset = tmp_path / "ddp_check.json"
    preset.write_text(json.dumps(PRESET))
    assert train_main(_common(data, tmp_path / "one", str(preset), 4, 4)) == 0
    _torchrun(_common(data, tmp_path / "two", str(preset), 4, 2), tmp_path / "two.log")
    one, two = _rows(tmp_path / "one"), _rows(tmp_path / "two")
    assert [r["step"] for r in one] == [r["step"] for r in two] == [1, 2, 3, 4]
    terms = ("itc", "rg_itc", "grounding_l1", "grounding_giou", "spatial", "dense", "loss")
    for a, b in zip(one, two):
        for k in terms:
            assert b[k] == pytest.approx(a[k], rel=REL_TOL), f"step {a['step']} {k}: one {a[k]} two ranks {b[k]}"
    # training moved: later losses differ from the first, so steps 2-4 test the averaged gradients too
    assert abs(one[-1]["loss"] - one[0]["loss"]) > 1e-3
    assert json.loads((tmp_path / "two" / "train_config.json").read_text())["world_size"] == 2


@pytest.fixture(scope="module")
def data_half_regions(data, tmp_path_factory):
    """The tiny set with place 0001's captions stripped of region sentences and boxes."""
    root = tmp_path_factory.mktemp("ddp_half") / "data"
    root.mkdir()
    (root / "images").symlink_to(data / "images")
    train = json.loads((data / "train.json").read_text())
    for r in train:
        if r["image_id"].startswith("0001/"):
            r.pop("sentences"), r.pop("bboxes")
    (root / "train.json").write_text(json.dumps(train))
    (root / "test_951_version.json").write_text((data / "test_951_version.json").read_text())
    # step 3 (micro-batch 2): rank 0 draws only region-less captions, rank 1 does not (seed 42, 12 captions)
    no_region = [r["image_id"].startswith("0001/") for r in train[:12]]
    step3 = [micro_batch(12, 2, 2, 42, rank, 2)[0] for rank in range(2)]
    assert [all(no_region[i] for i in part) for part in step3] == [True, False]
    return root


def test_resume_under_ddp_is_bit_exact(data_half_regions, tmp_path):
    data = data_half_regions
    args = ["--lr", "3e-4"]
    _torchrun(_common(data, tmp_path / "a", "default", 4, 2) + args + ["--save-every", "2"], tmp_path / "a.log")
    mid = tmp_path / "a" / "checkpoint_step000002.pt"
    assert len(load_checkpoint(mid).meta["extra"]["rng"]) == 2        # one RNG state per rank
    _torchrun(_common(data, tmp_path / "b", "default", 4, 2) + args + ["--resume", str(mid)], tmp_path / "b.log")
    a, b = load_checkpoint(tmp_path / "a" / "last.pt"), load_checkpoint(tmp_path / "b" / "last.pt")
    assert a.meta["step"] == b.meta["step"] == 4
    sa, sb = a.model.state_dict(), b.model.state_dict()
    for k in sa:
        assert torch.equal(sa[k], sb[k]), f"parameter {k} differs after a DDP resume"
    oa, ob = a.meta["extra"]["objective"], b.meta["extra"]["objective"]
    for k in oa:
        assert torch.equal(oa[k], ob[k]), f"objective state {k} differs after a DDP resume"
    rows_a, rows_b = _rows(tmp_path / "a"), _rows(tmp_path / "b")
    assert rows_b[0]["step"] == 3 and "itm" in rows_b[0] and "grounding_l1" in rows_b[0]
    assert [r["loss"] for r in rows_a[2:]] == [r["loss"] for r in rows_b]
    mid_sd = load_checkpoint(mid).model.state_dict()
    assert any(not torch.equal(mid_sd[k], sa[k]) for k in sa)         # the last two steps did train
