"""Tiny model cost on this CPU: parameter count, forward and forward+backward time for one training batch.

Run: `.venv/bin/python bench/model_tiny.py [--batch 32] [--threads 2] [--vocab 3000]`
"""
from __future__ import annotations

import argparse
import time

import torch

from geotext_ros.model.factory import create_model
from geotext_ros.model.tokenizer import WordPieceTokenizer


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--config", default="tiny")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--vocab", type=int, default=3000, help="words in the caption vocabulary (sets embedding size)")
    p.add_argument("--iters", type=int, default=5)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    words = [f"w{i}" for i in range(a.vocab)]
    tok = WordPieceTokenizer.build_vocab(words, min_freq=1)
    model, _, tok = create_model(a.config, tokenizer=tok)
    n_params = sum(p.numel() for p in model.parameters())
    s = model.config.vision.image_size
    images = torch.randn(a.batch, 3, s, s)
    ids = torch.randint(5, len(tok), (a.batch, 30))
    mask = torch.ones_like(ids)

    def step(backward: bool) -> None:
        out = model(images, ids, mask)
        if backward:
            sum(v.float().pow(2).mean() for v in out.values()).backward()

    times = {}
    for backward in (False, True):
        ctx = torch.enable_grad() if backward else torch.no_grad()
        with ctx:
            step(backward)  # warm-up
            t0 = time.perf_counter()
            for _ in range(a.iters):
                step(backward)
        times[backward] = (time.perf_counter() - t0) / a.iters
    print(f"config={a.config} params={n_params / 1e6:.2f}M vocab={len(tok)} batch={a.batch} threads={a.threads}")
    print(f"forward {times[False]:.3f} s  forward+backward {times[True]:.3f} s  ratio {times[True] / times[False]:.2f}")


if __name__ == "__main__":
    main()
