"""`Look`: every per-image appearance knob of the varied renderer, and the stages that apply them.

A family (one module each in this package) samples a Look per image; the renderer paints objects with it and
calls `ground` / `object_color` / `surface` / `finish`. The defaults of Look are a plain, mid-day look; each
family moves the knobs it is about. Colours of named things come from `colors.sample_color`, so a look may
change light, texture, weather and materials, never which colour name an object has.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

from geotext_ros.sim.appearance.colors import sample_color
from geotext_ros.sim.palette import RGB, jitter

VEGETATION = ("tree", "soccer_field")  # never colour-named in captions: seasons may recolour them


@dataclass(frozen=True)
class Look:
    family: str
    # ground
    ground_rgb: RGB = (92, 136, 64)
    ground_patch: float = 16.0  # amplitude of low-frequency colour patches
    ground_grain: float = 0.0  # amplitude of fine ground texture
    grain_px: int = 2  # pixels per texture cell
    ground_stripes: float = 0.0  # amplitude of field stripes (ploughed / mown land)
    stripe_period_px: float = 14.0
    stripe_angle: float = 0.0
    # objects
    color_spread: float = 1.0  # how far named colours move inside their region (colors.sample_color)
    vegetation_rgb: RGB | None = None
    vegetation_mix: float = 0.0
    road_rgb: RGB | None = None  # road material (roads are never colour-named)
    roof_pattern: str = ""  # "", "tiles", "gravel", "panels": drawn over roofs in the roof's own colour
    outline: RGB | None = None  # vector-map outlines around every object
    details: bool = True  # court lines, stalls, pool lanes...
    surface_grain: float = 0.0  # multiplicative texture over everything painted
    # light
    shadow_azimuth: float = 0.8
    shadow_strength: float = 0.35
    shadow_length: float = 0.4
    shadow_soft: float = 0.0  # blur radius of the shadow mask, pixels
    brightness: float = 1.0
    tint: tuple[float, float, float] = (1.0, 1.0, 1.0)
    contrast: float = 1.0
    saturation: float = 1.0
    shading: float = 0.1  # depth of the smooth light map (0 = even light)
    haze: float = 0.0  # share of the haze veil in every pixel
    haze_rgb: RGB = (200, 205, 210)
    blur: float = 0.0  # gaussian radius, pixels
    vignette: float = 0.0
    noise_sigma: float = 3.0


def ground(look: Look, rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """uint8 [H, W, 3] background: base colour, low-frequency patches, stripes and fine grain."""
    patches = rng.uniform(-1, 1, size=(6, 6, 3)).astype(np.float32)
    patches[..., 1] = patches[..., 0] * 0.6 + patches[..., 1] * 0.4
    small = np.clip(np.array(look.ground_rgb, np.float32) + patches * look.ground_patch, 0, 255).astype(np.uint8)
    img = np.asarray(Image.fromarray(small).resize((width, height), Image.BICUBIC), dtype=np.float32)
    if look.ground_stripes > 0:
        yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
        phase = (xx * np.cos(look.stripe_angle) + yy * np.sin(look.stripe_angle)) * (2 * np.pi / look.stripe_period_px)
        img *= (1 + look.ground_stripes * np.sin(phase))[..., None]
    if look.ground_grain > 0:
        img *= _grain(rng, width, height, look.grain_px, look.ground_grain)
    return np.clip(img, 0, 255).astype(np.uint8)


def object_color(look: Look, kind: str, color: str, seed: int, style_seed: int) -> RGB:
    rng = np.random.default_rng([seed, style_seed, 0xC0])
    if kind == "road" and look.road_rgb is not None:
        return jitter(look.road_rgb, rng, 8)
    rgb = sample_color(kind, color, rng, look.color_spread)
    if kind in VEGETATION and look.vegetation_rgb is not None:
        m = look.vegetation_mix * rng.uniform(0.6, 1.0)
        rgb = tuple(int(round(a * (1 - m) + b * m)) for a, b in zip(rgb, look.vegetation_rgb))  # type: ignore
    return rgb


def surface(look: Look, img: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Fine multiplicative texture over everything painted so far (photo-like surfaces)."""
    if look.surface_grain <= 0:
        return img
    arr = np.asarray(img, dtype=np.float32) * _grain(rng, img.width, img.height, look.grain_px, look.surface_grain)
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def finish(look: Look, arr: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Light (brightness, tint, contrast, saturation, smooth shading, vignette), haze, blur, sensor noise."""
    h, w = arr.shape[:2]
    x = arr.astype(np.float32) * look.brightness * np.array(look.tint, np.float32)
    mean = x.mean()
    x = (x - mean) * look.contrast + mean
    gray = x.mean(axis=2, keepdims=True)
    x = gray + (x - gray) * look.saturation
    if look.shading > 0:
        light = rng.uniform(1 - look.shading, 1.0, size=(4, 4)).astype(np.float32)
        x *= np.asarray(Image.fromarray(light).resize((w, h), Image.BILINEAR))[..., None] / (1 - look.shading / 2)
    if look.vignette > 0:
        yy, xx = np.mgrid[-1:1:h * 1j, -1:1:w * 1j]
        x *= (1 - look.vignette * (xx ** 2 + yy ** 2) / 2)[..., None].astype(np.float32)
    if look.haze > 0:
        x = x * (1 - look.haze) + np.array(look.haze_rgb, np.float32) * look.haze
    img = Image.fromarray(np.clip(x, 0, 255).astype(np.uint8))
    if look.blur > 0:
        img = img.filter(ImageFilter.GaussianBlur(look.blur))
    noise = rng.standard_normal((h, w, 1), dtype=np.float32) * look.noise_sigma
    return np.clip(np.asarray(img, np.float32) + noise, 0, 255).astype(np.uint8)


def _grain(rng: np.random.Generator, width: int, height: int, cell: int, amount: float) -> np.ndarray:
    """[H, W, 1] multiplicative texture around 1 with cells of `cell` pixels."""
    gh, gw = max(1, -(-height // cell)), max(1, -(-width // cell))
    g = rng.uniform(-amount, amount, size=(gh, gw)).astype(np.float32)
    g = np.asarray(Image.fromarray(g).resize((width, height), Image.BILINEAR))
    return (1 + g)[..., None]
