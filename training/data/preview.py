"""Contact sheet of dataset records: images with their region boxes and sentences drawn, for people to check."""
from __future__ import annotations

import textwrap
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

BOX_COLORS = ((230, 40, 40), (40, 200, 60), (60, 120, 255))  # main, left, right
THUMB = 256
TEXT_H = 120


def contact_sheet(root: str | Path, records: list[dict], path: str | Path, n: int = 12, cols: int = 4) -> Path:
    """Grid of the first `n` train records (images under root/images) with boxes and [main, left, right] text."""
    root = Path(root)
    records = records[:: max(1, len(records) // n)][:n] if records else []
    rows = max(1, -(-len(records) // cols))
    sheet = Image.new("RGB", (cols * THUMB, rows * (THUMB + TEXT_H)), (255, 255, 255))
    font = ImageFont.load_default()
    for i, rec in enumerate(records):
        x0, y0 = (i % cols) * THUMB, (i // cols) * (THUMB + TEXT_H)
        img = Image.open(root / "images" / rec["image"]).convert("RGB").resize((THUMB, THUMB))
        draw = ImageDraw.Draw(img)
        for box, color in zip(rec.get("bboxes") or [], BOX_COLORS):
            if box is not None:
                cx, cy, w, h = (v * THUMB for v in box)
                draw.rectangle([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], outline=color, width=2)
        sheet.paste(img, (x0, y0))
        text = ImageDraw.Draw(sheet)
        lines = [rec["image_id"]]
        for label, s in zip(("M", "L", "R"), rec.get("sentences") or []):
            if s:
                lines += textwrap.wrap(f"{label}: {s}", 42)
        text.multiline_text((x0 + 3, y0 + THUMB + 2), "\n".join(lines[:9]), fill=(0, 0, 0), font=font, spacing=1)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path)
    return path


def family_sheet(path: str | Path, seed: int = 0, cols: int = 5, thumb: int = 192, tilt_deg: float = 12.0) -> Path:
    """One row per appearance family (classic first, the held-out one last): the same places and poses in every
    row, the last column tilted `tilt_deg`; each building box labelled with its colour name, to check by eye
    that families differ and colours stay right."""
    import math

    import numpy as np

    from geotext_ros.sim import CameraPose, Renderer, generate_world, intrinsics_for
    from geotext_ros.sim.appearance import CLASSIC, DEFAULT_HOLDOUT, FAMILIES

    world = generate_world(seed, 1, cols)
    renderer, k = Renderer(world), intrinsics_for(thumb, thumb, 60.0)
    names = [CLASSIC, *[f for f in FAMILIES if f != DEFAULT_HOLDOUT], DEFAULT_HOLDOUT]
    label_w = 110
    sheet = Image.new("RGB", (label_w + cols * thumb, len(names) * thumb), (255, 255, 255))
    draw, font = ImageDraw.Draw(sheet), ImageFont.load_default()
    for row, name in enumerate(names):
        draw.text((4, row * thumb + thumb // 2 - 6), name + (" (held out)" if name == DEFAULT_HOLDOUT else ""),
                  fill=(0, 0, 0), font=font)
        for c, place in enumerate(world.places[:cols]):
            style_seed = 1000 * row + c
            look = None if name == CLASSIC else FAMILIES[name].sample(np.random.default_rng(style_seed))
            pose = CameraPose(place.x, place.y, 50.0 + 8 * c, 0.6 * c)
            pitch = math.radians(tilt_deg) if c == cols - 1 else 0.0
            frame = renderer.render_tilted(pose, k, pitch, style_seed=style_seed, look=look)
            img = Image.fromarray(frame.image)
            d = ImageDraw.Draw(img)
            for o in frame.objects:
                if o.kind == "building" and o.visible > 0.8:
                    cx, cy, w, h = (v * thumb for v in o.bbox)
                    d.rectangle([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], outline=(255, 255, 255))
                    d.text((cx - w / 2 + 2, cy - h / 2 + 1), o.color, fill=(255, 255, 255), font=font)
            sheet.paste(img, (label_w + c * thumb, row * thumb))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path, quality=88)  # .jpg keeps the docs figure small; quality is ignored for .png
    return path
