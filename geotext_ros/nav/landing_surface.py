"""Does the ground at a touchdown point look clear in the camera image? A check the model cannot make.

The landing planner (geotext_ros.nav.landing) clears what the model grounds; what it does not ground (a car 2
cells long on an 8 x 8 map, the rest of a faintly lit pond) is invisible to it. This check looks at the pixels of
the disc of radius `landing.clearance_m` around a touchdown point, projected into the frame (after smoothing the
texture; features at most `landing.surface_line_px` wide, paint lines and kerbs, are no obstacle):
- "land beside X": no part of X's colour wider than a line lies in the disc (X's edge, or a rest of it the model
  did not light: a disc half on a pond has a median between water and grass that passes the next rules; not
  applied where X's colour is the ground's, then it is everywhere); the disc is one surface, every pixel within
  `landing.surface_tolerance` of the disc's median colour, and that colour is not X's (farther than SAME_SURFACE
  x the tolerance from the dominant colour of the middle of X's box); and it is the ground's colour (the median and
  every pixel within the tolerance of the dominant colour outside X's box): not a roof or a court of one colour
  the model did not ground, nor a tree that pulled the median of a disc of grass towards its own colour;
- "land on X": X is the convex hull of the region of X's colour that fills the most of X's box (flat targets are
  convex: lots, courts, plazas, pads); the point lies in it and nothing that is neither X nor the ground
  (`things_on`: a car on a lot, a tree beside it) lies in the disc. The ground beyond X's edge is no obstacle.
A point whose disc leaves the frame is not clear: nothing is known beyond it. X's colour is the dominant one in
the middle of its box: an obstacle covering most of that middle is taken for X's surface.

The disc is grown by how far the filtering moves an object's edge: the beside check's box blur by EDGE_PX (a disc
of exactly clearance_m passed with a roof, a plaza or a pond 2.4-2.99 m away: land episodes 100034, 100040, 100048),
the "on" check's median by one pixel (it rounds a car's corners: plans 2.8 m from one, 500092). Not by more: on a
lot, the cars leave little more than clearance_m between them (a disc 0.5 m larger refused 200000 and 200052).

X's outline in the frame (`target_footprint`: geotext_ros.nav.image_outline): the box the model grounds is loose
around a pitch on grass (plans 11-18 m from the pitch) and misses the corners of a plaza turned 45 degrees (plans
2-3 m from it); the planner clears the outline ("beside") or sets down inside it ("on") instead.

    check = SurfaceCheck(rgb, k, pose, config, target_box, mode)
    outline = check.target_footprint()            # plan around (beside) or inside (on) this, not the box
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
from geotext_ros.nav.image_outline import BLUR_PX, SAME_SURFACE, FrameColours
from geotext_ros.nav.landing import ON
from geotext_ros.nav.scene import XY

DISC_POINTS = 16      # the ground disc's outline, projected point by point (perspective: an ellipse in the image)
EDGE_PX = BLUR_PX // 2   # how far the smoothing moves an edge: the beside disc is grown by this
MEDIAN_PX = 3         # "on": the median filter that removes sensor noise and one-pixel paint lines, keeping edges
#                       (the disc is grown by its reach, MEDIAN_PX // 2)


class SurfaceCheck:
    """accept(xy) for plan_landing: True when the ground disc at xy looks clear (module docstring)."""

    def __init__(self, rgb: np.ndarray, intrinsics: IntrinsicsLike, pose: Sequence[float], config: Any,
                 target_box: Sequence[float], mode: str) -> None:
        self.colours = FrameColours(rgb, target_box, config.surface_tolerance, config.surface_line_px)
        self.k, self.pose = intrinsics, tuple(pose)
        self.radius = float(config.clearance_m)
        self.extent = self.obstacles = self.target_surface = None
        if mode == ON:   # X = its colour region; obstacles = what stands on it (cars on a lot)
            self.extent = self.colours.colour_region
            self.obstacles = things_on(rgb, self.colours, int(config.surface_line_px))
            self.grow_px = float(MEDIAN_PX // 2)
        else:
            self.grow_px = float(EDGE_PX)
            self.target_surface = self.colours.opened(self.colours.surface) if _stands_out(self.colours) else None
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
        height, width = self.colours.smooth.shape[:2]
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
        return self._ground_beside(inside, x0, y0)

    def _ground_beside(self, inside: np.ndarray, x0: int, y0: int) -> bool:
        """The beside rules (module docstring) for the disc mask `inside` whose top-left pixel is (x0, y0)."""
        colours = self.colours
        y1, x1 = y0 + inside.shape[0], x0 + inside.shape[1]
        if self.target_surface is not None and (self.target_surface[y0:y1, x0:x1] & inside).any():
            return False   # X's colour in the disc: its edge, or a rest of it the model did not light
        median = np.median(colours.smooth[y0:y1, x0:x1][inside], axis=0)
        if np.linalg.norm(median - colours.target_colour) <= colours.tolerance * SAME_SURFACE:
            return False   # the target's colour: on it, or on an unlit rest of it
        if colours.ground_colour is not None and np.linalg.norm(median - colours.ground_colour) > colours.tolerance:
            return False   # not the ground around X: a roof or a court of one colour that nobody grounded
        # opened with a kernel's width of context around the disc: the sliver of a large object that the disc's
        # edge cuts is not a thin feature
        height, width = colours.smooth.shape[:2]
        pad = colours.kernel.shape[0]
        c0, r0 = max(x0 - pad, 0), max(y0 - pad, 0)
        around = colours.smooth[r0:min(y1 + pad, height), c0:min(x1 + pad, width)]
        unlike = colours.opened(np.linalg.norm(around - median, axis=2) > colours.tolerance)
        if colours.ground_colour is not None:   # a tree pulls the median of a disc of grass towards its colour
            unlike |= colours.opened(np.linalg.norm(around - colours.ground_colour, axis=2) > colours.tolerance)
        return not (unlike[y0 - r0:y1 - r0, x0 - c0:x1 - c0] & inside).any()

    def on_target(self, uv: np.ndarray) -> np.ndarray:
        """[N] bool: which pixels (u, v) [N, 2] lie in X's colour region ("on" only; all True for "beside")."""
        uv = np.asarray(uv, np.float64).reshape(-1, 2)
        if self.extent is None:
            return np.ones(len(uv), bool)
        height, width = self.extent.shape
        cols = np.clip(uv[:, 0].astype(int), 0, width - 1)
        rows = np.clip(uv[:, 1].astype(int), 0, height - 1)
        return self.extent[rows, cols]

    def target_footprint(self) -> Optional[tuple[XY, ...]]:
        """X's outline in the frame on the ground plane (geotext_ros.nav.image_outline), or None when the frame
        does not show X apart from the ground."""
        return self.colours.footprint(self.k, self.pose)

    def _outline(self, xy: XY) -> np.ndarray | None:
        """The ground disc's outline in pixels, grown by grow_px, or None when a point of it is behind the camera."""
        centre = ground_to_pixel(xy[0], xy[1], self.k, self.pose)
        if centre is None:
            return None
        pts = []
        for a in np.linspace(0.0, 2 * math.pi, DISC_POINTS, endpoint=False):
            uv = ground_to_pixel(xy[0] + self.radius * math.cos(a), xy[1] + self.radius * math.sin(a), self.k,
                                 self.pose)
            if uv is None:
                return None
            pts.append(uv)
        pts_a = np.asarray(pts, np.float64)
        offset = pts_a - np.asarray(centre, np.float64)
        return pts_a + offset * (self.grow_px / np.maximum(np.hypot(*offset.T), 1e-9))[:, None]


def _stands_out(colours: FrameColours) -> bool:
    """X's colour is not the ground's (farther apart than SAME_SURFACE x the tolerance), so pixels of X's colour
    are X: where a lot's asphalt is the grey of the fields around it (the held-out look), they are everywhere."""
    ground = colours.ground_colour
    return ground is None or np.linalg.norm(colours.target_colour - ground) > colours.tolerance * SAME_SURFACE


def things_on(rgb: np.ndarray, colours: FrameColours, line_px: int) -> np.ndarray:
    """What stands on X or beside it (cars on a lot): pixels of the median-filtered frame that are neither X's
    colour (within SAME_SURFACE x the tolerance) nor the ground's (within the tolerance), features at most line_px
    wide removed (paint lines, the one-pixel rim where X meets the ground). Median, not the beside check's box
    blur: a box blur averages a light car's body and its dark cabin into asphalt grey, and most grey and white
    cars on a lot vanished; and the blurred rim where a lot meets the grass was taken for a car, so no disc could
    reach the lot's edge, where the room is."""
    frame = cv2.medianBlur(np.ascontiguousarray(rgb[..., :3]), MEDIAN_PX).astype(np.float32)
    unlike = np.linalg.norm(frame - colours.target_colour, axis=2) > colours.tolerance * SAME_SURFACE
    if colours.ground_colour is not None:
        unlike &= np.linalg.norm(frame - colours.ground_colour, axis=2) > colours.tolerance
    kernel = np.ones((max(line_px, 1),) * 2, np.uint8)
    return cv2.morphologyEx(unlike.astype(np.uint8), cv2.MORPH_OPEN, kernel).astype(bool)
