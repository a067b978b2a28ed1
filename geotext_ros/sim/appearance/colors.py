"""Colour values drawn from a range around each named colour instead of one RGB, with the name kept right.

Every colour name owns a region of HSV space (`REGIONS`): a hue interval (chromatic names) and saturation/value
bounds. A sample starts at the kind's base RGB (geotext_ros.sim.palette), moves hue, saturation and value by a
random amount and is clipped back into the name's region, so a "red" roof may be brick, crimson or faded, but
never orange or brown. `color_name` is the inverse (the region a colour falls in), used by the tests.
"""
from __future__ import annotations

import colorsys
from dataclasses import dataclass

import numpy as np

from geotext_ros.sim.palette import RGB, base_color


@dataclass(frozen=True)
class Region:
    """HSV bounds of a colour name: hue in degrees (lo > hi wraps through 0), saturation and value in [0, 1]."""

    hue: tuple[float, float] | None  # None: achromatic, any hue
    sat: tuple[float, float]
    val: tuple[float, float]

    def contains(self, h: float, s: float, v: float) -> bool:
        return _hue_in(h, self.hue) and self.sat[0] <= s <= self.sat[1] and self.val[0] <= v <= self.val[1]

    def clip(self, h: float, s: float, v: float, margin: float = 0.02) -> tuple[float, float, float]:
        """The nearest point inside the region, `margin` in from its edges (8-bit rounding must not leave it)."""
        if self.hue is not None:
            lo, hi = self.hue[0] + 2.0, self.hue[1] - 2.0
            if not _hue_in(h, (lo % 360.0, hi % 360.0)):
                h = lo if _hue_dist(h, lo) <= _hue_dist(h, hi) else hi
        return (h % 360.0, float(np.clip(s, self.sat[0] + margin, self.sat[1] - margin)),
                float(np.clip(v, self.val[0] + margin, self.val[1] - margin)))


# The regions do not overlap: brown and orange share hues but not values; the greys split by value only.
REGIONS: dict[str, Region] = {
    "red": Region((350.0, 12.0), (0.55, 0.85), (0.48, 0.78)),  # less saturated or brighter reads salmon
    "orange": Region((18.0, 36.0), (0.60, 0.90), (0.74, 0.95)),
    "yellow": Region((44.0, 60.0), (0.55, 0.85), (0.74, 0.95)),
    "brown": Region((14.0, 38.0), (0.35, 0.70), (0.38, 0.60)),
    "green": Region((85.0, 150.0), (0.35, 0.75), (0.40, 0.65)),
    "blue": Region((192.0, 228.0), (0.40, 0.75), (0.40, 0.88)),
    "black": Region(None, (0.0, 0.30), (0.10, 0.22)),  # wide saturation: at this value rounding moves it a lot
    "gray": Region(None, (0.0, 0.08), (0.30, 0.62)),
    "silver": Region(None, (0.02, 0.10), (0.68, 0.80)),
    "white": Region(None, (0.0, 0.06), (0.84, 0.96)),
}
# Kind colours whose usual look sits outside the generic region keep a region of their own around it (a "gray"
# plaza is pale paving, a "blue" solar array nearly black-blue); still inside the name's hue range when chromatic.
KIND_REGIONS: dict[tuple[str, str], Region] = {
    ("plaza", "gray"): Region(None, (0.0, 0.10), (0.55, 0.72)),
    ("plaza", "white"): Region(None, (0.0, 0.08), (0.80, 0.92)),
    ("plaza", "brown"): Region((18.0, 36.0), (0.30, 0.50), (0.50, 0.68)),
    ("solar_panels", "blue"): Region((212.0, 228.0), (0.45, 0.75), (0.22, 0.42)),
    ("pond", "blue"): Region((185.0, 215.0), (0.35, 0.65), (0.30, 0.50)),
    ("pool", "blue"): Region((188.0, 205.0), (0.50, 0.80), (0.70, 0.92)),
    ("parking_lot", "gray"): Region(None, (0.0, 0.06), (0.30, 0.48)),
    ("road", "gray"): Region(None, (0.0, 0.06), (0.22, 0.40)),
    ("basketball_court", "gray"): Region(None, (0.0, 0.06), (0.48, 0.66)),
    ("tree", "green"): Region((90.0, 150.0), (0.40, 0.70), (0.22, 0.45)),
}


def region(kind: str, color: str) -> Region:
    if (kind, color) in KIND_REGIONS:
        return KIND_REGIONS[(kind, color)]
    if color not in REGIONS:
        raise ValueError(f"no colour region for {color!r} of a {kind}; add it to sim.appearance.colors.REGIONS")
    return REGIONS[color]


def sample_color(kind: str, color: str, rng: np.random.Generator, spread: float = 1.0) -> RGB:
    """An RGB for `color` on a `kind`: the base colour moved by up to `spread` x (12 deg hue, 0.2 sat, 0.2 val),
    then clipped into the name's region."""
    h, s, v = rgb_to_hsv(base_color(kind, color))
    h += rng.uniform(-12.0, 12.0) * spread
    s += rng.uniform(-0.2, 0.2) * spread
    v += rng.uniform(-0.2, 0.2) * spread
    return hsv_to_rgb(*region(kind, color).clip(h, s, v))


def color_name(rgb: RGB, kind: str = "") -> str | None:
    """The colour name whose region holds `rgb` (kind-specific regions first); None if no region does."""
    h, s, v = rgb_to_hsv(rgb)
    for (k, name), reg in KIND_REGIONS.items():
        if k == kind and reg.contains(h, s, v):
            return name
    for name, reg in REGIONS.items():
        if reg.contains(h, s, v):
            return name
    return None


def rgb_to_hsv(rgb: RGB) -> tuple[float, float, float]:
    h, s, v = colorsys.rgb_to_hsv(*(c / 255.0 for c in rgb))
    return h * 360.0, s, v


def hsv_to_rgb(h: float, s: float, v: float) -> RGB:
    return tuple(int(round(c * 255)) for c in colorsys.hsv_to_rgb((h % 360.0) / 360.0, s, v))  # type: ignore


def _hue_in(h: float, rng: tuple[float, float] | None) -> bool:
    if rng is None:
        return True
    lo, hi = rng
    h %= 360.0
    return lo <= h <= hi if lo <= hi else (h >= lo or h <= hi)


def _hue_dist(a: float, b: float) -> float:
    d = abs(a - b) % 360.0
    return min(d, 360.0 - d)
