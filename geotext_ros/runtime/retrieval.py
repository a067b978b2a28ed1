"""Gallery retrieval: top-k cosine similarity over L2-normalized embeddings, in bounded memory."""
from __future__ import annotations

import numpy as np


def topk_cosine(query: np.ndarray, gallery: np.ndarray, k: int = 10,
                normalized: bool = True, chunk: int = 65536) -> tuple[np.ndarray, np.ndarray]:
    """Indices and scores of the k gallery rows most similar to each query, best first.

    query [E] or [Q, E]; gallery [N, E]. With normalized=True both are assumed L2-normalized (the encoders'
    embeddings are), so the dot product is the cosine. Returns (indices [Q, k], scores [Q, k]) or [k] each for
    a 1-D query. Uses argpartition per chunk so memory stays O(Q * chunk) for any gallery size.
    """
    q = np.asarray(query, dtype=np.float32)
    single = q.ndim == 1
    q = q[None] if single else q
    g = np.asarray(gallery, dtype=np.float32)
    if g.ndim != 2 or q.shape[1] != g.shape[1]:
        raise ValueError(f"query dim {q.shape} and gallery {g.shape} do not match: need [Q, E] and [N, E]")
    if not normalized:
        q = q / np.maximum(np.linalg.norm(q, axis=1, keepdims=True), 1e-12)
        g = g / np.maximum(np.linalg.norm(g, axis=1, keepdims=True), 1e-12)
    k = min(int(k), g.shape[0])
    if k <= 0:
        empty = np.zeros((q.shape[0], 0))
        return (empty.astype(np.int64)[0], empty[0]) if single else (empty.astype(np.int64), empty)
    best_idx, best_val = None, None
    for start in range(0, g.shape[0], chunk):
        scores = q @ g[start:start + chunk].T
        kk = min(k, scores.shape[1])
        part = np.argpartition(-scores, kk - 1, axis=1)[:, :kk]
        vals = np.take_along_axis(scores, part, axis=1)
        part = part + start
        if best_idx is None:
            best_idx, best_val = part, vals
        else:
            best_idx = np.concatenate([best_idx, part], axis=1)
            best_val = np.concatenate([best_val, vals], axis=1)
            if best_val.shape[1] > k:  # chunks smaller than k only accumulate
                keep = np.argpartition(-best_val, k - 1, axis=1)[:, :k]
                best_idx = np.take_along_axis(best_idx, keep, axis=1)
                best_val = np.take_along_axis(best_val, keep, axis=1)
    # stable sort, so equal scores keep gallery order
    order = np.argsort(-best_val, axis=1, kind="stable")
    idx = np.take_along_axis(best_idx, order, axis=1)
    val = np.take_along_axis(best_val, order, axis=1)
    return (idx[0], val[0]) if single else (idx, val)
