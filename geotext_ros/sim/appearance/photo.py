"""Photo-like look: textured grass and surfaces, roof materials, soft shadows, lens vignette and grain."""
from __future__ import annotations

import numpy as np

from geotext_ros.sim.appearance.family import tint, uniform_rgb
from geotext_ros.sim.appearance.look import Look


class Photo:
    name = "photo"

    def sample(self, rng: np.random.Generator) -> Look:
        return Look(
            family=self.name, ground_rgb=uniform_rgb(rng, (70, 100, 50), (115, 140, 80)),
            ground_patch=float(rng.uniform(15, 35)), ground_grain=float(rng.uniform(0.08, 0.22)),
            grain_px=int(rng.integers(1, 4)), color_spread=float(rng.uniform(0.6, 1.0)),
            roof_pattern=str(rng.choice(["", "tiles", "gravel", "panels"])),
            surface_grain=float(rng.uniform(0.04, 0.12)), shadow_azimuth=float(rng.uniform(0, 2 * np.pi)),
            shadow_strength=float(rng.uniform(0.25, 0.5)), shadow_length=float(rng.uniform(0.2, 0.7)),
            shadow_soft=float(rng.uniform(0.5, 2.0)), brightness=float(rng.uniform(0.85, 1.1)),
            tint=tint(rng, 0.05), shading=float(rng.uniform(0.1, 0.25)), vignette=float(rng.uniform(0.0, 0.35)),
            blur=float(rng.uniform(0.0, 0.7)), noise_sigma=float(rng.uniform(3.0, 8.0)))
