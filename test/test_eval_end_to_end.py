"""geotext-eval end to end: a tiny checkpoint from geotext-train on the tiny dataset, every figure present and
consistent; the synthetic-scale mode agrees with a full-matrix computation at small size."""
import json

import numpy as np
import pytest
import torch

from test_train_tinydata import write_tiny_dataset
from training.evaluate import main as eval_main
from training.metrics import reference_labels, retrieval_report
from training.train import main as train_main

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("e2e")
    data = write_tiny_dataset(root / "data", n_train=2, n_test=4, views=2)
    assert train_main(["--data", str(data), "--preset", "geotext", "--model-config", "tiny",
                       "--out", str(root / "run"), "--steps", "2", "--batch-size", "8", "--no-plot"]) == 0
    return data, root / "run" / "last.pt", root


def _check_recalls(r):
    for d in ("t2i", "i2t"):
        v = r[d]
        assert 0 <= v["r1"] <= v["r5"] <= v["r10"] <= 100


def test_eval_end_to_end(tiny_run, capsys):
    data, ckpt, root = tiny_run
    out = root / "eval.json"
    assert eval_main(["--ckpt", str(ckpt), "--data", str(data), "--k-test", "3", "--rotation-study",
                      "--out", str(out), "--batch-size", "4"]) == 0
    res = json.loads(out.read_text())
    assert res["n_images"] == 8 and res["n_texts"] == 24 and res["k_test"] == 3
    for name in ("itc", "itm", "final"):
        _check_recalls(res["retrieval"][name])
        _check_recalls(res["retrieval_reference_labels"][name])
    # 8 images of 4 buildings: every text has a building-mate among the top 10 of 8 images
    assert res["retrieval"]["itc"]["t2i"]["r10"] == 100.0
    assert set(res["rotation"]) == {"0", "15", "90", "180", "270"}
    assert res["grounding"]["n"] == 16 and 0 <= res["grounding"]["acc_iou50"] <= 100
    assert res["spatial"]["n_pairs"] == 16
    assert res["mirror"]["n"] == 12  # places 0102 and 0104 are mirror twins: 2 x 2 images x 3 captions
    table = capsys.readouterr().out
    assert "t2i R@1" in table and "mirror" in table


def test_itm_rerank_with_full_k_is_a_permutation(tiny_run):
    data, ckpt, root = tiny_run
    out = root / "full_k.json"
    assert eval_main(["--ckpt", str(ckpt), "--data", str(data), "--k-test", "8", "--out", str(out)]) == 0
    res = json.loads(out.read_text())
    # with k = the whole gallery, R@10 of 8 images (t2i) must stay 100 after ITM re-ordering
    assert res["retrieval"]["itm"]["t2i"]["r10"] == 100.0


def test_synthetic_scale_matches_full_matrix(tmp_path):
    out = tmp_path / "scale.json"
    args = ["--synthetic-scale", "--n-images", "300", "--n-texts", "900", "--n-buildings", "30",
            "--embed-dim", "16", "--noise", "1.3", "--k-test", "20", "--chunk", "64", "--out", str(out)]
    assert eval_main(args) == 0
    res = json.loads(out.read_text())
    from training.evaluate import synthetic_embeddings
    g = torch.Generator().manual_seed(0)
    centres = torch.nn.functional.normalize(torch.randn(30, 16, generator=g), dim=1)
    img_b = np.sort(np.arange(300) % 30)
    txt_img = np.arange(900) * 300 // 900
    img = synthetic_embeddings(300, img_b, centres, 1, 1.3)
    txt = synthetic_embeddings(900, img_b[txt_img], centres, 2, 1.3)
    sim = (txt @ img.t()).numpy()
    names = [f"{b:04d}" for b in range(30)]
    full = retrieval_report(np.argsort(-sim, axis=1)[:, :20], np.argsort(-sim.T, axis=1)[:, :20],
                            [names[b] for b in img_b[txt_img]], [names[b] for b in img_b])
    assert res["retrieval"]["itc"] == full
    ref = reference_labels([names[b] for b in img_b])
    assert res["retrieval_reference_labels"]["itc"] == retrieval_report(
        np.argsort(-sim, axis=1)[:, :20], np.argsort(-sim.T, axis=1)[:, :20], [ref[i] for i in txt_img], ref)
    assert res["retrieval_reference_labels"]["itc"] != full   # 29 building boundaries move labels
    assert 5 < full["t2i"]["r1"] < 95  # structured but not trivial: the comparison means something
    assert res["peak_rss_mb"] > 0


@pytest.fixture(scope="module")
def random_ckpt(tmp_path_factory):
    """An untrained tiny model's checkpoint (no training needed to exercise the full-size machinery)."""
    from geotext_ros.model.config import load_config
    from geotext_ros.model.factory import create_model, save_checkpoint
    from geotext_ros.model.tokenizer import WordPieceTokenizer
    from training.export_parity import CAPTIONS

    torch.manual_seed(0)
    cfg = load_config("tiny")
    tok = WordPieceTokenizer.build_vocab(CAPTIONS, min_freq=1, max_len=cfg.max_text_len)
    model, transform, tok = create_model(cfg, tokenizer=tok, load_pretrained=False)
    return save_checkpoint(tmp_path_factory.mktemp("rand") / "tiny.pt", model, tok, transform)


@pytest.mark.parametrize("n_texts,k_test", [(72, 4), (40, 0)])
def test_synthetic_scale_with_model(random_ckpt, tmp_path, capsys, n_texts, k_test):
    out = tmp_path / "scale_model.json"
    args = ["--synthetic-scale", "--ckpt", str(random_ckpt), "--n-images", "24", "--n-texts", str(n_texts),
            "--n-buildings", "8", "--k-test", str(k_test), "--batch-size", "8", "--out", str(out)]
    assert eval_main(args) == 0
    res = json.loads(out.read_text())
    assert res["mode"] == "synthetic-scale-model" and res["ckpt"] == str(random_ckpt)
    assert (res["n_images"], res["n_texts"], res["n_buildings"], res["k_test"]) == (24, n_texts, 8, k_test)
    assert set(res["retrieval"]) == ({"itc", "itm", "final"} if k_test else {"itc", "final"})
    assert set(res["retrieval_reference_labels"]) == set(res["retrieval"])
    for r in list(res["retrieval"].values()) + list(res["retrieval_reference_labels"].values()):
        _check_recalls(r)
        assert np.isfinite(r["r_mean"]) and 0 <= r["r_mean"] <= 100
    for key in ("caption_time_s", "render_time_s", "encode_time_s", "rank_time_s", "itm_time_s", "peak_rss_mb"):
        assert np.isfinite(res[key]) and res[key] >= 0, key
    assert res["peak_rss_mb"] > 0 and res["token_store_disk_mb"] == 0   # tiny: tokens stay in memory
    table = capsys.readouterr().out
    assert "t2i R@1" in table and "phases: caption=" in table


def test_streamed_test_set_is_the_dataset_writers_views(tmp_path):
    """Same per-view seed, pose, style and captions as geotext-data synth: reuse, not a second generator."""
    from geotext_ros.sim import annotate
    from training.data.synth import StreamedTestSet, _Writer

    test = StreamedTestSet(n_images=6, n_texts=7, n_places=2, size=64, seed=3)
    assert test.image_buildings == ["0000"] * 3 + ["0001"] * 3
    texts = test.texts()
    assert len(texts) == 7 and texts == StreamedTestSet(6, 7, 2, 64, seed=3).texts()
    writer = _Writer(test.world, test.cfg, 3, tmp_path)
    place = test.world.places[1]
    rng = np.random.default_rng([3, int(place.place_id), 2])   # image 5 = view 2 of place 0001
    frame = writer.drone_view(place, rng)
    assert np.array_equal(test.image(5), frame.image)
    assert test.captions(5) == [a.caption for a in annotate(frame.objects, rng)]


def test_synthetic_scale_with_unreadable_ckpt(tmp_path, capsys):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    for ckpt in (bad, tmp_path / "missing.pt"):
        assert eval_main(["--synthetic-scale", "--ckpt", str(ckpt), "--n-images", "4", "--n-texts", "12"]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("geotext-eval: error:") and str(ckpt) in err and "\n" not in err


def test_k_test_defaults_to_the_checkpoints_recipe(tiny_run, tmp_path):
    """No --k-test: the geotext recipe's 256 (its preset was saved in the checkpoint); a recipe saying 128 gives
    128; a checkpoint without a recipe gets EVAL_DEFAULTS'; --k-test wins."""
    from training.presets import EVAL_DEFAULTS, load_preset, recipe_k_test

    data, ckpt, _ = tiny_run
    out = tmp_path / "eval.json"
    assert eval_main(["--ckpt", str(ckpt), "--data", str(data), "--out", str(out)]) == 0
    assert json.loads(out.read_text())["k_test"] == load_preset("geotext")["eval"]["k_test"] == 256
    assert recipe_k_test({"preset": load_preset("hccm")}) == 128
    assert recipe_k_test(None) == recipe_k_test({"preset": "an old name"}) == EVAL_DEFAULTS["k_test"]
    assert eval_main(["--ckpt", str(ckpt), "--data", str(data), "--k-test", "-1"]) == 2
