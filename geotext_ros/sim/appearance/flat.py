"""Flat vector-map look: uniform fills, thin outlines, even light, no shadows, no texture, almost no noise."""
from __future__ import annotations

import numpy as np

from geotext_ros.sim.appearance.family import uniform_rgb
from geotext_ros.sim.appearance.look import Look


class Flat:
    name = "flat"

    def sample(self, rng: np.random.Generator) -> Look:
        background = [((200, 222, 180), (226, 240, 205)), ((228, 224, 212), (244, 240, 230)),
                      ((150, 190, 120), (175, 210, 140))][int(rng.integers(3))]  # pale green, paper, map green
        return Look(
            family=self.name, ground_rgb=uniform_rgb(rng, *background), ground_patch=0.0,
            color_spread=float(rng.uniform(0.3, 1.0)), outline=uniform_rgb(rng, (60, 60, 60), (110, 110, 110))
            if rng.random() < 0.7 else None, details=bool(rng.random() < 0.5),
            road_rgb=uniform_rgb(rng, (235, 235, 235), (255, 255, 250)) if rng.random() < 0.5 else None,
            shadow_strength=0.0, shading=0.0, noise_sigma=float(rng.uniform(0.0, 1.0)),
            saturation=float(rng.uniform(1.0, 1.2)))
