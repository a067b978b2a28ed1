"""A PX4 offboard emulator for the contract tests: its own process, real px4_msgs types (test/px4_msgs_pkg), real DDS.

It plays PX4's side of the uXRCE-DDS link the way PX4's documentation describes it, not PX4's flight code:
- QoS as PX4's uXRCE-DDS client: writers best effort + transient local, readers best effort + volatile.
- Topics /fmu/in/{offboard_control_mode, trajectory_setpoint, vehicle_command} and /fmu/out/vehicle_status_v1,
  /fmu/out/vehicle_local_position_v1 (the `_vN` suffix is the message's MESSAGE_VERSION when above 0).
- Offboard: VEHICLE_CMD_DO_SET_MODE (param1 1 = custom mode, param2 6 = offboard) is refused unless
  OffboardControlMode (position) and TrajectorySetpoint have both been streaming above 2 Hz for at least 1 s.
- Arming (VEHICLE_CMD_COMPONENT_ARM_DISARM param1 1): refused while the pre-flight checks fail, and in offboard
  while the offboard stream is missing.
- Offboard loss: in offboard, no OffboardControlMode for COM_OF_LOSS_T seconds -> failsafe (COM_OBL_RC_ACT; here
  hold = AUTO_LOITER or land = AUTO_LAND), `failsafe` set, `nav_state_user_intention` still OFFBOARD. The emulator
  leaves the failsafe only on a new mode command (the conservative reading of PX4's docs).
- NAV_LAND / NAV_RETURN_TO_LAUNCH (a ground station's commands): AUTO_LAND / AUTO_RTL; on the ground after a
  landing the vehicle disarms (reason LANDING).
- Kinematics: a point mass flying straight at the position setpoint with speed limits; heading follows the yaw.

The test drives it and reads it over ROS: it publishes its state as JSON on /px4_emulator/state (std_msgs/String)
and takes test controls on /px4_emulator/control (JSON, e.g. {"preflight_ok": false} or {"v_xy_valid": false}).

    python test/px4_emulator.py [--com-of-loss-t 1.0] [--obl-action hold|land] [--preflight-fail]
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from px4_msgs_build import import_px4_msgs  # noqa: E402

STREAM_MIN_RATE_HZ = 2.0      # PX4: the offboard stream must be faster than 2 Hz ...
STREAM_MIN_DURATION_S = 1.0   # ... for at least 1 s before offboard is accepted
MAX_XY_SPEED, MAX_Z_SPEED, LAND_SPEED = 8.0, 3.0, 1.5   # m/s
PHYSICS_HZ, STATUS_HZ = 50.0, 10.0
SYSTEM_ID = 1


class Stream:
    """Arrival times of one /fmu/in stream: healthy while each gap is below 1/2 Hz, established after >= 1 s."""

    def __init__(self) -> None:
        self.start: float | None = None
        self.last: float | None = None
        self.count = 0

    def on_message(self, now: float) -> None:
        if self.last is None or now - self.last >= 1.0 / STREAM_MIN_RATE_HZ:
            self.start, self.count = now, 0
        self.last = now
        self.count += 1

    def healthy(self, now: float) -> bool:
        return self.last is not None and now - self.last < 1.0 / STREAM_MIN_RATE_HZ

    def established(self, now: float) -> bool:
        return self.healthy(now) and now - self.start >= STREAM_MIN_DURATION_S


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--com-of-loss-t", type=float, default=1.0, help="PX4 COM_OF_LOSS_T [s]")
    ap.add_argument("--obl-action", choices=("hold", "land"), default="hold", help="PX4 COM_OBL_RC_ACT")
    ap.add_argument("--preflight-fail", action="store_true", help="pre-flight checks fail: arming is refused")
    ap.add_argument("--namespace", default="/fmu")
    args = ap.parse_args(argv)

    import rclpy
    from rclpy.node import Node
    from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy
    from std_msgs.msg import String

    m = import_px4_msgs()
    VS, VC = m.VehicleStatus, m.VehicleCommand
    writer_qos = QoSProfile(reliability=ReliabilityPolicy.BEST_EFFORT, durability=DurabilityPolicy.TRANSIENT_LOCAL,
                            history=HistoryPolicy.KEEP_LAST, depth=1)
    reader_qos = QoSProfile(reliability=ReliabilityPolicy.BEST_EFFORT, durability=DurabilityPolicy.VOLATILE,
                            history=HistoryPolicy.KEEP_LAST, depth=5)

    def versioned(name: str, cls) -> str:
        return f"{args.namespace}/out/{name}" + (f"_v{cls.MESSAGE_VERSION}" if cls.MESSAGE_VERSION > 0 else "")

    class Emulator(Node):
        def __init__(self) -> None:
            super().__init__("px4_emulator")
            self.t0 = time.monotonic()
            self.mode_stream, self.setpoint_stream = Stream(), Stream()
            self.pos = [0.0, 0.0, 0.0]           # NED, on the ground
            self.vel = [0.0, 0.0, 0.0]
            self.heading = 0.0
            self.setpoint: tuple | None = None   # (n, e, d, yaw)
            self.position_control = False
            self.armed = False
            self.nav_state = VS.NAVIGATION_STATE_AUTO_LOITER
            self.user_intention = self.nav_state
            self.failsafe = False
            self.hold = [0.0, 0.0, 0.0]          # where an offboard-loss hold keeps the vehicle
            self.disarm_reason = 0
            self.preflight_ok = not args.preflight_fail
            self.flags = {"xy_valid": True, "z_valid": True, "v_xy_valid": True, "v_z_valid": True,
                          "heading_good_for_control": True}
            self.commands: list[dict] = []
            self.events: list[str] = []
            self.min_setpoint_rate = math.inf
            self.status_pub = self.create_publisher(VS, versioned("vehicle_status", VS), writer_qos)
            self.lpos_pub = self.create_publisher(m.VehicleLocalPosition,
                                                  versioned("vehicle_local_position", m.VehicleLocalPosition),
                                                  writer_qos)
            self.state_pub = self.create_publisher(String, "/px4_emulator/state", 10)
            ns = args.namespace
            self.create_subscription(m.OffboardControlMode, f"{ns}/in/offboard_control_mode", self.on_mode,
                                     reader_qos)
            self.create_subscription(m.TrajectorySetpoint, f"{ns}/in/trajectory_setpoint", self.on_setpoint,
                                     reader_qos)
            self.create_subscription(VC, f"{ns}/in/vehicle_command", self.on_command, reader_qos)
            self.create_subscription(String, "/px4_emulator/control", self.on_control, 10)
            self.create_timer(1.0 / PHYSICS_HZ, self.step)
            self.create_timer(1.0 / STATUS_HZ, self.publish_status)
            self.last_step = time.monotonic()
            self.last_mode_msg: float | None = None

        def now(self) -> float:
            return time.monotonic()

        def stamp_us(self) -> int:
            return int((time.monotonic() - self.t0) * 1e6)

        def event(self, text: str) -> None:
            self.events.append(f"{time.monotonic() - self.t0:.2f} {text}")
            self.get_logger().info(text)

        # -- /fmu/in --------------------------------------------------------------------------------------------
        def on_mode(self, msg) -> None:
            now = self.now()
            if self.mode_stream.last is not None and now > self.mode_stream.last:
                self.min_setpoint_rate = min(self.min_setpoint_rate, 1.0 / (now - self.mode_stream.last))
            self.mode_stream.on_message(now)
            self.position_control = bool(msg.position)

        def on_setpoint(self, msg) -> None:
            self.setpoint_stream.on_message(self.now())
            self.setpoint = (float(msg.position[0]), float(msg.position[1]), float(msg.position[2]), float(msg.yaw))

        def offboard_signal(self, now: float) -> bool:
            return self.mode_stream.healthy(now) and self.setpoint_stream.healthy(now) and self.position_control

        def on_command(self, msg) -> None:
            now = self.now()
            record = {"command": int(msg.command), "param1": float(msg.param1), "param2": float(msg.param2),
                      "target_system": int(msg.target_system), "from_external": bool(msg.from_external),
                      "t": round(now - self.t0, 3)}
            if msg.target_system not in (0, SYSTEM_ID):
                record["result"] = "ignored: other system"
            elif msg.command == VC.VEHICLE_CMD_DO_SET_MODE:
                record["result"] = self.set_mode(msg, now)
            elif msg.command == VC.VEHICLE_CMD_COMPONENT_ARM_DISARM:
                record["result"] = self.arm(msg.param1 == VC.ARMING_ACTION_ARM, now)
            elif msg.command == VC.VEHICLE_CMD_NAV_LAND:
                record["result"] = self.switch(VS.NAVIGATION_STATE_AUTO_LAND, "land") if self.armed else "denied"
            elif msg.command == VC.VEHICLE_CMD_NAV_RETURN_TO_LAUNCH:
                record["result"] = self.switch(VS.NAVIGATION_STATE_AUTO_RTL, "rtl") if self.armed else "denied"
            else:
                record["result"] = "unsupported"
            self.commands.append(record)

        def set_mode(self, msg, now: float) -> str:
            if int(round(msg.param1)) != 1 or int(round(msg.param2)) != 6:
                return f"unsupported mode param1={msg.param1:g} param2={msg.param2:g}"
            if not (self.mode_stream.established(now) and self.setpoint_stream.established(now)):
                self.event("offboard refused: no offboard stream above 2 Hz for 1 s")
                return "denied: offboard stream not established"
            return self.switch(VS.NAVIGATION_STATE_OFFBOARD, "offboard")

        def switch(self, nav_state: int, name: str) -> str:
            self.nav_state = self.user_intention = nav_state
            self.failsafe = False
            self.event(f"mode -> {name}")
            return "accepted"

        def arm(self, arm: bool, now: float) -> str:
            if not arm:
                self.armed, self.disarm_reason = False, VS.ARM_DISARM_REASON_COMMAND_EXTERNAL
                return "accepted"
            if not self.preflight_ok:
                self.event("arming refused: pre-flight checks fail")
                return "denied: pre-flight checks"
            if self.nav_state == VS.NAVIGATION_STATE_OFFBOARD and not self.offboard_signal(now):
                self.event("arming refused: offboard mode without an offboard signal")
                return "denied: no offboard signal"
            if not self.armed:
                self.armed = True
                self.event("armed")
            return "accepted"

        def on_control(self, msg) -> None:
            control = json.loads(msg.data)
            if "preflight_ok" in control:
                self.preflight_ok = bool(control.pop("preflight_ok"))
            self.flags.update({k: bool(v) for k, v in control.items() if k in self.flags})

        # -- the vehicle ----------------------------------------------------------------------------------------
        def step(self) -> None:
            now = self.now()
            dt, self.last_step = now - self.last_step, now
            self.check_offboard_loss(now)
            target = self.target()
            if target is None or not self.armed:
                self.vel = [0.0, 0.0, 0.0]
            else:
                self.fly_towards(target, dt)
            if self.armed and self.nav_state in (VS.NAVIGATION_STATE_AUTO_LAND,) and self.pos[2] >= 0.0:
                self.armed, self.disarm_reason = False, VS.ARM_DISARM_REASON_LANDING
                self.event("landed: disarmed")
            self.publish_local_position()

        def check_offboard_loss(self, now: float) -> None:
            if self.nav_state != VS.NAVIGATION_STATE_OFFBOARD or self.mode_stream.last is None:
                return
            if now - self.mode_stream.last > args.com_of_loss_t:
                action = VS.NAVIGATION_STATE_AUTO_LAND if args.obl_action == "land" else VS.NAVIGATION_STATE_AUTO_LOITER
                self.nav_state, self.failsafe = action, True   # user intention stays offboard
                self.hold = list(self.pos)
                self.event(f"offboard lost for > COM_OF_LOSS_T = {args.com_of_loss_t:g} s: failsafe {args.obl_action}")

        def target(self):
            n = self.nav_state
            if n == VS.NAVIGATION_STATE_OFFBOARD:
                return self.setpoint if self.position_control else None
            if n == VS.NAVIGATION_STATE_AUTO_LAND:
                return (self.pos[0], self.pos[1], 0.0, self.heading)
            if n == VS.NAVIGATION_STATE_AUTO_RTL:
                return (0.0, 0.0, min(self.pos[2], -10.0), self.heading)
            if n == VS.NAVIGATION_STATE_AUTO_LOITER and self.failsafe:
                return (*self.hold, self.heading)
            return (*self.pos, self.heading)

        def fly_towards(self, target, dt: float) -> None:
            n, e, d, yaw = target
            dn, de = n - self.pos[0], e - self.pos[1]
            dist = math.hypot(dn, de)
            step_xy = min(dist, MAX_XY_SPEED * dt)
            vz_max = LAND_SPEED if self.nav_state == VS.NAVIGATION_STATE_AUTO_LAND else MAX_Z_SPEED
            dd = d - self.pos[2]
            step_z = max(-vz_max * dt, min(vz_max * dt, dd))
            if dist > 1e-9:
                self.pos[0] += dn / dist * step_xy
                self.pos[1] += de / dist * step_xy
            self.pos[2] = min(0.0, self.pos[2] + step_z)
            self.vel = [dn / dist * step_xy / dt if dist > 1e-9 else 0.0,
                        de / dist * step_xy / dt if dist > 1e-9 else 0.0, step_z / dt]
            if math.isfinite(yaw):
                self.heading = yaw

        def publish_local_position(self) -> None:
            msg = m.VehicleLocalPosition()
            msg.timestamp = msg.timestamp_sample = self.stamp_us()
            for name, value in self.flags.items():
                setattr(msg, name, value)
            msg.x, msg.y, msg.z = (float(v) for v in self.pos)
            msg.vx, msg.vy, msg.vz = (float(v) for v in self.vel)
            msg.heading = float(self.heading)
            self.lpos_pub.publish(msg)

        def publish_status(self) -> None:
            msg = VS()
            msg.timestamp = self.stamp_us()
            msg.arming_state = VS.ARMING_STATE_ARMED if self.armed else VS.ARMING_STATE_DISARMED
            msg.nav_state = self.nav_state
            msg.nav_state_user_intention = self.user_intention
            msg.failsafe = self.failsafe
            msg.latest_disarming_reason = self.disarm_reason
            msg.pre_flight_checks_pass = self.preflight_ok
            msg.vehicle_type = VS.VEHICLE_TYPE_ROTARY_WING
            msg.system_id, msg.component_id = SYSTEM_ID, 1
            self.status_pub.publish(msg)
            state = {"armed": self.armed, "nav_state": self.nav_state, "user_intention": self.user_intention,
                     "failsafe": self.failsafe, "ned": [round(v, 3) for v in self.pos], "heading": self.heading,
                     "offboard_signal": self.offboard_signal(self.now()), "commands": self.commands,
                     "events": self.events, "disarm_reason": self.disarm_reason,
                     "min_stream_rate_hz": None if math.isinf(self.min_setpoint_rate) else self.min_setpoint_rate}
            self.state_pub.publish(String(data=json.dumps(state)))

    rclpy.init()
    node = Emulator()
    try:
        rclpy.spin(node)
    except (KeyboardInterrupt, rclpy.executors.ExternalShutdownException):
        pass
    finally:
        node.destroy_node()
        rclpy.try_shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
