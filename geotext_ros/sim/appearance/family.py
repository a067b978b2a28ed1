"""What an appearance family is: a name and a sampler of one `Look` per image (one module per family)."""
from __future__ import annotations

from typing import Protocol

import numpy as np

from geotext_ros.sim.appearance.look import Look


class Family(Protocol):
    name: str

    def sample(self, rng: np.random.Generator) -> Look:
        """The look of one image, drawn from this family's ranges."""
        ...


def uniform_rgb(rng: np.random.Generator, lo: tuple[int, int, int], hi: tuple[int, int, int]
                ) -> tuple[int, int, int]:
    """An RGB with each channel uniform in [lo, hi]: the family's background ranges."""
    return tuple(int(rng.integers(a, b + 1)) for a, b in zip(lo, hi))  # type: ignore[return-value]


def tint(rng: np.random.Generator, amount: float) -> tuple[float, float, float]:
    return tuple(float(t) for t in rng.uniform(1 - amount, 1 + amount, size=3))  # type: ignore[return-value]
