"""A target's outline in the camera image, read from its colours: what the grounder's box gets wrong.

The box comes from a coarse dense map. It is loose around a pitch on grass (the map bleeds into a lawn of a close
colour), the wrong shape for a lengthy hall or a plaza turned 45 degrees, and over a third of a white hall when the
model lit only that part. The frame shows the target X itself: X's colour is the dominant one in the middle of its
box, the ground's the dominant one outside it (after smoothing the texture; colour distance is Euclidean in RGB
0-255, `tolerance` = landing.surface_tolerance, features at most `line_px` = landing.surface_line_px wide, paint
lines and kerbs, do not count).

X's colour region: the convex hull of the component of X's colour (within SAME_SURFACE x the tolerance, thin
features in it counted as X) that fills the most of X's box. X's outline: that region together with what inside
the box is not the ground's colour and touches it (X's parts of other colours: a track's red ring around its
infield, the other half of a gable roof, a pool's deck, a building's shadow), as a convex hull. No outline when it
is implausible for the box (under OUTLINE_FILL[0] or over OUTLINE_FILL[1] of its area: a speck of X's colour, or
X's colour run into the ground) or when it reaches an edge of the frame that the box does not (X's colour ran on
into grass or shade of it).

    colours = FrameColours(rgb, box, tolerance, line_px)
    colours.footprint(k, pose)     # X's outline on the ground plane (ENU), or None
    colours.colour_region          # the mask "land on X" sets down in (geotext_ros.nav.landing_surface)

The tolerance suits surfaces of one paint and moderate texture (the simulator's, aerial views of asphalt, water,
lawn); rough natural ground (gravel, scrub, mottled roofs) may need a larger one.
"""
from __future__ import annotations

from typing import Optional, Sequence

import cv2
import numpy as np

from geotext_ros.nav.camera import IntrinsicsLike, pixel_to_ground
from geotext_ros.nav.candidates import box_pixel_span
from geotext_ros.nav.scene import XY

BLUR_PX = 5           # smoothing before colours are compared: the texture of grass, the noise of the sensor
# a colour this fraction of the tolerance from X's is X's surface. Water beside a faint speck of pond is within
# ~10; a full tolerance took olive grass (41 from asphalt) for a parking lot
SAME_SURFACE = 0.5
TARGET_CORE = 0.5     # X's colour = the dominant colour of this middle fraction of its box (each side)
COLOUR_BIN = 32       # RGB levels a bin when finding the dominant colour (8 bins a channel)
# X's outline is believed when its area is this fraction of its box's: the loosest boxes (a pitch on grass) were
# 0.42 of it, a rotated plaza's 1.9-2.9 x; X's colour run into the ground gave 65 x and more (land episodes, seeds
# 500000+); a hull under a quarter of the box is more likely a part of X than the whole of it
OUTLINE_FILL = (0.25, 4.0)


class FrameColours:
    """One frame's colours around a normalized (cx, cy, w, h) target box (module docstring)."""

    def __init__(self, rgb: np.ndarray, box: Sequence[float], tolerance: float, line_px: int) -> None:
        self.smooth = cv2.blur(np.ascontiguousarray(rgb[..., :3]), (BLUR_PX, BLUR_PX)).astype(np.float32)
        self.tolerance = float(tolerance)
        # smoothing widens a feature by BLUR_PX - 1 pixels: the opening removes what was at most line_px
        self.kernel = np.ones((int(line_px) + BLUR_PX,) * 2, np.uint8)
        self.box = tuple(float(v) for v in box[:4])
        shape = self.smooth.shape[:2]
        self.target_colour = _dominant(self.smooth[span_mask(shape, self.box, TARGET_CORE)])
        around = ~span_mask(shape, self.box)
        self.ground_colour = _dominant(self.smooth[around]) if around.any() else None   # what X stands on
        near = np.linalg.norm(self.smooth - self.target_colour, axis=2) <= self.tolerance * SAME_SURFACE
        self.surface = ~self.opened(~near)
        self.colour_region = _hull_of_largest(self.surface, self.box)

    def opened(self, mask: np.ndarray) -> np.ndarray:
        """The mask without features at most line_px wide (paint lines, specks of texture)."""
        return cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_OPEN, self.kernel).astype(bool)

    def outline(self) -> Optional[np.ndarray]:
        """X's outline as a filled pixel mask, or None (module docstring)."""
        if self.ground_colour is None or not self.colour_region.any():
            return None   # the box is the whole frame (no ground to tell X from), or X's colour is nowhere
        box = span_mask(self.smooth.shape[:2], self.box)
        other = self.opened(np.linalg.norm(self.smooth - self.ground_colour, axis=2) > self.tolerance)
        _, labels = cv2.connectedComponents(((other & box) | self.colour_region).astype(np.uint8))
        parts = np.unique(labels[self.colour_region])
        outline = _filled_hull(np.isin(labels, parts[parts > 0]))
        if not OUTLINE_FILL[0] <= outline.sum() / max(box.sum(), 1) <= OUTLINE_FILL[1]:
            return None
        if _edges(outline) - _edges(box):
            return None   # X's colour ran out of its box to the frame's edge: into ground or shade of that colour
        return outline

    def footprint(self, intrinsics: IntrinsicsLike, pose: Sequence[float]) -> Optional[tuple[XY, ...]]:
        """X's outline on the ground plane z = 0 seen from `pose`, or None (no outline, or a vertex at or above
        the horizon: no extent on the ground)."""
        outline = self.outline()
        if outline is None:
            return None
        vertices = cv2.convexHull(np.argwhere(outline)[:, ::-1].astype(np.int32))[:, 0]
        points = [pixel_to_ground(u + 0.5, v + 0.5, intrinsics, pose) for u, v in vertices.tolist()]
        if len(points) < 3 or any(p is None for p in points):
            return None
        return tuple(points)  # type: ignore[arg-type]


def span_mask(shape: tuple[int, ...], box: Sequence[float], fraction: float = 1.0) -> np.ndarray:
    """The pixels of the middle `fraction` of a normalized (cx, cy, w, h) box, at least one pixel."""
    height, width = shape[:2]
    x0, y0, x1, y1 = box_pixel_span(box, (width, height), fraction)
    x0, y0 = min(x0, width - 1), min(y0, height - 1)
    mask = np.zeros((height, width), bool)
    mask[y0:max(y1, y0 + 1), x0:max(x1, x0 + 1)] = True
    return mask


def _hull_of_largest(surface: np.ndarray, box: Sequence[float]) -> np.ndarray:
    """The filled convex hull of the connected surface component with the most pixels inside the normalized box
    (all False when no surface pixel is in the box)."""
    _, labels = cv2.connectedComponents(surface.astype(np.uint8))
    inside = labels[span_mask(surface.shape, box)]
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


def _dominant(pixels: np.ndarray) -> np.ndarray:
    """The dominant colour of [N, 3] pixels: the median of those in the most common coarse colour bin
    (COLOUR_BIN levels a channel), so a car on the middle of a lot does not tint the lot's colour."""
    bins = np.floor(pixels / COLOUR_BIN).astype(np.int64) @ np.array([65536, 256, 1])
    values, counts = np.unique(bins, return_counts=True)
    return np.median(pixels[bins == values[np.argmax(counts)]], axis=0)
