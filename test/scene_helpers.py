"""A tiny ENU world seen through the real camera geometry: ground squares -> boxes in a frame -> SceneObjects.

Boxes come from projecting each square's corners with geotext_ros.nav.camera.ground_to_pixel (the same code the
navigator uses), so a test that turns the vehicle sees the boxes move exactly as the drone's camera would."""
from __future__ import annotations

import math
from typing import Optional, Sequence

from geotext_ros.geometry import Intrinsics, Pose
from geotext_ros.nav.camera import ground_to_pixel, pixel_to_normalized
from geotext_ros.nav.scene import SceneObject, locate

SIZE = (320, 320)
K = Intrinsics(160.0, 160.0, 160.0, 160.0, SIZE[0], SIZE[1])   # 90 degree field of view


def square_box(centre: tuple[float, float], half: float, pose: Pose,
               pitch_deg: float = 0.0) -> Optional[tuple[float, float, float, float]]:
    """Normalized (cx, cy, w, h) box around the image of a ground square; None when a corner is behind."""
    pts = [ground_to_pixel(centre[0] + sx * half, centre[1] + sy * half, K, pose, pitch_deg)
           for sx, sy in ((-1, -1), (1, -1), (1, 1), (-1, 1))]
    if any(p is None for p in pts):
        return None
    us = [pixel_to_normalized(u, v, SIZE)[0] for u, v in pts]   # type: ignore[misc]
    vs = [pixel_to_normalized(u, v, SIZE)[1] for u, v in pts]   # type: ignore[misc]
    return (min(us) + max(us)) / 2, (min(vs) + max(vs)) / 2, max(us) - min(us), max(vs) - min(vs)


def seen(world: Sequence[tuple[str, tuple[float, float], float, float]], pose: Pose, pitch_deg: float = 0.0,
         colour: Optional[str] = None) -> list[SceneObject]:
    """world = [(kind, (east, north), half_size, score)] -> SceneObjects as located from this pose."""
    out = []
    for kind, centre, half, score in world:
        box = square_box(centre, half, pose, pitch_deg)
        assert box is not None, f"{kind} at {centre} is behind the camera at {pose}"
        out.append(locate(box, kind, score, SIZE, K, pose, pitch_deg, colour=colour))
    return out


def rotated(pose: Pose, yaw: float) -> Pose:
    return pose._replace(yaw=math.remainder(yaw, 2 * math.pi))
