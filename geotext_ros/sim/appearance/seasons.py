"""Seasonal vegetation: grass from lush spring green to dry summer straw to autumn brown; trees in autumn colours."""
from __future__ import annotations

import numpy as np

from geotext_ros.sim.appearance.family import tint, uniform_rgb
from geotext_ros.sim.appearance.look import Look

GRASS = {"spring": ((60, 120, 40), (90, 150, 60)), "summer": ((150, 140, 80), (185, 170, 105)),
         "autumn": ((110, 95, 55), (140, 120, 75)), "wet": ((45, 80, 40), (70, 100, 55))}
TREES = {"spring": None, "summer": (120, 120, 50), "autumn": (190, 110, 40), "wet": None}


class Seasons:
    name = "seasons"

    def sample(self, rng: np.random.Generator) -> Look:
        season = str(rng.choice(sorted(GRASS)))
        return Look(
            family=self.name, ground_rgb=uniform_rgb(rng, *GRASS[season]), ground_patch=float(rng.uniform(12, 30)),
            ground_grain=float(rng.uniform(0.0, 0.1)), vegetation_rgb=TREES[season],
            vegetation_mix=float(rng.uniform(0.3, 0.7)), shadow_azimuth=float(rng.uniform(0, 2 * np.pi)),
            shadow_strength=float(rng.uniform(0.2, 0.45)), shadow_length=float(rng.uniform(0.2, 0.8)),
            brightness=float(rng.uniform(0.85, 1.1)), tint=tint(rng, 0.04), shading=float(rng.uniform(0.05, 0.2)),
            noise_sigma=float(rng.uniform(2.0, 6.0)))
