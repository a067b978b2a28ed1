"""ROI Align (grid_sample) against a hand-written torchvision-style bilinear loop, and ONNX opset-17 parity."""
import numpy as np
import pytest
import torch

from geotext_ros.model.roi_align import cxcywh_to_feature_xyxy, roi_align


def _bilinear(fm: np.ndarray, y: float, x: float) -> np.ndarray:
    """torchvision's bilinear_interpolate for one point of fm [C, H, W] (points here stay within [-1, size])."""
    _, h, w = fm.shape
    y, x = max(y, 0.0), max(x, 0.0)
    y0, x0 = int(y), int(x)
    if y0 >= h - 1:
        y0 = y1 = h - 1
        y = float(y0)
    else:
        y1 = y0 + 1
    if x0 >= w - 1:
        x0 = x1 = w - 1
        x = float(x0)
    else:
        x1 = x0 + 1
    ly, lx = y - y0, x - x0
    return ((1 - ly) * (1 - lx) * fm[:, y0, x0] + (1 - ly) * lx * fm[:, y0, x1]
            + ly * (1 - lx) * fm[:, y1, x0] + ly * lx * fm[:, y1, x1])


def _reference(feat: np.ndarray, box_cxcywh, out: int, ratio: int) -> np.ndarray:
    """roi_align(aligned=True) of one box, boxes converted to feature pixels by hand."""
    c, h, w = feat.shape
    cx, cy, bw, bh = box_cxcywh
    x1, y1 = (cx - bw / 2) * w - 0.5, (cy - bh / 2) * h - 0.5
    x2, y2 = (cx + bw / 2) * w - 0.5, (cy + bh / 2) * h - 0.5
    bin_w, bin_h = (x2 - x1) / out, (y2 - y1) / out
    res = np.zeros((c, out, out))
    for py in range(out):
        for px in range(out):
            acc = np.zeros(c)
            for iy in range(ratio):
                for ix in range(ratio):
                    yy = y1 + py * bin_h + (iy + 0.5) * bin_h / ratio
                    xx = x1 + px * bin_w + (ix + 0.5) * bin_w / ratio
                    acc += _bilinear(feat, yy, xx)
            res[:, py, px] = acc / ratio ** 2
    return res


BOXES = [[0.5, 0.5, 0.3, 0.2], [0.2, 0.7, 0.35, 0.5], [0.9, 0.1, 0.2, 0.2], [0.5, 0.5, 1.0, 1.0],
         [0.33, 0.61, 0.05, 0.04]]


@pytest.mark.parametrize("out,ratio", [(3, 2), (2, 3)])
def test_matches_hand_computed_bilinear(out, ratio):
    rng = np.random.default_rng(0)
    feats = rng.normal(size=(2, 4, 8, 6)).astype(np.float32)   # H != W catches swapped axes
    boxes = np.array(BOXES, np.float32)
    index = np.array([0, 1, 0, 1, 1])
    got = roi_align(torch.from_numpy(feats), torch.from_numpy(boxes), torch.from_numpy(index), out, ratio).numpy()
    assert got.shape == (5, 4, out, out)
    for k in range(len(boxes)):
        np.testing.assert_allclose(got[k], _reference(feats[index[k]], boxes[k], out, ratio), atol=1e-5)


def test_normalized_boxes_are_converted_to_feature_pixels():
    corners = cxcywh_to_feature_xyxy(torch.tensor([[0.5, 0.25, 0.5, 0.5]]), height=8, width=12)
    np.testing.assert_allclose(corners.numpy(), [[3.0, 0.0, 9.0, 4.0]])
    # on a map whose value is the column (row) index, the pooled value is the box centre in pixel-index
    # coordinates: proves boxes are scaled to the feature map, not sampled at normalized positions
    cols = torch.arange(12.0).expand(8, 12)
    rows = torch.arange(8.0)[:, None].expand(8, 12)
    fm = torch.stack([cols, rows])[None]
    val = roi_align(fm, torch.tensor([[0.5, 0.375, 0.25, 0.25]]), torch.tensor([0]), 2, 2).mean(dim=(2, 3))
    np.testing.assert_allclose(val.numpy(), [[0.5 * 12 - 0.5, 0.375 * 8 - 0.5]], atol=1e-5)


class _RoiModule(torch.nn.Module):
    def forward(self, feats, boxes, index):
        return roi_align(feats, boxes, index, 3, 2)


def test_onnx_opset17_export_matches_torch(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    onnx = pytest.importorskip("onnx")
    feats = torch.randn(2, 5, 8, 8)
    boxes = torch.tensor(BOXES[:3])
    index = torch.tensor([0, 1, 1])
    path = tmp_path / "roi.onnx"
    torch.onnx.export(_RoiModule(), (feats, boxes, index), str(path), opset_version=17, dynamo=False,
                      input_names=["feats", "boxes", "index"], output_names=["out"],
                      dynamic_axes={"feats": {0: "b"}, "boxes": {0: "k"}, "index": {0: "k"}, "out": {0: "k"}})
    graph = onnx.load(str(path))
    assert graph.opset_import[0].version == 17
    assert "GridSample" in {n.op_type for n in graph.graph.node}
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    feats2, boxes2, index2 = torch.randn(3, 5, 8, 8), torch.tensor(BOXES), torch.tensor([2, 0, 1, 2, 0])
    got = sess.run(None, {"feats": feats2.numpy(), "boxes": boxes2.numpy(), "index": index2.numpy()})[0]
    np.testing.assert_allclose(got, roi_align(feats2, boxes2, index2, 3, 2).numpy(), atol=1e-5)
