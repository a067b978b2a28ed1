"""Overcast farmland (the held-out family by default): diffuse light without shadows, cool grey light,
striped fields around the places, soft focus. Written apart from the other families and never mixed into
training data while it is the held-out family (training.data.synth checks)."""
from __future__ import annotations

import numpy as np

from geotext_ros.sim.appearance.family import uniform_rgb
from geotext_ros.sim.appearance.look import Look


class Overcast:
    name = "overcast"

    def sample(self, rng: np.random.Generator) -> Look:
        cool = float(rng.uniform(0.02, 0.07))
        return Look(
            family=self.name, ground_rgb=uniform_rgb(rng, (95, 110, 60), (140, 135, 90)),
            ground_patch=float(rng.uniform(15, 30)), ground_stripes=float(rng.uniform(0.05, 0.14)),
            stripe_period_px=float(rng.uniform(6, 16)), stripe_angle=float(rng.uniform(0, np.pi)),
            color_spread=float(rng.uniform(0.5, 1.0)), roof_pattern=str(rng.choice(["", "gravel"])),
            shadow_strength=float(rng.uniform(0.0, 0.12)), shadow_length=0.3, shadow_soft=3.0,
            brightness=float(rng.uniform(0.82, 0.98)), tint=(1 - cool, 1.0, 1 + cool),
            saturation=float(rng.uniform(0.8, 0.92)), contrast=float(rng.uniform(0.85, 1.0)),
            shading=float(rng.uniform(0.0, 0.1)), blur=float(rng.uniform(0.4, 0.9)),
            noise_sigma=float(rng.uniform(1.5, 4.0)))
