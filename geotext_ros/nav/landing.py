"""Landing point (issue 19 §2): "land next to the pool" / "land on the helipad" -> a touchdown point in the ENU
map frame that clears every detected object's ground footprint by `LandingConfig.clearance_m`, or None with the
reason no point is clear. Pure geometry on geotext_ros.nav.scene footprints, no ROS.

Beside: points on a grid around the target, outside every footprint (the target's too) by the clearance.
On: points inside the target's footprint, at least `clearance_m` from every other object.
Estimated footprints are off by a metre or two (box edges, heights), so a point exactly `clearance_m` from an
estimated footprint is often closer to the real object. Among the clear points the one with the most slack wins:
slack = its clearance beyond `clearance_m` (for "on" also its depth inside the target), counted up to
`margin_m` (more is not needed, and would push "next to" away from the target). Ties (every point with the full
margin): the one nearest the target's centre (beside: so on its narrowest side, see plan_landing).
Beside prefers points within `next_to_m` of the target's footprint; farther points only when none nearer is
clear. With the frame's ground footprint (`view`), a point must also lie that far inside what the
camera saw: nothing is known about the ground beyond it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Mapping, NamedTuple, Optional, Sequence

import numpy as np

from geotext_ros.nav.scene import XY, SceneObject
from geotext_ros.param_file import config_values

BESIDE, ON = "beside", "on"
# the accept check (an image look per point) stops after this many of the best points: a frame where hundreds of
# the best points fail shows no clear ground near the target, and each look costs ~0.1 ms
MAX_ACCEPT_CHECKS = 400


@dataclass(frozen=True)
class LandingConfig:
    """The `landing.*` parameters of config/nav.yaml, defined here only (metres)."""

    clearance_m: float = 3.0        # every detected object's footprint (and the view's edge) stays this far away
    # wanted clearance beyond clearance_m where there is room (and, for "on", depth inside the target): estimated
    # footprints are off by 1-2 m, a plan at exactly clearance_m landed 1.8-2 m from real objects (issue 19)
    margin_m: float = 2.0
    next_to_m: float = 7.0          # beside: prefer points at most this far from the target's footprint
    search_radius_m: float = 25.0   # beside: look this far beyond the target's footprint
    grid_step_m: float = 0.5        # spacing of the candidate touchdown points
    # kinds grounded in the landing frame as obstacles besides the target's look-alikes (comma-separated phrases;
    # "" = only the target's kind): every kind the drone should not land on or next to unasked, the flat ones too
    # (with only "building, tree, car", plans 1-2 m from plazas, tracks, courts failed: land episodes 19 -> 23 of
    # 30 on seeds 200000+). One text batch for all phrases. The pipeline's _plan_landing says what "every
    # detected object" is.
    obstacle_kinds: str = ("building, tree, car, plaza, running track, tennis court, solar panels, pool, "
                           "parking lot, football pitch, basketball court, water")
    # "land on X": the cells of X's own dense map inside its box below the region's cut (not X's surface: cars on a
    # lot) are cleared like objects (nav/pipeline.py _plan_landing); False = only the grounded obstacles
    surface_gaps: bool = True
    # the image check of a touchdown point (geotext_ros/nav/landing_surface.py): its disc of clearance_m must look
    # like one clear surface in the frame (what the model does not ground: cars on a lot, the unlit rest of a pond)
    surface_check: bool = True
    surface_tolerance: float = 40.0   # RGB distance (0-255) from the disc's median colour that is another surface
    surface_line_px: int = 3          # features at most this many pixels wide (paint lines, kerbs) are no obstacle
    # plan around ("land beside X") or inside ("land on X") X's outline read from the frame
    # (geotext_ros/nav/image_outline.py) instead of its box's footprint, which is loose around a pitch on grass and
    # misses a turned plaza's corners
    outline_from_image: bool = True

    def __post_init__(self) -> None:
        for name in ("clearance_m", "search_radius_m", "grid_step_m", "next_to_m"):
            if not getattr(self, name) > 0:
                raise ValueError(f"landing.{name} must be > 0, got {getattr(self, name)}")
        if not self.surface_tolerance > 0:
            raise ValueError(f"landing.surface_tolerance must be > 0 (an RGB distance), got {self.surface_tolerance}")
        if self.surface_line_px < 0:
            raise ValueError(f"landing.surface_line_px must be >= 0, got {self.surface_line_px}")
        if self.margin_m < 0:
            raise ValueError(f"landing.margin_m must be >= 0, got {self.margin_m}")
        if self.next_to_m < self.clearance_m + self.margin_m:
            raise ValueError(f"landing.next_to_m = {self.next_to_m} leaves no room for clearance_m + margin_m = "
                             f"{self.clearance_m + self.margin_m}; raise next_to_m or lower the others")
        if self.search_radius_m / self.grid_step_m > 400:
            raise ValueError(f"landing.search_radius_m / grid_step_m = {self.search_radius_m / self.grid_step_m:.0f} "
                             f"grid points a side is too fine; raise grid_step_m or lower search_radius_m")

    @property
    def kinds(self) -> tuple[str, ...]:
        """obstacle_kinds as a tuple of phrases ("building", "tree", ...)."""
        return tuple(k.strip() for k in str(self.obstacle_kinds).split(",") if k.strip())

    @classmethod
    def from_params(cls, params: Mapping[str, Any], prefix: str = "landing.") -> "LandingConfig":
        """From flattened node parameters (`landing.clearance_m`, ...); an unknown `landing.*` name is an error."""
        return cls(**config_values(cls, params, prefix))


class LandingPlan(NamedTuple):
    """Touchdown point (ENU) or None, the mode (beside / on), the distance to the nearest object there, and why."""

    point: Optional[XY]
    mode: str
    clearance: Optional[float]
    reason: str


def plan_landing(target: int, objects: Sequence[SceneObject], mode: str = BESIDE,
                 config: LandingConfig = LandingConfig(), view: Sequence[XY] = (),
                 blocked: Sequence[XY] = (), accept: Optional[Callable[[XY], bool]] = None) -> LandingPlan:
    """A touchdown point beside (or on) objects[target] clear of every object in `objects` (see the module
    docstring); `view` = the frame's ground footprint (geotext_ros.nav.scene.view_footprint), () = unbounded;
    `blocked` = ground points cleared like objects (for "on": where the target's surface is covered); `accept`
    = a last check of a point (geotext_ros.nav.landing_surface.SurfaceCheck): the best point it accepts wins,
    looking at MAX_ACCEPT_CHECKS points at most."""
    if mode not in (BESIDE, ON):
        raise ValueError(f"landing mode must be {BESIDE!r} or {ON!r}, got {mode!r}")
    if not 0 <= target < len(objects):
        raise ValueError(f"target index {target} is not one of the {len(objects)} objects")
    unplaced = [i for i, o in enumerate(objects) if len(o.footprint) < 3]
    if unplaced:   # an object whose extent is unknown cannot be cleared: refuse rather than guess
        return LandingPlan(None, mode, None, f"object(s) {unplaced} could not be placed on the ground; "
                                             f"look again from higher or with the camera pointing down")
    tgt = objects[target].footprint
    pts = _grid(tgt, config, mode)
    target_dist = _distance_to_polygon(pts, tgt)
    nearest = np.full(len(pts), np.inf)
    for i, o in enumerate(objects):
        if i != target:
            nearest = np.minimum(nearest, _distance_to_polygon(pts, o.footprint))
    if mode == BESIDE:
        nearest = np.minimum(nearest, target_dist)
    nearest = np.minimum(nearest, _distance_to_points(pts, blocked))
    ok = nearest >= config.clearance_m
    if mode == ON:
        ok &= target_dist == 0.0
    if view:
        ok &= (_distance_to_polygon(pts, view) == 0.0) & (_distance_to_boundary(pts, view) >= config.clearance_m)
    if not ok.any():
        where = "on" if mode == ON else "beside"
        return LandingPlan(None, mode, None, f"no point {where} the {objects[target].kind} clears every object by "
                                             f"{config.clearance_m} m" + (" inside the view" if view else ""))
    centre = np.array(_centroid(tgt))
    to_centre = np.hypot(*(pts - centre).T)
    slack = nearest - config.clearance_m
    if mode == ON:
        slack = np.minimum(slack, _distance_to_boundary(pts, tgt))
    slack = np.round(np.minimum(slack, config.margin_m), 3)   # mm resolution: ties go to the next keys
    # Most slack, then nearest the target's centre; BESIDE first within next_to_m. Nearest the centre = on the
    # side where the target is narrowest: estimated sizes are off in proportion to the size (boxes of large
    # targets are 1.3-2x too large, of a faint pool 0.6x), so the narrowest side moves the least.
    keys = (to_centre, -slack) if mode == ON else (to_centre, -slack, target_dist > config.next_to_m)
    order = np.lexsort(keys)   # the last key sorts first
    ranked = order[ok[order]]
    if accept is not None:
        first = next((i for i in ranked[:MAX_ACCEPT_CHECKS] if accept((float(pts[i, 0]), float(pts[i, 1])))), None)
        if first is None:
            return LandingPlan(None, mode, None, f"no point {mode} the {objects[target].kind} that clears every "
                                                 f"detected object looks like clear ground in the image")
        ranked = [first]
    best = int(ranked[0])
    where = f"on the {objects[target].kind}" if mode == ON else f"beside the {objects[target].kind}"
    clear = float(nearest[best])
    return LandingPlan((float(pts[best, 0]), float(pts[best, 1])), mode, clear,
                       f"{where}, {clear:.1f} m from the nearest {'other ' if mode == ON else ''}object")


def _distance_to_points(pts: np.ndarray, points: Sequence[XY], chunk: int = 256) -> np.ndarray:
    """[N] distances from grid points [N, 2] to the nearest of `points` (inf without any), in chunks of points."""
    out = np.full(len(pts), np.inf)
    arr = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    for i in range(0, len(arr), chunk):
        part = arr[i:i + chunk]
        gaps = np.hypot(pts[:, None, 0] - part[None, :, 0], pts[:, None, 1] - part[None, :, 1])
        out = np.minimum(out, gaps.min(axis=1))
    return out


def _grid(footprint: Sequence[XY], config: LandingConfig, mode: str) -> np.ndarray:
    """Grid points over the footprint's bounding box (ON) or that box grown by search_radius_m (BESIDE), on a
    lattice anchored at the footprint's centroid (so the target's own centre is a candidate)."""
    xs, ys = [p[0] for p in footprint], [p[1] for p in footprint]
    grow = 0.0 if mode == ON else config.search_radius_m
    cx, cy = _centroid(footprint)
    step = config.grid_step_m
    nx0, nx1 = math.floor((min(xs) - grow - cx) / step), math.ceil((max(xs) + grow - cx) / step)
    ny0, ny1 = math.floor((min(ys) - grow - cy) / step), math.ceil((max(ys) + grow - cy) / step)
    gx = cx + step * np.arange(nx0, nx1 + 1)
    gy = cy + step * np.arange(ny0, ny1 + 1)
    xx, yy = np.meshgrid(gx, gy, indexing="ij")
    return np.stack([xx.ravel(), yy.ravel()], axis=1)


def _distance_to_boundary(pts: np.ndarray, poly: Sequence[XY]) -> np.ndarray:
    """[N] distances from points [N, 2] to the polygon's nearest edge."""
    poly_a = np.asarray(poly, dtype=np.float64)
    a, b = poly_a, np.roll(poly_a, -1, axis=0)
    d = b - a                                                    # [E, 2]
    length2 = np.maximum((d * d).sum(axis=1), 1e-18)
    t = np.clip(((pts[:, None, :] - a[None]) * d[None]).sum(axis=2) / length2, 0.0, 1.0)   # [N, E]
    closest = a[None] + t[..., None] * d[None]
    return np.hypot(*(pts[:, None, :] - closest).transpose(2, 0, 1)).min(axis=1)


def _distance_to_polygon(pts: np.ndarray, poly: Sequence[XY]) -> np.ndarray:
    """[N] distances from points [N, 2] to the polygon's area: 0 inside (even-odd rule), else to the nearest edge."""
    poly_a = np.asarray(poly, dtype=np.float64)
    x0, y0 = poly_a[:, 0], poly_a[:, 1]
    x1, y1 = np.roll(x0, -1), np.roll(y0, -1)
    px, py = pts[:, 0:1], pts[:, 1:2]
    crosses = ((y0 > py) != (y1 > py)) & (px < x0 + (py - y0) * (x1 - x0) / np.where(y1 == y0, 1.0, y1 - y0))
    inside = crosses.sum(axis=1) % 2 == 1
    return np.where(inside, 0.0, _distance_to_boundary(pts, poly))


def _centroid(poly: Sequence[XY]) -> XY:
    return sum(p[0] for p in poly) / len(poly), sum(p[1] for p in poly) / len(poly)
