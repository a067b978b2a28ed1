"""px4_bridge's thin rclpy layer, without px4_msgs: exit message, parameters, QoS, /odom, waypoints over real DDS."""
import json
import math
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

rclpy = pytest.importorskip("rclpy")
from geometry_msgs.msg import PoseStamped  # noqa: E402
from nav_msgs.msg import Odometry  # noqa: E402
from rclpy.qos import DurabilityPolicy, HistoryPolicy, ReliabilityPolicy  # noqa: E402
from std_msgs.msg import String  # noqa: E402

from geotext_ros.nav.px4_messages import LocalPositionENU  # noqa: E402
from geotext_ros.nodes import px4_bridge  # noqa: E402
from geotext_ros.nav.safety import SafetyConfig  # noqa: E402
from geotext_ros.param_file import load_node_params  # noqa: E402
from geotext_ros.nodes.px4_bridge import (Px4BridgeNode, goal_from_pose, odometry_message,  # noqa: E402
                                          px4_qos)

ROOT = Path(__file__).resolve().parents[1]
BRIDGE_DEFAULTS = load_node_params("px4_bridge")   # config/nav.yaml: the one place the defaults live


@pytest.fixture(scope="module")
def ros():
    rclpy.init()
    yield
    rclpy.shutdown()


def spin_until(nodes, condition, timeout=10.0):
    """Spin all nodes until condition() holds (a bounded wait, not a timing assertion)."""
    executor = rclpy.executors.SingleThreadedExecutor()
    for n in nodes:
        executor.add_node(n)
    deadline = time.monotonic() + timeout
    try:
        while not condition() and time.monotonic() < deadline:
            executor.spin_once(timeout_sec=0.05)
    finally:
        for n in nodes:
            executor.remove_node(n)
    return condition()


def test_main_without_px4_msgs_exits_with_one_clear_line():
    proc = subprocess.run([sys.executable, "-m", "geotext_ros.nodes.px4_bridge"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "px4_msgs is not installed" in lines[0] and "docs/px4_sitl.md" in lines[0]


def test_px4_qos_is_best_effort_transient_local_keep_last_1():
    qos = px4_qos()
    assert qos.reliability == ReliabilityPolicy.BEST_EFFORT
    assert qos.durability == DurabilityPolicy.TRANSIENT_LOCAL
    assert qos.history == HistoryPolicy.KEEP_LAST and qos.depth == 1


def test_documented_parameter_section_matches_config_nav_yaml():
    text = (ROOT / "docs" / "px4_sitl.md").read_text()
    block = re.search(r"```yaml\n(px4_bridge:\n.*?)```", text, re.S)
    assert block, "docs/px4_sitl.md must hold a ```yaml px4_bridge: section"
    section = yaml.safe_load(block.group(1))["px4_bridge"]["ros__parameters"]
    flat = {}
    for key, value in section.items():
        if isinstance(value, dict):
            flat.update({f"{key}.{k}": v for k, v in value.items()})
        else:
            flat[key] = value
    assert flat == BRIDGE_DEFAULTS


def test_nav_yaml_bridge_safety_section_is_every_safety_field_with_the_camera_watchdog_off():
    safety = {k: v for k, v in BRIDGE_DEFAULTS.items() if k.startswith("safety.")}
    assert safety == SafetyConfig(camera_timeout_s=0.0).to_params()


def test_create_node_without_px4_msgs_runs_with_the_link_off(ros):
    from geotext_ros.nodes import node_graph as graph
    spec = next(s for s in graph.GRAPH if s.name == "px4_bridge")
    node = graph.create_node(spec, graph.node_parameters(spec, graph.launch_defaults()))
    try:
        assert isinstance(node, Px4BridgeNode) and node.msgs is None and node.px4_topics == {}
        assert node.params == BRIDGE_DEFAULTS
    finally:
        node.destroy_node()


def test_integer_for_a_float_parameter_is_accepted_and_a_string_named(ros):
    node = Px4BridgeNode(None, parameter_overrides=[rclpy.parameter.Parameter("safety.home_x", value=5)])
    try:
        assert node.params["safety.home_x"] == 5.0 and isinstance(node.params["safety.home_x"], float)
    finally:
        node.destroy_node()
    with pytest.raises(ValueError, match="safety.home_y"):
        Px4BridgeNode(None, parameter_overrides=[rclpy.parameter.Parameter("safety.home_y", value="north")])


def test_parameters_declared_with_defaults_and_overrides_reach_the_bridge(ros):
    overrides = [rclpy.parameter.Parameter("allow_arming", value=True),
                 rclpy.parameter.Parameter("safety.max_step_m", value=7.5),
                 rclpy.parameter.Parameter("safety.geofence_polygon", value=[0.0, 0.0, 10.0, 0.0, 10.0, 10.0])]
    node = Px4BridgeNode(None, parameter_overrides=overrides)
    try:
        assert node.params["allow_arming"] is True and node.bridge.machine.config.allow_arming
        assert node.bridge.envelope.config.max_step_m == 7.5
        assert node.bridge.envelope.config.geofence_polygon == ((0.0, 0.0), (10.0, 0.0), (10.0, 10.0))
        assert node.bridge.envelope.config.camera_timeout_s == 0.0
        for name, default in BRIDGE_DEFAULTS.items():
            if name not in ("allow_arming", "safety.max_step_m", "safety.geofence_polygon"):
                assert node.params[name] == default, name
    finally:
        node.destroy_node()


def test_waypoint_timeout_parameter_reaches_the_bridge_and_a_negative_one_is_refused(ros):
    node = Px4BridgeNode(None, parameter_overrides=[rclpy.parameter.Parameter("waypoint_timeout_s", value=0.5)])
    try:
        assert node.bridge.waypoint_timeout_s == 0.5
        node._on_waypoint(PoseStamped())                 # empty frame_id is accepted: stamped with the node clock
        assert node.bridge.goal_time == pytest.approx(node._now(), abs=5.0)
    finally:
        node.destroy_node()
    with pytest.raises(ValueError, match=r"waypoint_timeout_s = -1\.0"):
        Px4BridgeNode(None, parameter_overrides=[rclpy.parameter.Parameter("waypoint_timeout_s", value=-1.0)])


def test_odometry_message_is_enu_in_map_with_body_twist():
    pos = LocalPositionENU(x=1.0, y=2.0, z=30.0, yaw=math.pi / 2, vx=0.0, vy=3.0, vz=0.5, valid=True)
    msg = odometry_message(pos, rclpy.time.Time(seconds=5).to_msg(), "map", "base_link")
    assert isinstance(msg, Odometry)
    assert (msg.header.frame_id, msg.child_frame_id) == ("map", "base_link")
    p, q, v = msg.pose.pose.position, msg.pose.pose.orientation, msg.twist.twist.linear
    assert (p.x, p.y, p.z) == (1.0, 2.0, 30.0)
    assert (q.z, q.w) == pytest.approx((math.sqrt(0.5), math.sqrt(0.5)))
    assert (v.x, v.y, v.z) == pytest.approx((3.0, 0.0, 0.5))     # flying north while facing north: forward


def test_waypoints_instructions_odom_and_status_over_dds(ros):
    bridge = Px4BridgeNode(None, parameter_overrides=[rclpy.parameter.Parameter("status_rate_hz", value=20.0)])
    peer = rclpy.create_node("px4_bridge_test_peer")
    odoms, statuses = [], []
    peer.create_subscription(Odometry, "/odom", odoms.append, 10)
    peer.create_subscription(String, "/geotext/px4_status", lambda m: statuses.append(json.loads(m.data)), 10)
    waypoint_pub = peer.create_publisher(PoseStamped, "/geotext/waypoint", 10)
    instruction_pub = peer.create_publisher(String, "/instruction", 10)
    try:
        wp = PoseStamped()
        wp.header.frame_id = "map"
        wp.pose.position.x, wp.pose.position.y, wp.pose.position.z = 12.0, -4.0, 25.0
        wp.pose.orientation.z, wp.pose.orientation.w = math.sin(0.25), math.cos(0.25)
        assert goal_from_pose(wp) == pytest.approx((12.0, -4.0, 25.0, 0.5))

        def goal_arrived():
            waypoint_pub.publish(wp)
            return bridge.bridge.goal is not None
        assert spin_until([bridge, peer], goal_arrived)
        assert bridge.bridge.goal == pytest.approx((12.0, -4.0, 25.0, 0.5))

        pos = LocalPositionENU(1.0, 2.0, 20.0, 0.0, 0.0, 0.0, 0.0, True)

        def odom_arrived():
            bridge.bridge.on_local_position(pos, bridge._now())
            bridge.publish_odometry(pos)
            return bool(odoms)
        assert spin_until([bridge, peer], odom_arrived)
        assert odoms[0].pose.pose.position.z == 20.0 and odoms[0].header.frame_id == "map"

        def stopped():
            instruction_pub.publish(String(data="stop"))
            return bridge.bridge.envelope.stopped
        assert spin_until([bridge, peer], stopped)
        assert spin_until([bridge, peer], lambda: any(s.get("stopped") and "violations" in s for s in statuses))
        last = [s for s in statuses if "violations" in s][-1]
        assert ["stop", "hold: stop requested by the operator"] in last["violations"]
        assert last["phase"] in ("streaming", "waiting")
    finally:
        peer.destroy_node()
        bridge.destroy_node()


def test_waypoint_in_another_frame_is_ignored(ros):
    bridge = Px4BridgeNode(None)
    try:
        wp = PoseStamped()
        wp.header.frame_id = "odom_ned"
        bridge._on_waypoint(wp)
        assert bridge.bridge.goal is None
    finally:
        bridge.destroy_node()


def test_module_never_imports_px4_msgs_at_import_time():
    assert "px4_msgs" not in sys.modules and hasattr(px4_bridge, "load_px4_messages")


def test_config_nav_yaml_px4_bridge_section_loads_into_the_node(ros):
    """Whatever config/nav.yaml holds for px4_bridge must be parameters the node knows, with usable types."""
    path = ROOT / "config" / "nav.yaml"
    if not path.is_file():
        pytest.skip("config/nav.yaml not written yet")
    section = (yaml.safe_load(path.read_text()) or {}).get("px4_bridge", {}).get("ros__parameters", {})
    flat = {}
    for key, value in section.items():
        flat.update({f"{key}.{k}": v for k, v in value.items()} if isinstance(value, dict) else {key: value})
    assert set(flat) <= set(BRIDGE_DEFAULTS), sorted(set(flat) - set(BRIDGE_DEFAULTS))
    context = rclpy.Context()
    rclpy.init(context=context, args=["--ros-args", "--params-file", str(path)])
    try:
        node = Px4BridgeNode(None, context=context)
        for name, value in flat.items():
            if value != []:
                assert node.params[name] == value, name
        node.destroy_node()
    finally:
        rclpy.shutdown(context=context)


def test_nav_modules_stay_ros_free():
    import ast
    for name in ("px4_messages.py", "px4_offboard.py", "safety.py"):
        tree = ast.parse((ROOT / "geotext_ros" / "nav" / name).read_text())
        imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        imported |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        assert not {m for m in imported if m.split(".")[0] in ("rclpy", "px4_msgs")}, name


def test_bridge_is_a_lifecycle_node_that_streams_only_when_active(ros):
    """Without autostart nothing runs until `configure` + `activate` (the bridge may arm a vehicle: it must not
    before it is activated); deactivating stops the heartbeat again."""
    from lifecycle_msgs.msg import State

    bridge = Px4BridgeNode(None, parameter_overrides=[rclpy.parameter.Parameter("autostart", value=False)])
    try:
        assert bridge._state_machine.current_state[0] == State.PRIMARY_STATE_UNCONFIGURED
        spin_until([bridge], lambda: False, timeout=0.5)
        assert bridge.last_tick is None, "no heartbeat before activation"
        bridge.trigger_configure()
        spin_until([bridge], lambda: False, timeout=0.5)
        assert bridge.last_tick is None, "configured is not active"
        bridge.trigger_activate()
        assert spin_until([bridge], lambda: bridge.last_tick is not None)
        bridge.trigger_deactivate()
        bridge.last_tick = None
        spin_until([bridge], lambda: False, timeout=0.5)
        assert bridge.last_tick is None, "no heartbeat after deactivation"
    finally:
        bridge.destroy_node()
