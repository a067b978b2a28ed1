"""ROS-free conversions between message fields and numpy: images (honouring `step`), poses, camera intrinsics.

Functions take the message's fields (not the message), so they run and test without rclpy and without cv_bridge
(the pip `cv-bridge` is the ROS 1 copy and breaks under NumPy 2).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

CHANNELS = {"rgb8": 3, "bgr8": 3, "mono8": 1}


def image_to_rgb(height: int, width: int, encoding: str, step: int, data: bytes | Sequence[int]) -> np.ndarray:
    """sensor_msgs/Image fields -> contiguous uint8 RGB array [height, width, 3].

    Rows are `step` bytes apart (padding at row ends is dropped). ValueError names the bad field.
    """
    if encoding not in CHANNELS:
        raise ValueError(f"unsupported image encoding {encoding!r}; use one of {sorted(CHANNELS)}")
    if height <= 0 or width <= 0:
        raise ValueError(f"image has zero size ({width}x{height}); the camera sent an empty frame")
    channels = CHANNELS[encoding]
    row_bytes = width * channels
    if step < row_bytes:
        raise ValueError(f"image step {step} < width*channels = {width}*{channels} = {row_bytes} for {encoding}")
    buf = np.frombuffer(memoryview(data) if not isinstance(data, (list, tuple)) else bytes(data), dtype=np.uint8)
    if buf.size != step * height:
        raise ValueError(f"image data has {buf.size} bytes, expected step*height = {step}*{height} = {step * height}")
    rows = buf.reshape(height, step)[:, :row_bytes]
    if channels == 1:
        return np.ascontiguousarray(np.repeat(rows[:, :, None], 3, axis=2))
    pixels = rows.reshape(height, width, 3)
    if encoding == "bgr8":
        pixels = pixels[:, :, ::-1]
    return np.ascontiguousarray(pixels)


def rgb_to_image_fields(rgb: np.ndarray, encoding: str = "rgb8") -> dict:
    """uint8 RGB array [H, W, 3] -> Image fields {height, width, encoding, step, data (bytes)}; no row padding."""
    arr = np.asarray(rgb)
    if arr.dtype != np.uint8 or arr.ndim != 3 or arr.shape[2] != 3:
        raise ValueError(f"expected uint8 RGB [H, W, 3], got {arr.dtype} {arr.shape}")
    if encoding == "bgr8":
        arr = arr[:, :, ::-1]
    elif encoding == "mono8":
        arr = arr.mean(axis=2).round().astype(np.uint8)[:, :, None]
    elif encoding != "rgb8":
        raise ValueError(f"unsupported image encoding {encoding!r}; use one of {sorted(CHANNELS)}")
    arr = np.ascontiguousarray(arr)
    h, w, c = arr.shape
    return {"height": h, "width": w, "encoding": encoding, "step": w * c, "data": arr.tobytes()}


def box_corners_px(box: Sequence[float], width: int, height: int) -> list[tuple[float, float]]:
    """Normalized (cx, cy, w, h) -> 4 pixel corners, clockwise from top-left (x right, y down)."""
    cx, cy, bw, bh = (float(v) for v in box[:4])
    x0, x1 = (cx - bw / 2.0) * width, (cx + bw / 2.0) * width
    y0, y1 = (cy - bh / 2.0) * height, (cy + bh / 2.0) * height
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]


def draw_box(rgb: np.ndarray, box: Sequence[float], color: tuple[int, int, int] = (255, 0, 0),
             thickness: int = 2) -> np.ndarray:
    """Copy of `rgb` with the normalized box outlined (clipped to the frame): the annotated image for people."""
    out = np.array(rgb, dtype=np.uint8, copy=True)
    h, w = out.shape[:2]
    (x0, y0), _, (x1, y1), _ = box_corners_px(box, w, h)
    x0, x1 = int(np.clip(round(x0), 0, w - 1)), int(np.clip(round(x1), 0, w - 1))
    y0, y1 = int(np.clip(round(y0), 0, h - 1)), int(np.clip(round(y1), 0, h - 1))
    t = max(1, int(thickness))
    out[y0:min(y0 + t, h), x0:x1 + 1] = color
    out[max(y1 - t + 1, 0):y1 + 1, x0:x1 + 1] = color
    out[y0:y1 + 1, x0:min(x0 + t, w)] = color
    out[y0:y1 + 1, max(x1 - t + 1, 0):x1 + 1] = color
    return out
