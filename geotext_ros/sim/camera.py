"""Pinhole nadir camera of the simulator, following the convention of docs/architecture.md exactly.

Pixel (u, v) at altitude h maps to body offsets forward = -(v - cy) h / fy, left = -(u - cx) h / fx, then to ENU:
east = x + forward cos(yaw) - left sin(yaw), north = y + forward sin(yaw) + left cos(yaw). Image up = heading.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from geotext_ros.geometry import Intrinsics


@dataclass(frozen=True)
class CameraPose:
    """Camera position in ENU metres, altitude above ground, yaw in radians (0 = east, counter-clockwise)."""

    x: float
    y: float
    altitude: float
    yaw: float


def world_to_pixel_matrix(pose: CameraPose, k: Intrinsics) -> np.ndarray:
    """2x3 affine A with [u, v] = A @ [east, north, 1]: the exact inverse of the pixel -> ENU formula."""
    if pose.altitude <= 0:
        raise ValueError(f"camera altitude {pose.altitude} m must be > 0")
    c, s = math.cos(pose.yaw), math.sin(pose.yaw)
    ax, ay = k.fx / pose.altitude, k.fy / pose.altitude
    # forward = dE c + dN s ; left = -dE s + dN c ; u = cx - left ax ; v = cy - forward ay
    return np.array([
        [s * ax, -c * ax, k.cx - ax * (s * pose.x - c * pose.y)],
        [-c * ay, -s * ay, k.cy + ay * (c * pose.x + s * pose.y)],
    ])


def world_to_pixel(pose: CameraPose, k: Intrinsics, pts: np.ndarray) -> np.ndarray:
    """ENU points [N,2] to pixel coordinates [N,2] (u right, v down)."""
    a = world_to_pixel_matrix(pose, k)
    pts = np.asarray(pts, dtype=np.float64)
    return pts @ a[:, :2].T + a[:, 2]


def pixel_to_world(pose: CameraPose, k: Intrinsics, uv: np.ndarray) -> np.ndarray:
    """Pixel coordinates [N,2] to ENU ground points [N,2], written literally as the architecture formula."""
    uv = np.asarray(uv, dtype=np.float64)
    forward = -(uv[:, 1] - k.cy) * pose.altitude / k.fy
    left = -(uv[:, 0] - k.cx) * pose.altitude / k.fx
    c, s = math.cos(pose.yaw), math.sin(pose.yaw)
    return np.stack([pose.x + forward * c - left * s, pose.y + forward * s + left * c], axis=1)
