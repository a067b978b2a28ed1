"""Camera geometry: pixel <-> ground point on a flat ground plane, in the ENU world frame.

Convention (docs/architecture.md, shared with the sim renderer): a pinhole camera looking straight down (nadir)
at camera_pitch_deg = 0, image "up" = vehicle heading. At altitude h above the ground, pixel (u, v) maps to body
offsets ``forward = -(v - cy) h / fy``, ``left = -(u - cx) h / fx``, then to ENU by yaw:
``east = x + forward cos(yaw) - left sin(yaw)``, ``north = y + forward sin(yaw) + left cos(yaw)``.

General case (what the code computes): a ray in the camera optical frame (x right, y down, z along the optical
axis) d_c = ((u-cx)/fx, (v-cy)/fy, 1) is rotated to the body frame (FLU: x forward, y left, z up) by the nadir
mount, then by the camera tilt (camera_pitch_deg > 0 tilts the optical axis from straight down towards the
front), then by the vehicle attitude R = Rz(yaw) Ry(pitch) Rx(roll) (ROS REP 103: positive pitch = nose down,
positive roll = right side down), and intersected with the plane z = ground_z.

Pixels: normalized image coordinates map to pixels by ``u = c_x * width``, ``v = c_y * height`` (no half-pixel
shift), the same as the sim renderer, whose principal point is (width / 2, height / 2). For an OpenCV-calibrated
camera (pixel centres at integers) this is off by half a pixel: centimetres on the ground, below box accuracy.
"""
from __future__ import annotations

import math
from typing import Optional, Sequence, Union

import numpy as np

from geotext_ros.geometry import Intrinsics, Pose

# A ray must point down by at least this much (|z| of the unit direction) to count as hitting the ground:
# grazing rays give huge, meaningless distances.
_MIN_DOWN = 1e-6

# Nadir mount: optical (x right, y down, z forward) -> body FLU. Image up (-y_c) = forward, image right = -left.
_NADIR = np.array([[0.0, -1.0, 0.0],
                   [-1.0, 0.0, 0.0],
                   [0.0, 0.0, -1.0]])


IntrinsicsLike = Union[Intrinsics, Sequence[float]]   # an Intrinsics or (fx, fy, cx, cy)
PoseLike = Union[Pose, Sequence[float]]


def pixel_to_ground(u: float, v: float, intrinsics: IntrinsicsLike, pose: PoseLike,
                    camera_pitch_deg: float = 0.0, ground_z: float = 0.0,
                    max_distance: Optional[float] = None) -> Optional[tuple[float, float]]:
    """(east, north) where the ray through pixel (u, v) meets the plane z = ground_z; None if it does not.

    None when the ray points at or above the horizon, when the camera is at or below the ground, or when the
    hit is farther than max_distance metres (horizontal) from the vehicle.
    """
    fx, fy, cx, cy = _intrinsics(intrinsics)
    p = _pose(pose)
    if p.z <= ground_z:
        return None
    ray = _camera_to_world(p, camera_pitch_deg) @ np.array([(u - cx) / fx, (v - cy) / fy, 1.0])
    ray = ray / np.linalg.norm(ray)
    if ray[2] > -_MIN_DOWN:
        return None
    t = (ground_z - p.z) / ray[2]
    east, north = p.x + t * ray[0], p.y + t * ray[1]
    if max_distance is not None and math.hypot(east - p.x, north - p.y) > max_distance:
        return None
    return float(east), float(north)


def ground_to_pixel(east: float, north: float, intrinsics: IntrinsicsLike, pose: PoseLike,
                    camera_pitch_deg: float = 0.0, ground_z: float = 0.0) -> Optional[tuple[float, float]]:
    """Pixel (u, v) where the ground point (east, north, ground_z) projects; None if it is behind the camera.

    The pixel may lie outside the image: compare with the image size to know whether it is in view.
    """
    fx, fy, cx, cy = _intrinsics(intrinsics)
    p = _pose(pose)
    d_world = np.array([east - p.x, north - p.y, ground_z - p.z])
    d_cam = _camera_to_world(p, camera_pitch_deg).T @ d_world
    if d_cam[2] <= _MIN_DOWN * max(1.0, float(np.linalg.norm(d_world))):
        return None
    return float(cx + fx * d_cam[0] / d_cam[2]), float(cy + fy * d_cam[1] / d_cam[2])


def box_center_to_ground(box: Sequence[float], image_size: tuple[int, int], intrinsics: IntrinsicsLike,
                         pose: PoseLike, camera_pitch_deg: float = 0.0, ground_z: float = 0.0,
                         max_distance: Optional[float] = None) -> Optional[tuple[float, float]]:
    """Ground point under the centre of a normalized (cx, cy, w, h) box; image_size = (width, height) pixels."""
    u, v = normalized_to_pixel(box[0], box[1], image_size)
    return pixel_to_ground(u, v, intrinsics, pose, camera_pitch_deg, ground_z, max_distance)


def normalized_to_pixel(x: float, y: float, image_size: tuple[int, int]) -> tuple[float, float]:
    """Normalized image coordinates (0..1 across the image) -> pixel coordinates (the sim's convention)."""
    width, height = image_size
    return float(x) * width, float(y) * height


def pixel_to_normalized(u: float, v: float, image_size: tuple[int, int]) -> tuple[float, float]:
    """Inverse of normalized_to_pixel."""
    width, height = image_size
    return float(u) / width, float(v) / height


def _camera_to_world(p: Pose, camera_pitch_deg: float) -> np.ndarray:
    """Rotation taking optical-frame vectors to ENU."""
    tilt = _rot_y(-math.radians(camera_pitch_deg))   # tilts the optical axis from -z towards +x (forward)
    body = _rot_z(p.yaw) @ _rot_y(p.pitch) @ _rot_x(p.roll)
    return body @ tilt @ _NADIR


def _rot_x(a: float) -> np.ndarray:
    c, s = math.cos(a), math.sin(a)
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def _rot_y(a: float) -> np.ndarray:
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def _rot_z(a: float) -> np.ndarray:
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def _intrinsics(k: IntrinsicsLike) -> tuple[float, float, float, float]:
    """(fx, fy, cx, cy) of an Intrinsics or a 4-sequence, checked."""
    if isinstance(k, Intrinsics):
        k = k.focal_centre
    try:
        fx, fy, cx, cy = (float(val) for val in k)
    except (TypeError, ValueError) as e:
        raise ValueError(f"intrinsics must be (fx, fy, cx, cy) numbers, got {k!r:.120}") from e
    if fx <= 0 or fy <= 0:
        raise ValueError(f"focal lengths must be > 0, got fx={fx}, fy={fy}; check CameraInfo.k")
    return fx, fy, cx, cy


def _pose(p: PoseLike) -> Pose:
    if hasattr(p, "altitude") and not isinstance(p, tuple):   # geotext_ros.sim.camera.CameraPose (ground z = 0)
        p = (p.x, p.y, p.altitude, p.yaw)
    try:
        return Pose(*(float(val) for val in p))
    except (TypeError, ValueError) as e:
        raise ValueError(f"pose must be (x, y, z, yaw[, roll, pitch]) numbers, got {p!r:.120}") from e
