"""The sim vehicle flies to a waypoint within its speed and acceleration limits and stops there."""
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geotext_ros.sim.vehicle import Setpoint, VehicleLimits, VehicleState, step_vehicle

LIMITS = VehicleLimits(max_speed=6.0, max_vertical_speed=2.0, max_accel=2.5, max_yaw_rate=0.8)


def _fly(state: VehicleState, target: Setpoint, seconds: float, dt: float = 0.05) -> list[VehicleState]:
    out = [state]
    for _ in range(int(seconds / dt)):
        out.append(step_vehicle(out[-1], target, dt, LIMITS))
    return out


@settings(max_examples=25, deadline=None)
@given(tx=st.floats(-150, 150), ty=st.floats(-150, 150), tz=st.floats(10, 60), yaw=st.floats(-3.1, 3.1))
def test_reaches_waypoint_within_limits(tx: float, ty: float, tz: float, yaw: float) -> None:
    dt = 0.05
    path = _fly(VehicleState(z=40.0), Setpoint(tx, ty, tz, yaw), seconds=90.0, dt=dt)
    end = path[-1]
    assert math.hypot(end.x - tx, end.y - ty) < 0.1 and abs(end.z - tz) < 0.1
    assert abs(math.remainder(end.yaw - yaw, 2 * math.pi)) < 1e-6
    for a, b in zip(path, path[1:]):
        assert b.speed <= LIMITS.max_speed + 1e-6
        assert abs(b.vz) <= LIMITS.max_vertical_speed + 1e-6
        dv = math.sqrt((b.vx - a.vx) ** 2 + (b.vy - a.vy) ** 2 + (b.vz - a.vz) ** 2)
        if math.hypot(b.x - tx, b.y - ty) > 0.05 and abs(b.z - tz) > 0.05:   # the final snap is exempt
            assert dv <= LIMITS.max_accel * dt + 1e-6
        assert abs(math.remainder(b.yaw - a.yaw, 2 * math.pi)) <= LIMITS.max_yaw_rate * dt + 1e-9


def test_no_large_overshoot() -> None:
    path = _fly(VehicleState(z=30.0), Setpoint(100.0, 0.0, 30.0), seconds=60.0)
    assert max(s.x for s in path) < 100.5


def test_none_setpoint_brakes_to_hover() -> None:
    moving = VehicleState(x=0.0, y=0.0, z=30.0, vx=5.0)
    path = [moving]
    for _ in range(200):
        path.append(step_vehicle(path[-1], None, 0.05, LIMITS))
    assert path[-1].speed < 1e-6


def test_bad_limits_are_rejected() -> None:
    with pytest.raises(ValueError, match="max_speed"):
        VehicleLimits(max_speed=0.0)
