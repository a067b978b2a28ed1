"""geotext-dense-head: retrains only the dense head on frozen features, copies every other weight, holds out whole
images, and fails with one line on data without object boxes or a model without a dense head."""
import json

import numpy as np
import pytest
import torch

from test_train_tinydata import write_tiny_dataset
from training.dense_head import HEAD_PARAMS, build_queries, image_queries, main, split_rows


def _checkpoint(path, dense_head=True):
    from geotext_ros.model.config import ModelConfig, load_config
    from geotext_ros.model.factory import create_model, save_checkpoint
    from geotext_ros.model.tokenizer import WordPieceTokenizer

    torch.manual_seed(0)
    cfg = load_config("tiny").to_dict()
    cfg["dense_head"] = dense_head
    cfg = ModelConfig.from_dict(cfg)
    tok = WordPieceTokenizer.build_vocab(["the red yellow green blue building pool area roof"], min_freq=1,
                                         max_len=cfg.max_text_len)
    model, transform, tok = create_model(cfg, tokenizer=tok, load_pretrained=False)
    return save_checkpoint(path, model, tok, transform, train_config={"preset": {"name": "test"}}, step=7)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("dense_head")
    return write_tiny_dataset(root / "data", n_train=6), _checkpoint(root / "init.pt")


def test_only_the_head_changes_and_the_loss_falls(tiny, tmp_path, capsys):
    from geotext_ros.model.factory import load_checkpoint

    data, init = tiny
    out = tmp_path / "run" / "last.pt"
    assert main(["--init", str(init), "--data", str(data), "--out", str(out), "--epochs", "4", "--lr", "0.05",
                 "--batch-size", "8", "--val-fraction", "0.2"]) == 0
    assert "held-out dense loss" in capsys.readouterr().out
    before, after = load_checkpoint(init), load_checkpoint(out)
    old, new = before.model.state_dict(), after.model.state_dict()
    assert set(old) == set(new)
    changed = {k for k in old if not torch.equal(old[k], new[k])}
    assert changed and changed <= set(HEAD_PARAMS), changed
    assert after.meta["step"] == 7 and after.meta["train_config"]["preset"] == {"name": "test"}
    summary = after.meta["train_config"]["dense_head"]
    assert summary["images"] == 12 and summary["val_dense_after"] < summary["val_dense_before"]
    rows = [json.loads(line) for line in (out.parent / "dense_head_metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [0, 1, 2, 3, 4] and rows[-1]["dense"] < rows[0]["dense"]
    assert (out.parent / "dense_head_metrics.png").stat().st_size > 0


def test_held_out_rows_are_whole_images():
    per_image = [[("red building", [[0.3, 0.3, 0.2, 0.2]]), ("blue pool", [[0.7, 0.7, 0.1, 0.1]])]] * 10
    q, phrases = build_queries(per_image)
    assert phrases == ["blue pool", "red building"] and len(q) == 20
    train, val = split_rows(q, 10, 0.3, seed=1)
    assert len(val) == 6 and len(train) == 14
    assert not set(q.image[train].tolist()) & set(q.image[val].tolist())


def test_reworded_queries_keep_the_boxes():
    objects = [{"kind": "building", "color": "red", "phrase": "red square building", "bbox": [0.5, 0.5, 0.2, 0.2]},
               {"kind": "building", "color": "red", "phrase": "red square building", "bbox": [0.2, 0.2, 0.1, 0.1]}]
    queries = image_queries(objects, np.random.default_rng(0), rewording=True)
    assert queries[0] == ("red square building", [[0.5, 0.5, 0.2, 0.2], [0.2, 0.2, 0.1, 0.1]])
    assert len(queries) == 2 and queries[1][0] != queries[0][0] and queries[1][1] == queries[0][1]
    assert image_queries(objects, np.random.default_rng(0), rewording=False) == queries[:1]


def test_hard_negative_query_has_an_empty_target():
    objects = [{"kind": "building", "color": "red", "phrase": "red square building", "bbox": [0.5, 0.5, 0.2, 0.2]}]
    queries = image_queries(objects, np.random.default_rng(0), rewording=False, negatives=1.0)
    assert len(queries) == 2 and queries[1][1] == [] and "red" in queries[1][0] and "building" not in queries[1][0]
    q, phrases = build_queries([queries])
    assert q.mask[0].sum() == 1 and q.mask[1].sum() == 0 and phrases[int(q.phrase[1])] == queries[1][0]


def test_data_without_boxes_is_one_line_error(tiny, tmp_path, capsys):
    data, init = tiny
    records = json.loads((data / "train.json").read_text())
    bare = tmp_path / "bare"
    bare.mkdir()
    (bare / "images").symlink_to(data / "images", target_is_directory=True)
    (bare / "train.json").write_text(json.dumps([{k: v for k, v in r.items() if k != "objects"} for r in records]))
    assert main(["--init", str(init), "--data", str(bare), "--out", str(tmp_path / "x.pt")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "object boxes" in err and "geotext-data synth" in err
    assert not (tmp_path / "x.pt").exists()


def test_model_without_dense_head_is_refused(tiny, tmp_path, capsys):
    data, _ = tiny
    init = _checkpoint(tmp_path / "nodense.pt", dense_head=False)
    assert main(["--init", str(init), "--data", str(data), "--out", str(tmp_path / "x.pt")]) == 2
    assert "dense_head" in capsys.readouterr().err


def test_bad_arguments_exit_with_usage(tiny):
    data, init = tiny
    with pytest.raises(SystemExit) as e:
        main(["--init", str(init), "--data", str(data), "--out", "x.pt", "--val-fraction", "0.7"])
    assert e.value.code == 2
