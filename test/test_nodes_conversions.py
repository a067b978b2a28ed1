"""Image/pose conversions (ROS-free): `step` honoured, encodings rgb8/bgr8/mono8, clear errors for bad frames."""
import array

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geotext_ros.nodes import conversions as cv


def _rgb(h: int = 4, w: int = 5) -> np.ndarray:
    return np.arange(h * w * 3, dtype=np.uint8).reshape(h, w, 3)


@pytest.mark.parametrize("encoding", ["rgb8", "bgr8"])
def test_round_trip_color(encoding: str) -> None:
    rgb = _rgb()
    f = cv.rgb_to_image_fields(rgb, encoding)
    out = cv.image_to_rgb(f["height"], f["width"], f["encoding"], f["step"], f["data"])
    np.testing.assert_array_equal(out, rgb)


def test_bgr_is_swapped() -> None:
    data = bytes([1, 2, 3])   # one pixel b=1 g=2 r=3
    np.testing.assert_array_equal(cv.image_to_rgb(1, 1, "bgr8", 3, data)[0, 0], [3, 2, 1])


def test_mono_becomes_grey_rgb() -> None:
    out = cv.image_to_rgb(2, 2, "mono8", 2, bytes([0, 50, 100, 255]))
    assert out.shape == (2, 2, 3)
    np.testing.assert_array_equal(out[1, 1], [255, 255, 255])
    np.testing.assert_array_equal(out[0, 1], [50, 50, 50])


@settings(max_examples=40, deadline=None)
@given(h=st.integers(1, 6), w=st.integers(1, 6), pad=st.integers(0, 7), enc=st.sampled_from(["rgb8", "bgr8", "mono8"]))
def test_row_padding_is_dropped(h: int, w: int, pad: int, enc: str) -> None:
    c = cv.CHANNELS[enc]
    rng = np.random.default_rng(h * 100 + w * 10 + pad)
    pixels = rng.integers(0, 256, size=(h, w * c), dtype=np.uint8)
    padded = np.concatenate([pixels, np.full((h, pad), 77, np.uint8)], axis=1)
    out = cv.image_to_rgb(h, w, enc, w * c + pad, padded.tobytes())
    expect = pixels.reshape(h, w, c)
    if enc == "mono8":
        expect = np.repeat(expect, 3, axis=2)
    elif enc == "bgr8":
        expect = expect[:, :, ::-1]
    np.testing.assert_array_equal(out, expect)
    assert out.flags["C_CONTIGUOUS"]


def test_accepts_array_and_list_data() -> None:
    data = array.array("B", [9, 8, 7])
    np.testing.assert_array_equal(cv.image_to_rgb(1, 1, "rgb8", 3, data)[0, 0], [9, 8, 7])
    np.testing.assert_array_equal(cv.image_to_rgb(1, 1, "rgb8", 3, [9, 8, 7])[0, 0], [9, 8, 7])


@pytest.mark.parametrize("args, words", [
    ((2, 2, "rgb8", 5, bytes(10)), "step 5"),            # step < width*3
    ((2, 2, "rgb8", 6, bytes(11)), "11 bytes"),          # size mismatch
    ((2, 2, "rgba8", 8, bytes(16)), "rgba8"),            # unsupported encoding
    ((0, 2, "rgb8", 6, b""), "zero size"),               # empty frame
    ((2, 0, "mono8", 0, b""), "zero size"),
])
def test_bad_frames_raise_value_error_naming_the_problem(args: tuple, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        cv.image_to_rgb(*args)


def test_rgb_to_fields_rejects_non_rgb() -> None:
    with pytest.raises(ValueError, match="uint8 RGB"):
        cv.rgb_to_image_fields(np.zeros((2, 2), np.uint8))
    with pytest.raises(ValueError, match="encoding"):
        cv.rgb_to_image_fields(_rgb(), "yuv422")


def test_box_corners_and_drawing() -> None:
    corners = cv.box_corners_px([0.5, 0.5, 0.5, 0.25], 100, 80)
    assert corners == [(25.0, 30.0), (75.0, 30.0), (75.0, 50.0), (25.0, 50.0)]
    img = np.zeros((80, 100, 3), np.uint8)
    out = cv.draw_box(img, [0.5, 0.5, 0.5, 0.25], color=(0, 255, 0), thickness=1)
    assert img.sum() == 0, "draw_box must not modify its input"
    assert tuple(out[30, 50]) == (0, 255, 0) and tuple(out[40, 25]) == (0, 255, 0)
    assert tuple(out[40, 50]) == (0, 0, 0), "inside of the box stays untouched"
    # A box partly outside the frame is clipped, not an error.
    cv.draw_box(img, [0.95, 0.95, 0.5, 0.5])


# -- issue 16 section 6: only the processed frame is converted, shrunk first; K follows the shrink -------------
def test_full_hd_frame_is_shrunk_to_max_width_with_colours_and_bgr_order_kept():
    from geotext_ros.nodes.conversions import image_to_rgb
    rgb = np.zeros((1080, 1920, 3), np.uint8)
    rgb[:, :960] = (200, 30, 10)          # left half red-ish, right half blue-ish
    rgb[:, 960:] = (10, 40, 220)
    out = image_to_rgb(1080, 1920, "rgb8", 1920 * 3, rgb.tobytes(), max_width=640)
    assert out.shape == (360, 640, 3) and out.flags["C_CONTIGUOUS"]
    assert tuple(out[100, 100]) == (200, 30, 10) and tuple(out[100, 600]) == (10, 40, 220)
    bgr = image_to_rgb(1080, 1920, "bgr8", 1920 * 3, rgb[:, :, ::-1].copy().tobytes(), max_width=640)
    assert np.array_equal(bgr, out)
    mono = image_to_rgb(1080, 1920, "mono8", 1920, rgb[:, :, 0].copy().tobytes(), max_width=640)
    assert mono.shape == (360, 640, 3) and mono[100, 100, 2] == 200
    padded = np.zeros((1080, 1920 * 3 + 8), np.uint8)   # step with row padding
    padded[:, :1920 * 3] = rgb.reshape(1080, -1)
    assert np.array_equal(image_to_rgb(1080, 1920, "rgb8", 1920 * 3 + 8, padded.tobytes(), max_width=640), out)
    small = image_to_rgb(80, 96, "rgb8", 96 * 3, rgb[:80, :96].copy().tobytes(), max_width=640)
    assert small.shape == (80, 96, 3)     # narrower frames are untouched


def test_shrunk_frame_with_scaled_intrinsics_maps_a_box_to_the_same_ground_point():
    from geotext_ros.geometry import intrinsics_for
    from geotext_ros.nav.camera import box_center_to_ground
    from geotext_ros.nodes.conversions import scale_intrinsics
    k = intrinsics_for(1920, 1080, 90.0)
    pose = (10.0, -5.0, 30.0, 0.4)
    box = [0.31, 0.62, 0.05, 0.08]
    full = box_center_to_ground(box, (1920, 1080), k, pose)
    small = box_center_to_ground(box, (640, 360), scale_intrinsics(k, 640, 360), pose)
    assert full is not None and small is not None
    assert abs(full[0] - small[0]) < 1e-6 and abs(full[1] - small[1]) < 1e-6
