"""A published GeoText-1652 fine-tuned checkpoint (hand-built here in the authors' layout: keys without "bert.",
buffers, model_map.* and spatial_head.*) maps onto the project's model, its spatial head folded exactly into
relation_mlp, and `geotext-export --ckpt FILE --config CONFIG` turns it into a working engine directory.
The model is a reduced config of the xvlm-base architecture (Swin + BERT + cross layers) so the test runs on CPU."""
import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from geotext_ros.model.config import load_config
from geotext_ros.model.factory import create_model, load_checkpoint
from geotext_ros.model.xvlm import map_xvlm_state_dict
from training.export import main as export_main

torch.set_num_threads(1)
OURS_ONLY = ("dense_proj.", "dense_logit_scale", "dense_bias", "relation_mlp.")


def _mini_config(relation_hidden=64):
    cfg = load_config("xvlm-base")
    cfg.name = "xvlm-mini"
    cfg.vision.image_size, cfg.vision.embed_dim, cfg.vision.depths, cfg.vision.swin_heads = 96, 16, [2, 2], [2, 4]
    cfg.text.hidden, cfg.text.heads, cfg.text.intermediate, cfg.text.layers = 32, 2, 64, 1
    cfg.fusion_layers, cfg.embed_dim, cfg.relation_hidden, cfg.max_text_len = 1, 16, relation_hidden, 24
    return cfg   # Dv = 32, Dt = 32: GeoText's spatial head has 2 * Dt = 64 hidden units


def _geotext_state_dict(cfg, seed=0):
    """The authors' fine-tuned layout: X-VLM names, BertModel without "bert.", buffers, GeoText's two heads."""
    torch.manual_seed(seed)
    model, _, _ = create_model(cfg)
    sd = {k: v for k, v in model.state_dict().items() if not k.startswith(OURS_ONLY)}
    for k in [k for k in sd if k.endswith("relative_position_bias_table")]:
        sd[k.replace("relative_position_bias_table", "relative_position_index")] = torch.zeros(144, 144).long()
    sd["text_encoder.embeddings.position_ids"] = torch.arange(512)[None]
    sd["vision_encoder.layers.0.blocks.1.attn_mask"] = torch.zeros(4, 144, 144)
    dv, dt = cfg.vision.out_width, cfg.text.hidden
    sd["model_map.fc.weight"], sd["model_map.fc.bias"] = torch.randn(dt, dv) * 0.2, torch.randn(dt) * 0.1
    sd["spatial_head.0.weight"], sd["spatial_head.0.bias"] = torch.randn(2 * dt, dt) * 0.2, torch.randn(2 * dt) * 0.1
    sd["spatial_head.1.weight"], sd["spatial_head.1.bias"] = 1 + 0.1 * torch.randn(2 * dt), 0.1 * torch.randn(2 * dt)
    sd["spatial_head.3.weight"], sd["spatial_head.3.bias"] = torch.randn(6, 2 * dt) * 0.2, torch.randn(6) * 0.1
    return sd


def _geotext_spatial_scores(sd, roi_tokens_first, roi_tokens_second):
    """GeoText's spatial head as its authors describe it: map every ROI token (Linear Dv -> Dt) and average,
    mix 0.75 first + 0.25 second, X-VLM MLP -> 6 scores (before their sigmoid)."""
    def mapped(tokens):
        return (tokens @ sd["model_map.fc.weight"].T + sd["model_map.fc.bias"]).mean(dim=1)
    x = 0.75 * mapped(roi_tokens_first) + 0.25 * mapped(roi_tokens_second)
    x = x @ sd["spatial_head.0.weight"].T + sd["spatial_head.0.bias"]
    x = F.gelu(F.layer_norm(x, x.shape[-1:], sd["spatial_head.1.weight"], sd["spatial_head.1.bias"], eps=1e-5))
    return x @ sd["spatial_head.3.weight"].T + sd["spatial_head.3.bias"]


def test_spatial_head_folds_exactly_into_relation_mlp():
    cfg = _mini_config()
    sd = _geotext_state_dict(cfg)
    mapped, report = map_xvlm_state_dict({"model": sd, "epoch": 0}, cfg)
    assert sorted(report["folded"]) == sorted(k for k in sd if k.startswith(("model_map.", "spatial_head.")))
    assert report["unexpected"] == [] and report["unmapped"] == [] and report["mismatched"] == []
    assert sorted(report["missing"]) == ["dense_bias", "dense_logit_scale", "dense_proj.bias", "dense_proj.weight"]
    model, _, _ = create_model(cfg)
    model.load_state_dict(mapped, strict=False)
    model.eval()
    torch.manual_seed(1)
    tok_a, tok_b = torch.randn(5, 144, 32), torch.randn(5, 144, 32)     # 12 x 12 ROI tokens per region
    boxes_a, boxes_b = torch.rand(5, 4), torch.rand(5, 4)                # the folded head ignores coordinates
    with torch.no_grad():
        h, v = model.relation_head(tok_a.mean(1), tok_b.mean(1), boxes_a, boxes_b)
        # project: relation of A to B = GeoText: relation of its second region (A) to its first (B)
        want = _geotext_spatial_scores(sd, tok_b, tok_a)
    torch.testing.assert_close(torch.cat([h, v], dim=1), want, rtol=1e-4, atol=1e-5)
    # the rest of the checkpoint arrives untouched (names without "bert.")
    own = model.state_dict()
    for k in ("text_encoder.encoder.layer.1.crossattention.self.key.weight", "itm_head.3.weight", "temp"):
        assert torch.equal(own[k], sd[k]), k


def test_unmappable_keys_get_one_line_each_with_the_reason():
    cfg = _mini_config(relation_hidden=48)
    sd = _geotext_state_dict(_mini_config())
    sd["text_encoder.cls.predictions.bias"] = torch.zeros(30522)
    sd["some_new_head.weight"] = torch.zeros(2, 2)
    _, report = map_xvlm_state_dict(sd, cfg)
    lines = dict(line.split(": ", 1) for line in report["unmapped"])
    heads = sorted(k for k in sd if k.startswith(("model_map.", "spatial_head.")))
    assert sorted(lines) == sorted(heads + ["text_encoder.cls.predictions.bias", "some_new_head.weight"])
    assert all("set relation_hidden to 64" in lines[k] for k in heads)
    assert "masked-language-model" in lines["text_encoder.cls.predictions.bias"]
    assert "no parameter of that name" in lines["some_new_head.weight"]
    assert report["folded"] == [] and set(report["unexpected"]) == set(lines)


def test_geotext_export_turns_a_published_file_into_an_engine(tmp_path, capsys):
    ort_backend = pytest.importorskip("geotext_ros.runtime.ort_backend")
    cfg = _mini_config()
    sd = _geotext_state_dict(cfg, seed=3)
    published = tmp_path / "geotext_finetuned.pth"
    torch.save({"model": sd, "epoch": 0}, published)
    cfg_path = tmp_path / "xvlm-mini.json"
    cfg_path.write_text(json.dumps(cfg.to_dict()))
    out = tmp_path / "engine"
    rc = export_main(["--ckpt", str(published), "--config", str(cfg_path), "--out", str(out), "--max-batch", "4",
                      "--max-boxes", "8"])
    printed = capsys.readouterr().out
    assert rc == 0, printed
    assert "8 GeoText head tensors folded" in printed and "0 keys not mapped" in printed
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["transform"]["interpolation"] == "bicubic"          # xvlm-base architecture: X-VLM's resize
    assert max(manifest["parity"]["max_abs_diff"].values()) <= manifest["parity"]["tolerance"]
    mapped = load_checkpoint(tmp_path / "engine.ckpt.pt")
    assert mapped.meta["extra"]["published"]["untrained"] == ["dense_bias", "dense_logit_scale", "dense_proj"]
    # the engine answers with the published weights: ONNX Runtime's image tokens and text embedding are those of
    # the mapped model (export's own parity check covers the fusion, dense and relation graphs)
    backend = ort_backend.OrtBackend(out, providers=["CPUExecutionProvider"])
    assert backend.transform.interpolation == "bicubic"
    rng = np.random.default_rng(0)
    pixels = backend.transform(rng.integers(0, 255, (120, 150, 3), dtype=np.uint8))[None]
    img_tokens, _ = backend.encode_image(pixels)
    with torch.no_grad():
        ref_tokens, _ = mapped.model.encode_image(torch.from_numpy(pixels))
    np.testing.assert_allclose(img_tokens, ref_tokens.numpy(), atol=1e-4)
    ids, mask = backend.tokenizer(["the red building left of the pool"])
    _, txt_embed = backend.encode_text(ids, mask)
    with torch.no_grad():
        _, want = mapped.model.encode_text(torch.from_numpy(ids), torch.from_numpy(mask))
    np.testing.assert_allclose(txt_embed, want.numpy(), atol=1e-4)


def test_export_refuses_a_file_that_is_not_the_configs_model(tmp_path, capsys):
    published = tmp_path / "wrong.pth"
    torch.save({"model": {"vision_proj.weight": torch.zeros(16, 32)}}, published)
    cfg_path = tmp_path / "xvlm-mini.json"
    cfg_path.write_text(json.dumps(_mini_config().to_dict()))
    rc = export_main(["--ckpt", str(published), "--config", str(cfg_path), "--out", str(tmp_path / "e")])
    err = capsys.readouterr().err
    assert rc == 1 and "does not hold the" in err and len(err.strip().splitlines()) == 1
