"""Property tests for the input edges not covered by test_nav_parser.py / test_nodes_conversions.py: arbitrary
Image fields, arbitrary camera matrices (NaN, inf, zero), and what the parser hands on from arbitrary text."""
import dataclasses
import json
import math

import numpy as np
from hypothesis import given, settings, strategies as st

from geotext_ros.nav.parser import MAX_INPUT_CHARS, parse_instruction
from geotext_ros.geometry import Intrinsics
from geotext_ros.nodes import conversions as cv

ENCODINGS = st.sampled_from(["rgb8", "bgr8", "mono8", "rgba8", "yuv422", "16UC1", "", "RGB8", "rgb8\x00"])


@settings(max_examples=300, deadline=None)
@given(height=st.integers(0, 9), width=st.integers(0, 9), encoding=ENCODINGS, step=st.integers(0, 40),
       size=st.integers(0, 400))
def test_any_image_fields_give_rgb_or_a_value_error(height, width, encoding, step, size) -> None:
    data = bytes(range(256)) * 2
    try:
        out = cv.image_to_rgb(height, width, encoding, step, data[:size])
    except ValueError as e:
        assert str(e)   # names the problem
        return
    # accepted: exactly the frames whose fields are consistent
    channels = cv.CHANNELS[encoding]
    assert height > 0 and width > 0 and step >= width * channels and size == step * height
    assert out.shape == (height, width, 3) and out.dtype == np.uint8 and out.flags["C_CONTIGUOUS"]


_floats = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([0.0, -1.0, 1e-300, 500.0]))


@settings(max_examples=300, deadline=None)
@given(k=st.one_of(st.lists(_floats, min_size=9, max_size=9), st.lists(_floats, max_size=12)), width=st.integers(-2, 2000), height=st.integers(-2, 2000))
def test_any_camera_matrix_gives_usable_intrinsics_or_a_value_error(k, width, height) -> None:
    try:
        fx, fy, cx, cy = Intrinsics.from_k(k, width, height).focal_centre
    except ValueError as e:
        assert str(e)
        return
    assert all(math.isfinite(v) for v in (fx, fy, cx, cy)), (fx, fy, cx, cy)
    assert fx > 0 and fy > 0 and width > 0 and height > 0


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=2500))
def test_parsed_instruction_is_a_prefix_of_the_input_and_strict_json(text) -> None:
    ins = parse_instruction(text)
    assert text.startswith(ins.raw) and len(ins.raw) <= MAX_INPUT_CHARS
    # the navigator publishes these fields in its JSON status: they must survive a strict round trip
    fields = dataclasses.asdict(ins)
    assert json.loads(json.dumps(fields, allow_nan=False))["raw"] == ins.raw
