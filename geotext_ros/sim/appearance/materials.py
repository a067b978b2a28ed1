"""Other materials: concrete, asphalt or brick-paver roads, tiled / gravel / panelled roofs, urban dirt ground."""
from __future__ import annotations

import numpy as np

from geotext_ros.sim.appearance.family import tint, uniform_rgb
from geotext_ros.sim.appearance.look import Look

ROADS = (((150, 150, 145), (185, 182, 175)), ((40, 40, 42), (60, 60, 62)), ((150, 110, 90), (175, 130, 105)))
GROUNDS = (((85, 120, 60), (115, 145, 80)), ((140, 125, 100), (170, 150, 120)), ((120, 125, 110), (150, 150, 135)))


class Materials:
    name = "materials"

    def sample(self, rng: np.random.Generator) -> Look:
        return Look(
            family=self.name, ground_rgb=uniform_rgb(rng, *GROUNDS[int(rng.integers(len(GROUNDS)))]),
            ground_patch=float(rng.uniform(10, 25)), ground_grain=float(rng.uniform(0.03, 0.12)),
            grain_px=int(rng.integers(1, 3)), road_rgb=uniform_rgb(rng, *ROADS[int(rng.integers(len(ROADS)))]),
            roof_pattern=str(rng.choice(["tiles", "gravel", "panels"])), color_spread=1.0,
            shadow_azimuth=float(rng.uniform(0, 2 * np.pi)), shadow_strength=float(rng.uniform(0.25, 0.5)),
            shadow_length=float(rng.uniform(0.2, 0.6)), tint=tint(rng, 0.04), shading=float(rng.uniform(0.05, 0.2)),
            noise_sigma=float(rng.uniform(2.0, 6.0)))
