"""Procedural world, camera convention and renderer of geotext_ros.sim."""
import math

import numpy as np
import pytest

from geotext_ros.sim import (CameraPose, Renderer, WorldObject, World, footprint, generate_world, intrinsics_for,
                             pixel_to_world, world_to_pixel)


@pytest.fixture(scope="module")
def world():
    return generate_world(seed=3, n_campuses=2, places_per_campus=8)


def test_world_is_deterministic_per_seed(world):
    again = generate_world(seed=3, n_campuses=2, places_per_campus=8)
    other = generate_world(seed=4, n_campuses=2, places_per_campus=8)
    assert again.objects == world.objects and again.places == world.places
    assert other.objects != world.objects


def test_places_have_unique_4_digit_ids_and_are_far_apart(world):
    ids = [p.place_id for p in world.places]
    assert len(set(ids)) == len(ids) == 16 and all(len(i) == 4 and i.isdigit() for i in ids)
    xy = np.array([(p.x, p.y) for p in world.places])
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)) + np.eye(len(xy)) * 1e9
    assert d.min() >= 60.0
    for p in world.places:
        for oid in p.object_ids:
            o = world.objects[oid]
            assert o.place_id == p.place_id and math.hypot(o.x - p.x, o.y - p.y) < 60.0


def test_layouts_repeat_kinds_so_spatial_words_are_needed(world):
    repeated = 0
    for p in world.places:
        kinds = [world.objects[i].kind for i in p.object_ids if world.objects[i].kind not in ("tree", "car", "boat")]
        repeated += any(kinds.count(k) > 1 for k in set(kinds))
    assert repeated >= len(world.places) // 2


def test_mirror_places_are_exact_mirror_images(world):
    mirrors = [p for p in world.places if p.mirror_of is not None]
    assert mirrors, "every campus should hold mirror pairs"
    for m in mirrors:
        src = world.place(m.mirror_of)
        assert m.campus == src.campus and len(m.object_ids) == len(src.object_ids)
        sign = np.array([-1.0, 1.0]) if m.mirror_axis == "x" else np.array([1.0, -1.0])
        for a, b in zip(src.object_ids, m.object_ids):
            fa = (footprint(world.objects[a]) - [src.x, src.y]) * sign
            fb = footprint(world.objects[b]) - [m.x, m.y]
            # Same vertex set (order reverses under reflection): compare sorted rows.
            np.testing.assert_allclose(np.sort(fa, axis=0), np.sort(fb, axis=0), atol=1e-6)


def test_l_shape_mirror_is_not_a_rotation():
    o = WorldObject(0, "building", "red", "l_shape", 0, 0, 20, 16, 0.0)
    flipped = WorldObject(1, "building", "red", "l_shape", 0, 0, 20, 16, 0.0, flip=True)
    # The notch of the L moves from the upper-right to the lower-right quadrant.
    assert [10.0, 0.0] in footprint(o).tolist() and [0.0, 8.0] in footprint(o).tolist()
    assert [0.0, -8.0] in footprint(flipped).tolist()


def test_camera_follows_the_architecture_convention():
    k = intrinsics_for(200, 100, 60.0)
    pose = CameraPose(10.0, 20.0, 50.0, 0.0)  # heading east
    uv = world_to_pixel(pose, k, np.array([[20.0, 20.0], [10.0, 30.0]]))
    assert uv[0, 1] < k.cy and abs(uv[0, 0] - k.cx) < 1e-9  # ahead (east) = image up
    assert uv[1, 0] < k.cx and abs(uv[1, 1] - k.cy) < 1e-9  # left of heading (north) = image left
    pose = CameraPose(-5.0, 7.0, 42.0, 1.1)
    pts = np.random.default_rng(0).uniform(-30, 30, size=(20, 2))
    np.testing.assert_allclose(pixel_to_world(pose, k, world_to_pixel(pose, k, pts)), pts, atol=1e-9)


def test_render_places_an_object_where_the_camera_formula_says():
    obj = WorldObject(0, "building", "red", "square", 103.0, 47.0, 16.0, 16.0, 0.3)
    world = World(seed=0, objects=[obj])
    k = intrinsics_for(160, 160, 60.0)
    pose = CameraPose(100.0, 40.0, 60.0, 2.0)
    frame = Renderer(world).render(pose, k, style_seed=1)
    assert frame.image.shape == (160, 160, 3) and frame.image.dtype == np.uint8
    [vis] = frame.objects
    cx, cy = vis.bbox[0] * k.width, vis.bbox[1] * k.height
    np.testing.assert_allclose(pixel_to_world(pose, k, np.array([[cx, cy]]))[0], [103.0, 47.0], atol=0.05)
    # And the red roof really is drawn there.
    r, g, b = frame.image[int(cy), int(cx)].astype(int)
    assert r > g + 40 and r > b + 40


def test_render_is_deterministic_and_styles_vary(world):
    r = Renderer(world)
    k = intrinsics_for(96, 96)
    p = world.places[0]
    pose = CameraPose(p.x, p.y, 60.0, 0.5)
    a, b = r.render(pose, k, style_seed=7), r.render(pose, k, style_seed=7)
    c = r.render(pose, k, style_seed=8)
    assert np.array_equal(a.image, b.image) and a.objects == b.objects
    assert np.abs(a.image.astype(int) - c.image.astype(int)).mean() > 2.0
    assert [o.bbox for o in a.objects] == [o.bbox for o in c.objects]  # style never moves geometry


def test_partial_objects_get_clipped_boxes_and_tiny_ones_are_dropped():
    half_out = WorldObject(0, "pool", "blue", "rect", 0.0, 0.0, 20.0, 10.0, 0.0)
    tiny = WorldObject(1, "car", "red", "rect", 5.0, 15.0, 0.4, 0.2, 0.0)
    world = World(seed=0, objects=[half_out, tiny])
    k = intrinsics_for(128, 128, 60.0)
    pose = CameraPose(0.0, 0.0 - 20.0, 40.0, math.pi / 2)  # heading north; pool straddles the top edge
    frame = Renderer(world).render(pose, k, style_seed=0)
    assert [o.object_id for o in frame.objects] == [0]
    o = frame.objects[0]
    assert 0.2 < o.visible < 0.9
    cx, cy, w, h = o.bbox
    assert 0.0 <= cy - h / 2 and cy + h / 2 <= 1.0 and abs(cy - h / 2) < 1e-6  # clipped at the top edge
