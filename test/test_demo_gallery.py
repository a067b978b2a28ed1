"""Gallery of the built-in world (geotext_ros.sim.gallery): files, conventions, and use by the navigator."""
import json
import math

import numpy as np
import pytest
from PIL import Image

from geotext_ros.nav.gallery import GalleryIndex, read_gallery_json
from geotext_ros.geometry import intrinsics_for
from geotext_ros.sim.gallery import (GALLERY_ALTITUDE_M, GALLERY_FOOTPRINT_M, GALLERY_HFOV_DEG, GALLERY_YAW,
                                     altitude_for_footprint, footprint_m, render_place, write_gallery)
from geotext_ros.sim.render import Renderer
from geotext_ros.sim.layouts import generate_world


@pytest.fixture(scope="module")
def world():
    return generate_world(11, 1, 4)


def test_gallery_has_one_geotagged_image_per_place(world, tmp_path):
    path = write_gallery(world, tmp_path / "g", hfov_deg=90.0, size=96)
    places = read_gallery_json(path)
    assert [p["place_id"] for p in places] == [p.place_id for p in world.places]
    raw = json.loads(path.read_text())["places"]
    for entry, place, p in zip(raw, world.places, places):
        assert (p["x"], p["y"]) == (round(place.x, 3), round(place.y, 3))
        assert entry["yaw"] == round(GALLERY_YAW, 6) and entry["hfov_deg"] == 90.0
        # the drone's 90-degree camera at this altitude sees the dataset's gallery footprint
        assert footprint_m(p["altitude"], 90.0) == pytest.approx(GALLERY_FOOTPRINT_M, abs=0.01)
        with Image.open(p["image"]) as im:
            assert im.size == (96, 96)


def test_gallery_only_named_places_and_bad_names_refused(world, tmp_path):
    ids = [world.places[2].place_id]
    assert [p["place_id"] for p in read_gallery_json(write_gallery(world, tmp_path / "one", ids, size=64))] == ids
    with pytest.raises(ValueError, match="9999"):
        write_gallery(world, tmp_path / "bad", ["9999"], size=64)


def test_gallery_bytes_are_deterministic(world, tmp_path):
    a = write_gallery(world, tmp_path / "a", size=64)
    b = write_gallery(world, tmp_path / "b", size=64)
    assert a.read_bytes() == b.read_bytes()
    for p in world.places:
        assert (tmp_path / "a/images" / f"{p.place_id}.jpg").read_bytes() == \
            (tmp_path / "b/images" / f"{p.place_id}.jpg").read_bytes()


def test_same_footprint_renders_the_dataset_image(world):
    """The renderer is affine on the ground: 90 degrees at the matching altitude = the dataset's 60 at 85 m."""
    renderer, place = Renderer(world), world.places[0]
    ref = render_place(renderer, place, 128, GALLERY_HFOV_DEG, GALLERY_ALTITUDE_M).image.astype(np.int16)
    alt = altitude_for_footprint(GALLERY_FOOTPRINT_M, 90.0)
    wide = render_place(renderer, place, 128, 90.0, alt).image.astype(np.int16)
    other = render_place(renderer, place, 128, 90.0, GALLERY_ALTITUDE_M).image.astype(np.int16)
    assert np.abs(ref - wide).mean() < 1.0
    assert np.abs(ref - other).mean() > 5.0     # the comparison can fail: another footprint differs
    assert intrinsics_for(128, 128, 90.0).fx * alt / 128 == pytest.approx(alt / 2)


def test_altitude_for_footprint_inverts_footprint():
    assert altitude_for_footprint(footprint_m(40.0, 90.0), 90.0) == pytest.approx(40.0)
    assert GALLERY_FOOTPRINT_M == pytest.approx(2 * 85 * math.tan(math.radians(30)))
    with pytest.raises(ValueError):
        altitude_for_footprint(0.0, 90.0)


def test_navigator_pipeline_embeds_a_gallery_json(world, tmp_path, tiny_engine_dir):
    """The navigator's `gallery` parameter takes gallery.json (embedded at load) as well as an index .npz."""
    from geotext_ros.param_file import load_node_params
    from geotext_ros.nav.pipeline import NavPipeline

    path = write_gallery(world, tmp_path / "g", hfov_deg=90.0, size=64)
    params = {**load_node_params("navigator"), "gallery": str(path), "clarify.place_margin": 0.0}
    pipe = NavPipeline.load(tiny_engine_dir, params)
    try:
        assert len(pipe.gallery) == len(world.places)
        status = pipe.set_instruction("fly to the red building left of the pool", 0.0, (0.0, 0.0, 40.0, 0.0))
        assert status["state"] == "SEARCH" and status["place"]["place_id"] in {p.place_id for p in world.places}
        index_path = pipe.gallery.save(tmp_path / "index.npz")
    finally:
        pipe.close()
    pipe = NavPipeline.load(tiny_engine_dir, {**params, "gallery": str(index_path)})
    try:
        assert isinstance(pipe.gallery, GalleryIndex) and pipe.gallery.place_ids == [p.place_id for p in world.places]
    finally:
        pipe.close()
