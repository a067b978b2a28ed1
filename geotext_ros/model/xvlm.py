"""Map the published X-VLM checkpoint (e.g. 16m_base_model_state_step_199999.th) onto GeoTextModel.

The checkpoint is a dict with key "model": vision_encoder.* (Swin-B trained with window 7 at 224),
text_encoder.bert.* (BERT-base, 6 text + 6 cross layers), vision_proj, text_proj, temp, itm_head.{0,1,3},
bbox_head.{0,1,3}. Mapping: strip "bert." from the text keys, drop buffers the model recomputes
(relative_position_index, attn_mask, position_ids), and resize every relative_position_bias_table to the
model's window as the reference code does (X-VLM, GeoText and HCCM all use BEiT's scheme: source offsets on a
geometric progression, a 2-D cubic interpolating spline per head; `interpolate_rel_pos_table`). That runs at
checkpoint-load time only, in numpy (no scipy on the drone). Files are read from a LOCAL path only.

GeoText-1652's fine-tuned checkpoints have the same layout without "bert." plus GeoText's spatial head:
model_map.fc (Linear Dv -> Dt applied to each of the 12 x 12 ROI-aligned patch tokens of a region, then averaged)
and spatial_head.{0,1,3} (X-VLM MLP Dt -> 2 Dt -> 6 over 0.75 * map(first region) + 0.25 * map(second region);
its 6 outputs are 3 horizontal + 3 vertical classes of the second region relative to the first, decided against
the first region's half extent). Linear maps commute with the mean and the weighted sum, so the head is exactly
the project's relation_mlp (Linear 2 Dv -> h, LayerNorm, GELU, Linear h -> 6) with h = 2 Dt:
`fold_geotext_spatial_head`. Every key that cannot be mapped is reported with its reason.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import torch

from geotext_ros.model.config import ModelConfig, load_config

log = logging.getLogger(__name__)
_DROP_SUFFIXES = ("relative_position_index", "attn_mask", "position_ids")


def beit_positions(src_side: int, dst_side: int) -> tuple[float, np.ndarray]:
    """(q, positions): where the source offsets -(S//2) .. S//2 sit on the target's offset axis (BEiT scheme).

    Offsets 0, 1 .. S//2 go to 0, d_1 .. d_(S//2) with d_1 = 1 and d_(i+1) = d_i + q^i (negatives mirrored): a
    geometric progression whose ratio q is the last midpoint of a bisection on [1.01, 1.5] (tolerance 1e-6) for
    1 + q + .. + q^(S//2 - 1) = D//2, so the outermost source offset lands at the target's outermost offset."""
    half_src, half_dst = src_side // 2, dst_side // 2
    left, right = 1.01, 1.5
    q = left
    while right - left > 1e-6:
        q = (left + right) / 2.0
        if (1.0 - q ** half_src) / (1.0 - q) > half_dst:
            right = q
        else:
            left = q
    dist = np.cumsum([1.0] + [q ** i for i in range(1, half_src)])
    return q, np.concatenate([-dist[::-1], [0.0], dist])


def cubic_spline_matrix(x: np.ndarray, t: np.ndarray) -> np.ndarray:
    """[len(t), len(x)] linear map from values at the sorted points x to the cubic interpolating spline at t.

    The spline is FITPACK's interpolating one (what scipy's interp2d kind='cubic' and RectBivariateSpline with
    s=0 build): knots at the interior points x[2] .. x[-3] (not-a-knot end conditions), so any cubic polynomial
    is reproduced exactly. Built on the truncated-power basis 1, x, x^2, x^3, (x - k)_+^3 and solved in float64."""
    x = np.asarray(x, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64)
    if x.size < 4 or np.any(np.diff(x) <= 0):
        raise ValueError(f"a cubic spline needs at least 4 strictly increasing points, got {x.tolist()}")
    scale = max(np.abs(x).max(), 1.0)  # keep the basis near [-1, 1] for conditioning
    knots = x[2:-2] / scale

    def basis(u: np.ndarray) -> np.ndarray:
        u = u[:, None] / scale
        return np.hstack([u ** 0, u, u ** 2, u ** 3, np.clip(u - knots[None], 0.0, None) ** 3])

    return basis(t) @ np.linalg.inv(basis(x))


def interpolate_rel_pos_table(table: torch.Tensor, dst_rows: int) -> torch.Tensor:
    """[(2w-1)^2, heads] -> [dst_rows, heads] as X-VLM / GeoText / HCCM resize Swin tables (BEiT scheme).

    Each head's S x S table is a 2-D cubic interpolating spline through the source offsets placed at
    `beit_positions`, evaluated at the integer target offsets -D//2 .. D//2 on both axes. The tensor-product
    spline is separable, so it is M @ Z @ M.T with M the 1-D `cubic_spline_matrix`."""
    src_side = round(table.shape[0] ** 0.5)
    dst_side = round(dst_rows ** 0.5)
    if src_side * src_side != table.shape[0] or dst_side * dst_side != dst_rows:
        raise ValueError(f"relative position table rows must be squares, got {table.shape[0]} -> {dst_rows}")
    if src_side == dst_side:
        return table
    _, positions = beit_positions(src_side, dst_side)
    half = dst_side // 2
    m = torch.from_numpy(cubic_spline_matrix(positions, np.arange(-half, half + 1, dtype=np.float64)))
    grid = table.detach().to(torch.float64).T.reshape(table.shape[1], src_side, src_side)  # [heads, y, x]
    out = m @ grid @ m.T
    return out.reshape(table.shape[1], dst_rows).T.contiguous().to(table.dtype)


def _target_shapes(config: ModelConfig) -> dict[str, torch.Size]:
    """Parameter shapes of the model for `config`, built on the meta device (no memory)."""
    from geotext_ros.model.geotext_model import GeoTextModel
    with torch.device("meta"):
        model = GeoTextModel(config)
    return {k: v.shape for k, v in model.state_dict().items()}


def _rename(key: str) -> str | None:
    """X-VLM key -> model key; None = drop silently (recomputed buffers)."""
    if key.endswith(_DROP_SUFFIXES):
        return None
    if key.startswith("text_encoder.bert."):
        return "text_encoder." + key[len("text_encoder.bert."):]
    return key


GEOTEXT_HEAD_PREFIXES = ("model_map.", "spatial_head.")
_UNMAPPED_REASONS = {
    "text_encoder.cls.": "X-VLM's masked-language-model head (pre-training only; the project trains no MLM)",
}


def fold_geotext_spatial_head(sd: dict[str, torch.Tensor], target: dict[str, torch.Size]
                              ) -> tuple[dict[str, torch.Tensor], str]:
    """GeoText's model_map + spatial_head as relation_mlp.* tensors, or ({}, why not).

    The project's relation_head(a, b) gives A's relation to B against B's extent; GeoText's head(first, second)
    gives the second region's relation to the first against the first's extent, with the same class order
    (0 left/upper, 1 centre/middle, 2 right/lower). So B is GeoText's first region (weight 0.75) and A its
    second (weight 0.25): relation_mlp.0 = spatial_head.0 o model_map on [0.25 feat_a, 0.75 feat_b], and any
    further input columns (box coordinates) get zero weight. The outputs are GeoText's pre-sigmoid scores: the
    same class decisions (GeoText trains cross-entropy on their sigmoid)."""
    try:
        w_map, b_map = sd["model_map.fc.weight"], sd["model_map.fc.bias"]
        w0, b0 = sd["spatial_head.0.weight"], sd["spatial_head.0.bias"]
        head = {f"relation_mlp.{i}.{p}": sd[f"spatial_head.{i}.{p}"] for i in (1, 3) for p in ("weight", "bias")}
    except KeyError as e:
        return {}, f"GeoText's spatial head is incomplete in the checkpoint (no {e.args[0]})"
    if "relation_mlp.0.weight" not in target:
        return {}, "the model has no relation head"
    hidden, rel_in = target["relation_mlp.0.weight"]
    dv = w_map.shape[1]
    if w0.shape[0] != hidden:
        return {}, (f"GeoText's spatial head has {w0.shape[0]} hidden units, the model's relation_hidden is "
                    f"{hidden}: set relation_hidden to {w0.shape[0]} in the model config")
    if rel_in < 2 * dv or target["relation_mlp.3.weight"][0] != head["relation_mlp.3.weight"].shape[0]:
        return {}, (f"the model's relation head reads {rel_in} inputs and gives {target['relation_mlp.3.weight'][0]} "
                    f"outputs; GeoText's needs 2 x {dv} region features and 6 outputs")
    w0, w_map = w0.double(), w_map.double()
    w = torch.zeros(hidden, rel_in, dtype=torch.float64)
    w[:, :dv] = 0.25 * (w0 @ w_map)
    w[:, dv:2 * dv] = 0.75 * (w0 @ w_map)
    dtype = sd["spatial_head.0.weight"].dtype
    out = {"relation_mlp.0.weight": w.to(dtype), "relation_mlp.0.bias": (w0 @ b_map.double() + b0.double()).to(dtype)}
    out.update(head)
    bad = [k for k, v in out.items() if tuple(v.shape) != tuple(target.get(k, ()))]
    if bad:
        return {}, f"GeoText's spatial head does not fit the model's relation head ({bad[0]})"
    return out, ""


def map_xvlm_state_dict(sd: dict[str, Any], config: ModelConfig | str) -> tuple[dict[str, torch.Tensor],
                                                                                dict[str, list[str]]]:
    """(mapped state dict, report) for the model of `config`. Report keys: missing (model keys left at init),
    unexpected (checkpoint keys not used), unmapped (one "key: reason" line per unexpected key), folded
    (GeoText head keys mapped into relation_mlp), interpolated, mismatched."""
    config = load_config(config)
    if config.vision.kind != "swin":
        raise ValueError(f"X-VLM checkpoints need a Swin vision config (e.g. 'xvlm-base'), got "
                         f"vision.kind={config.vision.kind!r} in config {config.name!r}")
    if "model" in sd and isinstance(sd["model"], dict):
        sd = sd["model"]
    target = _target_shapes(config)
    mapped: dict[str, torch.Tensor] = {}
    report: dict[str, list[str]] = {"missing": [], "unexpected": [], "unmapped": [], "folded": [],
                                     "interpolated": [], "mismatched": []}
    head_keys = sorted(k for k in sd if k.startswith(GEOTEXT_HEAD_PREFIXES))
    if head_keys:
        folded, why = fold_geotext_spatial_head(sd, target)
        mapped.update(folded)
        report["folded" if folded else "unexpected"].extend(head_keys)
        report["unmapped"].extend(f"{k}: {why}" for k in head_keys if not folded)
    for key, value in sd.items():
        new = _rename(key)
        if new is None or key.startswith(GEOTEXT_HEAD_PREFIXES):
            continue
        if new not in target:
            report["unexpected"].append(key)
            report["unmapped"].append(f"{key}: {_unmapped_reason(key, config)}")
            continue
        if new.endswith("relative_position_bias_table") and value.shape != target[new]:
            value = interpolate_rel_pos_table(value, target[new][0])
            report["interpolated"].append(new)
        if tuple(value.shape) != tuple(target[new]):
            report["mismatched"].append(f"{key}: checkpoint {tuple(value.shape)} vs model {tuple(target[new])}")
            continue
        mapped[new] = value
    report["missing"] = sorted(set(target) - set(mapped))
    return mapped, report


def _unmapped_reason(key: str, config: ModelConfig) -> str:
    for prefix, why in _UNMAPPED_REASONS.items():
        if key.startswith(prefix):
            return why
    return f"no parameter of that name in the model of config {config.name!r}"


def load_xvlm_checkpoint(model: torch.nn.Module, path: str | Path, allow_pickle: bool = False,
                         strict_shapes: bool = True) -> dict[str, list[str]]:
    """Load a local X-VLM checkpoint into `model`; logs and returns the mapping report.

    The file is read with torch.load(weights_only=True); pass allow_pickle=True only for a file you trust
    whose extra entries (optimizer, scheduler) need full unpickling."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"X-VLM checkpoint {path} not found (download it yourself; nothing is fetched)")
    try:
        sd = torch.load(path, map_location="cpu", weights_only=not allow_pickle)
    except Exception as e:
        first = next((ln.strip() for ln in str(e).splitlines() if ln.strip()), type(e).__name__)
        raise ValueError(f"cannot read X-VLM checkpoint {path} with weights_only={not allow_pickle} ({first}); "
                         f"if you trust the file, allow full unpickling (allow_pickle=True; geotext-export "
                         f"--trust-pickle)") from e
    mapped, report = map_xvlm_state_dict(sd, model.config)
    if report["mismatched"] and strict_shapes:
        raise ValueError(f"X-VLM checkpoint {path} does not fit config {model.config.name!r}: "
                         f"{report['mismatched'][:5]}")
    model.load_state_dict(mapped, strict=False)
    log.info("X-VLM %s: loaded %d tensors, interpolated %d tables", path, len(mapped), len(report["interpolated"]))
    if report["folded"]:
        log.info("X-VLM %s: GeoText's spatial head (%d tensors) mapped into relation_mlp", path,
                 len(report["folded"]))
    if report["missing"]:
        log.warning("X-VLM %s: %d model keys not in the checkpoint (kept at init): %s", path,
                    len(report["missing"]), report["missing"][:10])
    for line in report["unmapped"]:
        log.warning("X-VLM %s: not mapped: %s", path, line)
    return report
