"""geotext-eval on the committed engine directory (a tiny generated dataset), and the device / precision choice:
CUDA and fp16 only where CUDA is present (the reference evaluates in half precision), fp32 on CPU, flags to force
either. Bounded: the tiny dataset is 12 test images; the whole file runs in seconds."""
import json
from pathlib import Path

import pytest
import torch

from training.data.cli import main as data_main
from training.evaluate import eval_runtime, main as eval_main

ENGINE = Path(__file__).resolve().parents[1] / "engines" / "default"
torch.set_num_threads(1)


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    out = tmp_path_factory.mktemp("tiny") / "data"
    assert data_main(["synth", "--preset", "tiny", "--out", str(out), "--no-progress"]) == 0
    return out


@pytest.mark.parametrize("device,precision,cuda,expected", [
    ("auto", "auto", False, ("cpu", False)),    # no GPU: CPU in fp32
    ("auto", "auto", True, ("cuda", True)),     # a GPU: CUDA in fp16, as the reference
    ("auto", "fp32", True, ("cuda", False)),    # forced fp32 on CUDA
    ("cpu", "auto", True, ("cpu", False)),      # forced CPU even with a GPU: fp32
    ("cpu", "fp16", False, ("cpu", True)),      # forced fp16 on CPU (autocast)
])
def test_device_and_precision_choice(device, precision, cuda, expected):
    dev, fp16 = eval_runtime(device, precision, cuda)
    assert (dev.type, fp16) == expected


def test_cuda_without_cuda_is_a_one_line_error(tiny_data, capsys):
    with pytest.raises(ValueError, match="no CUDA device"):
        eval_runtime("cuda", "auto", False)
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    assert eval_main(["--ckpt", str(ENGINE), "--data", str(tiny_data), "--device", "cuda"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("geotext-eval: error: --device cuda") and "\n" not in err


def test_committed_engine_evaluates_on_cpu_in_fp32_and_fp16(tiny_data, tmp_path, capsys):
    out32, out16 = tmp_path / "fp32.json", tmp_path / "fp16.json"
    assert eval_main(["--ckpt", str(ENGINE), "--data", str(tiny_data), "--k-test", "4", "--device", "cpu",
                      "--out", str(out32)]) == 0
    table = capsys.readouterr().out
    assert "itm ref-labels" in table and "device=cpu precision=fp32" in table
    r32 = json.loads(out32.read_text())
    assert r32["engine"] is True and (r32["device"], r32["precision"]) == ("cpu", "fp32")
    assert set(r32["label_modes"]) == {"retrieval", "retrieval_reference_labels"}
    assert (r32["n_images"], r32["n_texts"]) == (12, 36)
    assert set(r32["retrieval"]) == set(r32["retrieval_reference_labels"]) == {"itc", "itm", "final"}
    # the committed model is trained: far above the 25 % chance of 4 test buildings
    assert r32["retrieval"]["final"]["t2i"]["r1"] > 40
    assert r32["grounding"]["n"] > 0 and r32["spatial"]["n_pairs"] > 0

    assert eval_main(["--ckpt", str(ENGINE / "weights.pt"), "--data", str(tiny_data), "--k-test", "4",
                      "--precision", "fp16", "--out", str(out16)]) == 0
    r16 = json.loads(out16.read_text())
    assert (r16["device"], r16["precision"]) == ("cpu", "fp16")
    # fp16 autocast really ran (box IoUs move) and stays close to fp32
    d = abs(r16["grounding"]["mean_iou"] - r32["grounding"]["mean_iou"])
    assert 0 < d < 0.01
    assert abs(r16["retrieval"]["itc"]["r_mean"] - r32["retrieval"]["itc"]["r_mean"]) <= 10


def test_directory_that_is_not_an_engine_is_one_line(tiny_data, tmp_path, capsys):
    assert eval_main(["--ckpt", str(tmp_path), "--data", str(tiny_data)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"geotext-eval: error: --ckpt {tmp_path} is a directory without manifest.json")
    assert "engines/default" in err and "\n" not in err


def test_engine_with_a_tampered_weights_file_is_one_line(tiny_data, tmp_path, capsys):
    engine = tmp_path / "engine"
    engine.mkdir()
    for f in ENGINE.iterdir():
        (engine / f.name).write_bytes(f.read_bytes())
    raw = bytearray((engine / "weights.pt").read_bytes())
    raw[-100] ^= 0xFF
    (engine / "weights.pt").write_bytes(bytes(raw))
    assert eval_main(["--ckpt", str(engine), "--data", str(tiny_data)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("geotext-eval: error:") and "weights.pt" in err and "\n" not in err
