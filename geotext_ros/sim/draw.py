"""Per-kind drawing of objects with PIL: footprints plus the details that make kinds recognisable from above."""
from __future__ import annotations

import math

import numpy as np
from PIL import ImageDraw

from geotext_ros.sim.palette import RGB, shade
from geotext_ros.sim.world import WorldObject, _stadium, local_footprint


ROOF_PATTERN_SHAPES = ("rect", "square", "long", "l_shape")


class ObjectPainter:
    """Draws one object given its local->pixel affine (M [2,2], t [2]) and pixels-per-metre scale."""

    def __init__(self, draw: ImageDraw.ImageDraw, obj: WorldObject, m: np.ndarray, t: np.ndarray, ppm: float):
        self.d, self.o, self.m, self.t, self.ppm = draw, obj, m, t, ppm

    def px(self, local: np.ndarray) -> list[float]:
        pts = np.asarray(local, dtype=np.float64)
        if self.o.flip:
            pts = pts * np.array([1.0, -1.0])
        return (pts @ self.m.T + self.t).ravel().tolist()

    def poly(self, local: np.ndarray, fill: RGB | None, outline: RGB | None = None) -> None:
        self.d.polygon(self.px(local), fill=fill, outline=outline)

    def line(self, a: tuple[float, float], b: tuple[float, float], fill: RGB, width_m: float = 0.25) -> None:
        self.d.line(self.px(np.array([a, b])), fill=fill, width=max(1, int(round(width_m * self.ppm))))

    def rect(self, hl: float, hw: float, fill: RGB | None, outline: RGB | None = None, dx: float = 0.0,
             dy: float = 0.0) -> None:
        self.poly(np.array([(dx - hl, dy - hw), (dx + hl, dy - hw), (dx + hl, dy + hw), (dx - hl, dy + hw)]),
                  fill, outline)

    def paint(self, rgb: RGB, outline: RGB | None = None, details: bool = True, roof_pattern: str = "") -> None:
        """Footprint, then the kind's details; `outline`, `details=False` and `roof_pattern` are the varied looks'
        (sim.appearance), the defaults draw the classic look."""
        fn = getattr(self, "_" + self.o.kind, None) if details else None
        if outline is None and self.o.kind == "building":
            outline = shade(rgb, 0.7)
        # The footprint polygon is already flipped by local_footprint; draw it without a second flip.
        pts = local_footprint(self.o) @ self.m.T + self.t
        self.d.polygon(pts.ravel().tolist(), fill=rgb, outline=outline)
        visible = self.ppm * min(self.o.length, self.o.width) > 6  # details only when visible
        if fn is not None and visible:
            fn(rgb)
        if roof_pattern and self.o.kind == "building" and visible and self.o.shape in ROOF_PATTERN_SHAPES:
            getattr(self, "_roof_" + roof_pattern)(rgb)

    # --- roof materials of the varied looks: drawn in shades of the roof's own colour (its name stays right) ---
    def _roof_half(self) -> tuple[float, float, float]:
        """(x_min, x_max, half width) of the roof part that is a full rectangle (an L's notch-free half)."""
        hl, hw = self.o.length / 2, self.o.width / 2
        return (-hl, 0.0, hw) if self.o.shape == "l_shape" else (-hl, hl, hw)

    def _roof_tiles(self, rgb: RGB) -> None:
        x0, x1, hw = self._roof_half()
        for x in np.arange(x0 + 0.6, x1 - 0.3, 0.9):
            self.line((x, -hw + 0.3), (x, hw - 0.3), shade(rgb, 0.84), 0.12)

    def _roof_gravel(self, rgb: RGB) -> None:
        x0, x1, hw = self._roof_half()
        rng = np.random.default_rng([self.o.seed, 7])
        n = int(abs(x1 - x0) * hw * 0.8)
        for x, y, k in zip(rng.uniform(x0 + 0.5, x1 - 0.5, n), rng.uniform(-hw + 0.5, hw - 0.5, n),
                           rng.uniform(0.82, 1.15, n)):
            self.rect(0.25, 0.25, shade(rgb, float(k)), dx=float(x), dy=float(y))

    def _roof_panels(self, rgb: RGB) -> None:
        x0, x1, hw = self._roof_half()
        for x in np.arange(x0 + 2.0, x1 - 1.5, 3.5):
            for y in (-hw / 2, hw / 2):
                self.rect(0.9, 0.7, shade(rgb, 0.7), shade(rgb, 1.2), dx=float(x), dy=float(y))

    # --- kind details -------------------------------------------------------------------------------------
    def _building(self, rgb: RGB) -> None:
        hl, hw = self.o.length / 2, self.o.width / 2
        if self.o.material == "gabled" and self.o.shape in ("rect", "long", "square"):
            self.rect(hl, hw / 2, shade(rgb, 0.82), dy=hw / 2)
            self.line((-hl, 0), (hl, 0), shade(rgb, 0.6), 0.4)
        elif self.o.material == "metal":
            for x in np.arange(-hl + 1.5, hl - 1.0, 2.0):
                if self.o.shape != "l_shape" or x < 0:
                    self.line((x, -hw + 0.5), (x, hw - 0.5), shade(rgb, 1.12), 0.2)
                else:
                    self.line((x, -hw + 0.5), (x, -0.5), shade(rgb, 1.12), 0.2)
        else:
            rng = np.random.default_rng(self.o.seed)
            for _ in range(2):
                x, y = rng.uniform(-0.6, -0.1) * hl, rng.uniform(-0.6, -0.1) * hw
                self.rect(1.2, 1.0, shade(rgb, 0.72 if rgb[0] > 120 else 1.35), dx=x, dy=y)

    def _parking_lot(self, rgb: RGB) -> None:
        hl, hw = self.o.length / 2, self.o.width / 2
        paint = (210, 210, 200)
        for side in (-1, 1):
            for x in np.arange(-hl, hl + 0.01, 2.8):
                self.line((x, side * hw), (x, side * hw * 0.3), paint, 0.15)

    def _soccer_field(self, rgb: RGB) -> None:
        hl, hw = self.o.length / 2, self.o.width / 2
        for k in range(0, 10, 2):  # mowing stripes
            x0 = -hl + k * self.o.length / 10
            self.rect(self.o.length / 20, hw, shade(rgb, 1.08), dx=x0 + self.o.length / 20)
        white = (235, 235, 235)
        self.rect(hl - 1.5, hw - 1.5, None, white)
        self.line((0, -hw + 1.5), (0, hw - 1.5), white)
        t = np.linspace(0, 2 * math.pi, 16, endpoint=False)
        self.poly(np.stack([4.5 * np.cos(t), 4.5 * np.sin(t)], 1), None, white)
        for side in (-1, 1):
            self.rect(4.5, 8.0, None, white, dx=side * (hl - 1.5 - 4.5))

    def _tennis_court(self, rgb: RGB) -> None:
        hl, hw = self.o.length / 2, self.o.width / 2
        inner = shade(rgb, 1.25)
        white = (240, 240, 240)
        self.rect(hl - 1.5, hw - 1.2, inner, white)
        self.line((0, -hw), (0, hw), (30, 30, 30), 0.2)
        for side in (-1, 1):
            self.line((side * 6.4, -hw + 2.2), (side * 6.4, hw - 2.2), white)
        self.line((-6.4, 0), (6.4, 0), white)

    def _basketball_court(self, rgb: RGB) -> None:
        hl, hw = self.o.length / 2, self.o.width / 2
        white = (240, 240, 240)
        self.rect(hl - 1, hw - 1, None, white)
        self.line((0, -hw + 1), (0, hw - 1), white)
        for side in (-1, 1):
            self.rect(2.9, 2.45, shade(rgb, 0.8), white, dx=side * (hl - 1 - 2.9))

    def _running_track(self, rgb: RGB) -> None:
        hl, hw = self.o.length / 2, self.o.width / 2
        white = (230, 225, 220)
        for inset in (2.0, 4.0):
            self.poly(_stadium(hl - inset, hw - inset), None, white)
        self.poly(_stadium(hl - 6.0, hw - 6.0), (70, 138, 66), white)

    def _pool(self, rgb: RGB) -> None:
        hl, hw = self.o.length / 2, self.o.width / 2
        self.rect(hl, hw, (205, 205, 198))  # deck
        self.rect(hl - 1.2, hw - 1.2, rgb)
        for y in np.arange(-hw + 1.2 + 2.5, hw - 1.2, 2.5):
            self.line((-hl + 2.0, y), (hl - 2.0, y), shade(rgb, 0.7), 0.15)

    def _pond(self, rgb: RGB) -> None:
        self.d.polygon(((local_footprint(self.o) * 0.65) @ self.m.T + self.t).ravel().tolist(), fill=shade(rgb, 0.85))

    def _road(self, rgb: RGB) -> None:
        hl = self.o.length / 2
        for x in np.arange(-hl, hl, 6.0):
            self.line((x, 0), (x + 3.0, 0), (214, 204, 140), 0.18)

    def _tree(self, rgb: RGB) -> None:
        r = self.o.length / 2
        t = np.linspace(0, 2 * math.pi, 8, endpoint=False)
        self.poly(np.stack([0.55 * r * np.cos(t) - 0.2 * r, 0.55 * r * np.sin(t) + 0.2 * r], 1), shade(rgb, 1.25))

    def _plaza(self, rgb: RGB) -> None:
        hl = self.o.length / 2
        for x in np.arange(-hl + 4, hl, 4.0):
            self.line((x, -hl), (x, hl), shade(rgb, 0.9), 0.12)
            self.line((-hl, x), (hl, x), shade(rgb, 0.9), 0.12)
        t = np.linspace(0, 2 * math.pi, 12, endpoint=False)
        self.poly(np.stack([2.2 * np.cos(t), 2.2 * np.sin(t)], 1), (110, 150, 170), shade(rgb, 0.7))

    def _solar_panels(self, rgb: RGB) -> None:
        hl, hw = self.o.length / 2, self.o.width / 2
        light = shade(rgb, 1.9)
        for x in np.arange(-hl + 1.6, hl, 1.6):
            self.line((x, -hw), (x, hw), light, 0.1)
        self.line((-hl, 0), (hl, 0), light, 0.3)

    def _car(self, rgb: RGB) -> None:
        self.rect(0.7, 0.8, (30, 34, 40), dx=0.9)

    def _boat(self, rgb: RGB) -> None:
        self.rect(0.9, 0.6, shade(rgb, 0.75), dx=-0.6)
