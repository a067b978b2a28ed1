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
        self.smooth, self.kernel = _smoothed(rgb), _line_kernel(line_px)
        self.tolerance = float(tolerance)
        self.box = tuple(float(v) for v in box[:4])
        shape = self.smooth.shape[:2]
        self.target_colour = _dominant(self.smooth[span_mask(shape, self.box, TARGET_CORE)])
        around = ~span_mask(shape, self.box)
        self.ground_colour = _dominant(self.smooth[around]) if around.any() else None   # what X stands on
        self.surface = _colour_surface(self.smooth, self.target_colour, self.tolerance, self.kernel)
        self.colour_region = _hull_of_largest(self.surface, self.box)

    def opened(self, mask: np.ndarray) -> np.ndarray:
        """The mask without features at most line_px wide (paint lines, specks of texture)."""
        return _opened(mask, self.kernel)

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


class FrameSurfaces:
    """One frame's surfaces of one paint, by FrameColours' rules (the same smoothing, colour tolerance and removal
    of thin features), for telling the parts of one object from separate objects (nav/fragments.py). The frame is
    smoothed and its coarse colour bins counted once, so a box costs one colour comparison over the frame."""

    def __init__(self, rgb: np.ndarray, tolerance: float, line_px: int) -> None:
        self.smooth, self.kernel = _smoothed(rgb), _line_kernel(line_px)
        self.tolerance = float(tolerance)
        levels = 256 // COLOUR_BIN   # bins a channel; ids ordered as _dominant's, so ties break the same way
        self._bins = (np.floor(self.smooth / COLOUR_BIN).astype(np.int64) @ np.array([levels * levels, levels, 1]))
        self._values = self.smooth.astype(np.int64)   # a blurred uint8 frame: whole levels 0-255
        self._hist = self._histogram(self._bins, self._values)   # [bin, channel, level] pixel counts
        self._counts = self._hist[:, 0].sum(axis=1)              # pixels per bin

    def joined(self, box: Sequence[float], boxes: Sequence[Sequence[float]]) -> list[bool]:
        """For each of `boxes`: whether most of its middle (TARGET_CORE) lies on the component of `box`'s colour
        (FrameColours.target_colour) that fills the most of `box`: one surface of one paint joins them. None is
        joined when that colour is the ground's (the dominant one outside `box`): the ground joins anything on it."""
        shape = self.smooth.shape[:2]
        inside = span_mask(shape, box)
        colour = _dominant(self.smooth[span_mask(shape, box, TARGET_CORE)])
        if not (~inside).any() or np.linalg.norm(colour - self._ground(inside)) <= self.tolerance:
            return [False] * len(boxes)
        own = _largest_in(_colour_surface(self.smooth, colour, self.tolerance, self.kernel), box)
        if own is None:
            return [False] * len(boxes)
        return [bool(own[span_slices(shape, b, TARGET_CORE)].mean() > 0.5) for b in boxes]

    def _ground(self, inside: np.ndarray) -> np.ndarray:
        """_dominant of the pixels outside a box mask: the frame's level counts less the box's, the median of
        each channel read from the counts of the most common bin (as np.median: the middle two averaged)."""
        bins, values = self._bins[inside], self._values[inside]
        top = int(np.argmax(self._counts - np.bincount(bins, minlength=self._counts.size)))
        in_box = values[bins == top]   # the box's pixels of that bin, taken out of the frame's counts
        levels = self._hist[top] - np.stack([np.bincount(in_box[:, c], minlength=256) for c in range(3)])
        cumulative = np.cumsum(levels, axis=1)   # [channel, level]
        n = int(cumulative[0, -1])
        low = [int(np.searchsorted(row, (n - 1) // 2, side="right")) for row in cumulative]
        high = [int(np.searchsorted(row, n // 2, side="right")) for row in cumulative]
        return np.asarray([(a + b) / 2 for a, b in zip(low, high)], np.float32)

    @staticmethod
    def _histogram(bins: np.ndarray, values: np.ndarray) -> np.ndarray:
        """[bin, channel, level] counts of pixels ([..., 3] levels, [...] bins)."""
        levels = (256 // COLOUR_BIN) ** 3
        index = (bins.reshape(-1, 1) * 3 + np.arange(3)) * 256 + values.reshape(-1, 3)
        return np.bincount(index.ravel(), minlength=levels * 3 * 256).reshape(levels, 3, 256)


def _smoothed(rgb: np.ndarray) -> np.ndarray:
    """The frame's RGB smoothed over BLUR_PX, as float32 (texture and sensor noise out of colour comparisons)."""
    return cv2.blur(np.ascontiguousarray(rgb[..., :3]), (BLUR_PX, BLUR_PX)).astype(np.float32)


def _line_kernel(line_px: int) -> np.ndarray:
    """The opening that removes features at most line_px wide: smoothing widens one by BLUR_PX - 1 pixels."""
    return np.ones((int(line_px) + BLUR_PX,) * 2, np.uint8)


def _opened(mask: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """The mask without features narrower than the kernel (paint lines, specks of texture)."""
    return cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_OPEN, kernel).astype(bool)


def _colour_surface(smooth: np.ndarray, colour: np.ndarray, tolerance: float, kernel: np.ndarray) -> np.ndarray:
    """The pixels of `colour`'s surface: within SAME_SURFACE x tolerance of it, thin features in it counted in."""
    near = np.linalg.norm(smooth - colour, axis=2) <= tolerance * SAME_SURFACE
    return ~_opened(~near, kernel)


def span_mask(shape: tuple[int, ...], box: Sequence[float], fraction: float = 1.0) -> np.ndarray:
    """The pixels of the middle `fraction` of a normalized (cx, cy, w, h) box, at least one pixel."""
    mask = np.zeros(shape[:2], bool)
    mask[span_slices(shape, box, fraction)] = True
    return mask


def span_slices(shape: tuple[int, ...], box: Sequence[float], fraction: float = 1.0) -> tuple[slice, slice]:
    """span_mask's pixels as (rows, columns) slices."""
    height, width = shape[:2]
    x0, y0, x1, y1 = box_pixel_span(box, (width, height), fraction)
    x0, y0 = min(x0, width - 1), min(y0, height - 1)
    return slice(y0, max(y1, y0 + 1)), slice(x0, max(x1, x0 + 1))


def _hull_of_largest(surface: np.ndarray, box: Sequence[float]) -> np.ndarray:
    """The filled convex hull of the connected surface component with the most pixels inside the normalized box
    (all False when no surface pixel is in the box)."""
    own = _largest_in(surface, box)
    return np.zeros_like(surface, bool) if own is None else _filled_hull(own)


def _largest_in(surface: np.ndarray, box: Sequence[float]) -> Optional[np.ndarray]:
    """The connected surface component with the most pixels inside the normalized box (None: no surface pixel
    is in the box)."""
    _, labels = cv2.connectedComponents(surface.astype(np.uint8))
    inside = labels[span_mask(surface.shape, box)]
    counts = np.bincount(inside[inside > 0].ravel())
    if counts.size == 0 or counts.max() == 0:
        return None
    return labels == int(np.argmax(counts))


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
