"""Geotagged place gallery of a procedural world: one nadir image per place + gallery.json (docs/architecture.md).

The conventions are the synthetic dataset's (training/data/synth.py imports them from here): north-up
(yaw = pi/2), neutral style (no random light/season), a square image that covers GALLERY_FOOTPRINT_M of ground
(the dataset's 85 m altitude at a 60 degree field of view), fixed JPEG settings (byte-identical output).

The renderer is affine in the ground plane, so an image depends only on the ground footprint: a gallery for a
drone with another camera (sim_world: 90 degrees) is rendered at that camera's field of view and the altitude that
gives the same footprint (`altitude_for_footprint`). The image is then the one the model saw in training, and
the entry's `altitude` is a height from which the drone's own camera sees exactly that area, which is what the
navigator flies to in SEARCH.

    write_gallery(generate_world(7, 1, 8), "out/demo/gallery", hfov_deg=90.0)   # -> out/demo/gallery/gallery.json
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Iterable, Optional

import numpy as np
from PIL import Image

from geotext_ros.geometry import intrinsics_for
from geotext_ros.sim.camera import CameraPose
from geotext_ros.sim.render import Frame, Renderer
from geotext_ros.sim.world import Place, World

GALLERY_YAW = math.pi / 2          # north-up: image up = heading = north
GALLERY_ALTITUDE_M = 85.0          # the synthetic dataset's satellite altitude ...
GALLERY_HFOV_DEG = 60.0            # ... at its field of view
GALLERY_SIZE = 256
JPEG_QUALITY = 90


def footprint_m(altitude: float, hfov_deg: float) -> float:
    """Ground width (m) a nadir camera at `altitude` with horizontal field of view `hfov_deg` sees."""
    return 2.0 * altitude * math.tan(math.radians(hfov_deg) / 2.0)


GALLERY_FOOTPRINT_M = footprint_m(GALLERY_ALTITUDE_M, GALLERY_HFOV_DEG)   # about 98 m


def altitude_for_footprint(footprint: float, hfov_deg: float) -> float:
    """Altitude at which a nadir camera with `hfov_deg` sees `footprint` metres of ground across."""
    if footprint <= 0:
        raise ValueError(f"footprint {footprint} m must be > 0")
    return footprint / (2.0 * math.tan(math.radians(hfov_deg) / 2.0))


def render_place(renderer: Renderer, place: Place, size: int = GALLERY_SIZE, hfov_deg: float = GALLERY_HFOV_DEG,
                 altitude: float = GALLERY_ALTITUDE_M) -> Frame:
    """The gallery image of one place: nadir over its centre, north-up, neutral style."""
    pose = CameraPose(place.x, place.y, altitude, GALLERY_YAW)
    return renderer.render(pose, intrinsics_for(size, size, hfov_deg), style_seed=None)


def save_jpeg(image: np.ndarray, path: str | Path, quality: int = JPEG_QUALITY) -> None:
    """Fixed encoder settings: identical pixels always give identical bytes."""
    Image.fromarray(image).save(path, format="JPEG", quality=quality, optimize=False, subsampling=0)


def gallery_entry(place: Place, image: str, altitude: float = GALLERY_ALTITUDE_M,
                  hfov_deg: float = GALLERY_HFOV_DEG) -> dict:
    """One gallery.json place (architecture.md keys plus the synthetic extras yaw, hfov_deg, campus, mirror_of)."""
    return {"place_id": place.place_id, "image": image, "x": round(place.x, 3), "y": round(place.y, 3),
            "altitude": round(altitude, 3), "yaw": round(GALLERY_YAW, 6), "hfov_deg": hfov_deg,
            "campus": place.campus, "mirror_of": place.mirror_of}


def write_gallery(world: World, out_dir: str | Path, place_ids: Optional[Iterable[str]] = None,
                  size: int = GALLERY_SIZE, hfov_deg: float = GALLERY_HFOV_DEG,
                  altitude: Optional[float] = None) -> Path:
    """Render every place (or `place_ids`) of `world` to out_dir/images/<place>.jpg; write out_dir/gallery.json.

    altitude None = the one that gives the dataset's footprint at `hfov_deg` (85 m at 60 degrees). Returns the
    path of gallery.json."""
    out = Path(out_dir)
    if altitude is None:
        altitude = altitude_for_footprint(GALLERY_FOOTPRINT_M, hfov_deg)
    wanted = None if place_ids is None else set(place_ids)
    places = [p for p in world.places if wanted is None or p.place_id in wanted]
    if wanted is not None and len(places) != len(wanted):
        missing = sorted(wanted - {p.place_id for p in places})
        raise ValueError(f"places {missing} are not in world seed {world.seed}; known: "
                         f"{[p.place_id for p in world.places][:10]}...")
    (out / "images").mkdir(parents=True, exist_ok=True)
    renderer, entries = Renderer(world), []
    for place in places:
        rel = f"images/{place.place_id}.jpg"
        save_jpeg(render_place(renderer, place, size, hfov_deg, altitude).image, out / rel)
        entries.append(gallery_entry(place, rel, altitude, hfov_deg))
    path = out / "gallery.json"
    path.write_text(json.dumps({"places": entries}, sort_keys=True, indent=1) + "\n", encoding="utf-8")
    return path
