"""Layout variety of the open-world data (opt-in; `generate_world(..., variety=None)` builds the classic world).

Per place: object sizes scaled together, more or less space between them, tree density from bare to wooded,
parking lots from nearly empty to full, roads more or less often. Sizes keep each kind's proportions, so the
shape words stay right; `layouts._fit` still keeps a place inside its radius.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Variety:
    size_scale: tuple[float, float] = (0.7, 1.35)  # factor on every object's length, width and height
    spacing: tuple[float, float] = (1.0, 1.5)  # extra factor on the offsets (>= 1: never closer than classic)
    trees: tuple[int, int] = (0, 40)  # trees around a place, [lo, hi)
    car_fill: tuple[float, float] = (0.1, 0.95)  # share of parking stalls with a car
    road_p: float = 0.8  # chance of a road along a place

    def sample(self, rng: np.random.Generator) -> "PlaceVariety":
        return PlaceVariety(size=float(rng.uniform(*self.size_scale)), spacing=float(rng.uniform(*self.spacing)),
                            trees=(self.trees[0], self.trees[1]), car_skip=1.0 - float(rng.uniform(*self.car_fill)),
                            road_p=self.road_p)


@dataclass(frozen=True)
class PlaceVariety:
    """What one place draws; the defaults are the classic layout's values."""

    size: float = 1.0
    spacing: float = 1.0
    trees: tuple[int, int] = (6, 16)
    car_skip: float = 0.35
    road_p: float = 0.5


CLASSIC_PLACE = PlaceVariety()
