"""X-VLM checkpoint mapping on synthetic state dicts shaped like the published one; Swin ONNX export."""
import numpy as np
import pytest
import torch

from geotext_ros.model.config import load_config
from geotext_ros.model.factory import create_model
from geotext_ros.model.xvlm import (beit_positions, interpolate_rel_pos_table, load_xvlm_checkpoint,
                                   map_xvlm_state_dict)

NEW_HEADS = ("dense_proj.", "dense_logit_scale", "dense_bias", "relation_mlp.")   # GeoText heads, not in X-VLM


def _mini_swin_config():
    cfg = load_config("xvlm-base")
    cfg.vision.image_size, cfg.vision.embed_dim, cfg.vision.depths, cfg.vision.swin_heads = 96, 16, [2, 2], [2, 4]
    cfg.text.hidden, cfg.text.heads, cfg.text.intermediate, cfg.text.layers = 32, 2, 64, 1
    cfg.fusion_layers, cfg.embed_dim, cfg.relation_hidden = 1, 16, 16
    return cfg   # stage 0: 24x24 in 12x12 windows, shifted; stage 1: 12x12 = one window


def _to_xvlm_names(sd, window7_tables, extra=True):
    """Our keys -> X-VLM keys, window-7 bias tables, plus the buffers/heads the real checkpoint carries."""
    out = {}
    for k, v in sd.items():
        if k.startswith(NEW_HEADS):
            continue
        if k.startswith("text_encoder."):
            k = "text_encoder.bert." + k[len("text_encoder."):]
        if k.endswith("relative_position_bias_table"):
            v = window7_tables.setdefault(k, torch.randn(13 * 13, v.shape[1]))
            out[k.replace("relative_position_bias_table", "relative_position_index")] = torch.zeros(49, 49).long()
        out[k] = v
    if extra:
        out["text_encoder.cls.predictions.bias"] = torch.zeros(10)
        out["text_encoder.bert.embeddings.position_ids"] = torch.arange(512)[None]
        out["vision_encoder.layers.0.blocks.1.attn_mask"] = torch.zeros(4, 144, 144)
    return out


def _cubic_table(positions, heads=3):
    """[S*S, heads] table whose head h is a (non-symmetric) bicubic polynomial of the (y, x) positions."""
    y, x = np.meshgrid(positions, positions, indexing="ij")   # rows = y offset (Swin's index is dy-major)
    polys = [0.3 + 0.2 * x - 0.05 * y + 0.01 * x ** 3 - 0.004 * x * y ** 2 + 2e-5 * x ** 3 * y ** 3,
             -1.0 + 0.1 * y ** 3 - 0.03 * x ** 2 * y,
             0.5 * x ** 2 - 0.2 * y ** 2 + 1e-3 * x ** 3 * y]
    return torch.from_numpy(np.stack([p.ravel() for p in polys[:heads]], axis=1))


def test_beit_positions_match_the_reference_numbers():
    """Window 7 -> 12 (S = 13, D = 23): q and the offsets as X-VLM / GeoText / HCCM place them."""
    q, pos = beit_positions(13, 23)
    assert abs(q - 1.24072) < 1e-4
    want = [1.0, 2.2407, 3.7801, 5.6901, 8.0598, 11.0]
    np.testing.assert_allclose(pos[7:], want, atol=1e-4)
    np.testing.assert_allclose(pos[:6], [-w for w in reversed(want)], atol=1e-4)
    assert pos[6] == 0.0


def test_interpolated_table_reproduces_a_cubic_polynomial_at_integer_offsets():
    """A 2-D cubic interpolating spline through the BEiT positions is exact on (bi)cubic polynomials; a uniform
    bicubic stretch (the old resize) is not, so this tells the two apart."""
    _, pos = beit_positions(13, 23)
    out = interpolate_rel_pos_table(_cubic_table(pos), 23 * 23)
    want = _cubic_table(np.arange(-11, 12, dtype=np.float64))
    assert out.shape == (529, 3) and out.dtype == torch.float64
    torch.testing.assert_close(out, want, rtol=0, atol=1e-4)
    # float32 tables (what checkpoints hold) come back float32, within float32 rounding of the same values
    out32 = interpolate_rel_pos_table(_cubic_table(pos).float(), 529)
    assert out32.dtype == torch.float32
    torch.testing.assert_close(out32.double(), want, rtol=0, atol=1e-4)


def test_interpolate_table_keeps_constants_and_sizes():
    table = torch.ones(169, 3) * torch.tensor([1.0, -2.0, 0.5])
    out = interpolate_rel_pos_table(table, 23 * 23)
    assert out.shape == (529, 3)
    torch.testing.assert_close(out, torch.ones(529, 3) * torch.tensor([1.0, -2.0, 0.5]))
    assert interpolate_rel_pos_table(table, 169) is table
    with pytest.raises(ValueError, match="squares"):
        interpolate_rel_pos_table(torch.zeros(170, 3), 529)


def test_mini_swin_checkpoint_maps_and_loads(tmp_path):
    cfg = _mini_swin_config()
    torch.manual_seed(0)
    source, _, _ = create_model(cfg)
    # one window-7 table is a cubic polynomial of the BEiT positions: after loading into the window-12 model it
    # must be the same polynomial at the integer offsets (so the load path resizes as the reference does)
    poly_key = "vision_encoder.layers.0.blocks.1.attn.relative_position_bias_table"
    tables = {poly_key: _cubic_table(beit_positions(13, 23)[1], heads=2).float()}
    sd = _to_xvlm_names(source.state_dict(), tables)
    path = tmp_path / "xvlm.th"
    torch.save({"model": sd, "epoch": 3}, path)
    torch.manual_seed(1)
    target, _, _ = create_model(cfg)
    report = load_xvlm_checkpoint(target, path)
    assert report["unexpected"] == ["text_encoder.cls.predictions.bias"]
    assert report["mismatched"] == []
    assert report["missing"] and all(k.startswith(NEW_HEADS) for k in report["missing"])
    assert sorted(report["interpolated"]) == sorted(tables)
    got = target.state_dict()
    for k, v in source.state_dict().items():
        if k.startswith(NEW_HEADS):
            continue
        want = interpolate_rel_pos_table(tables[k], v.shape[0]) if k in tables else v
        torch.testing.assert_close(got[k], want, rtol=0, atol=0, msg=k)
    torch.testing.assert_close(got[poly_key].double(), _cubic_table(np.arange(-11, 12.0), heads=2),
                               rtol=0, atol=1e-4)
    # stage 0 windows are 12 -> 23*23 rows; stage 1 covers the 12x12 map -> same
    assert got["vision_encoder.layers.1.blocks.0.attn.relative_position_bias_table"].shape == (529, 4)


def test_vit_config_is_refused():
    with pytest.raises(ValueError, match="Swin"):
        map_xvlm_state_dict({"model": {}}, "tiny")


def test_swin_encoder_exports_to_onnx_with_dynamic_batch(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    model, _, _ = create_model(_mini_swin_config())
    model.eval()

    class Enc(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, x):
            return self.model.encode_image(x)

    path = tmp_path / "swin.onnx"
    torch.onnx.export(Enc(), (torch.randn(1, 3, 96, 96),), str(path), opset_version=17, dynamo=False,
                      input_names=["images"], dynamic_axes={"images": {0: "b"}})
    x = torch.randn(3, 3, 96, 96)
    got = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"images": x.numpy()})
    with torch.no_grad():
        tokens, embed = model.encode_image(x)
    assert got[0].shape == (3, 1 + 12 * 12, 32)
    np.testing.assert_allclose(got[0], tokens.numpy(), atol=2e-4, rtol=1e-3)
    np.testing.assert_allclose(got[1], embed.numpy(), atol=2e-4, rtol=1e-3)
    # X-VLM: the CLS token is the mean of the patch tokens
    torch.testing.assert_close(tokens[:, 0], tokens[:, 1:].mean(1))


def test_xvlm_base_maps_the_published_layout():
    """The full Swin-B 384 / BERT-base model, built once; the synthetic checkpoint shares its tensors except a
    few marked ones (keeps memory to one model)."""
    cfg = load_config("xvlm-base")
    model, transform, tok = create_model(cfg)
    assert len(tok) == 30522 and transform.size == 384
    n_vision = sum(p.numel() for p in model.vision_encoder.parameters())
    assert 86e6 < n_vision < 89e6   # Swin-B without its classifier
    tables = {}
    sd = _to_xvlm_names(model.state_dict(), tables)
    marked = {"vision_encoder.layers.2.blocks.17.mlp.fc2.weight": None,
              "text_encoder.bert.encoder.layer.11.crossattention.self.key.weight": None,
              "text_encoder.bert.embeddings.word_embeddings.weight": None, "itm_head.3.weight": None,
              "bbox_head.0.bias": None, "vision_proj.weight": None, "temp": None}
    for k in marked:
        sd[k] = marked[k] = torch.randn_like(sd[k])
    assert sd["vision_proj.weight"].shape == (256, 1024) and sd["text_proj.weight"].shape == (256, 768)
    assert sd["text_encoder.bert.encoder.layer.6.crossattention.self.key.weight"].shape == (768, 1024)
    mapped, report = map_xvlm_state_dict({"model": sd}, cfg)
    assert report["mismatched"] == [] and report["unexpected"] == ["text_encoder.cls.predictions.bias"]
    assert all(k.startswith(NEW_HEADS) for k in report["missing"])
    assert len(report["interpolated"]) == sum(cfg.vision.depths) == 24
    model.load_state_dict(mapped, strict=False)
    own = model.state_dict()
    for k, v in marked.items():
        assert torch.equal(own[k.replace("text_encoder.bert.", "text_encoder.")], v), k
    with torch.no_grad():
        tokens, embed = model.encode_image(torch.from_numpy(transform(np.zeros((50, 50, 3), np.uint8)))[None])
    assert tokens.shape == (1, 145, 1024) and embed.shape == (1, 256)
