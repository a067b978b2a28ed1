"""The PX4 contract over real DDS with real px4_msgs types: px4_bridge (its own process) against the PX4 offboard
emulator (test/px4_emulator.py, its own process), with the test as navigator and ground station.

Needs the test-only px4_msgs build (`make px4-msgs`); skips with the build's reason only when it could not run.
"""
import json
import math
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

rclpy = pytest.importorskip("rclpy")
from geometry_msgs.msg import PoseStamped  # noqa: E402
from nav_msgs.msg import Odometry  # noqa: E402
from rclpy.executors import SingleThreadedExecutor  # noqa: E402
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy  # noqa: E402
from std_msgs.msg import String  # noqa: E402

from px4_msgs_build import px4_msgs_imported, require_px4_msgs, subprocess_env  # noqa: E402
from ros_harness import wait_for  # noqa: E402

from geotext_ros.nav.px4_messages import (SetpointNED, arm_command, make_offboard_control_mode,  # noqa: E402
                                 make_trajectory_setpoint, make_vehicle_command, offboard_mode_command)

ROOT = Path(__file__).resolve().parents[1]
EMULATOR = ROOT / "test" / "px4_emulator.py"
OFFBOARD, LOITER, AUTO_LAND = 14, 4, 18
DO_SET_MODE, ARM_DISARM, NAV_LAND = 176, 400, 21
GCS_SYSTEM = 255   # commands the test sends as a ground station carry this source_system
PX4_QOS = QoSProfile(reliability=ReliabilityPolicy.BEST_EFFORT, durability=DurabilityPolicy.TRANSIENT_LOCAL,
                     history=HistoryPolicy.KEEP_LAST, depth=1)

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(scope="module")
def px4():
    require_px4_msgs()
    with px4_msgs_imported() as msgs:
        rclpy.init()
        yield msgs
        rclpy.shutdown()


class Link:
    """The test's side: the emulator's state, /odom, the bridge status; waypoints, instructions, GCS commands."""

    def __init__(self, msgs):
        self.msgs = msgs
        self.procs: list[subprocess.Popen] = []
        self.node = rclpy.create_node("px4_contract_test")
        self.states, self.odoms, self.statuses = [], [], []
        self.node.create_subscription(String, "/px4_emulator/state",
                                      lambda m: self.states.append(json.loads(m.data)), 10)
        self.node.create_subscription(Odometry, "/odom", self.odoms.append, 50)
        self.node.create_subscription(String, "/geotext/px4_status", lambda m: self.statuses.append(json.loads(m.data)),
                                      50)
        self.waypoint_pub = self.node.create_publisher(PoseStamped, "/geotext/waypoint", 10)
        self.instruction_pub = self.node.create_publisher(String, "/instruction", 10)
        self.nav_status_pub = self.node.create_publisher(String, "/geotext/status", 10)
        self.control_pub = self.node.create_publisher(String, "/px4_emulator/control", 10)
        self.command_pub = self.node.create_publisher(msgs.VehicleCommand, "/fmu/in/vehicle_command", PX4_QOS)
        self.mode_pub = self.node.create_publisher(msgs.OffboardControlMode, "/fmu/in/offboard_control_mode", PX4_QOS)
        self.setpoint_pub = self.node.create_publisher(msgs.TrajectorySetpoint, "/fmu/in/trajectory_setpoint", PX4_QOS)
        self.waypoint: tuple | None = None
        self.executor = SingleThreadedExecutor()
        self.executor.add_node(self.node)
        self._stop = threading.Event()
        self.node.create_timer(0.2, self._navigator_tick)   # the navigator's 5 Hz waypoint stream
        self._thread = threading.Thread(target=self._spin, daemon=True)
        self._thread.start()

    def _spin(self):
        while not self._stop.is_set():
            self.executor.spin_once(timeout_sec=0.05)

    def _navigator_tick(self):
        if self.waypoint is not None:
            x, y, z, yaw = self.waypoint
            msg = PoseStamped()
            msg.header.frame_id = "map"
            msg.pose.position.x, msg.pose.position.y, msg.pose.position.z = x, y, z
            msg.pose.orientation.z, msg.pose.orientation.w = math.sin(yaw / 2), math.cos(yaw / 2)
            self.waypoint_pub.publish(msg)

    # -- processes --------------------------------------------------------------------------------------------
    def start_emulator(self, *args: str) -> subprocess.Popen:
        return self._start([sys.executable, str(EMULATOR), *args])

    def start_bridge(self, **params) -> subprocess.Popen:
        ros_args = ["--ros-args"] + [a for k, v in params.items() for a in ("-p", f"{k}:={v}")]
        return self._start([sys.executable, "-m", "geotext_ros.nodes.px4_bridge", *ros_args])

    def _start(self, cmd) -> subprocess.Popen:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=subprocess_env(), stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
        self.procs.append(proc)
        return proc

    def close(self):
        self._stop.set()
        self._thread.join(timeout=5)
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.executor.shutdown()
        self.node.destroy_node()

    # -- reading ----------------------------------------------------------------------------------------------
    def state(self) -> dict:
        assert wait_for(lambda: self.states, 20.0), "no state from the PX4 emulator"
        return self.states[-1]

    def wait_state(self, pred, timeout=20.0, what="") -> dict:
        ok = wait_for(lambda: self.states and pred(self.states[-1]), timeout)
        assert ok, f"emulator never reached: {what}; last state {self.states[-1] if self.states else None}"
        return self.states[-1]

    def ned(self) -> tuple:
        return tuple(self.state()["ned"])

    def bridge_status(self, pred, timeout=15.0, what="") -> dict:
        ok = wait_for(lambda: self.statuses and pred(self.statuses[-1]), timeout)
        assert ok, f"bridge never reported: {what}; last {self.statuses[-1] if self.statuses else None}"
        return self.statuses[-1]

    # -- writing ----------------------------------------------------------------------------------------------
    def say(self, text: str):
        self.instruction_pub.publish(String(data=text))

    def control(self, **values):
        self.control_pub.publish(String(data=json.dumps(values)))

    def gcs_command(self, command: int, param1: float = 0.0, param2: float = 0.0):
        from geotext_ros.nav.px4_messages import Command
        msg = make_vehicle_command(self.msgs.VehicleCommand, Command(command, param1, param2), 0,
                                   source_system=GCS_SYSTEM, source_component=190)
        self.command_pub.publish(msg)


@pytest.fixture()
def link(px4):
    link = Link(px4)
    yield link
    link.close()


def close(a, b, tol):
    return all(abs(x - y) <= tol for x, y in zip(a, b))


def bridge_commands(state):
    return [c for c in state["commands"] if c["command"] in (DO_SET_MODE, ARM_DISARM)]


# -- the emulator enforces PX4's rules (so the bridge tests below can fail) -----------------------------------------
def test_emulator_refuses_offboard_without_a_stream_above_2hz_for_1s_and_arming_when_checks_fail(link):
    link.start_emulator()
    link.state()
    m = link.msgs

    def request(cmd):
        before = len(link.state()["commands"])
        link.command_pub.publish(make_vehicle_command(m.VehicleCommand, cmd, 0))
        return link.wait_state(lambda s: len(s["commands"]) > before, what="command recorded")["commands"][-1]

    def stream(seconds, rate_hz):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            link.mode_pub.publish(make_offboard_control_mode(m.OffboardControlMode, 0))
            link.setpoint_pub.publish(make_trajectory_setpoint(m.TrajectorySetpoint, SetpointNED(0, 0, -5, 0), 0))
            time.sleep(1.0 / rate_hz)

    assert request(offboard_mode_command())["result"].startswith("denied")          # no stream at all
    stream(0.5, 10.0)
    assert request(offboard_mode_command())["result"].startswith("denied")          # 0.5 s is not enough
    stream(2.5, 1.5)
    assert request(offboard_mode_command())["result"].startswith("denied")          # 1.5 Hz is too slow
    link.control(preflight_ok=False)
    stream(1.3, 10.0)
    assert request(offboard_mode_command())["result"] == "accepted"
    assert link.wait_state(lambda s: s["nav_state"] == OFFBOARD, what="offboard")["user_intention"] == OFFBOARD
    stream(0.3, 10.0)
    assert request(arm_command())["result"] == "denied: pre-flight checks"
    link.control(preflight_ok=True)
    stream(0.3, 10.0)
    assert request(arm_command())["result"] == "accepted"
    assert link.wait_state(lambda s: s["armed"], what="armed")["nav_state"] == OFFBOARD


# -- the bridge against it ------------------------------------------------------------------------------------------
def test_bridge_arms_switches_follows_waypoints_in_ned_then_stop_return_and_a_gcs_land(link):
    link.start_emulator()
    link.start_bridge(allow_arming="true", status_rate_hz=10.0)
    link.waypoint = (30.0, -20.0, 15.0, 0.0)        # ENU: 30 m east, 20 m south, 15 m up, facing east
    s = link.wait_state(lambda s: s["armed"] and s["nav_state"] == OFFBOARD, 30.0, "armed in offboard")
    sent = bridge_commands(s)
    # The bridge counts the setpoints it sent; PX4 counts those it received. When discovery is slow the first
    # offboard request can come before PX4 has seen 1 s of stream: PX4 denies it and the bridge asks again, as it
    # must with a real vehicle. What may never happen: arming before offboard was accepted, or any other refusal.
    denied = [c for c in sent if c["result"] != "accepted"]
    assert all(c["command"] == DO_SET_MODE and "stream not established" in c["result"] for c in denied), sent
    accepted = [c["command"] for c in sent if c["result"] == "accepted"]
    assert accepted == [DO_SET_MODE, ARM_DISARM], sent
    assert all(c["from_external"] and c["target_system"] == 1 for c in sent)
    # PX4 accepted offboard, so it saw >= 1 s of setpoints above 2 Hz (the emulator's rule, tested above); and no
    # single gap since the first message was long enough to break PX4's 2 Hz rule. On a MultiThreadedExecutor the
    # bridge's heartbeat had gaps of up to 3 s (rclpy#1223; docs/px4_sitl.md, "stream gaps"): this catches that.
    assert s["min_stream_rate_hz"] is not None and s["min_stream_rate_hz"] > 2.0, s["min_stream_rate_hz"]
    s = link.wait_state(lambda s: close(s["ned"], (-20.0, 30.0, -15.0), 0.3), 30.0, "at the waypoint (NED)")
    assert s["heading"] == pytest.approx(math.pi / 2, abs=1e-3)          # ENU yaw 0 (east) = NED heading pi/2
    assert wait_for(lambda: link.odoms and close(
        [link.odoms[-1].pose.pose.position.x, link.odoms[-1].pose.pose.position.y,
         link.odoms[-1].pose.pose.position.z], (30.0, -20.0, 15.0), 0.3), 5.0), "/odom is not the pose in ENU"
    assert link.bridge_status(lambda st: st["phase"] == "active", what="active")["vehicle"]["armed"]

    # stop: on the way to a far goal, the operator's "stop" holds where the vehicle is
    link.waypoint = (200.0, -20.0, 15.0, 0.0)
    link.wait_state(lambda s: s["ned"][1] > 45.0, 15.0, "flying east")
    link.say("stop")
    link.bridge_status(lambda st: st["stopped"], what="stopped")
    time.sleep(0.5)
    held = link.ned()
    time.sleep(1.5)
    assert close(link.ned(), held, 0.5) and link.state()["nav_state"] == OFFBOARD

    # return: home is (0, 0) at return_altitude_m = 30 (config/nav.yaml), flown without any waypoint
    link.waypoint = None
    link.say("fly to the red roof")                   # a new instruction lifts the stop (stop wins over return)
    link.bridge_status(lambda st: not st["stopped"], what="resumed")
    link.say("return home")
    link.wait_state(lambda s: close(s["ned"], (0.0, 0.0, -30.0), 0.5), 40.0, "home at 30 m")
    assert link.state()["nav_state"] == OFFBOARD and not link.state()["failsafe"]

    # land: a ground station lands the vehicle; the bridge sees it leave offboard and never takes it back
    link.gcs_command(NAV_LAND)
    link.wait_state(lambda s: s["nav_state"] == AUTO_LAND, 5.0, "AUTO_LAND")
    link.bridge_status(lambda st: st["phase"] == "overridden", what="overridden")
    s = link.wait_state(lambda s: not s["armed"], 40.0, "landed and disarmed")
    assert s["ned"][2] == pytest.approx(0.0, abs=1e-6)
    assert s["disarm_reason"] == link.msgs.VehicleStatus.ARM_DISARM_REASON_LANDING
    time.sleep(2.5)                                   # > request_retry_s: nothing is re-requested
    assert len(bridge_commands(link.state())) == len(sent)


def test_navigator_landing_state_makes_the_bridge_send_nav_land_once(link):
    # issue 19: the navigator reaches its touchdown point at the envelope's minimum altitude and says LANDING;
    # the bridge hands over to PX4 land mode (VEHICLE_CMD_NAV_LAND), once, and never takes the vehicle back
    link.start_emulator()
    link.start_bridge(allow_arming="true", status_rate_hz=10.0)
    link.waypoint = (6.0, 4.0, 5.0, 0.0)
    link.wait_state(lambda s: s["armed"] and close(s["ned"], (4.0, 6.0, -5.0), 0.3), 40.0, "at the landing point")
    for _ in range(3):   # the status repeats at its rate
        link.nav_status_pub.publish(String(data=json.dumps({"state": "DESCEND"})))
        time.sleep(0.1)
    assert link.state()["nav_state"] == OFFBOARD
    for _ in range(5):
        link.nav_status_pub.publish(String(data=json.dumps({"state": "LANDING", "waypoint": None})))
        time.sleep(0.1)
    link.wait_state(lambda s: s["nav_state"] == AUTO_LAND, 5.0, "AUTO_LAND")
    s = link.wait_state(lambda s: not s["armed"], 40.0, "landed and disarmed")
    assert close(s["ned"][:2], (4.0, 6.0), 0.5)
    assert s["disarm_reason"] == link.msgs.VehicleStatus.ARM_DISARM_REASON_LANDING
    lands = [c for c in s["commands"] if c["command"] == NAV_LAND]
    assert len(lands) == 1 and lands[0]["from_external"] and lands[0]["result"] == "accepted", lands


def test_waypoint_watchdog_holds_in_offboard_and_the_stream_dying_triggers_px4s_failsafe(link):
    loss_t = 1.0                                      # PX4's default COM_OF_LOSS_T
    link.start_emulator("--com-of-loss-t", str(loss_t))
    bridge = link.start_bridge(allow_arming="true", waypoint_timeout_s=1.0, status_rate_hz=10.0)
    link.waypoint = (300.0, 0.0, 20.0, 0.0)          # far east: still flying when the navigator goes quiet
    link.wait_state(lambda s: s["armed"] and s["nav_state"] == OFFBOARD and s["ned"][1] > 20.0, 40.0, "flying")
    link.waypoint = None                              # the navigator stops publishing
    link.bridge_status(lambda st: st["waypoint_stale"], what="waypoint_stale")
    time.sleep(0.3)
    held = link.ned()
    time.sleep(1.5)
    s = link.state()
    assert close(s["ned"], held, 0.5), (held, s["ned"])
    assert s["nav_state"] == OFFBOARD and not s["failsafe"]          # the bridge still streams: PX4 is content
    assert s["ned"][1] < 290.0

    bridge.send_signal(signal.SIGKILL)                # the stream dies with the process (navigator + bridge)
    bridge.wait(timeout=10)
    t_dead = time.monotonic()
    s = link.wait_state(lambda s: s["failsafe"], 5.0, "offboard-loss failsafe")
    assert time.monotonic() - t_dead >= loss_t - 0.3                 # not before COM_OF_LOSS_T (status at 10 Hz)
    assert s["nav_state"] == LOITER and s["user_intention"] == OFFBOARD and s["armed"]
    assert any("COM_OF_LOSS_T" in e for e in s["events"])


def test_bridge_without_consent_streams_but_never_commands_and_odom_honours_px4_validity(link):
    link.start_emulator()
    link.start_bridge(allow_arming="false", status_rate_hz=10.0)
    link.wait_state(lambda s: s["offboard_signal"], 20.0, "offboard stream seen")
    time.sleep(2.5)                                   # past warm-up and a retry period
    s = link.state()
    # still streaming (PX4's offboard signal healthy, never a gap that breaks its 2 Hz rule), yet never a command
    assert s["commands"] == [] and not s["armed"] and s["offboard_signal"] and s["min_stream_rate_hz"] > 2.0

    def fresh_odom(timeout=3.0):
        n = len(link.odoms)
        return wait_for(lambda: len(link.odoms) > n + 2, timeout)

    assert fresh_odom()
    twist = link.odoms[-1].twist.twist.linear
    assert all(math.isfinite(v) for v in (twist.x, twist.y, twist.z))
    link.control(v_xy_valid=False)
    assert wait_for(lambda: math.isnan(link.odoms[-1].twist.twist.linear.x), 3.0)
    last = link.odoms[-1]
    assert math.isnan(last.twist.twist.linear.y) and math.isfinite(last.twist.twist.linear.z)
    link.control(v_xy_valid=True, v_z_valid=False)
    assert wait_for(lambda: math.isnan(link.odoms[-1].twist.twist.linear.z)
                    and math.isfinite(link.odoms[-1].twist.twist.linear.x), 3.0)
    for flag in ("heading_good_for_control", "xy_valid", "z_valid"):
        link.control(v_z_valid=True, **{flag: False})
        time.sleep(0.5)                                # messages already in flight
        assert not fresh_odom(1.5), f"/odom still published with {flag} false"
        link.control(**{flag: True})
        assert fresh_odom(), f"/odom did not come back with {flag} true"


def test_bridge_gives_up_when_px4_refuses_to_arm(link):
    link.start_emulator("--preflight-fail")
    link.start_bridge(allow_arming="true", request_retry_s=0.5, max_requests=2, status_rate_hz=10.0)
    st = link.bridge_status(lambda st: st["phase"] == "failed", 30.0, "failed")
    assert st["requests_sent"] == 2
    s = link.state()
    arms = [c for c in s["commands"] if c["command"] == ARM_DISARM]
    assert len(arms) == 2 and all(c["result"] == "denied: pre-flight checks" for c in arms)
    assert not s["armed"]
