"""Checkpoint + resume gives bit-for-bit the same run: 4 steps straight vs 2 steps, resume, 2 more steps.

Uses the `default` preset (every term, momentum model, queues, momentum distillation, random hard negatives
and random box subsets) with gradient accumulation over an epoch boundary, so every piece of resumable state
(weights, optimizer, queues, momentum model, RNG, data position) has to round-trip."""
import json

import pytest
import torch

from geotext_ros.model.factory import load_checkpoint
from test_train_tinydata import write_tiny_dataset
from training.train import main

torch.set_num_threads(1)


def _args(data, out, *extra):
    return ["--data", str(data), "--preset", "default", "--model-config", "tiny", "--out", str(out),
            "--steps", "4", "--batch-size", "4", "--grad-accum", "2", "--limit", "12", "--lr", "3e-4",
            "--log-every", "1", "--no-plot", *extra]


def test_resume_is_bit_identical(tmp_path):
    data = write_tiny_dataset(tmp_path / "data", n_train=2, n_test=2, views=2)
    assert main(_args(data, tmp_path / "a", "--save-every", "2")) == 0
    mid = tmp_path / "a" / "checkpoint_step000002.pt"
    assert main(_args(data, tmp_path / "b", "--resume", str(mid))) == 0
    a, b = load_checkpoint(tmp_path / "a" / "last.pt"), load_checkpoint(tmp_path / "b" / "last.pt")
    assert a.meta["step"] == b.meta["step"] == 4
    sa, sb = a.model.state_dict(), b.model.state_dict()
    assert sa.keys() == sb.keys()
    for k in sa:
        assert torch.equal(sa[k], sb[k]), f"parameter {k} differs after resume"
    oa, ob = a.meta["extra"]["objective"], b.meta["extra"]["objective"]
    for k in oa:
        assert torch.equal(oa[k], ob[k]), f"objective state {k} (momentum model / queue) differs"
    rows_a = [json.loads(x) for x in (tmp_path / "a" / "metrics.jsonl").read_text().splitlines()]
    rows_b = [json.loads(x) for x in (tmp_path / "b" / "metrics.jsonl").read_text().splitlines()]
    assert [r["loss"] for r in rows_a[2:]] == [r["loss"] for r in rows_b]
    # the resumed run did not silently restart: its first logged step is 3
    assert rows_b[0]["step"] == 3
    # and the step-2 checkpoint really differs from the end (training moved the weights)
    mid_sd = load_checkpoint(mid).model.state_dict()
    assert any(not torch.equal(mid_sd[k], sa[k]) for k in sa)


def test_init_fine_tunes_from_a_checkpoints_weights(tmp_path):
    """--init starts a new run (step 1, its own preset) from another run's model and vocabulary: at learning rate
    0 it ends with exactly the weights it started from, so the weights really came from the checkpoint."""
    data = write_tiny_dataset(tmp_path / "data", n_train=2, n_test=2, views=2)
    assert main(_args(data, tmp_path / "a")) == 0
    start = tmp_path / "a" / "last.pt"
    ft = ["--data", str(data), "--preset", "finetune_dense", "--init", str(start), "--out", str(tmp_path / "b"),
          "--steps", "2", "--batch-size", "4", "--limit", "12", "--log-every", "1", "--no-plot"]
    assert main(ft + ["--lr", "0"]) == 0
    a, b = load_checkpoint(start), load_checkpoint(tmp_path / "b" / "last.pt")
    assert b.meta["step"] == 2 and b.meta["train_config"]["preset"]["name"] == "finetune_dense"
    assert b.tokenizer.vocab == a.tokenizer.vocab
    sa, sb = a.model.state_dict(), b.model.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    rows = [json.loads(x) for x in (tmp_path / "b" / "metrics.jsonl").read_text().splitlines()]
    assert rows[0]["step"] == 1 and "dense" in rows[0]
    assert main(ft + ["--out", str(tmp_path / "c"), "--lr", "1e-3"]) == 0      # and it does train
    sc = load_checkpoint(tmp_path / "c" / "last.pt").model.state_dict()
    assert any(not torch.equal(sa[k], sc[k]) for k in sa)


def test_init_and_resume_together_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        main(["--data", str(tmp_path), "--out", str(tmp_path / "x"), "--init", "a.pt", "--resume", "b.pt"])
    assert e.value.code == 2
    assert "--resume, --init: each says where the model starts" in capsys.readouterr().err


def test_init_at_another_image_size_fine_tunes_a_bigger_grid(tmp_path):
    """--image-size resamples the start model's position table; the run trains and saves a model whose config,
    transform and dense grid have the new size, so export and the navigator need nothing else."""
    data = write_tiny_dataset(tmp_path / "data", n_train=2, n_test=2, views=2)
    assert main(_args(data, tmp_path / "a")) == 0
    ft = ["--data", str(data), "--preset", "finetune_hires", "--init", str(tmp_path / "a" / "last.pt"),
          "--image-size", "160", "--out", str(tmp_path / "b"), "--steps", "2", "--batch-size", "4", "--limit", "12",
          "--log-every", "1", "--no-plot"]
    assert main(ft) == 0
    b = load_checkpoint(tmp_path / "b" / "last.pt")
    assert b.config.vision.image_size == 160 and b.config.vision.grid == 10 and b.transform.size == 160
    rows = [json.loads(x) for x in (tmp_path / "b" / "metrics.jsonl").read_text().splitlines()]
    assert len(rows) == 2 and all(torch.isfinite(torch.tensor(r["dense"])) for r in rows)


def test_image_size_without_init_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        main(["--data", str(tmp_path), "--out", str(tmp_path / "x"), "--image-size", "192"])
    assert e.value.code == 2 and "--image-size" in capsys.readouterr().err


def test_image_size_that_does_not_fit_the_patches_is_one_line(tmp_path, capsys):
    data = write_tiny_dataset(tmp_path / "data", n_train=2, n_test=2, views=2)
    assert main(_args(data, tmp_path / "a")) == 0
    code = main(["--data", str(data), "--preset", "finetune_hires", "--init", str(tmp_path / "a" / "last.pt"),
                 "--image-size", "150", "--out", str(tmp_path / "b"), "--steps", "1", "--no-plot"])
    assert code != 0 and "multiple of the patch size" in capsys.readouterr().err
