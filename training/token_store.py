"""Row store for per-item token tensors (image tokens, text tokens) used by ITM re-scoring at evaluation.

Small galleries stay in memory; large ones go to a file read back with pread, so the process's resident
memory stays bounded by the rows in use (a memory map would count every touched page as resident)."""
from __future__ import annotations

import os
import tempfile
from typing import Optional

import numpy as np
import torch

MEMORY_LIMIT_BYTES = 1 << 30  # above 1 GiB of tokens, spill to disk


class TokenStore:
    """Fixed-shape rows [n, *row_shape] written in order, read by arbitrary index lists."""

    def __init__(self, n: int, row_shape: tuple[int, ...], dtype: torch.dtype = torch.float16,
                 directory: Optional[str] = None, force_disk: bool = False) -> None:
        self.n, self.row_shape, self.dtype = n, tuple(row_shape), dtype
        self.np_dtype = np.dtype(str(torch.empty(0, dtype=dtype).numpy().dtype))
        self.row_bytes = int(np.prod(self.row_shape)) * self.np_dtype.itemsize
        self.filled = 0
        self.fd: Optional[int] = None
        if force_disk or n * self.row_bytes > MEMORY_LIMIT_BYTES:
            handle, self.path = tempfile.mkstemp(prefix="geotext_tokens_", dir=directory)
            self.fd = handle
            self.mem = None
        else:
            self.mem = torch.empty((n, *self.row_shape), dtype=dtype)

    def append(self, rows: torch.Tensor) -> None:
        rows = rows.detach().to("cpu", self.dtype).contiguous()
        k = rows.shape[0]
        if self.filled + k > self.n:
            raise ValueError(f"TokenStore holds {self.n} rows; appending {k} after {self.filled} overflows")
        if self.mem is not None:
            self.mem[self.filled:self.filled + k] = rows
        else:
            os.pwrite(self.fd, rows.numpy().tobytes(), self.filled * self.row_bytes)
        self.filled += k

    def get(self, index: torch.Tensor | list[int]) -> torch.Tensor:
        idx = torch.as_tensor(index, dtype=torch.long).view(-1)
        if self.mem is not None:
            return self.mem[idx].float()
        out = np.empty((len(idx), *self.row_shape), dtype=self.np_dtype)
        for j, i in enumerate(idx.tolist()):
            buf = os.pread(self.fd, self.row_bytes, i * self.row_bytes)
            out[j] = np.frombuffer(buf, dtype=self.np_dtype).reshape(self.row_shape)
        return torch.from_numpy(out).float()

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            os.unlink(self.path)
            self.fd = None

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter shutdown: nothing left to clean reliably
            pass
