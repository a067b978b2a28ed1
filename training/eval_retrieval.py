"""Benchmark retrieval in bounded memory: chunked embeddings, streaming ITC top-k in both directions, ITM
re-scoring of each query's top k (k_test, 256 in the reference), building-level Recall@1/5/10."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Hashable, Optional, Sequence

import numpy as np
import torch

from training.metrics import retrieval_report, streaming_similarity_topk
from training.token_store import TokenStore


@dataclass
class Gallery:
    """Encoded evaluation set: L2-normed embeddings plus token stores (only when ITM re-scoring is on)."""
    img_embed: torch.Tensor
    txt_embed: torch.Tensor
    img_tokens: Optional[TokenStore]
    txt_tokens: Optional[TokenStore]
    txt_mask: torch.Tensor


@torch.no_grad()
def encode_gallery(model: torch.nn.Module, load_images: Callable[[Sequence[int]], torch.Tensor], n_images: int,
                   texts: Sequence[str], tokenizer: Callable, keep_tokens: bool, batch_size: int = 64,
                   device: str | torch.device = "cpu") -> Gallery:
    """Encode every image (load_images(indices) -> [b,3,S,S]) and text in batches."""
    max_len = tokenizer.max_len
    ids, mask = tokenizer(list(texts), max_len=max_len)
    ids, mask = torch.as_tensor(ids), torch.as_tensor(mask)
    img_embeds, txt_embeds = [], []
    img_store = txt_store = None
    for start in range(0, n_images, batch_size):
        tokens, emb = model.encode_image(load_images(range(start, min(start + batch_size, n_images))).to(device))
        if keep_tokens and img_store is None:
            img_store = TokenStore(n_images, tuple(tokens.shape[1:]))
        if img_store is not None:
            img_store.append(tokens)
        img_embeds.append(emb.float().cpu())
    for start in range(0, len(texts), batch_size):
        sl = slice(start, start + batch_size)
        tokens, emb = model.encode_text(ids[sl].to(device), mask[sl].to(device))
        if keep_tokens and txt_store is None:
            txt_store = TokenStore(len(texts), tuple(tokens.shape[1:]))
        if txt_store is not None:
            txt_store.append(tokens)
        txt_embeds.append(emb.float().cpu())
    return Gallery(torch.cat(img_embeds), torch.cat(txt_embeds), img_store, txt_store, mask)


@torch.no_grad()
def itm_scores(model: torch.nn.Module, img_tokens: torch.Tensor, txt_tokens: torch.Tensor,
               mask: torch.Tensor, device: str | torch.device = "cpu") -> torch.Tensor:
    """Match logit (index 1 of the ITM head) of each (image, text) row pair."""
    fused = model.fuse(img_tokens.to(device), txt_tokens.to(device), mask.to(device))
    return model.itm_head(fused[:, 0])[:, 1].float().cpu()


@torch.no_grad()
def rerank(model: torch.nn.Module, gallery: Gallery, cand: torch.Tensor, t2i: bool, pair_batch: int = 256,
           device: str | torch.device = "cpu") -> np.ndarray:
    """Order each query's ITC candidates [Q, k] by ITM score (the reference ranks the top k by ITM alone)."""
    q, k = cand.shape
    out = np.empty((q, k), dtype=np.int64)
    per = max(pair_batch // k, 1)
    for start in range(0, q, per):
        rows = torch.arange(start, min(start + per, q))
        c = cand[rows].long()
        query_rep = rows.repeat_interleave(k)
        if t2i:   # query = text, candidates = images
            img = gallery.img_tokens.get(c.reshape(-1))
            txt = gallery.txt_tokens.get(query_rep)
            mask = gallery.txt_mask[query_rep]
        else:     # query = image, candidates = texts
            img = gallery.img_tokens.get(query_rep)
            txt = gallery.txt_tokens.get(c.reshape(-1))
            mask = gallery.txt_mask[c.reshape(-1)]
        scores = itm_scores(model, img, txt, mask, device).view(len(rows), k)
        order = scores.argsort(dim=1, descending=True)
        out[start:start + len(rows)] = torch.gather(c, 1, order).numpy()
    return out


def evaluate_retrieval(gallery: Gallery, text_buildings: Sequence[Hashable], image_buildings: Sequence[Hashable],
                       k_test: int, model: Optional[torch.nn.Module] = None, chunk: int = 4096,
                       device: str | torch.device = "cpu") -> dict:
    """ITC ranking, then (k_test > 0 and a model) ITM re-scoring of the top k_test; recalls for both."""
    return evaluate_retrieval_modes(gallery, {"exact": (text_buildings, image_buildings)}, k_test, model, chunk,
                                    device)["exact"]


def evaluate_retrieval_modes(gallery: Gallery, label_modes: dict[str, tuple[Sequence[Hashable], Sequence[Hashable]]],
                             k_test: int, model: Optional[torch.nn.Module] = None, chunk: int = 4096,
                             device: str | torch.device = "cpu") -> dict[str, dict]:
    """Rank once (ITC, then ITM over the top k_test), score the same rankings under each labelling:
    label_modes = {name: (text labels, image labels)} -> {name: {"itc", ["itm"], "final"}}."""
    k = max(k_test, 10)
    t2i, i2t = streaming_similarity_topk(gallery.txt_embed, gallery.img_embed, k, chunk)
    rankings = {"itc": (t2i.index.numpy(), i2t.index.numpy())}
    if k_test > 0 and model is not None and gallery.img_tokens is not None:
        # re-scored top k first, then the rest of the ITC order (the reference gives those a flat -100)
        t2i_r = np.concatenate((rerank(model, gallery, t2i.index[:, :k_test], True, device=device),
                                t2i.index[:, k_test:].numpy()), axis=1)
        i2t_r = np.concatenate((rerank(model, gallery, i2t.index[:, :k_test], False, device=device),
                                i2t.index[:, k_test:].numpy()), axis=1)
        rankings["itm"] = (t2i_r, i2t_r)
    out = {}
    for mode, (text_labels, image_labels) in label_modes.items():
        report = {name: retrieval_report(t, i, text_labels, image_labels) for name, (t, i) in rankings.items()}
        report["final"] = report.get("itm", report["itc"])
        out[mode] = report
    return out
