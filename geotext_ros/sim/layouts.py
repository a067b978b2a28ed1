"""Place layouts: templates that put a landmark and its neighbours in rows, plus scenery, and mirrored copies.

Templates deliberately repeat kinds (two red buildings either side of a pool, twin parking lots, a row of tennis
courts) so that only spatial language tells the instances apart.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from geotext_ros.sim.variety import CLASSIC_PLACE, PlaceVariety, Variety
from geotext_ros.sim.world import CAMPUS_SPACING_M, PLACE_SPACING_M, Place, World, WorldObject

ROOF_COLORS = ("red", "blue", "white", "gray", "green", "brown", "black", "orange")
BUILDING_SHAPES = ("rect", "square", "l_shape", "round", "long")
ROOF_MATERIALS = ("flat", "gabled", "metal")
COURT_COLORS = ("blue", "green", "red")
CAR_COLORS = ("white", "black", "gray", "red", "blue", "silver")
BOAT_COLORS = ("white", "red", "yellow")
MAX_PLACE_RADIUS_M = 48.0  # layouts are kept inside this radius so neighbouring places (>=100 m) stay apart


@dataclass(frozen=True)
class Spec:
    """An object before placement: size and kind; `yaw` is relative to the place frame."""

    kind: str
    color: str
    shape: str
    length: float
    width: float
    yaw: float = 0.0
    height: float = 0.0
    material: str = ""
    flip: bool = False

    def half_extent(self, axis: int) -> float:
        """Half size along the place x (axis 0) or y (axis 1) axis, for yaw near 0 or 90 degrees."""
        along_x = abs(math.cos(self.yaw)) > 0.7
        size = (self.length if along_x else self.width) if axis == 0 else (self.width if along_x else self.length)
        return size / 2.0


def building(rng: np.random.Generator, color: str | None = None, shape: str | None = None) -> Spec:
    shape = shape or str(rng.choice(BUILDING_SHAPES))
    color = color or str(rng.choice(ROOF_COLORS))
    sizes = {"rect": (rng.uniform(18, 28), rng.uniform(12, 17)), "square": (s := rng.uniform(14, 20), s),
             "l_shape": (rng.uniform(20, 28), rng.uniform(16, 22)), "round": (d := rng.uniform(13, 19), d),
             "long": (rng.uniform(32, 40), rng.uniform(9, 12))}
    length, width = sizes[shape]
    material = "flat" if shape == "round" else str(rng.choice(ROOF_MATERIALS))
    yaw = float(rng.choice([0.0, math.pi / 2])) if shape in ("rect", "long") else 0.0
    return Spec("building", color, shape, float(length), float(width), yaw + rng.uniform(-0.06, 0.06),
                height=float(rng.uniform(6, 20)), material=material, flip=bool(rng.random() < 0.5))


def ground(rng: np.random.Generator, kind: str) -> Spec:
    """Flat things: lots, courts, fields, pools, ponds, plazas, solar arrays."""
    j = rng.uniform(-0.04, 0.04)
    if kind == "parking_lot":
        return Spec(kind, "gray", "rect", float(rng.uniform(22, 32)), float(rng.uniform(14, 18)), j)
    if kind == "tennis_court":
        return Spec(kind, str(rng.choice(COURT_COLORS)), "rect", 24.0, 11.5, math.pi / 2 + j)
    if kind == "basketball_court":
        return Spec(kind, str(rng.choice(("orange", "gray", "blue"))), "rect", 28.0, 15.0, j)
    if kind == "soccer_field":
        return Spec(kind, "green", "rect", float(rng.uniform(50, 60)), float(rng.uniform(32, 38)), j)
    if kind == "running_track":
        return Spec(kind, "red", "oval", float(rng.uniform(62, 70)), float(rng.uniform(34, 38)), j)
    if kind == "pool":
        return Spec(kind, "blue", "rect", float(rng.uniform(14, 22)), float(rng.uniform(8, 11)), j)
    if kind == "pond":
        return Spec(kind, "blue", "blob", float(rng.uniform(22, 30)), float(rng.uniform(16, 22)), j)
    if kind == "plaza":
        return Spec(kind, str(rng.choice(("gray", "brown", "white"))), "square", s := float(rng.uniform(16, 22)),
                    s, j)
    if kind == "solar_panels":
        return Spec(kind, "blue", "rect", float(rng.uniform(20, 28)), float(rng.uniform(9, 12)), j)
    raise ValueError(f"unknown ground kind {kind!r}")


def row(specs: list[Spec], axis: int, gap: float, offset: float = 0.0) -> list[tuple[Spec, float, float]]:
    """Place specs side by side along place axis 0 (x) or 1 (y), centred, `offset` metres on the other axis."""
    sizes = [2 * s.half_extent(axis) for s in specs]
    total = sum(sizes) + gap * (len(specs) - 1)
    pos, out = -total / 2.0, []
    for spec, size in zip(specs, sizes):
        c = pos + size / 2.0
        out.append((spec, c, offset) if axis == 0 else (spec, offset, c))
        pos += size + gap
    return out


def _beside(main: list[tuple[Spec, float, float]], other: list[Spec], axis: int, gap: float, side: int
            ) -> list[tuple[Spec, float, float]]:
    """A second row next to `main` on the given side (+1/-1) along `axis` (1 = above/below, 0 = left/right)."""
    reach = max(abs((dx, dy)[axis]) + s.half_extent(axis) for s, dx, dy in main)
    depth = max(s.half_extent(axis) for s in other)
    return row(other, 1 - axis, gap, side * (reach + gap + depth))


def template_specs(name: str, rng: np.random.Generator) -> list[tuple[Spec, float, float]]:
    """(spec, dx, dy) list for a template; the first entry is the landmark."""
    side = int(rng.choice([-1, 1]))
    gap = float(rng.uniform(5, 9))
    if name == "pool_between":
        # Landmark first: the pool sits in the middle, twin buildings (mirror-image shapes) either side.
        b = building(rng)
        placed = row([b, ground(rng, "pool"), replace(b, flip=not b.flip)], 0, gap)
        placed = [placed[1], placed[0], placed[2]]
        return placed + _beside(placed, [ground(rng, str(rng.choice(["parking_lot", "plaza"])))], 1, gap, side)
    if name == "twin_parking":
        p = ground(rng, "parking_lot")
        placed = row([p, building(rng), replace(p, length=p.length * rng.uniform(0.8, 1.0))], 0, gap)
        return [placed[1], placed[0], placed[2]] + _beside(placed, [building(rng)], 1, gap, side)
    if name == "courts":
        t = ground(rng, "tennis_court")
        placed = row([t, t, ground(rng, "basketball_court")], 0, gap)
        return placed + _beside(placed, [building(rng), ground(rng, "parking_lot")], 1, gap, side)
    if name == "track":
        placed = [(ground(rng, "running_track"), 0.0, 0.0)]
        return placed + _beside(placed, [building(rng), ground(rng, "parking_lot")], 1, gap, side)
    if name == "pond":
        color = str(rng.choice(ROOF_COLORS))
        placed = row([building(rng, color=color), ground(rng, "pond"), building(rng, color=color)], 0, gap)
        placed = [placed[1], placed[0], placed[2]]
        return placed + _beside(placed, [ground(rng, "plaza")], 1, gap, side)
    if name == "block_row":
        colors = rng.choice(ROOF_COLORS, size=3, replace=False)
        placed = row([building(rng, color=str(c)) for c in colors], 0, gap)
        placed = [placed[1], placed[0], placed[2]]
        return placed + _beside(placed, [ground(rng, "plaza"), ground(rng, "parking_lot")], 1, gap, side)
    if name == "solar":
        s = ground(rng, "solar_panels")
        placed = row([s, s], 1, gap * 0.6)
        return placed + _beside(placed, [building(rng)], 0, gap, side)
    if name == "plaza_corners":
        plaza = ground(rng, "plaza")
        b1, b2 = building(rng, shape="square"), building(rng, shape="square")
        off = plaza.length / 2 + gap + b1.length / 2
        return [(plaza, 0.0, 0.0), (b1, -off, off), (b1, off, -off), (b2, off, off), (b2, -off, -off)]
    if name == "soccer":
        placed = [(ground(rng, "soccer_field"), 0.0, 0.0)]
        return placed + _beside(placed, [building(rng), building(rng)], 1, gap, side)
    raise ValueError(f"unknown template {name!r}; known: {TEMPLATES}")


TEMPLATES = ("pool_between", "twin_parking", "courts", "track", "pond", "block_row", "solar", "plaza_corners",
             "soccer")


def _add(world: World, spec: Spec, x: float, y: float, place_id: str, seed: int) -> WorldObject:
    obj = WorldObject(id=len(world.objects), kind=spec.kind, color=spec.color, shape=spec.shape, x=float(x),
                      y=float(y), length=float(spec.length), width=float(spec.width), yaw=float(spec.yaw),
                      place_id=place_id, height=float(spec.height), material=spec.material, flip=spec.flip,
                      seed=int(seed))
    world.objects.append(obj)
    return obj


def _children(rng: np.random.Generator, parent: Spec, dx: float, dy: float, car_skip: float = 0.35
              ) -> list[tuple[Spec, float, float]]:
    """Cars in parking-lot stalls and boats on ponds, positioned in the place frame."""
    out = []
    c, s = math.cos(parent.yaw), math.sin(parent.yaw)
    if parent.kind == "parking_lot":
        n = int(parent.length // 2.8)
        for side in (-1, 1):
            for k in range(n):
                if rng.random() < car_skip:
                    continue
                lx = -parent.length / 2 + 1.4 + k * 2.8
                ly = side * parent.width / 4
                car = Spec("car", str(rng.choice(CAR_COLORS)), "rect", 4.4, 1.9, parent.yaw + math.pi / 2,
                           height=1.5)
                out.append((car, dx + c * lx - s * ly, dy + s * lx + c * ly))
    elif parent.kind == "pond":
        for _ in range(int(rng.integers(1, 4))):
            lx, ly = rng.uniform(-0.25, 0.25) * parent.length, rng.uniform(-0.2, 0.2) * parent.width
            boat = Spec("boat", str(rng.choice(BOAT_COLORS)), "rect", 5.0, 2.0, float(rng.uniform(0, math.pi)))
            out.append((boat, dx + lx, dy + ly))
    return out


def _scenery(rng: np.random.Generator, placed: list[tuple[Spec, float, float]], pv: PlaceVariety = CLASSIC_PLACE
             ) -> list[tuple[Spec, float, float]]:
    """Trees around the layout and sometimes a road along one side, kept off the other objects."""
    out: list[tuple[Spec, float, float]] = []
    reach = max(math.hypot(dx, dy) + 0.5 * math.hypot(s.length, s.width) for s, dx, dy in placed)
    if rng.random() < pv.road_p and reach < MAX_PLACE_RADIUS_M - 6:
        axis, side = int(rng.integers(0, 2)), int(rng.choice([-1, 1]))
        off = side * (max(abs((dx, dy)[1 - axis]) + s.half_extent(1 - axis) for s, dx, dy in placed) + 7)
        road = Spec("road", "gray", "long", 2 * MAX_PLACE_RADIUS_M + 10, 7.0, 0.0 if axis == 0 else math.pi / 2)
        out.append((road, 0.0, off) if axis == 0 else (road, off, 0.0))
    taken = [(dx, dy, 0.5 * math.hypot(s.length, s.width)) for s, dx, dy in placed]
    for _ in range(int(rng.integers(*pv.trees))):
        for _try in range(12):
            r, t = rng.uniform(0.5 * reach, MAX_PLACE_RADIUS_M), rng.uniform(0, 2 * math.pi)
            x, y = r * math.cos(t), r * math.sin(t)
            radius = rng.uniform(2.0, 3.6)
            if all(math.hypot(x - tx, y - ty) > tr + radius + 1.5 for tx, ty, tr in taken) and not \
                    _on_road(out, x, y, radius):
                out.append((Spec("tree", "green", "circle", 2 * radius, 2 * radius, 0.0, height=radius * 2.5),
                            x, y))
                taken.append((x, y, radius))
                break
    return out


def _on_road(items: list[tuple[Spec, float, float]], x: float, y: float, radius: float) -> bool:
    for spec, dx, dy in items:
        if spec.kind == "road":
            across = abs(y - dy) if abs(math.cos(spec.yaw)) > 0.7 else abs(x - dx)
            if across < spec.width / 2 + radius + 1:
                return True
    return False


def _fit(placed: list[tuple[Spec, float, float]]) -> list[tuple[Spec, float, float]]:
    """Shrink offsets and sizes together if a layout would reach past MAX_PLACE_RADIUS_M."""
    reach = max(math.hypot(dx, dy) + 0.5 * math.hypot(s.length, s.width) for s, dx, dy in placed)
    if reach <= MAX_PLACE_RADIUS_M:
        return placed
    k = MAX_PLACE_RADIUS_M / reach
    return [(replace(s, length=s.length * k, width=s.width * k), dx * k, dy * k) for s, dx, dy in placed]


def build_place(world: World, rng: np.random.Generator, place_id: str, campus: int, cx: float, cy: float,
                mirror_source: Place | None = None, variety: Variety | None = None) -> Place:
    """Append a place (its objects) to `world`; with `mirror_source`, copy that place mirrored left/right or up/down.
    `variety` (sim.variety) varies sizes, spacing and densities per place; None builds the classic layout."""
    if mirror_source is not None:
        return _mirror_place(world, rng, place_id, campus, cx, cy, mirror_source)
    pv = CLASSIC_PLACE if variety is None else variety.sample(np.random.default_rng(int(rng.integers(2**31))))
    name = str(rng.choice(TEMPLATES))
    placed = template_specs(name, rng)
    if pv is not CLASSIC_PLACE:
        k, g = pv.size, pv.size * pv.spacing
        placed = [(replace(sp, length=sp.length * k, width=sp.width * k, height=sp.height * k), dx * g, dy * g)
                  for sp, dx, dy in placed]
    placed = _fit(placed)
    rot = float(rng.choice([0.0, math.pi / 2, math.pi, 3 * math.pi / 2]))  # layouts face any cardinal way
    items = list(placed)
    for spec, dx, dy in placed:
        items += _children(rng, spec, dx, dy, pv.car_skip)
    items += _scenery(rng, placed, pv)
    c, s = math.cos(rot), math.sin(rot)
    ids = []
    for spec, dx, dy in items:
        obj = _add(world, replace(spec, yaw=spec.yaw + rot), cx + c * dx - s * dy, cy + s * dx + c * dy,
                   place_id, int(rng.integers(2**31)))
        ids.append(obj.id)
    place = Place(place_id, campus, float(cx), float(cy), landmark_id=ids[0], object_ids=tuple(ids), template=name)
    world.places.append(place)
    return place


def _mirror_place(world: World, rng: np.random.Generator, place_id: str, campus: int, cx: float, cy: float,
                  source: Place) -> Place:
    axis = str(rng.choice(["x", "y"]))
    ids = []
    for oid in source.object_ids:
        o = world.objects[oid]
        dx, dy = o.x - source.x, o.y - source.y
        # Reflection M R(yaw) = R(yaw') diag(1,-1): east-west mirror gives yaw' = pi - yaw, north-south -yaw.
        if axis == "x":
            dx, yaw = -dx, math.pi - o.yaw
        else:
            dy, yaw = -dy, -o.yaw
        m = replace(o, id=len(world.objects), x=cx + dx, y=cy + dy, yaw=yaw, flip=not o.flip, place_id=place_id)
        world.objects.append(m)
        ids.append(m.id)
    place = Place(place_id, campus, float(cx), float(cy), landmark_id=ids[0], object_ids=tuple(ids),
                  template=source.template, mirror_of=source.place_id, mirror_axis=axis)
    world.places.append(place)
    return place


def generate_world(seed: int, n_campuses: int, places_per_campus: int | list[int] = 8,
                   variety: Variety | None = None) -> World:
    """Deterministic world: the same arguments always give the same objects and places.

    `places_per_campus` may be a list with one count per campus. Campuses are 5 km apart (a drone view never
    spans two); places within a campus sit on a jittered grid >= 100 m apart. `variety` (sim.variety.Variety)
    varies sizes, spacing and densities per place; None (the default) builds the classic world.
    """
    counts = list(places_per_campus) if isinstance(places_per_campus, (list, tuple)) else \
        [int(places_per_campus)] * int(n_campuses)
    if len(counts) != n_campuses or any(c < 1 for c in counts):
        raise ValueError(f"places_per_campus={places_per_campus!r} must be >= 1 per campus for n_campuses="
                         f"{n_campuses}")
    if sum(counts) > 10000:
        raise ValueError(f"{sum(counts)} places do not fit 4-digit place ids; use at most 10000")
    world = World(seed=seed)
    next_place = 0
    for campus, count in enumerate(counts):
        rng = np.random.default_rng([seed, campus])
        cols = max(1, math.ceil(math.sqrt(count)))
        for k in range(count):
            cx = campus * CAMPUS_SPACING_M + (k % cols) * PLACE_SPACING_M + rng.uniform(-8, 8)
            cy = (k // cols) * PLACE_SPACING_M + rng.uniform(-8, 8)
            place_id = f"{next_place:04d}"
            # Every 4th place (k % 4 == 1) mirrors the one before it: layouts that only spatial words separate.
            source = world.places[-1] if (k % 4 == 1 and world.places and world.places[-1].campus == campus
                                          and world.places[-1].mirror_of is None) else None
            build_place(world, rng, place_id, campus, cx, cy, mirror_source=source, variety=variety)
            next_place += 1
    return world
