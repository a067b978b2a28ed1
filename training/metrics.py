"""Retrieval metrics exactly as the GeoText-1652 benchmark defines them, computed in bounded memory.

- ground truth is building-level: an image and a caption match when their buildings agree, building =
  image_id[:4], taken from each item's OWN image_id (exact labels);
- reference labels (`reference_labels`): the GeoText-1652 evaluation code counts buildings along the file order
  and moves its counter one image late, so the first image of each new building (and its captions) carries the
  previous building's label. Recalls with those labels are the ones the papers' tables report;
  geotext-eval gives both, the exact ones first;
- `t2i`: text query -> ranked images (drone navigation); `i2t`: image query -> ranked texts (localization);
- Recall@K = share of queries with at least one hit among the top K; mean recall = mean of the six.
- `StreamingTopK` keeps the k best scores per query while similarity blocks stream past, so a full
  165k x 55k matrix is never held.
"""
from __future__ import annotations

from typing import Hashable, Iterable, Sequence

import numpy as np
import torch

KS = (1, 5, 10)


def building_of(image_id: str) -> str:
    """GeoText-1652 building id of an image: the first four characters of image_id ("0839/image-43.jpeg")."""
    if not isinstance(image_id, str) or len(image_id) < 4:
        raise ValueError(f"image_id must be a string like '0839/image-43.jpeg', got {image_id!r}")
    return image_id[:4]


def reference_labels(image_buildings: Sequence[str]) -> list[int]:
    """Building labels of images in file order as the GeoText-1652 reference evaluation assigns them.

    A counter starts at 0; each image gets the counter's current value, and only then, if its building differs
    from the building being counted, the counter moves on. So the first image of every new building is
    labelled with the previous building's number: ["0001", "0001", "0002", "0002", "0003"] -> [0, 0, 0, 1, 1].
    A building that comes back later in the file gets a new number (the counter never looks ids up).
    """
    labels, counter, current = [], 0, None
    for building in image_buildings:
        if current is None:
            current = building
        labels.append(counter)
        if building != current:
            current, counter = building, counter + 1
    return labels


def group_codes(*label_lists: Sequence[Hashable]) -> list[np.ndarray]:
    """Map string labels of several lists to shared integer codes (so comparisons are array ops)."""
    table: dict[str, int] = {}
    out = []
    for labels in label_lists:
        out.append(np.array([table.setdefault(x, len(table)) for x in labels], dtype=np.int64))
    return out


def recall_at_k(ranked: np.ndarray, query_groups: np.ndarray, gallery_groups: np.ndarray,
                ks: Iterable[int] = KS) -> dict[str, float]:
    """Recall@K in percent from ranked gallery indices [Q, >=max(ks)] (best first) and group codes."""
    ranked = np.asarray(ranked)
    ks = tuple(ks)
    if ranked.ndim != 2 or ranked.shape[0] != len(query_groups):
        raise ValueError(f"ranked must be [num_queries={len(query_groups)}, K], got shape {ranked.shape}")
    hits = gallery_groups[ranked] == np.asarray(query_groups)[:, None]          # [Q, K]
    first = np.where(hits.any(axis=1), hits.argmax(axis=1), np.iinfo(np.int64).max)
    return {f"r{k}": float(100.0 * np.mean(first < k)) if len(first) else 0.0 for k in ks}


def retrieval_report(t2i_ranked: np.ndarray, i2t_ranked: np.ndarray, text_buildings: Sequence[Hashable],
                     image_buildings: Sequence[Hashable], ks: Iterable[int] = KS) -> dict[str, object]:
    """Both directions plus mean recall: {"t2i": {"r1",..}, "i2t": {...}, "r_mean": float}."""
    t_codes, i_codes = group_codes(text_buildings, image_buildings)
    t2i = recall_at_k(t2i_ranked, t_codes, i_codes, ks)
    i2t = recall_at_k(i2t_ranked, i_codes, t_codes, ks)
    values = list(t2i.values()) + list(i2t.values())
    return {"t2i": t2i, "i2t": i2t, "r_mean": float(np.mean(values))}


class StreamingTopK:
    """Running top-k (scores, gallery indices) for a fixed set of queries, fed one score block at a time.

    Memory: [Q, k] scores + int32 indices, independent of the gallery size.
    """

    def __init__(self, num_queries: int, k: int) -> None:
        if k <= 0:
            raise ValueError(f"k must be positive, got {k}")
        self.k = k
        # -inf / -1 placeholders are always beaten once a query has seen >= k gallery items.
        self.scores = torch.full((num_queries, k), float("-inf"))
        self.index = torch.full((num_queries, k), -1, dtype=torch.int32)

    def update(self, rows: slice, block: torch.Tensor, col_offset: int) -> None:
        """Merge a [len(rows), C] score block whose columns are gallery items col_offset .. col_offset+C-1."""
        block = block.float()
        cols = torch.arange(col_offset, col_offset + block.shape[1], dtype=torch.int32)
        cand_s = torch.cat((self.scores[rows], block), dim=1)
        cand_i = torch.cat((self.index[rows], cols.expand(block.shape[0], -1)), dim=1)
        top_s, pos = cand_s.topk(self.k, dim=1)
        self.scores[rows] = top_s
        self.index[rows] = torch.gather(cand_i, 1, pos)


def streaming_similarity_topk(text_embeds: torch.Tensor, image_embeds: torch.Tensor, k: int,
                              chunk: int = 4096) -> tuple[StreamingTopK, StreamingTopK]:
    """One pass over [T, E] x [I, E] similarity blocks feeding both directions' top-k.

    Returns (t2i, i2t) accumulators; peak extra memory is one chunk x chunk block.
    """
    t2i = StreamingTopK(text_embeds.shape[0], min(k, image_embeds.shape[0]))
    i2t = StreamingTopK(image_embeds.shape[0], min(k, text_embeds.shape[0]))
    for t0 in range(0, text_embeds.shape[0], chunk):
        t_rows = slice(t0, min(t0 + chunk, text_embeds.shape[0]))
        for i0 in range(0, image_embeds.shape[0], chunk):
            i_rows = slice(i0, min(i0 + chunk, image_embeds.shape[0]))
            block = text_embeds[t_rows].float() @ image_embeds[i_rows].float().t()
            t2i.update(t_rows, block, i0)
            i2t.update(i_rows, block.t(), t0)
    return t2i, i2t
