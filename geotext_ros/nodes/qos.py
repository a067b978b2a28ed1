"""QoS of every geotext_ros topic, defined once. Which policies an operator may change at start-up is given by the
QoSOverridingOptions next to each profile: they become read-only parameters
`qos_overrides.<topic>.<publisher|subscription>.<depth|reliability|history>` (ROS 2 QoS overriding), settable in
the parameter file or with `-p`, e.g. `qos_overrides./camera/image_raw.subscription.reliability:=reliable`.

Subscriptions to sensor streams are best effort: a best-effort reader matches best-effort *and* reliable writers
(a reliable reader never matches a best-effort writer), so any camera driver or odometry source connects.
Publishers of frames for people (the annotated image) are reliable: rviz and image_view subscribe reliably by
default, and best-effort readers still match. Commands (/instruction) are reliable.
"""
from __future__ import annotations

from rclpy.qos import HistoryPolicy, QoSPolicyKind, QoSProfile, ReliabilityPolicy
from rclpy.qos_overriding_options import QoSOverridingOptions

# Each function returns a new profile: rclpy writes the overrides into the profile it is given.


def _profile(depth: int, reliability: ReliabilityPolicy) -> QoSProfile:
    return QoSProfile(depth=depth, history=HistoryPolicy.KEEP_LAST, reliability=reliability)


def camera_qos() -> QoSProfile:
    """Camera image + camera_info, published (sim_world) and subscribed (navigator): the newest frame only."""
    return _profile(1, ReliabilityPolicy.BEST_EFFORT)


CAMERA_OVERRIDES = QoSOverridingOptions(policy_kinds=(QoSPolicyKind.DEPTH, QoSPolicyKind.RELIABILITY,
                                                      QoSPolicyKind.HISTORY))


def odom_qos() -> QoSProfile:
    """Odometry subscription (sensor data): best effort, so reliable (sim_world, px4_bridge) and best-effort
    odometry sources (most drivers, rclpy's qos_profile_sensor_data) both connect."""
    return _profile(10, ReliabilityPolicy.BEST_EFFORT)


ODOM_OVERRIDES = QoSOverridingOptions(policy_kinds=(QoSPolicyKind.DEPTH, QoSPolicyKind.RELIABILITY))


def display_qos() -> QoSProfile:
    """Frames published for people (the navigator's annotated image): reliable, so reliable subscribers get them."""
    return _profile(1, ReliabilityPolicy.RELIABLE)


def reliable_qos() -> QoSProfile:
    """Commands, results and the odometry we publish (/instruction, /geotext/target, /geotext/waypoint, /odom out
    of sim_world and px4_bridge): reliable, a short history."""
    return _profile(10, ReliabilityPolicy.RELIABLE)


def status_qos() -> QoSProfile:
    """/geotext/status: every instruction's acknowledgement must reach a slow subscriber. Statuses come in bursts
    (one per instruction, processed frame and tick), and a reliable writer with a short keep-last history
    overwrites unacknowledged ones (test_soak_short lost 1 of 40 with depth 10)."""
    return _profile(200, ReliabilityPolicy.RELIABLE)


DEPTH_OVERRIDE = QoSOverridingOptions(policy_kinds=(QoSPolicyKind.DEPTH,))
