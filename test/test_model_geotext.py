"""The tiny model end to end: every interface method's shapes, finite gradients, ONNX export at opset 17."""
import numpy as np
import pytest
import torch

from geotext_ros.model.factory import create_model
from geotext_ros.model.tokenizer import WordPieceTokenizer

CAPTIONS = ["the red building left of the pool", "a parking lot with cars", "blue roof near the road",
            "two tennis courts"]


@pytest.fixture(scope="module")
def tiny():
    torch.manual_seed(0)
    tok = WordPieceTokenizer.build_vocab(CAPTIONS, min_freq=1)
    model, transform, tok = create_model("tiny", tokenizer=tok)
    return model, transform, tok


def _inputs(transform, tok, b=4):
    rng = np.random.default_rng(0)
    images = torch.from_numpy(transform.batch([rng.integers(0, 255, (96, 120, 3), dtype=np.uint8)
                                               for _ in range(b)]))
    ids, mask = tok(CAPTIONS[:b])
    return images, torch.from_numpy(ids), torch.from_numpy(mask)


def test_vocab_size_comes_from_the_tokenizer(tiny):
    model, _, tok = tiny
    assert model.config.text.vocab_size == len(tok)
    assert model.text_encoder.embeddings.word_embeddings.num_embeddings == len(tok)


def test_interface_shapes(tiny):
    model, transform, tok = tiny
    images, ids, mask = _inputs(transform, tok)
    b, g, L = 4, model.config.vision.grid, ids.shape[1]
    with torch.no_grad():
        img_tokens, img_embed = model.encode_image(images)
        txt_tokens, txt_embed = model.encode_text(ids, mask)
        fused = model.fuse(img_tokens, txt_tokens, mask)
        boxes = torch.tensor([[0.5, 0.5, 0.4, 0.3], [0.2, 0.2, 0.1, 0.1], [0.8, 0.6, 0.3, 0.5]])
        feats = model.region_features(img_tokens, boxes, torch.tensor([0, 0, 3]))
        h, v = model.relation_head(feats[:2], feats[1:], boxes[:2], boxes[1:])
        box = model.box_head(fused[:, 0])
    assert img_tokens.shape == (b, 1 + g * g, 192) and img_embed.shape == (b, 128)
    assert txt_tokens.shape == (b, L, 192) and txt_embed.shape == (b, 128)
    assert fused.shape == (b, L, 192)
    assert model.itm_head(fused[:, 0]).shape == (b, 2)
    assert box.shape == (b, 4) and bool(((box > 0) & (box < 1)).all())
    assert model.dense_map(img_tokens, txt_embed).shape == (b, g, g)
    assert feats.shape == (3, 192) and model.region_embed(feats).shape == (3, 128)
    assert h.shape == (2, 3) and v.shape == (2, 3)
    for e in (img_embed, txt_embed, model.region_embed(feats)):
        np.testing.assert_allclose(e.detach().norm(dim=-1).numpy(), 1.0, atol=1e-5)
    assert model.temp.item() == pytest.approx(0.07)


def test_padding_does_not_change_text_outputs(tiny):
    model, transform, tok = tiny
    ids, mask = (torch.from_numpy(a) for a in tok(["a parking lot"]))
    ids_p, mask_p = (torch.from_numpy(a) for a in tok(["a parking lot"], max_len=20))
    images = _inputs(transform, tok, 1)[0]
    with torch.no_grad():
        img_tokens, _ = model.encode_image(images)
        t1, e1 = model.encode_text(ids, mask)
        t2, e2 = model.encode_text(ids_p, mask_p)
        f1, f2 = model.fuse(img_tokens, t1, mask), model.fuse(img_tokens, t2, mask_p)
    torch.testing.assert_close(e1, e2, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(f1[:, 0], f2[:, 0], atol=1e-5, rtol=1e-4)


def test_forward_backward_gives_finite_grads_everywhere(tiny):
    model, transform, tok = tiny
    model.train()
    model.zero_grad()
    images, ids, mask = _inputs(transform, tok)
    img_tokens, img_embed = model.encode_image(images)
    txt_tokens, txt_embed = model.encode_text(ids, mask)
    fused = model.fuse(img_tokens, txt_tokens, mask)
    boxes = torch.tensor([[0.5, 0.5, 0.4, 0.3], [0.2, 0.2, 0.1, 0.1]])
    feats = model.region_features(img_tokens, boxes, torch.tensor([1, 2]))
    h, v = model.relation_head(feats, feats.flip(0), boxes, boxes.flip(0))
    sim = img_embed @ txt_embed.T / model.get_temp()
    loss = (torch.nn.functional.cross_entropy(sim, torch.arange(4))
            + torch.nn.functional.cross_entropy(model.itm_head(fused[:, 0]), torch.tensor([1, 0, 1, 0]))
            + (model.box_head(fused[:, 0]) - 0.5).abs().mean()
            + model.dense_map(img_tokens, txt_embed).sigmoid().mean()
            + torch.nn.functional.cross_entropy(h, torch.tensor([0, 2])) + v.pow(2).mean()
            + model.region_embed(feats).sum())
    loss.backward()
    model.eval()
    no_grad = [n for n, p in model.named_parameters() if p.grad is None]
    assert no_grad == []
    bad = [n for n, p in model.named_parameters() if not torch.isfinite(p.grad).all()]
    assert bad == []


class _Call(torch.nn.Module):
    def __init__(self, model, method):
        super().__init__()
        self.model, self.method = model, method

    def forward(self, *args):
        return getattr(self.model, self.method)(*args)


def _export_and_compare(tmp_path, module, args, names, dynamic, other_args):
    ort = pytest.importorskip("onnxruntime")
    path = tmp_path / "m.onnx"
    torch.onnx.export(module, args, str(path), opset_version=17, dynamo=False, input_names=names,
                      dynamic_axes=dynamic)
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    kept = {i.name for i in sess.get_inputs()}   # the exporter drops inputs the graph never reads
    got = sess.run(None, {n: a.numpy() for n, a in zip(names, other_args) if n in kept})
    with torch.no_grad():
        want = module(*other_args)
    want = want if isinstance(want, tuple) else (want,)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w.numpy(), atol=2e-4, rtol=1e-3)


def test_onnx_export_dynamic_batch_and_length(tiny, tmp_path):
    model, transform, tok = tiny
    images, ids, mask = _inputs(transform, tok, 2)
    images3, ids3, mask3 = _inputs(transform, tok, 3)
    ids3 = torch.cat([ids3, torch.zeros(3, 2, dtype=torch.long)], 1)   # another sequence length
    mask3 = torch.cat([mask3, torch.zeros(3, 2, dtype=torch.long)], 1)
    with torch.no_grad():
        it2, _ = model.encode_image(images)
        it3, _ = model.encode_image(images3)
        tt2, te2 = model.encode_text(ids, mask)
        tt3, te3 = model.encode_text(ids3, mask3)
    _export_and_compare(tmp_path, _Call(model, "encode_image"), (images,), ["images"],
                        {"images": {0: "b"}}, (images3,))
    _export_and_compare(tmp_path, _Call(model, "encode_text"), (ids, mask), ["ids", "mask"],
                        {"ids": {0: "b", 1: "l"}, "mask": {0: "b", 1: "l"}}, (ids3, mask3))
    _export_and_compare(tmp_path, _Call(model, "fuse"), (it2, tt2, mask), ["img", "txt", "mask"],
                        {"img": {0: "b"}, "txt": {0: "b", 1: "l"}, "mask": {0: "b", 1: "l"}}, (it3, tt3, mask3))
    _export_and_compare(tmp_path, _Call(model, "dense_map"), (it2, te2), ["img", "emb"],
                        {"img": {0: "b"}, "emb": {0: "b"}}, (it3, te3))
    boxes, index = torch.tensor([[0.5, 0.5, 0.4, 0.3]]), torch.tensor([1])
    boxes3, index3 = torch.tensor([[0.5, 0.5, 0.4, 0.3], [0.1, 0.8, 0.2, 0.3], [0.7, 0.3, 0.5, 0.5]]), \
        torch.tensor([2, 0, 1])
    _export_and_compare(tmp_path, _Call(model, "region_features"), (it2, boxes, index), ["img", "boxes", "index"],
                        {"img": {0: "b"}, "boxes": {0: "k"}, "index": {0: "k"}}, (it3, boxes3, index3))
    with torch.no_grad():
        f1 = model.region_features(it2, boxes, index)
        f3 = model.region_features(it3, boxes3, index3)
    assert model.config.relation_inputs == "features"   # the tiny config's head reads no coordinates
    _export_and_compare(tmp_path, _Call(model, "relation_head"), (f1, f1, boxes, boxes), ["fa", "fb", "ba", "bb"],
                        {n: {0: "k"} for n in ("fa", "fb", "ba", "bb")}, (f3, f3.flip(0), boxes3, boxes3.flip(0)))
