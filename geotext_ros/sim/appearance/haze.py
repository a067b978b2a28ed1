"""Hazy air: a grey-blue veil over the whole frame, low contrast, faint shadows, a little blur."""
from __future__ import annotations

import numpy as np

from geotext_ros.sim.appearance.family import uniform_rgb
from geotext_ros.sim.appearance.look import Look


class Haze:
    name = "haze"

    def sample(self, rng: np.random.Generator) -> Look:
        return Look(
            family=self.name, ground_rgb=uniform_rgb(rng, (85, 125, 60), (120, 150, 85)),
            ground_patch=float(rng.uniform(8, 22)), shadow_azimuth=float(rng.uniform(0, 2 * np.pi)),
            shadow_strength=float(rng.uniform(0.1, 0.3)), shadow_length=float(rng.uniform(0.2, 0.6)),
            shadow_soft=2.0, haze=float(rng.uniform(0.15, 0.35)),
            haze_rgb=uniform_rgb(rng, (185, 190, 195), (220, 225, 235)), contrast=float(rng.uniform(0.8, 0.95)),
            blur=float(rng.uniform(0.3, 1.0)), shading=float(rng.uniform(0.05, 0.2)),
            noise_sigma=float(rng.uniform(2.0, 5.0)))
