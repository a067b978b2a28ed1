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

X's outline in the frame (`target_footprint`, for "land beside X"): the box the model grounds is loose around a
pitch on grass (its dense map bleeds into the lawn: plans 11-18 m from the pitch) and misses the corners of a
plaza turned 45 degrees (plans 2-3 m from it). The outline is the convex hull of X's colour region (as for "on")
together with what inside the box is not the ground's colour and touches it (X's parts of other colours: a
track's red ring around its infield, the other half of a gable roof, a pool's deck, a building's shadow); the
ground's colour is the dominant one outside the box. None when that hull is implausible for the box (under
OUTLINE_FILL[0] or over OUTLINE_FILL[1] of its area: a speck of X's colour, or X's colour run into the ground),
or when it reaches an edge of the frame that the box does not (X's colour ran on into grass or shade of it).

    check = SurfaceCheck(rgb, k, pose, config, target_box, mode)
    outline = check.target_footprint()            # beside: plan around this instead of the box's footprint
    plan = plan_landing(target, objects, mode, config, view, gaps, accept=check)
    check.checked, check.rejected              # how many points it looked at / turned down

Colour distance is Euclidean in RGB (0-255). The tolerance suits surfaces of one paint and moderate texture (the
simulator's, aerial views of asphalt, water, lawn); rough natural ground (gravel, scrub) may need a larger one.
"""
from __future__ import annotations

import math
from typing import Any, Optional, Sequence

import cv2
import numpy as np

from geotext_ros.nav.camera import IntrinsicsLike, ground_to_pixel, pixel_to_ground
from geotext_ros.nav.candidates import box_pixel_span
from geotext_ros.nav.landing import ON
from geotext_ros.nav.scene import XY

DISC_POINTS = 16      # the ground disc's outline, projected point by point (perspective: an ellipse in the image)
BLUR_PX = 5           # smoothing before colours are compared: the texture of grass, the noise of the sensor
# a colour this fraction of surface_tolerance from the target's is the target's surface (beside: the disc's median;
# on: each pixel). Water beside a faint speck of pond is within ~10; a full tolerance took olive grass (41 from
# asphalt) for a parking lot
SAME_SURFACE = 0.5
TARGET_CORE = 0.5     # "its colour" = the dominant colour of this middle fraction of the target's box (each side)
COLOUR_BIN = 32       # RGB levels a bin when finding the dominant colour (8 bins a channel)
# X's outline is believed when its area is this fraction of its box's: the loosest boxes (a pitch on grass) were
# 0.42 of it, a rotated plaza's 1.9-2.9 x; X's colour run into the ground gave 65 x and more (land episodes, seeds
# 500000+); a hull under a quarter of the box is more likely a part of X than the whole of it
OUTLINE_FILL = (0.25, 4.0)


class SurfaceCheck:
    """accept(xy) for plan_landing: True when the ground disc at xy looks clear (module docstring)."""

    def __init__(self, rgb: np.ndarray, intrinsics: IntrinsicsLike, pose: Sequence[float], config: Any,
                 target_box: Sequence[float], mode: str) -> None:
        self.smooth = cv2.blur(np.ascontiguousarray(rgb[..., :3]), (BLUR_PX, BLUR_PX)).astype(np.float32)
        self.k, self.pose = intrinsics, tuple(pose)
        self.radius, self.tolerance = float(config.clearance_m), float(config.surface_tolerance)
        # smoothing widens a feature by BLUR_PX - 1 pixels: the opening removes what was at most surface_line_px
        self.kernel = np.ones((config.surface_line_px + BLUR_PX,) * 2, np.uint8)
        self.box = tuple(float(v) for v in target_box[:4])
        self.target_colour = _dominant(self.smooth[_span_mask(self.smooth.shape[:2], self.box, TARGET_CORE)])
        around = ~_span_mask(self.smooth.shape[:2], self.box)
        self.ground_colour = _dominant(self.smooth[around]) if around.any() else None   # what X stands on
        # X's surface: its colour (within SAME_SURFACE x the tolerance: olive grass is 41 from asphalt), thin
        # features in it (paint lines) counted as surface; its colour region = the convex hull of the surface's
        # component that fills the most of X's box
        near = np.linalg.norm(self.smooth - self.target_colour, axis=2) <= self.tolerance * SAME_SURFACE
        self.surface = ~self._opened(~near)
        self.colour_region = _hull_of_largest(self.surface, self.box)
        self.extent = self.obstacles = None
        if mode == ON:   # X = its colour region; obstacles = what is inside X and not its surface (cars on a lot)
            self.extent = self.colour_region
            self.obstacles = self.extent & ~self.surface
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
        height, width = self.smooth.shape[:2]
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
        median = np.median(self.smooth[y0:y1, x0:x1][inside], axis=0)
        if np.linalg.norm(median - self.target_colour) <= self.tolerance * SAME_SURFACE:
            return False   # the target's colour: on it, or on an unlit rest of it
        if self.ground_colour is not None and np.linalg.norm(median - self.ground_colour) > self.tolerance:
            return False   # not the ground around X: a roof or a court of one colour that nobody grounded
        # opened with a kernel's width of context around the disc: the sliver of a large object that the disc's
        # edge cuts is not a thin feature
        pad = self.kernel.shape[0]
        c0, r0 = max(x0 - pad, 0), max(y0 - pad, 0)
        around = self.smooth[r0:min(y1 + pad, height), c0:min(x1 + pad, width)]
        unlike = self._opened(np.linalg.norm(around - median, axis=2) > self.tolerance)
        return not (unlike[y0 - r0:y1 - r0, x0 - c0:x1 - c0] & inside).any()

    def target_footprint(self) -> Optional[tuple[XY, ...]]:
        """X's outline in the frame (module docstring) on the ground plane, or None when the frame does not show
        X apart from the ground (no colour region, or a hull implausible for the box)."""
        if not self.colour_region.any():
            return None
        if self.ground_colour is None:
            return None   # the box is the whole frame: no ground to tell X from
        box = _span_mask(self.smooth.shape[:2], self.box)
        other = self._opened(np.linalg.norm(self.smooth - self.ground_colour, axis=2) > self.tolerance)
        _, labels = cv2.connectedComponents(((other & box) | self.colour_region).astype(np.uint8))
        parts = np.unique(labels[self.colour_region])
        outline = _filled_hull(np.isin(labels, parts[parts > 0]))
        if not OUTLINE_FILL[0] <= outline.sum() / max(box.sum(), 1) <= OUTLINE_FILL[1]:
            return None
        if _edges(outline) - _edges(box):
            return None   # X's colour ran out of its box to the frame's edge: into ground or shade of that colour
        vertices = cv2.convexHull(np.argwhere(outline)[:, ::-1].astype(np.int32))[:, 0]
        ground_points = [pixel_to_ground(u + 0.5, v + 0.5, self.k, self.pose) for u, v in vertices.tolist()]
        if len(ground_points) < 3 or any(p is None for p in ground_points):
            return None   # a vertex at or above the horizon: the outline has no extent on the ground
        return tuple(ground_points)  # type: ignore[arg-type]

    def _opened(self, mask: np.ndarray) -> np.ndarray:
        """The mask without features at most surface_line_px wide (paint lines, specks of texture)."""
        return cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_OPEN, self.kernel).astype(bool)

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


def _hull_of_largest(surface: np.ndarray, box: Sequence[float]) -> np.ndarray:
    """The filled convex hull of the connected surface component with the most pixels inside the normalized box
    (all False when no surface pixel is in the box)."""
    _, labels = cv2.connectedComponents(surface.astype(np.uint8))
    inside = labels[_span_mask(surface.shape, box)]
    counts = np.bincount(inside[inside > 0].ravel())
    if counts.size == 0 or counts.max() == 0:
        return np.zeros_like(surface, bool)
    return _filled_hull(labels == int(np.argmax(counts)))


def _filled_hull(mask: np.ndarray) -> np.ndarray:
    """The filled convex hull of a mask's True pixels (all False without any)."""
    out = np.zeros(mask.shape, np.uint8)
    ys, xs = np.nonzero(mask)
    if xs.size:
        cv2.fillConvexPoly(out, cv2.convexHull(np.stack([xs, ys], axis=1).astype(np.int32)), 1)
    return out.astype(bool)


def _edges(mask: np.ndarray) -> set[str]:
    """The frame's edges (top, bottom, left, right) that a mask reaches."""
    return {name for name, line in (("top", mask[0]), ("bottom", mask[-1]), ("left", mask[:, 0]),
                                    ("right", mask[:, -1])) if line.any()}


def _span_mask(shape: tuple[int, ...], box: Sequence[float], fraction: float = 1.0) -> np.ndarray:
    """The pixels of the middle `fraction` of a normalized (cx, cy, w, h) box, at least one pixel."""
    height, width = shape[:2]
    x0, y0, x1, y1 = box_pixel_span(box, (width, height), fraction)
    x0, y0 = min(x0, width - 1), min(y0, height - 1)
    mask = np.zeros((height, width), bool)
    mask[y0:max(y1, y0 + 1), x0:max(x1, x0 + 1)] = True
    return mask


def _dominant(pixels: np.ndarray) -> np.ndarray:
    """The dominant colour of [N, 3] pixels: the median of those in the most common coarse colour bin
    (COLOUR_BIN levels a channel), so a car on the middle of a lot does not tint the lot's colour."""
    bins = np.floor(pixels / COLOUR_BIN).astype(np.int64) @ np.array([65536, 256, 1])
    values, counts = np.unique(bins, return_counts=True)
    return np.median(pixels[bins == values[np.argmax(counts)]], axis=0)
