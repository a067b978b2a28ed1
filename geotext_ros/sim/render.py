"""Top-down renderer: numpy + PIL rasterisation of the world seen by a nadir camera (docs/architecture.md).

Every frame gets a style (light, season, shadows, texture noise) from its style seed, so two views of one place
never share pixels. `Frame.objects` lists what is visible with normalized, frame-clipped (cx, cy, w, h) boxes.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageFilter

from geotext_ros.sim.appearance import look as looks
from geotext_ros.sim.camera import CameraPose, Intrinsics, world_to_pixel_matrix
from geotext_ros.sim.draw import ObjectPainter
from geotext_ros.sim.palette import GRASS_DRY, NEUTRAL, Style, base_color, jitter
from geotext_ros.sim.polygons import area, clip_to_rect, normalized_box
from geotext_ros.sim.world import ELEVATED_KINDS, World, WorldObject, footprint

# Drawing order: lower layers first; shadows are cast between the ground layers and the elevated ones.
LAYER = {"road": 0, "parking_lot": 1, "soccer_field": 1, "tennis_court": 1, "basketball_court": 1,
         "running_track": 1, "pool": 1, "pond": 1, "plaza": 1, "solar_panels": 1, "car": 2, "boat": 2,
         "building": 3, "tree": 4}


@dataclass(frozen=True)
class VisibleObject:
    """An object in a frame: `bbox` normalized (cx, cy, w, h) clipped to the frame, `visible` = in-frame fraction."""

    object_id: int
    kind: str
    color: str
    shape: str
    material: str
    phrase: str
    bbox: tuple[float, float, float, float]
    visible: float
    area: float  # clipped area as a fraction of the frame


@dataclass
class Frame:
    image: np.ndarray  # uint8 [H, W, 3] RGB
    objects: list[VisibleObject]
    pose: CameraPose
    intrinsics: Intrinsics
    style: Style = field(default_factory=Style)
    look: looks.Look | None = None  # the varied look it was rendered with (None = the classic Style look)
    pitch: float = 0.0  # camera tilt from nadir towards image-up, radians (Renderer.render_tilted)


class Renderer:
    """Renders `world` from any camera pose; keep one per world (it caches the culling arrays)."""

    def __init__(self, world: World, min_area_frac: float = 0.003, min_visible: float = 0.25):
        self.world = world
        self.min_area_frac = min_area_frac
        self.min_visible = min_visible
        self._xy, self._r = world.arrays()

    def render(self, pose: CameraPose, intrinsics: Intrinsics, style_seed: int | None = 0,
               style: Style | None = None, look: looks.Look | None = None) -> Frame:
        """Frame at `pose`. `style_seed=None` with no `style` renders the neutral style (gallery images).
        With `look` (sim.appearance) the frame is painted in that look instead of the classic style."""
        rng = np.random.default_rng([0x5EED, style_seed if style_seed is not None else 0])
        if look is not None:
            return self._render_look(pose, intrinsics, rng, look, style_seed or 0)
        if style is None:
            style = Style.sample(rng) if style_seed is not None else NEUTRAL
        a = world_to_pixel_matrix(pose, intrinsics)
        ppm = intrinsics.fx / pose.altitude
        objs = self._in_view(pose, intrinsics)
        img = Image.fromarray(self._ground(rng, style, intrinsics))
        draw = ImageDraw.Draw(img)
        ground = [o for o in objs if LAYER[o.kind] < 3]
        elevated = [o for o in objs if LAYER[o.kind] >= 3]
        for o in sorted(ground, key=lambda o: (LAYER[o.kind], o.id)):
            self._paint(draw, o, a, ppm, style, style_seed)
        img = self._shadows(img, [o for o in objs if o.kind in ELEVATED_KINDS], a, intrinsics, style.sun_azimuth,
                            style.shadow_strength, style.shadow_length)
        draw = ImageDraw.Draw(img)
        for o in sorted(elevated, key=lambda o: (LAYER[o.kind], o.id)):
            self._paint(draw, o, a, ppm, style, style_seed)
        image = self._finish(np.asarray(img), rng, style)
        return Frame(image, self._visible(objs, a, intrinsics), pose, intrinsics, style)

    def render_tilted(self, pose: CameraPose, intrinsics: Intrinsics, pitch: float, style_seed: int | None = 0,
                      look: looks.Look | None = None) -> Frame:
        """Frame of a camera tilted `pitch` radians from nadir towards image-up (the heading), as in
        nav/camera.py's camera_pitch_deg. The ground is flat, so a tilted view is the nadir view through the
        rotation homography K R^T K^-1: a nadir canvas wide enough for the tilted frame is rendered and warped,
        and boxes come from the footprints through the same mapping. pitch 0 is `render` exactly."""
        if pitch == 0:
            return self.render(pose, intrinsics, style_seed, look=look)
        if not 0 < pitch < math.radians(30):
            raise ValueError(f"camera pitch {math.degrees(pitch):.1f} deg; use 0 to 30 deg from nadir")
        k = intrinsics
        kmat = np.array([[k.fx, 0, k.cx], [0, k.fy, k.cy], [0, 0, 1.0]])
        c, s = math.cos(pitch), math.sin(pitch)
        rot = np.array([[1, 0, 0], [0, c, -s], [0, s, c]])  # columns: tilted axes in nadir camera coordinates (y down)
        tilt_from_nadir = kmat @ rot.T @ np.linalg.inv(kmat)
        corners = _project(np.linalg.inv(tilt_from_nadir), np.array([[0, 0], [k.width, 0], [k.width, k.height],
                                                                    [0, k.height]], dtype=np.float64))
        x0, y0 = np.floor(corners.min(axis=0)) - 2
        x1, y1 = np.ceil(corners.max(axis=0)) + 2
        canvas = Intrinsics(k.fx, k.fy, k.cx - x0, k.cy - y0, int(x1 - x0), int(y1 - y0))
        wide = self.render(pose, canvas, style_seed, look=look)
        shift = np.array([[1, 0, -x0], [0, 1, -y0], [0, 0, 1.0]])
        canvas_from_tilt = shift @ np.linalg.inv(tilt_from_nadir)
        coeffs = (canvas_from_tilt / canvas_from_tilt[2, 2]).ravel()[:8]
        image = np.asarray(Image.fromarray(wide.image).transform((k.width, k.height), Image.PERSPECTIVE,
                                                                 tuple(coeffs), Image.BILINEAR))
        objs = self._in_view(pose, canvas)
        vis = self._visible(objs, world_to_pixel_matrix(pose, canvas), k, np.linalg.inv(canvas_from_tilt))
        return Frame(image, vis, pose, k, wide.style, wide.look, pitch)

    def visible_objects(self, pose: CameraPose, intrinsics: Intrinsics) -> list[VisibleObject]:
        """`render(pose, intrinsics).objects` without painting: captions of a view at a fraction of the cost."""
        return self._visible(self._in_view(pose, intrinsics), world_to_pixel_matrix(pose, intrinsics), intrinsics)

    def _in_view(self, pose: CameraPose, k: Intrinsics) -> list[WorldObject]:
        half_diag = 0.5 * math.hypot(k.width / k.fx, k.height / k.fy) * pose.altitude
        d = np.hypot(self._xy[:, 0] - pose.x, self._xy[:, 1] - pose.y) if len(self._r) else np.zeros(0)
        idx = np.nonzero(d < half_diag + self._r)[0]
        return [self.world.objects[i] for i in idx]

    def _ground(self, rng: np.random.Generator, style: Style, k: Intrinsics) -> np.ndarray:
        """Grass with low-frequency colour patches (season-shifted), as uint8 [H, W, 3]."""
        patches = rng.uniform(-1, 1, size=(6, 6, 3)).astype(np.float32)
        patches[..., 1] = patches[..., 0] * 0.6 + patches[..., 1] * 0.4  # keep patches mostly luminance
        small = np.clip(np.array(style.grass(), dtype=np.float32) + patches * style.patchiness, 0, 255)
        # Upsampling the already-coloured 6x6 grid in PIL keeps the full-size work in C.
        return np.asarray(Image.fromarray(small.astype(np.uint8)).resize((k.width, k.height), Image.BICUBIC))

    def _color(self, o: WorldObject, style: Style, style_seed: int | None) -> tuple[int, int, int]:
        rgb = base_color(o.kind, o.color)
        if o.kind in ("tree", "soccer_field"):  # vegetation follows the season a little
            s = style.season * 0.45
            rgb = tuple(int(round(c * (1 - s) + d * s)) for c, d in zip(rgb, GRASS_DRY))  # type: ignore
        return jitter(rgb, np.random.default_rng([o.seed, style_seed or 0]), 9)

    def _paint(self, draw: ImageDraw.ImageDraw, o: WorldObject, a: np.ndarray, ppm: float, style: Style,
               style_seed: int | None) -> None:
        c, s = math.cos(o.yaw), math.sin(o.yaw)
        m = a[:, :2] @ np.array([[c, -s], [s, c]])
        t = a[:, :2] @ np.array([o.x, o.y]) + a[:, 2]
        ObjectPainter(draw, o, m, t, ppm).paint(self._color(o, style, style_seed))

    def _render_look(self, pose: CameraPose, k: Intrinsics, rng: np.random.Generator, look: looks.Look,
                     style_seed: int) -> Frame:
        """The classic pipeline with every appearance stage taken from `look` (sim.appearance.look)."""
        a = world_to_pixel_matrix(pose, k)
        ppm = k.fx / pose.altitude
        objs = self._in_view(pose, k)
        img = Image.fromarray(looks.ground(look, rng, k.width, k.height))

        def paint(layer: list[WorldObject]) -> None:
            draw = ImageDraw.Draw(img)
            for o in sorted(layer, key=lambda o: (LAYER[o.kind], o.id)):
                c, s = math.cos(o.yaw), math.sin(o.yaw)
                m = a[:, :2] @ np.array([[c, -s], [s, c]])
                t = a[:, :2] @ np.array([o.x, o.y]) + a[:, 2]
                ObjectPainter(draw, o, m, t, ppm).paint(looks.object_color(look, o.kind, o.color, o.seed, style_seed),
                                                        look.outline, look.details, look.roof_pattern)

        paint([o for o in objs if LAYER[o.kind] < 3])
        img = self._shadows(img, [o for o in objs if o.kind in ELEVATED_KINDS], a, k, look.shadow_azimuth,
                            look.shadow_strength, look.shadow_length, look.shadow_soft)
        paint([o for o in objs if LAYER[o.kind] >= 3])
        img = looks.surface(look, img, rng)
        image = looks.finish(look, np.asarray(img), rng)
        return Frame(image, self._visible(objs, a, k), pose, k, NEUTRAL, look)

    def _shadows(self, img: Image.Image, objs: list[WorldObject], a: np.ndarray, k: Intrinsics, azimuth: float,
                 strength: float, length: float, soft: float = 0.0) -> Image.Image:
        if not objs or strength <= 0:
            return img
        mask = Image.new("L", (k.width, k.height), 0)
        md = ImageDraw.Draw(mask)
        sun = np.array([math.cos(azimuth), math.sin(azimuth)])
        for o in objs:
            pts = footprint(o)
            # Shadow = footprint swept towards the sun azimuth: draw it at a few offsets up to the full length.
            for f in ((0.5, 1.0) if length < 0.8 else np.linspace(0.1, 1.0, int(length * 8))):  # long ones: more steps
                shifted = pts + sun * (o.height * length * f)
                md.polygon((shifted @ a[:, :2].T + a[:, 2]).ravel().tolist(), fill=255)
        if soft > 0:
            mask = mask.filter(ImageFilter.GaussianBlur(soft))
        k_dark = 1.0 - strength
        dark = img.point([int(v * k_dark) for v in range(256)] * 3)  # LUT: shadows darken multiplicatively
        return Image.composite(dark, img, mask)

    def _finish(self, arr: np.ndarray, rng: np.random.Generator, style: Style) -> np.ndarray:
        """Global light (brightness, tint, smooth shading) and fine sensor noise."""
        h, w = arr.shape[:2]
        gain = [style.brightness * t / 0.9 for t in style.tint]  # /0.9: the shading map below averages 0.9
        img = Image.fromarray(arr).point([min(255, int(v * g)) for g in gain for v in range(256)])
        light = rng.uniform(0.8, 1.0, size=(4, 4, 1)).repeat(3, axis=2)
        light = Image.fromarray((light * 255).astype(np.uint8)).resize((w, h), Image.BILINEAR)
        shaded = np.asarray(ImageChops.multiply(img, light), dtype=np.int16)
        noise = (rng.standard_normal((h, w, 1), dtype=np.float32) * style.noise_sigma).astype(np.int16)
        return np.clip(shaded + noise, 0, 255).astype(np.uint8)

    def _visible(self, objs: list[WorldObject], a: np.ndarray, k: Intrinsics, homography: np.ndarray | None = None
                 ) -> list[VisibleObject]:
        """Objects with enough of their footprint in frame: world -> pixels by `a`, then by `homography` if any."""
        from geotext_ros.sim.captions import object_phrase  # captions imports render's VisibleObject

        out = []
        frame_area = float(k.width * k.height)
        for o in objs:
            poly = footprint(o) @ a[:, :2].T + a[:, 2]
            if homography is not None:
                if np.any((np.c_[poly, np.ones(len(poly))] @ homography[2]) <= 1e-6):
                    continue  # reaches behind the tilted camera: never in frame at these pitches
                poly = _project(homography, poly)
            full = area(poly)
            clipped = clip_to_rect(poly, k.width, k.height)
            vis_area = area(clipped)
            if full <= 0 or vis_area < self.min_area_frac * frame_area or vis_area / full < self.min_visible:
                continue
            box = tuple(round(v, 5) for v in normalized_box(clipped, k.width, k.height))
            out.append(VisibleObject(o.id, o.kind, o.color, o.shape, o.material, object_phrase(o), box,
                                     round(vis_area / full, 4), round(vis_area / frame_area, 5)))
        out.sort(key=lambda v: -v.area)
        return out


def _project(h: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """Points [N, 2] through the 3x3 homography `h`."""
    q = np.c_[pts, np.ones(len(pts))] @ h.T
    return q[:, :2] / q[:, 2:3]
