"""Low evening sun: long soft shadows, warm orange light, dimmer and darker scenes."""
from __future__ import annotations

import numpy as np

from geotext_ros.sim.appearance.family import uniform_rgb
from geotext_ros.sim.appearance.look import Look


class Evening:
    name = "evening"

    def sample(self, rng: np.random.Generator) -> Look:
        warm = float(rng.uniform(0.04, 0.12))
        return Look(
            family=self.name, ground_rgb=uniform_rgb(rng, (80, 115, 55), (110, 140, 75)),
            ground_patch=float(rng.uniform(10, 24)), shadow_azimuth=float(rng.uniform(0, 2 * np.pi)),
            shadow_strength=float(rng.uniform(0.35, 0.6)), shadow_length=float(rng.uniform(1.0, 2.2)),
            shadow_soft=float(rng.uniform(0.0, 1.5)), brightness=float(rng.uniform(0.8, 0.95)),
            tint=(1 + warm, 1.0, 1 - warm), shading=float(rng.uniform(0.1, 0.3)),
            noise_sigma=float(rng.uniform(3.0, 7.0)))
