"""PX4 frame/time conversions and the px4_msgs field mapping (stand-in classes with px4_msgs' field names)."""
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from geotext_ros.nav import px4_messages as px4
from geotext_ros.geometry import (enu_to_ned, ned_to_enu, quaternion_from_yaw, yaw_enu_to_ned, yaw_from_quaternion,
                                  yaw_ned_to_enu)
from geotext_ros.nav.px4_messages import (SetpointNED, arm_command, local_position_to_enu, make_offboard_control_mode,
                                          make_trajectory_setpoint, make_vehicle_command, nanoseconds_to_px4_us,
                                          offboard_mode_command, px4_status, versioned_topic)


def test_enu_to_ned_swaps_east_north_and_flips_up():
    assert enu_to_ned(1.0, 2.0, 3.0) == (2.0, 1.0, -3.0)       # east 1, north 2, up 3 -> north 2, east 1, down -3
    assert ned_to_enu(2.0, 1.0, -3.0) == (1.0, 2.0, 3.0)


@pytest.mark.parametrize("yaw_enu, yaw_ned", [(0.0, math.pi / 2),            # facing east
                                              (math.pi / 2, 0.0),            # facing north
                                              (math.pi, -math.pi / 2),       # facing west
                                              (-math.pi / 2, -math.pi)])     # facing south (wrapped)
def test_yaw_conversion_known_headings(yaw_enu, yaw_ned):
    assert yaw_enu_to_ned(yaw_enu) == pytest.approx(yaw_ned)


angles = st.floats(-20, 20, allow_nan=False)


@given(x=st.floats(-1e4, 1e4), y=st.floats(-1e4, 1e4), z=st.floats(-1e4, 1e4), yaw=angles)
def test_round_trips(x, y, z, yaw):
    assert ned_to_enu(*enu_to_ned(x, y, z)) == pytest.approx((x, y, z))
    back = yaw_ned_to_enu(yaw_enu_to_ned(yaw))
    assert -math.pi <= yaw_enu_to_ned(yaw) < math.pi
    assert math.cos(back - yaw) == pytest.approx(1.0)
    assert math.cos(yaw_from_quaternion(*quaternion_from_yaw(yaw)) - yaw) == pytest.approx(1.0)


def test_timestamps_are_integer_microseconds():
    assert nanoseconds_to_px4_us(1_234_567_890_123) == 1_234_567_890
    assert isinstance(nanoseconds_to_px4_us(1999), int)


class _V0:
    pass


class _V1:
    MESSAGE_VERSION = 1


@pytest.mark.parametrize("name, cls, expected", [
    ("/fmu/out/vehicle_local_position", _V1, "/fmu/out/vehicle_local_position_v1"),
    ("/fmu/out/vehicle_local_position", _V0, "/fmu/out/vehicle_local_position"),        # PX4 <= 1.15
    ("/fmu/out/vehicle_local_position", None, "/fmu/out/vehicle_local_position"),
    ("/fmu/out/vehicle_status_v3", _V1, "/fmu/out/vehicle_status_v3"),                  # pinned by the operator
])
def test_versioned_topic(name, cls, expected):
    assert versioned_topic(name, cls) == expected


# Stand-ins with exactly px4_msgs' field names (px4_msgs is not installable here): only for the field mapping.
class OffboardControlMode:
    def __init__(self):
        self.timestamp = 0
        self.position = self.velocity = self.acceleration = self.attitude = self.body_rate = False
        self.thrust_and_torque = self.direct_actuator = False


class TrajectorySetpoint:
    def __init__(self):
        self.timestamp = 0
        self.position = self.velocity = self.acceleration = self.jerk = [0.0, 0.0, 0.0]
        self.yaw = self.yawspeed = 0.0


class VehicleCommand:
    VEHICLE_CMD_DO_SET_MODE = 176
    VEHICLE_CMD_COMPONENT_ARM_DISARM = 400

    def __init__(self):
        self.timestamp = self.command = 0
        self.param1 = self.param2 = self.param3 = 0.0
        self.target_system = self.target_component = self.source_system = self.source_component = 0
        self.from_external = False


class VehicleLocalPosition:
    def __init__(self, **fields):
        self.timestamp, self.xy_valid, self.z_valid = 5_000_000, True, True
        self.v_xy_valid = self.v_z_valid = self.heading_good_for_control = True
        self.x = self.y = self.z = self.vx = self.vy = self.vz = self.heading = 0.0
        self.__dict__.update(fields)


class VehicleStatus:
    ARMING_STATE_DISARMED = 1
    ARMING_STATE_ARMED = 2
    NAVIGATION_STATE_POSCTL = 2
    NAVIGATION_STATE_OFFBOARD = 14

    def __init__(self, arming_state, nav_state, failsafe=False):
        self.arming_state, self.nav_state, self.failsafe = arming_state, nav_state, failsafe


def test_offboard_control_mode_requests_position_control_only():
    msg = make_offboard_control_mode(OffboardControlMode, 123)
    assert msg.position is True and msg.timestamp == 123
    assert not any((msg.velocity, msg.acceleration, msg.attitude, msg.body_rate, msg.thrust_and_torque,
                    msg.direct_actuator))


def test_trajectory_setpoint_is_ned_with_unused_fields_nan():
    sp = SetpointNED.from_enu(3.0, 4.0, 10.0, 0.0)          # 3 m east, 4 m north, 10 m up, facing east
    msg = make_trajectory_setpoint(TrajectorySetpoint, sp, 42)
    assert list(msg.position) == [4.0, 3.0, -10.0]
    assert msg.yaw == pytest.approx(math.pi / 2)
    assert all(math.isnan(v) for v in list(msg.velocity) + list(msg.acceleration) + list(msg.jerk))
    assert math.isnan(msg.yawspeed) and msg.timestamp == 42


def test_vehicle_commands_match_px4_offboard_and_arm():
    mode = make_vehicle_command(VehicleCommand, offboard_mode_command(), 7)
    assert (mode.command, mode.param1, mode.param2) == (VehicleCommand.VEHICLE_CMD_DO_SET_MODE, 1.0, 6.0)
    arm = make_vehicle_command(VehicleCommand, arm_command(), 7, target_system=2)
    assert (arm.command, arm.param1) == (VehicleCommand.VEHICLE_CMD_COMPONENT_ARM_DISARM, 1.0)
    assert arm.target_system == 2 and arm.target_component == 1 and arm.from_external and arm.timestamp == 7


def test_local_position_ned_to_enu():
    msg = VehicleLocalPosition(x=10.0, y=-2.0, z=-30.0, vx=1.0, vy=0.5, vz=-2.0, heading=0.0)
    pos = local_position_to_enu(msg)
    assert (pos.x, pos.y, pos.z) == (-2.0, 10.0, 30.0)
    assert (pos.vx, pos.vy, pos.vz) == (0.5, 1.0, 2.0)
    assert pos.yaw == pytest.approx(math.pi / 2)            # heading north = ENU yaw pi/2
    assert pos.valid and pos.timestamp_us == 5_000_000
    fwd, left, up = pos.body_velocity()                     # facing north: north speed is forward, east is right
    assert (fwd, left, up) == pytest.approx((1.0, -0.5, 2.0))


def test_local_position_invalid_when_px4_says_so_or_not_finite():
    assert not local_position_to_enu(VehicleLocalPosition(xy_valid=False)).valid
    assert not local_position_to_enu(VehicleLocalPosition(heading=float("nan"))).valid
    assert not local_position_to_enu(VehicleLocalPosition(heading_good_for_control=False)).valid


def test_invalid_velocities_are_unknown_in_the_body_twist_and_leave_the_pose_valid():
    pos = local_position_to_enu(VehicleLocalPosition(vx=1.0, vy=2.0, vz=-3.0, v_xy_valid=False))
    assert pos.valid and not pos.velocity_xy_valid and pos.velocity_z_valid
    fwd, left, up = pos.body_velocity()
    assert math.isnan(fwd) and math.isnan(left) and up == 3.0
    pos = local_position_to_enu(VehicleLocalPosition(vx=1.0, vy=0.0, vz=-3.0, v_z_valid=False))
    fwd, left, up = pos.body_velocity()
    assert (fwd, left) == pytest.approx((1.0, 0.0)) and math.isnan(up)


def test_vehicle_status_mapping():
    s = px4_status(VehicleStatus(VehicleStatus.ARMING_STATE_ARMED, VehicleStatus.NAVIGATION_STATE_OFFBOARD))
    assert s.armed and s.offboard
    s = px4_status(VehicleStatus(VehicleStatus.ARMING_STATE_DISARMED, VehicleStatus.NAVIGATION_STATE_POSCTL, True))
    assert not s.armed and not s.offboard and s.failsafe and s.nav_state == 2


def test_module_constants_agree_with_px4_values():
    assert (px4.VEHICLE_CMD_DO_SET_MODE, px4.VEHICLE_CMD_COMPONENT_ARM_DISARM) == (176, 400)
    assert (px4.ARMING_STATE_ARMED, px4.NAVIGATION_STATE_OFFBOARD) == (2, 14)
