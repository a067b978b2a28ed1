"""Colours of the rendered world: named colours per kind and the per-frame style (light, season, shadows, noise)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RGB = tuple[int, int, int]

NAMED: dict[str, RGB] = {
    "red": (176, 54, 46), "blue": (56, 88, 158), "white": (226, 226, 220), "gray": (130, 130, 132),
    "green": (74, 128, 64), "brown": (124, 86, 54), "black": (42, 42, 46), "orange": (212, 122, 44),
    "silver": (184, 186, 192), "yellow": (222, 200, 64),
}

# Kind-specific looks for colour names that mean something else on that kind (a "blue" pool is light blue).
KIND_COLORS: dict[tuple[str, str], RGB] = {
    ("pool", "blue"): (74, 172, 214), ("pond", "blue"): (48, 92, 104), ("parking_lot", "gray"): (96, 96, 100),
    ("road", "gray"): (72, 72, 74), ("soccer_field", "green"): (58, 142, 62), ("running_track", "red"): (172, 78, 62),
    ("tennis_court", "green"): (62, 132, 92), ("tennis_court", "blue"): (52, 102, 162),
    ("tennis_court", "red"): (162, 72, 62), ("basketball_court", "orange"): (200, 112, 62),
    ("basketball_court", "gray"): (150, 150, 150), ("basketball_court", "blue"): (62, 96, 150),
    ("plaza", "gray"): (176, 172, 162), ("plaza", "brown"): (166, 132, 98), ("plaza", "white"): (216, 212, 204),
    ("solar_panels", "blue"): (32, 42, 82), ("tree", "green"): (36, 82, 38),
}

GRASS_SPRING: RGB = (92, 136, 64)
GRASS_DRY: RGB = (152, 136, 86)


def base_color(kind: str, color: str) -> RGB:
    if (kind, color) in KIND_COLORS:
        return KIND_COLORS[(kind, color)]
    if color not in NAMED:
        raise ValueError(f"no RGB for colour {color!r} of a {kind}; add it to sim.palette.NAMED")
    return NAMED[color]


def shade(rgb: RGB, k: float) -> RGB:
    return tuple(int(max(0, min(255, round(c * k)))) for c in rgb)  # type: ignore[return-value]


def jitter(rgb: RGB, rng: np.random.Generator, amount: int = 10) -> RGB:
    d = rng.integers(-amount, amount + 1, size=3)
    return tuple(int(max(0, min(255, c + int(x)))) for c, x in zip(rgb, d))  # type: ignore[return-value]


@dataclass(frozen=True)
class Style:
    """Per-frame appearance; sampled from the frame's style seed so views of one place never share pixels."""

    brightness: float = 1.0
    tint: tuple[float, float, float] = (1.0, 1.0, 1.0)
    season: float = 0.0  # 0 = green grass, 1 = dry brown grass
    sun_azimuth: float = 0.8  # radians, ENU direction the shadows fall towards
    shadow_strength: float = 0.4
    shadow_length: float = 0.5  # shadow offset in metres per metre of height
    noise_sigma: float = 5.0
    patchiness: float = 18.0  # amplitude of low-frequency ground colour patches

    @staticmethod
    def sample(rng: np.random.Generator) -> "Style":
        return Style(
            brightness=float(rng.uniform(0.78, 1.15)),
            tint=tuple(float(t) for t in rng.uniform(0.94, 1.06, size=3)),  # type: ignore[arg-type]
            season=float(rng.beta(0.8, 1.6)),
            sun_azimuth=float(rng.uniform(0, 2 * np.pi)),
            shadow_strength=float(rng.uniform(0.2, 0.5)),
            shadow_length=float(rng.uniform(0.2, 0.6)),
            noise_sigma=float(rng.uniform(2.5, 8.0)),
            patchiness=float(rng.uniform(8, 26)),
        )

    def grass(self) -> RGB:
        s = self.season
        return tuple(int(round(a * (1 - s) + b * s)) for a, b in zip(GRASS_SPRING, GRASS_DRY))  # type: ignore


NEUTRAL = Style()
