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
