"""Does the ground at a touchdown point look clear in the camera image? A check the model cannot make.

The landing planner (geotext_ros.nav.landing) clears what the model grounds; what it does not ground (a car 2
cells long on an 8 x 8 map, the rest of a faintly lit pond) is invisible to it. This check looks at the pixels of
the disc of radius `landing.clearance_m` around a touchdown point, projected into the frame (after smoothing the
texture; features at most `landing.surface_line_px` wide, paint lines and kerbs, are no obstacle):
- "land beside X": the disc is one surface, every pixel within `landing.surface_tolerance` of the disc's median
  colour, and that colour is not X's (farther than SAME_SURFACE x the tolerance from the dominant colour of the
  middle of X's box): the point is not on X or on an unlit rest of it; and it is the ground's colour (within the
  tolerance of the dominant colour outside X's box): not a roof or a court of one colour the model did not ground;
- "land on X": X is the convex hull of the region of X's colour that fills the most of X's box (flat targets are
  convex: lots, courts, plazas, pads); the point lies in it and no pixel of it that is not X's colour (a car on a
  lot) lies in the disc. What lies beyond X's edge is the planner's geometry's business.
A point whose disc leaves the frame is not clear: nothing is known beyond it. X's colour is the dominant one in
the middle of its box: an obstacle covering most of that middle is taken for X's surface.

X's outline in the frame (`target_footprint`, for "land beside X": geotext_ros.nav.image_outline): the box the
model grounds is loose around a pitch on grass (plans 11-18 m from the pitch) and misses the corners of a plaza
turned 45 degrees (plans 2-3 m from it); the planner clears the outline instead.

    check = SurfaceCheck(rgb, k, pose, config, target_box, mode)
    outline = check.target_footprint()            # beside: plan around this instead of the box's footprint
    plan = plan_landing(target, objects, mode, config, view, gaps, accept=check)
    check.checked, check.rejected              # how many points it looked at / turned down

Colours, the smoothing and the opening are geotext_ros.nav.image_outline's (FrameColours).
"""
from __future__ import annotations

import math
from typing import Any, Optional, Sequence

import cv2
import numpy as np

from geotext_ros.nav.camera import IntrinsicsLike, ground_to_pixel
from geotext_ros.nav.image_outline import SAME_SURFACE, FrameColours
from geotext_ros.nav.landing import ON
from geotext_ros.nav.scene import XY

DISC_POINTS = 16      # the ground disc's outline, projected point by point (perspective: an ellipse in the image)


class SurfaceCheck:
    """accept(xy) for plan_landing: True when the ground disc at xy looks clear (module docstring)."""

    def __init__(self, rgb: np.ndarray, intrinsics: IntrinsicsLike, pose: Sequence[float], config: Any,
                 target_box: Sequence[float], mode: str) -> None:
        self.colours = FrameColours(rgb, target_box, config.surface_tolerance, config.surface_line_px)
        self.k, self.pose = intrinsics, tuple(pose)
        self.radius = float(config.clearance_m)
        self.extent = self.obstacles = None
        if mode == ON:   # X = its colour region; obstacles = what is inside X and not its surface (cars on a lot)
            self.extent = self.colours.colour_region
            self.obstacles = self.extent & ~self.colours.surface
        self.checked = self.rejected = 0

    def __call__(self, xy: XY) -> bool:
        self.checked += 1
        ok = self._clear(xy)
        self.rejected += not ok
        return ok

    def _clear(self, xy: XY) -> bool:
        outline = self._outline(xy)
        if outline is None:
            return False
        colours = self.colours
        height, width = colours.smooth.shape[:2]
        x0, y0 = np.floor(outline.min(axis=0)).astype(int)
        x1, y1 = np.ceil(outline.max(axis=0)).astype(int) + 1
        if x0 < 0 or y0 < 0 or x1 > width or y1 > height:
            return False   # the disc leaves the frame
        disc = np.zeros((y1 - y0, x1 - x0), np.uint8)
        cv2.fillPoly(disc, [np.round(outline - (x0, y0)).astype(np.int32)], 1)
        inside = disc.astype(bool)
        if self.obstacles is not None:
            u, v = ground_to_pixel(xy[0], xy[1], self.k, self.pose)
            return bool(self.extent[int(v), int(u)]) and not (self.obstacles[y0:y1, x0:x1] & inside).any()
        median = np.median(colours.smooth[y0:y1, x0:x1][inside], axis=0)
        if np.linalg.norm(median - colours.target_colour) <= colours.tolerance * SAME_SURFACE:
            return False   # the target's colour: on it, or on an unlit rest of it
        if colours.ground_colour is not None and np.linalg.norm(median - colours.ground_colour) > colours.tolerance:
            return False   # not the ground around X: a roof or a court of one colour that nobody grounded
        # opened with a kernel's width of context around the disc: the sliver of a large object that the disc's
        # edge cuts is not a thin feature
        pad = colours.kernel.shape[0]
        c0, r0 = max(x0 - pad, 0), max(y0 - pad, 0)
        around = colours.smooth[r0:min(y1 + pad, height), c0:min(x1 + pad, width)]
        unlike = colours.opened(np.linalg.norm(around - median, axis=2) > colours.tolerance)
        return not (unlike[y0 - r0:y1 - r0, x0 - c0:x1 - c0] & inside).any()

    def target_footprint(self) -> Optional[tuple[XY, ...]]:
        """X's outline in the frame on the ground plane (geotext_ros.nav.image_outline), or None when the frame
        does not show X apart from the ground."""
        return self.colours.footprint(self.k, self.pose)

    def _outline(self, xy: XY) -> np.ndarray | None:
        """The ground disc's outline in pixels, or None when a point of it is behind the camera."""
        pts = []
        for a in np.linspace(0.0, 2 * math.pi, DISC_POINTS, endpoint=False):
            uv = ground_to_pixel(xy[0] + self.radius * math.cos(a), xy[1] + self.radius * math.sin(a), self.k,
                                 self.pose)
            if uv is None:
                return None
            pts.append(uv)
        return np.asarray(pts, np.float64)
