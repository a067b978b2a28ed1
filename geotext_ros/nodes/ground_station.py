"""ground_station: the operator's web page (geotext_ros.ground_station) fed from ROS topics.

Subscribes /geotext/status, /geotext/annotated (falls back to the raw camera while no annotated frame comes),
/odom and /geotext/markers; publishes what the operator types on /instruction. Serves on
ground_station.host:port (127.0.0.1:8765 by default, config/nav.yaml).

    ros2 run geotext_ros ground_station            # or: geotext-nav --sim --ui; nav.launch.py ui:=true
"""
from __future__ import annotations

import io
import json
import sys
import time
from typing import Any, Optional

from nav_msgs.msg import Odometry
from rclpy.node import Node
from sensor_msgs.msg import Image
from std_msgs.msg import String
from visualization_msgs.msg import MarkerArray

from geotext_ros.geometry import yaw_from_quaternion
from geotext_ros.ground_station.app import GroundStationServer
from geotext_ros.ground_station.config import GroundStationConfig
from geotext_ros.ground_station.state import StationState
from geotext_ros.nodes import conversions
from geotext_ros.nodes.markers import map_layers
from geotext_ros.nodes.qos import camera_qos
from geotext_ros.nodes.params import declare_parameters
from geotext_ros.nodes.spin import run_node

NODE_NAME = "ground_station"


class GroundStation(Node):
    """Topics in, the web page out; the page's instructions out on /instruction."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(NODE_NAME, **kwargs)
        self.config = GroundStationConfig.from_params(declare_parameters(self, NODE_NAME))
        cfg = self.config
        self.state = StationState(cfg)
        self._annotated_at: Optional[float] = None
        self._encoded_at = -float("inf")
        self.instruction_pub = self.create_publisher(String, cfg.instruction_topic, 10)
        self.create_subscription(String, cfg.status_topic, self.on_status, 50)
        self.create_subscription(Image, cfg.annotated_topic, self.on_annotated, camera_qos())
        self.create_subscription(Image, cfg.camera_topic, self.on_camera, camera_qos())
        self.create_subscription(Odometry, cfg.odom_topic, self.on_odom, 10)
        self.create_subscription(MarkerArray, cfg.markers_topic, self.on_markers, 5)
        self.server = GroundStationServer(self.state, self.publish_instruction, cfg).start()
        self.get_logger().info(f"ground station on {self.server.url}")

    @property
    def url(self) -> str:
        return self.server.url

    def publish_instruction(self, text: str) -> None:
        """Called from the web server's thread with an already validated instruction."""
        self.instruction_pub.publish(String(data=text))

    def on_status(self, msg: String) -> None:
        try:
            status = json.loads(msg.data)
        except ValueError as e:
            self.get_logger().warning(f"status is not JSON ({e}): {msg.data[:120]!r}", throttle_duration_sec=5.0)
            return
        if isinstance(status, dict):
            self.state.on_status(status)

    def on_annotated(self, msg: Image) -> None:
        self._annotated_at = time.monotonic()
        self._frame(msg, "annotated")

    def on_camera(self, msg: Image) -> None:
        if self._annotated_at is None or time.monotonic() - self._annotated_at > self.config.annotated_priority_s:
            self._frame(msg, "camera")

    def _frame(self, msg: Image, source: str) -> None:
        from PIL import Image as PILImage

        # The page is refreshed at update_rate_hz: converting every frame of a 30 Hz camera would be wasted work.
        now = time.monotonic()
        if now - self._encoded_at < 1.0 / self.config.update_rate_hz:
            return
        self._encoded_at = now
        try:
            rgb = conversions.image_to_rgb(msg.height, msg.width, msg.encoding, msg.step, msg.data)
        except ValueError as e:
            self.get_logger().warning(f"{source} frame not shown: {e}", throttle_duration_sec=5.0)
            return
        image = PILImage.fromarray(rgb)
        width = int(self.config.max_frame_width)
        if image.width > width:   # a full-HD frame is 1 MB a JPEG: the page gets a smaller one
            image = image.resize((width, max(1, round(image.height * width / image.width))), PILImage.BILINEAR)
        buf = io.BytesIO()
        image.save(buf, format="JPEG", quality=int(self.config.jpeg_quality))
        self.state.on_frame(buf.getvalue(), source)

    def on_odom(self, msg: Odometry) -> None:
        p, q = msg.pose.pose.position, msg.pose.pose.orientation
        self.state.on_pose(p.x, p.y, p.z, yaw_from_quaternion(q.x, q.y, q.z, q.w))

    def on_markers(self, msg: MarkerArray) -> None:
        self.state.on_map(map_layers(msg))

    def destroy_node(self) -> None:
        self.server.stop()
        super().destroy_node()


def create_node(**kwargs: Any) -> GroundStation:
    return GroundStation(**kwargs)


def main(argv: Optional[list[str]] = None) -> int:
    return run_node(NODE_NAME, GroundStation, argv)


if __name__ == "__main__":
    sys.exit(main())
