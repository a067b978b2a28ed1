"""conversions.image_header_from_cdr against rclpy's own serialization: the fields and the pixel bytes in place."""
import numpy as np
import pytest

pytest.importorskip("rclpy")
from rclpy.serialization import serialize_message  # noqa: E402
from sensor_msgs.msg import Image  # noqa: E402

from geotext_ros.nodes.conversions import image_header_from_cdr  # noqa: E402


@pytest.mark.parametrize("frame_id,encoding,height,width,step", [
    ("cam", "rgb8", 4, 6, 18), ("", "mono8", 3, 5, 8), ("camera_optical_frame_x", "bgr8", 2, 2, 7),
    ("a", "16UC1", 1, 1, 2)])
def test_header_and_pixels_match_rclpy(frame_id, encoding, height, width, step) -> None:
    msg = Image(height=height, width=width, encoding=encoding, step=step)
    msg.header.frame_id, msg.header.stamp.sec, msg.header.stamp.nanosec = frame_id, -5, 7
    data = np.random.default_rng(0).integers(0, 256, height * step, dtype=np.uint8).tobytes()
    msg.data = data
    raw = serialize_message(msg)
    h = image_header_from_cdr(raw)
    assert (h.stamp_sec, h.stamp_nanosec, h.frame_id, h.height, h.width, h.encoding, h.step, h.n_bytes) == \
        (-5, 7, frame_id, height, width, encoding, step, len(data))
    assert bytes(h.pixels(raw)) == data


def test_truncated_or_foreign_bytes_give_none() -> None:
    msg = Image(height=2, width=2, encoding="rgb8", step=6)
    msg.data = bytes(12)
    raw = serialize_message(msg)
    assert image_header_from_cdr(raw[:-1]) is None          # data shorter than its length says
    assert image_header_from_cdr(raw[:20]) is None
    assert image_header_from_cdr(b"\x01\x00" + raw[2:]) is None   # big-endian CDR: left to rclpy
