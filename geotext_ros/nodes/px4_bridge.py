"""px4_bridge: /geotext/waypoint -> PX4 offboard control over uXRCE-DDS (px4_msgs); VehicleLocalPosition -> /odom.

A lifecycle node like the navigator: configure creates the topics and the PX4 link, activate starts the heartbeat
(setpoints; with allow_arming the offboard request, then arm once PX4 reports offboard): the bridge never commands
the vehicle before it is activated, and stops streaming when deactivated. With `autostart` (default) it configures and activates itself.

Thin rclpy layer: parameters, QoS, topics. The logic (frames, safety envelope, heartbeat/arming sequence) is the
ROS-free `geotext_ros.nav.px4_offboard.OffboardBridge`. px4_msgs is imported only here, and only in `load_px4_messages()`:
without it `main()` exits with one line on stderr and status 2 (px4_msgs is not on pip; build it in a colcon
workspace matching the PX4 version, see docs/px4_sitl.md).
"""
from __future__ import annotations

import json
import sys
from typing import Any, NamedTuple

import rclpy
from geometry_msgs.msg import PoseStamped
from nav_msgs.msg import Odometry
from rcl_interfaces.msg import SetParametersResult
from rclpy.lifecycle import LifecycleState, TransitionCallbackReturn
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy
from std_msgs.msg import String

from geotext_ros.geometry import quaternion_from_yaw, yaw_from_quaternion
from geotext_ros.nav.px4_messages import (LocalPositionENU, local_position_to_enu, make_offboard_control_mode,
                                          make_trajectory_setpoint, make_vehicle_command, nanoseconds_to_px4_us,
                                          px4_status, versioned_topic)
from geotext_ros.nav.px4_offboard import BridgeTick, OffboardBridge, OffboardConfig, command_names
from geotext_ros.nav.safety import SafetyConfig, SafetyEnvelope
from geotext_ros.nodes.lifecycle import TimedLifecycleNode
from geotext_ros.nodes.log_adapter import NodeLogAdapter
from geotext_ros.nodes.spin import spin_until_shutdown
from geotext_ros.nodes.params import declare_parameters
from geotext_ros.nodes.qos import reliable_qos, status_qos

NODE_NAME = "px4_bridge"

# Every parameter and its default live in the `px4_bridge:` section of config/nav.yaml (docs/px4_sitl.md shows it).
PX4_TOPIC_PARAMS = ("offboard_control_mode_topic", "trajectory_setpoint_topic", "vehicle_command_topic",
                    "vehicle_local_position_topic", "vehicle_status_topic")


class Px4MessagesMissing(RuntimeError):
    """px4_msgs cannot be imported."""


class Px4Messages(NamedTuple):
    OffboardControlMode: Any
    TrajectorySetpoint: Any
    VehicleCommand: Any
    VehicleLocalPosition: Any
    VehicleStatus: Any


def load_px4_messages() -> Px4Messages:
    """The five px4_msgs classes; Px4MessagesMissing says how to get them."""
    try:
        from px4_msgs.msg import (OffboardControlMode, TrajectorySetpoint, VehicleCommand, VehicleLocalPosition,
                                  VehicleStatus)
    except ImportError as e:
        raise Px4MessagesMissing(
            f"px4_msgs is not installed ({e}); build PX4/px4_msgs for your PX4 version in a colcon workspace and "
            "source it (docs/px4_sitl.md)") from e
    return Px4Messages(OffboardControlMode, TrajectorySetpoint, VehicleCommand, VehicleLocalPosition, VehicleStatus)


def px4_qos() -> QoSProfile:
    """QoS of PX4's uXRCE-DDS topics: best effort, transient local, keep last 1."""
    return QoSProfile(reliability=ReliabilityPolicy.BEST_EFFORT, durability=DurabilityPolicy.TRANSIENT_LOCAL,
                      history=HistoryPolicy.KEEP_LAST, depth=1)


def declare_bridge_parameters(node: Node) -> dict[str, Any]:
    """Declare every px4_bridge parameter with its nav.yaml default (overrides win); the values in effect."""
    return declare_parameters(node, NODE_NAME)


def bridge_from_params(params: dict[str, Any], logger: Any = None) -> OffboardBridge:
    """The ROS-free bridge configured from the node's parameters."""
    envelope = SafetyEnvelope(SafetyConfig.from_params(params), logger=logger)
    config = OffboardConfig(allow_arming=bool(params["allow_arming"]), warmup_s=float(params["warmup_s"]),
                            warmup_setpoints=max(1, int(round(params["warmup_s"] * params["heartbeat_rate_hz"]))),
                            request_retry_s=float(params["request_retry_s"]), max_requests=int(params["max_requests"]))
    return OffboardBridge(envelope, config, takeoff_altitude_m=float(params["takeoff_altitude_m"]),
                          waypoint_timeout_s=float(params["waypoint_timeout_s"]), logger=logger)


def goal_from_pose(msg: PoseStamped) -> tuple[float, float, float, float]:
    """geometry_msgs/PoseStamped (map, ENU) -> (x, y, z, yaw)."""
    p, q = msg.pose.position, msg.pose.orientation
    return p.x, p.y, p.z, yaw_from_quaternion(q.x, q.y, q.z, q.w)


def odometry_message(position: LocalPositionENU, stamp: Any, map_frame: str, base_frame: str,
                     odometry_cls: Any = Odometry) -> Any:
    """nav_msgs/Odometry in ENU: pose in `map_frame`, twist in the yaw-only body frame `base_frame`."""
    msg = odometry_cls()
    msg.header.stamp = stamp
    msg.header.frame_id = map_frame
    msg.child_frame_id = base_frame
    msg.pose.pose.position.x, msg.pose.pose.position.y, msg.pose.pose.position.z = (
        position.x, position.y, position.z)
    q = msg.pose.pose.orientation
    q.x, q.y, q.z, q.w = quaternion_from_yaw(position.yaw)
    t = msg.twist.twist.linear
    t.x, t.y, t.z = position.body_velocity()
    return msg


class Px4BridgeNode(TimedLifecycleNode):
    """The px4_bridge node. `msgs=None` runs it without a PX4 link (no /fmu topics): tests and dry runs."""

    def __init__(self, msgs: Px4Messages | None, **node_kwargs: Any) -> None:
        super().__init__(NODE_NAME, **node_kwargs)
        self.params = declare_bridge_parameters(self)
        self.bridge = bridge_from_params(self.params, NodeLogAdapter(self.get_logger()))   # bad limits fail here
        self.msgs = msgs
        self.px4_topics: dict[str, str] = {}
        self.last_tick: BridgeTick | None = None
        self._px4_pubs: dict[str, Any] = {}
        self.add_on_set_parameters_callback(self._on_set_parameters)
        if self.params["autostart"] and self.trigger_configure() == TransitionCallbackReturn.SUCCESS:
            self.trigger_activate()

    # -- lifecycle --------------------------------------------------------------------------------------------
    def on_configure(self, state: LifecycleState) -> TransitionCallbackReturn:
        p = self.params
        self._odom_pub = self.create_publisher(Odometry, p["odom_topic"], reliable_qos())
        self._status_pub = self.create_publisher(String, p["status_topic"], reliable_qos())
        self._entities = [self._odom_pub, self._status_pub,
                          self.create_subscription(PoseStamped, p["waypoint_topic"], self._on_waypoint,
                                                   reliable_qos()),
                          self.create_subscription(String, p["instruction_topic"], self._on_instruction,
                                                   reliable_qos()),
                          self.create_subscription(String, p["navigator_status_topic"], self._on_navigator_status,
                                                   status_qos())]
        if self.msgs is not None:
            self._px4_pubs = self._create_px4_link(self.msgs)
        return TransitionCallbackReturn.SUCCESS

    def on_activate(self, state: LifecycleState) -> TransitionCallbackReturn:
        p = self.params
        self._timers = [self.create_timer(1.0 / float(p["heartbeat_rate_hz"]), self._on_heartbeat),
                        self.create_timer(1.0 / float(p["status_rate_hz"]), self.publish_status)]
        self.get_logger().info(f"px4_bridge active: allow_arming={p['allow_arming']}, PX4 link "
                               f"{'on ' + str(self.px4_topics) if self.msgs else 'off'}")
        return TransitionCallbackReturn.SUCCESS

    def on_deactivate(self, state: LifecycleState) -> TransitionCallbackReturn:
        # no heartbeat: PX4 leaves offboard by its own failsafe, the bridge requests nothing
        return super().on_deactivate(state)

    def _release(self) -> None:
        super()._release()
        self._px4_pubs, self.px4_topics = {}, {}

    # -- PX4 side ---------------------------------------------------------------------------------------------
    def _create_px4_link(self, msgs: Px4Messages) -> dict[str, Any]:
        qos, p = px4_qos(), self.params
        classes = dict(zip(PX4_TOPIC_PARAMS, (msgs.OffboardControlMode, msgs.TrajectorySetpoint,
                                              msgs.VehicleCommand, msgs.VehicleLocalPosition, msgs.VehicleStatus)))
        self.px4_topics = {name: versioned_topic(p[name], cls if p["append_message_version"] else None)
                           for name, cls in classes.items()}
        self._entities += [
            self.create_subscription(msgs.VehicleLocalPosition, self.px4_topics["vehicle_local_position_topic"],
                                     self._on_local_position, qos),
            self.create_subscription(msgs.VehicleStatus, self.px4_topics["vehicle_status_topic"], self._on_status,
                                     qos)]
        pubs = {name: self.create_publisher(classes[name], self.px4_topics[name], qos)
                for name in PX4_TOPIC_PARAMS[:3]}
        self._entities += list(pubs.values())
        return pubs

    def _on_local_position(self, msg: Any) -> None:
        position = local_position_to_enu(msg)
        self.bridge.on_local_position(position, self._now())
        if position.valid:
            self.publish_odometry(position)

    def _on_status(self, msg: Any) -> None:
        before = self.bridge.machine.phase
        self.bridge.on_status(px4_status(msg))
        if self.bridge.machine.phase != before:
            self.get_logger().info(f"offboard phase {before.value} -> {self.bridge.machine.phase.value}")

    def _on_heartbeat(self) -> None:
        was_stale = self.bridge.waypoint_stale
        tick = self.bridge.tick(self._now())
        self.last_tick = tick
        if self.bridge.waypoint_stale != was_stale:   # say why the vehicle stopped now, not a status period later
            self.publish_status()
        if not self._px4_pubs or not tick.offboard.heartbeat:
            return
        stamp_us = nanoseconds_to_px4_us(self.get_clock().now().nanoseconds)
        p, msgs = self.params, self.msgs
        self._px4_pubs["offboard_control_mode_topic"].publish(
            make_offboard_control_mode(msgs.OffboardControlMode, stamp_us))
        self._px4_pubs["trajectory_setpoint_topic"].publish(
            make_trajectory_setpoint(msgs.TrajectorySetpoint, tick.offboard.setpoint, stamp_us))
        for command in tick.offboard.commands:
            self.get_logger().info(f"sending VehicleCommand: {command.name} ({command.command}, "
                                   f"param1={command.param1:g}, param2={command.param2:g})")
            self._px4_pubs["vehicle_command_topic"].publish(make_vehicle_command(
                msgs.VehicleCommand, command, stamp_us, p["target_system"], p["target_component"],
                p["source_system"], p["source_component"]))

    # -- ROS side ---------------------------------------------------------------------------------------------
    def publish_odometry(self, position: LocalPositionENU) -> None:
        self._odom_pub.publish(odometry_message(position, self.get_clock().now().to_msg(),
                                                self.params["map_frame"], self.params["base_frame"]))

    def _on_waypoint(self, msg: PoseStamped) -> None:
        if msg.header.frame_id and msg.header.frame_id != self.params["map_frame"]:
            self.get_logger().warning(f"waypoint in frame '{msg.header.frame_id}' ignored: expected "
                                      f"'{self.params['map_frame']}' (ENU)")
            return
        self.bridge.on_goal(*goal_from_pose(msg), now=self._now())

    def _on_instruction(self, msg: String) -> None:
        applied = self.bridge.on_instruction(msg.data)
        if applied:
            self.get_logger().info(f"operator override: {applied} (instruction {msg.data!r})")
            self.publish_status()

    def _on_navigator_status(self, msg: String) -> None:
        """Only the state is read: LANDING asks PX4 for land mode (OffboardBridge.on_navigator_state)."""
        try:
            state = json.loads(msg.data).get("state")
        except (ValueError, AttributeError):
            return   # not a navigator status: nothing to act on
        if isinstance(state, str):
            self.bridge.on_navigator_state(state)

    def _on_set_parameters(self, params: list) -> SetParametersResult:
        for param in params:
            if param.name == "allow_arming":
                self.bridge.machine.set_allow_arming(bool(param.value))
                self.get_logger().info(f"allow_arming set to {bool(param.value)}")
        return SetParametersResult(successful=True)

    def publish_status(self) -> None:
        status = self.bridge.status()
        tick = self.last_tick
        if tick is not None:
            status["violations"] = [list(v) for v in tick.decision.violations] if tick.decision else []
            status["commands"] = command_names(tick.offboard.commands)
        self._status_pub.publish(String(data=json.dumps(status)))

    def _now(self) -> float:
        return self.get_clock().now().nanoseconds * 1e-9


def create_node(**node_kwargs: Any) -> Px4BridgeNode:
    """The node for geotext-nav (graph.py): with px4_msgs when it imports, else without the PX4 link (logged)."""
    try:
        msgs: Px4Messages | None = load_px4_messages()
    except Px4MessagesMissing as e:
        msgs = None
        reason = str(e)
    node = Px4BridgeNode(msgs, **node_kwargs)
    if msgs is None:
        node.get_logger().warning(f"PX4 link off: {reason}. The bridge still applies its safety envelope and "
                                  "publishes its status, but sends nothing to PX4 and publishes no /odom")
    return node


def main(args: list[str] | None = None) -> int:
    try:
        msgs = load_px4_messages()
    except Px4MessagesMissing as e:
        print(f"px4_bridge: {e}", file=sys.stderr)
        return 2
    rclpy.init(args=args)
    return spin_until_shutdown(Px4BridgeNode(msgs))


if __name__ == "__main__":
    sys.exit(main())
