"""nav/px4_messages.py field mapping against real generated px4_msgs types (test/px4_msgs_pkg, PX4's 1.17-line message
reference), with ROS_PYTHON_CHECK_FIELDS=1 so that a wrong field type raises instead of passing silently."""
import math

import pytest

from px4_msgs_build import px4_msgs_imported, require_px4_msgs

from geotext_ros.nav import px4_messages as px4
from geotext_ros.nav.px4_messages import (SetpointNED, arm_command, local_position_to_enu, make_offboard_control_mode,
                                 make_trajectory_setpoint, make_vehicle_command, offboard_mode_command, px4_status,
                                 versioned_topic)


@pytest.fixture(scope="module")
def m():
    require_px4_msgs()
    with px4_msgs_imported() as msgs:
        yield msgs


def fields(cls):
    return cls.get_fields_and_field_types()


def test_field_checking_is_on(m):
    cmd = m.VehicleCommand()
    with pytest.raises(AssertionError, match="param1"):
        cmd.param1 = 1                                   # an int where PX4 has float32
    with pytest.raises(AssertionError):
        cmd.target_system = 256                          # out of uint8 range


def test_the_fields_the_bridge_touches_have_px4s_types(m):
    assert {k: fields(m.OffboardControlMode)[k] for k in ("timestamp", "position", "velocity", "thrust_and_torque",
                                                            "direct_actuator")} == {
        "timestamp": "uint64", "position": "boolean", "velocity": "boolean", "thrust_and_torque": "boolean",
        "direct_actuator": "boolean"}
    ts = fields(m.TrajectorySetpoint)
    assert ts["position"] == ts["velocity"] == ts["acceleration"] == ts["jerk"] == "float[3]"
    assert ts["yaw"] == ts["yawspeed"] == "float" and ts["timestamp"] == "uint64"
    vc = fields(m.VehicleCommand)
    assert (vc["command"], vc["param1"], vc["param2"], vc["param5"]) == ("uint32", "float", "float", "double")
    assert (vc["target_system"], vc["source_component"], vc["from_external"]) == ("uint8", "uint16", "boolean")
    lp = fields(m.VehicleLocalPosition)
    for name in ("xy_valid", "z_valid", "v_xy_valid", "v_z_valid", "heading_good_for_control"):
        assert lp[name] == "boolean", name
    assert all(lp[n] == "float" for n in ("x", "y", "z", "vx", "vy", "vz", "heading"))
    vs = fields(m.VehicleStatus)
    assert (vs["arming_state"], vs["nav_state"], vs["nav_state_user_intention"], vs["failsafe"]) == (
        "uint8", "uint8", "uint8", "boolean")


def test_the_bridges_constants_are_px4s(m):
    assert m.VehicleCommand.VEHICLE_CMD_DO_SET_MODE == px4.VEHICLE_CMD_DO_SET_MODE == 176
    assert m.VehicleCommand.VEHICLE_CMD_COMPONENT_ARM_DISARM == px4.VEHICLE_CMD_COMPONENT_ARM_DISARM == 400
    assert m.VehicleStatus.ARMING_STATE_ARMED == px4.ARMING_STATE_ARMED == 2
    assert m.VehicleStatus.NAVIGATION_STATE_OFFBOARD == px4.NAVIGATION_STATE_OFFBOARD == 14


def test_topic_suffixes_follow_message_version(m):
    assert versioned_topic("/fmu/out/vehicle_status", m.VehicleStatus) == "/fmu/out/vehicle_status_v1"
    assert versioned_topic("/fmu/out/vehicle_local_position", m.VehicleLocalPosition) == \
        "/fmu/out/vehicle_local_position_v1"
    assert versioned_topic("/fmu/in/trajectory_setpoint", m.TrajectorySetpoint) == "/fmu/in/trajectory_setpoint"
    assert versioned_topic("/fmu/in/vehicle_command", m.VehicleCommand) == "/fmu/in/vehicle_command"
    assert versioned_topic("/fmu/in/offboard_control_mode", m.OffboardControlMode) == \
        "/fmu/in/offboard_control_mode"


def test_built_messages_serialize_and_round_trip(m):
    from rclpy.serialization import deserialize_message, serialize_message

    mode = make_offboard_control_mode(m.OffboardControlMode, 123)
    sp = make_trajectory_setpoint(m.TrajectorySetpoint, SetpointNED.from_enu(3.0, 4.0, 10.0, 0.0), 456)
    cmd = make_vehicle_command(m.VehicleCommand, offboard_mode_command(), 789, source_component=1000)
    arm = make_vehicle_command(m.VehicleCommand, arm_command(), 789)
    for msg in (mode, sp, cmd, arm):
        back = deserialize_message(serialize_message(msg), type(msg))
        assert back.timestamp == msg.timestamp
    back = deserialize_message(serialize_message(sp), m.TrajectorySetpoint)
    assert list(back.position) == [4.0, 3.0, -10.0] and math.isnan(back.yawspeed)
    assert all(math.isnan(v) for v in list(back.velocity) + list(back.acceleration) + list(back.jerk))
    assert back.yaw == pytest.approx(math.pi / 2)
    assert mode.position and not (mode.velocity or mode.thrust_and_torque or mode.direct_actuator)
    assert (cmd.command, cmd.param1, cmd.param2, cmd.from_external) == (176, 1.0, 6.0, True)
    assert (arm.command, arm.param1, arm.target_system, arm.target_component) == (400, 1.0, 1, 1)


def test_local_position_and_status_from_real_messages(m):
    lp = m.VehicleLocalPosition(x=10.0, y=-2.0, z=-30.0, vx=1.0, vy=0.5, vz=-2.0, heading=0.0, xy_valid=True,
                                z_valid=True, v_xy_valid=True, v_z_valid=True, heading_good_for_control=True,
                                timestamp=5_000_000)
    pos = local_position_to_enu(lp)
    assert (pos.x, pos.y, pos.z, pos.valid) == (-2.0, 10.0, 30.0, True) and pos.timestamp_us == 5_000_000
    lp.heading_good_for_control = False
    assert not local_position_to_enu(lp).valid
    lp.heading_good_for_control, lp.v_xy_valid = True, False
    pos = local_position_to_enu(lp)
    assert pos.valid and not pos.velocity_xy_valid and math.isnan(pos.body_velocity()[0])
    VS = m.VehicleStatus
    s = px4_status(VS(arming_state=VS.ARMING_STATE_ARMED, nav_state=VS.NAVIGATION_STATE_OFFBOARD))
    assert s.armed and s.offboard and not s.failsafe
    s = px4_status(VS(arming_state=VS.ARMING_STATE_ARMED, nav_state=VS.NAVIGATION_STATE_AUTO_LOITER, failsafe=True))
    assert s.armed and not s.offboard and s.failsafe
