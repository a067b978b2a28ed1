"""geotext_ros.geometry: intrinsics from CameraInfo and from a field of view, quaternions, angle wrap."""
import math

import pytest

from geotext_ros.geometry import (Intrinsics, intrinsics_for, quaternion_from_yaw, wrap_pi,
                                  yaw_from_quaternion)


def test_intrinsics() -> None:
    k = intrinsics_for(320, 240, 90.0).as_k()
    got = Intrinsics.from_k(k, 320, 240)
    assert got.fx == pytest.approx(160.0) and got.fy == pytest.approx(160.0) and (got.cx, got.cy) == (160.0, 120.0)
    assert (got.width, got.height) == (320, 240) and got == intrinsics_for(320, 240, 90.0)
    with pytest.raises(ValueError, match="not calibrated"):
        Intrinsics.from_k([0.0] * 9, 320, 240)
    with pytest.raises(ValueError, match="not calibrated"):
        Intrinsics.from_k(k, 0, 240)
    with pytest.raises(ValueError, match="9 values"):
        Intrinsics.from_k([1.0] * 4, 320, 240)
    with pytest.raises(ValueError, match="hfov_deg"):
        intrinsics_for(320, 240, 180.0)


@pytest.mark.parametrize("yaw", [0.0, 0.5, -2.0, math.pi - 0.01])
def test_yaw_quaternion_round_trip(yaw: float) -> None:
    assert yaw_from_quaternion(*quaternion_from_yaw(yaw)) == pytest.approx(yaw)


@pytest.mark.parametrize("angle, wrapped", [(0.0, 0.0), (math.pi, -math.pi), (-math.pi, -math.pi),
                                            (3 * math.pi / 2, -math.pi / 2), (-7.0, -7.0 + 2 * math.pi)])
def test_wrap_pi_is_half_open(angle: float, wrapped: float) -> None:
    assert wrap_pi(angle) == pytest.approx(wrapped)
    assert -math.pi <= wrap_pi(angle) < math.pi
