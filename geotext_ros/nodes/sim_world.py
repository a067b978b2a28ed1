"""sim_world: the built-in aerial world as a ROS 2 node.

Renders the procedural world (geotext_ros.sim) at the drone's pose and publishes /camera/image_raw (rgb8),
/camera/camera_info and /odom (frame map, ENU); flies the drone toward /geotext/waypoint within speed and
acceleration limits (geotext_ros.sim.vehicle). Rendering runs on its own thread (nodes/worker.py), kicked by the
camera timer, so a slow frame never stalls odometry.

A lifecycle node like the navigator: configure creates the topics, activate starts the physics and the camera;
with `autostart` (default) it configures and activates itself.
"""
from __future__ import annotations

import math
import sys
import threading
import time
from typing import Any, Optional

from geometry_msgs.msg import PoseStamped
from nav_msgs.msg import Odometry
from rclpy.lifecycle import LifecycleState, TransitionCallbackReturn
from sensor_msgs.msg import CameraInfo, Image

from geotext_ros.geometry import quaternion_from_yaw, yaw_from_quaternion
from geotext_ros.nodes import conversions
from geotext_ros.nodes.lifecycle import TimedLifecycleNode
from geotext_ros.nodes.spin import run_node
from geotext_ros.nodes.worker import LatestWork
from geotext_ros.nodes.params import declare_parameters
from geotext_ros.nodes.qos import CAMERA_OVERRIDES, camera_qos, reliable_qos
from geotext_ros.sim.vehicle import Setpoint, VehicleLimits, VehicleState, step_vehicle
from geotext_ros.sim.world_camera import WorldCamera

NODE_NAME = "sim_world"


class SimWorld(TimedLifecycleNode):
    """Simulated drone + camera in the built-in world."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(NODE_NAME, **kwargs)
        p = self.params = declare_parameters(self, NODE_NAME)
        self.limits = VehicleLimits.from_params(p)
        self.camera = WorldCamera.from_params(p)
        self._lock = threading.Lock()
        self.state = VehicleState(x=p["start_x"], y=p["start_y"], z=p["start_altitude"], yaw=p["start_yaw"])
        self.setpoint: Optional[Setpoint] = None
        self._last_step = time.monotonic()
        self.frames_published = 0
        if p["autostart"] and self.trigger_configure() == TransitionCallbackReturn.SUCCESS:
            self.trigger_activate()

    # -- lifecycle --------------------------------------------------------------------------------------------
    def on_configure(self, state: LifecycleState) -> TransitionCallbackReturn:
        p = self.params
        self.image_pub = self.create_publisher(Image, p["camera_topic"], camera_qos(),
                                               qos_overriding_options=CAMERA_OVERRIDES)
        self.info_pub = self.create_publisher(CameraInfo, p["camera_info_topic"], camera_qos(),
                                              qos_overriding_options=CAMERA_OVERRIDES)
        self.odom_pub = self.create_publisher(Odometry, p["odom_topic"], reliable_qos())
        self._entities = [self.image_pub, self.info_pub, self.odom_pub,
                          self.create_subscription(PoseStamped, p["waypoint_topic"], self.on_waypoint,
                                                   reliable_qos())]
        return TransitionCallbackReturn.SUCCESS

    def on_activate(self, state: LifecycleState) -> TransitionCallbackReturn:
        p = self.params
        with self._lock:
            self._last_step = time.monotonic()   # the drone does not jump by the time spent inactive
        render = LatestWork("sim_world-render", self.on_camera, self.get_logger())
        self._workers = [render]
        self._timers = [self.create_timer(1.0 / p["odom_rate_hz"], self.on_physics),
                        self.create_timer(1.0 / p["camera_rate_hz"], render.kick)]
        self.get_logger().info(
            f"sim world seed {p['world_seed']}: camera {p['image_width']}x{p['image_height']} "
            f"on {p['camera_topic']}, drone at ({self.state.x:.1f}, {self.state.y:.1f}, {self.state.z:.1f})")
        return TransitionCallbackReturn.SUCCESS

    # -- simulation -------------------------------------------------------------------------------------------
    def on_waypoint(self, msg: PoseStamped) -> None:
        if msg.header.frame_id != self.params["map_frame"]:
            self.get_logger().warning(f"waypoint ignored: frame_id {msg.header.frame_id!r}, expected "
                                   f"{self.params['map_frame']!r}")
            return
        pos, q = msg.pose.position, msg.pose.orientation
        values = (pos.x, pos.y, pos.z, q.x, q.y, q.z, q.w)
        if not all(math.isfinite(v) for v in values):
            self.get_logger().warning(f"waypoint ignored: non-finite values {values}")
            return
        # An all-zero quaternion means "no heading requested": keep the current yaw.
        no_yaw = q.x == 0.0 and q.y == 0.0 and q.z == 0.0 and q.w == 0.0
        yaw = None if no_yaw else yaw_from_quaternion(q.x, q.y, q.z, q.w)
        with self._lock:
            self.setpoint = Setpoint(pos.x, pos.y, pos.z, yaw)

    def on_physics(self) -> None:
        now = time.monotonic()
        with self._lock:
            dt, self._last_step = min(now - self._last_step, 0.5), now
            self.state = step_vehicle(self.state, self.setpoint, dt, self.limits)
            state = self.state
        self.odom_pub.publish(self._odometry(state))

    def on_camera(self) -> None:
        with self._lock:
            state = self.state
        stamp = self.get_clock().now().to_msg()
        try:
            rgb = self.camera.render(state).image
        except Exception as e:   # a render bug must not kill the simulation: log and try the next frame
            self.get_logger().error(f"render failed at {state}: {e}")
            return
        fields = conversions.rgb_to_image_fields(rgb)
        img = Image(height=fields["height"], width=fields["width"], encoding=fields["encoding"],
                    step=fields["step"], is_bigendian=0)
        img.data = fields["data"]
        img.header.stamp, img.header.frame_id = stamp, self.params["camera_frame"]
        self.image_pub.publish(img)
        self.info_pub.publish(self._camera_info(stamp, state))
        self.frames_published += 1

    def _camera_info(self, stamp: Any, state: VehicleState) -> CameraInfo:
        info = CameraInfo(width=self.camera.width, height=self.camera.height, distortion_model="plumb_bob")
        info.header.stamp, info.header.frame_id = stamp, self.params["camera_frame"]
        info.k = self.camera.k
        info.d = [0.0] * 5
        info.r = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]
        k = self.camera.k
        info.p = [k[0], 0.0, k[2], 0.0, 0.0, k[4], k[5], 0.0, 0.0, 0.0, 1.0, 0.0]
        return info

    def _odometry(self, state: VehicleState) -> Odometry:
        odom = Odometry()
        odom.header.stamp = self.get_clock().now().to_msg()
        odom.header.frame_id, odom.child_frame_id = self.params["map_frame"], self.params["base_frame"]
        pose = odom.pose.pose
        pose.position.x, pose.position.y, pose.position.z = state.x, state.y, state.z
        q = quaternion_from_yaw(state.yaw)
        pose.orientation.x, pose.orientation.y, pose.orientation.z, pose.orientation.w = q
        odom.twist.twist.linear.x, odom.twist.twist.linear.y, odom.twist.twist.linear.z = state.vx, state.vy, state.vz
        return odom


def main(argv: Optional[list[str]] = None) -> int:
    return run_node(NODE_NAME, SimWorld, argv)


def create_node(**kwargs: Any) -> SimWorld:
    return SimWorld(**kwargs)


if __name__ == "__main__":
    sys.exit(main())
