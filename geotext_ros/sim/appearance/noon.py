"""Hard noon sun: short, dark, sharp-edged shadows, bright and contrasty, slightly washed-out colours."""
from __future__ import annotations

import numpy as np

from geotext_ros.sim.appearance.family import tint, uniform_rgb
from geotext_ros.sim.appearance.look import Look


class Noon:
    name = "noon"

    def sample(self, rng: np.random.Generator) -> Look:
        return Look(
            family=self.name, ground_rgb=uniform_rgb(rng, (95, 140, 60), (130, 165, 85)),
            ground_patch=float(rng.uniform(8, 20)), shadow_azimuth=float(rng.uniform(0, 2 * np.pi)),
            shadow_strength=float(rng.uniform(0.55, 0.75)), shadow_length=float(rng.uniform(0.08, 0.25)),
            brightness=float(rng.uniform(1.0, 1.1)), contrast=float(rng.uniform(1.05, 1.2)),
            saturation=float(rng.uniform(0.85, 1.0)), tint=tint(rng, 0.03), shading=0.05,
            noise_sigma=float(rng.uniform(2.0, 5.0)))
