"""ROS-free conversions between message fields and numpy: images (honouring `step`), poses, camera intrinsics.

Functions take the message's fields (not the message), so they run and test without rclpy and without cv_bridge
(the pip `cv-bridge` is the ROS 1 copy and breaks under NumPy 2).
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from geotext_ros.geometry import Intrinsics

CHANNELS = {"rgb8": 3, "bgr8": 3, "mono8": 1}


def image_to_rgb(height: int, width: int, encoding: str, step: int, data: bytes | Sequence[int],
                 max_width: int = 0) -> np.ndarray:
    """sensor_msgs/Image fields -> contiguous uint8 RGB array [height, width, 3].

    Rows are `step` bytes apart (padding at row ends is dropped). ValueError names the bad field. max_width > 0:
    a wider frame is first shrunk (OpenCV INTER_AREA, aspect kept) to that width, on the raw channels, so the
    colour swap and every later step touch only the small image (a full-HD frame costs one pass, not several).
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
    pixels = rows.reshape(height, width, channels)
    if max_width > 0 and width > max_width:
        pixels = shrink(pixels, max_width)
    if channels == 1:
        return np.ascontiguousarray(np.repeat(pixels, 3, axis=2))
    if encoding == "bgr8":
        pixels = pixels[:, :, ::-1]
    return np.ascontiguousarray(pixels)


@dataclass(frozen=True)
class ImageHeader:
    """The fields of a serialized sensor_msgs/Image that validate it, read without converting its pixels."""
    stamp_sec: int
    stamp_nanosec: int
    frame_id: str
    height: int
    width: int
    encoding: str
    step: int
    n_bytes: int
    data_offset: int   # where the pixel bytes start in the serialized message (-1: not known)

    def pixels(self, raw: bytes) -> memoryview:
        """The pixel bytes of `raw` (the message this header was read from), without copying them."""
        if self.data_offset < 0:
            raise ValueError("this header was not read from CDR bytes; deserialize the message for its data")
        return memoryview(raw)[self.data_offset:self.data_offset + self.n_bytes]


_CDR_LE = (b"\x00\x01", b"\x00\x03")   # encapsulation ids: plain CDR / XCDR2 (PL_CDR2 aside), little endian


def image_header_from_cdr(raw: bytes) -> Optional[ImageHeader]:
    """A serialized sensor_msgs/Image (as a `raw=True` subscription receives it) -> its header fields and where its
    pixels start, or None when it is not little-endian CDR or too short (then deserialize it with rclpy). Reading
    these ~60 bytes instead of deserializing lets the camera callback validate a 6 MB frame in microseconds, and the
    frame that is processed is read in place (rclpy's deserialize_message copies the 6 MB: ~10 ms measured)."""
    view = memoryview(raw)
    if len(view) < 4 or bytes(view[:2]) not in _CDR_LE:
        return None
    body, pos = view[4:], 0   # CDR aligns relative to the end of the 4-byte encapsulation header

    def u32() -> int:
        nonlocal pos
        pos = (pos + 3) & ~3
        (value,) = struct.unpack_from("<I", body, pos)
        pos += 4
        return value

    def string() -> str:
        nonlocal pos
        n = u32()   # length including the terminating NUL
        text = bytes(body[pos:pos + max(n - 1, 0)]).decode("utf-8", errors="replace")
        pos += n
        return text

    try:
        sec, nanosec = u32(), u32()
        frame_id = string()
        height, width = u32(), u32()
        encoding = string()
        pos += 1            # is_bigendian
        step, n_bytes = u32(), u32()
    except struct.error:
        return None
    if pos + n_bytes > len(body):
        return None
    return ImageHeader(sec if sec < 2**31 else sec - 2**32, nanosec, frame_id, height, width, encoding, step,
                       n_bytes, 4 + pos)


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


def shrink(pixels: np.ndarray, max_width: int) -> np.ndarray:
    """[H, W, C] uint8 -> [H', max_width, C] with H' = round(H * max_width / W) (OpenCV INTER_AREA: averages, no
    aliasing); scale the intrinsics with scale_intrinsics(k, W', H')."""
    import cv2   # the field's tool for resizing; only needed when frames are shrunk

    height, width = pixels.shape[:2]
    new_h = max(1, int(round(height * max_width / width)))
    out = cv2.resize(np.ascontiguousarray(pixels), (int(max_width), new_h), interpolation=cv2.INTER_AREA)
    return out[:, :, None] if out.ndim == 2 else out


def scale_intrinsics(k: Intrinsics, width: int, height: int) -> Intrinsics:
    """The intrinsics of the same camera after its image was resized to width x height, in the continuous
    coordinates where the image spans [0, W] x [0, H] (those of box_center_to_ground's normalized boxes)."""
    sx, sy = width / k.width, height / k.height
    return Intrinsics(k.fx * sx, k.fy * sy, k.cx * sx, k.cy * sy, int(width), int(height))


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
