"""Side-by-side comparison of two backends on the same synthetic inputs (export checks, device checks, tests).

Inputs are chained like on the drone: pixels -> encode_image; captions -> encode_text; the reference backend's
tokens feed fuse/dense/relation of both backends, so each graph is compared on identical inputs.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from geotext_ros.runtime.backend import Backend

CAPTIONS = ["the red building left of the pool", "a parking lot with cars",
            "the round tower above the football field near the road", "pond", "two trees and a grey roof"]


def synthetic_inputs(backend: Backend, batch: int = 2, boxes: int = 3, seed: int = 0) -> dict[str, Any]:
    """Deterministic pixels, token ids/masks (varied lengths) and box pairs for backend's model."""
    rng = np.random.default_rng(seed)
    size = backend.transform.size
    rgb = rng.integers(0, 256, size=(batch, size, size, 3), dtype=np.uint8)
    pixels = np.stack([backend.transform(im) for im in rgb])
    ids, mask = backend.tokenizer([CAPTIONS[i % len(CAPTIONS)] for i in range(batch)])
    centre = rng.uniform(0.2, 0.8, size=(2, boxes, 2))
    extent = rng.uniform(0.1, 0.4, size=(2, boxes, 2))
    box_a, box_b = (np.concatenate([centre[i], extent[i]], axis=1).astype(np.float32) for i in range(2))
    return {"pixels": pixels, "ids": ids, "mask": mask, "box_a": box_a, "box_b": box_b}


def run_all(backend: Backend, x: dict[str, Any], ref: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """Every output of every graph; fuse/dense/relation take ref's tokens when given (identical inputs)."""
    out: dict[str, np.ndarray] = {}
    out["image_tokens"], out["image_embed"] = backend.encode_image(x["pixels"])
    out["text_tokens"], out["text_embed"] = backend.encode_text(x["ids"], x["mask"])
    src = ref if ref is not None else out
    fused = backend.fuse(src["image_tokens"], src["text_tokens"], x["mask"])
    out["itm"], out["box"] = fused["itm"], fused["box"]
    if "dense" in backend.manifest.get("graphs", {"dense": 1}):
        out["dense"] = backend.dense(src["image_tokens"], src["text_embed"])
    out["h_prob"], out["v_prob"] = backend.relation(src["image_tokens"], x["box_a"], x["box_b"])
    return out


def max_abs_diff(reference: Backend, candidate: Backend, batch: int = 2, boxes: int = 3,
                 seed: int = 0) -> dict[str, float]:
    """Per output name, max |reference - candidate| on the same inputs."""
    x = synthetic_inputs(reference, batch, boxes, seed)
    ref = run_all(reference, x)
    got = run_all(candidate, x, ref)
    return {k: float(np.max(np.abs(ref[k] - got[k]))) for k in ref if k in got}


def embedding_agreement(reference: Backend, candidate: Backend, batch: int = 4, seed: int = 0) -> dict[str, float]:
    """Accuracy change of a lower-precision backend: min cosine of embeddings, max |Δ| of itm and box."""
    x = synthetic_inputs(reference, batch, 3, seed)
    ref, got = run_all(reference, x), run_all(candidate, x)
    cos = lambda a, b: float(np.min(np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))))
    return {"image_embed_min_cos": cos(ref["image_embed"], got["image_embed"]),
            "text_embed_min_cos": cos(ref["text_embed"], got["text_embed"]),
            "itm_max_abs": float(np.max(np.abs(ref["itm"] - got["itm"]))),
            "box_max_abs": float(np.max(np.abs(ref["box"] - got["box"])))}
