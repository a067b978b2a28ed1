"""A running navigator on real rclpy + real DDS, and the test's side of the graph (helper for the ROS tests).

Used through the `nav_harness` fixture of conftest.py:

    h = nav_harness(**{"safety.camera_timeout_s": 0.5})   # navigator (test overrides) + driver, spinning
    h.driver.send_odom(); h.driver.send_frame(sec=1); h.driver.instruction.publish(String(data="fly to ..."))
    assert wait_for(lambda: h.driver.targets)

Test overrides make an untrained model act: grounding threshold 0 so every frame yields a box, watchdogs off
unless a test turns them on. What the tests check is the node, not the model.
"""
from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np
import rclpy
import rclpy.executors
from geometry_msgs.msg import PolygonStamped, PoseStamped
from nav_msgs.msg import Odometry
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node
from rclpy.parameter import Parameter
from sensor_msgs.msg import CameraInfo, Image
from std_msgs.msg import String

from geotext_ros.geometry import intrinsics_for
from geotext_ros.nodes import conversions
from geotext_ros.nodes.navigator import Navigator
from geotext_ros.nodes.qos import camera_qos
from geotext_ros.nodes.spin import stop_executor

W, H = 96, 80

TEST_OVERRIDES: dict[str, Any] = {
    "process_rate_hz": 20.0, "grounding.min_score": 0.0,
    "safety.camera_timeout_s": 0.0, "safety.odom_timeout_s": 0.0, "backend": "onnxruntime",
}

TOPICS = {"instruction_topic": "/instruction", "camera_topic": "/camera/image_raw",
          "camera_info_topic": "/camera/camera_info", "odom_topic": "/odom", "target_topic": "/geotext/target",
          "waypoint_topic": "/geotext/waypoint", "status_topic": "/geotext/status",
          "annotated_topic": "/geotext/annotated"}


def wait_for(pred: Callable[[], Any], timeout: float = 10.0, poke: Optional[Callable[[], None]] = None) -> bool:
    """Poll pred() until it holds (a bounded wait, not a timing assertion); poke() between polls."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        if poke is not None:
            poke()
        time.sleep(0.1)
    return bool(pred())


class Driver(Node):
    """The test's side: publishes camera, camera info, odometry and instructions; records every output."""

    def __init__(self, context: Any, topics: dict[str, str]) -> None:
        super().__init__("test_driver", context=context)
        self.instruction = self.create_publisher(String, topics["instruction_topic"], 10)
        self.image = self.create_publisher(Image, topics["camera_topic"], camera_qos())
        self.info = self.create_publisher(CameraInfo, topics["camera_info_topic"], camera_qos())
        self.odom = self.create_publisher(Odometry, topics["odom_topic"], 10)
        self.targets: list[PolygonStamped] = []
        self.waypoints: list[tuple[float, PoseStamped]] = []   # (monotonic receive time, message)
        self.statuses: list[dict] = []
        self.raw_statuses: list[str] = []
        self.invalid_json: list[str] = []
        self.create_subscription(PolygonStamped, topics["target_topic"], self.targets.append, 10)
        self.create_subscription(PoseStamped, topics["waypoint_topic"],
                                 lambda m: self.waypoints.append((time.monotonic(), m)), 50)
        self.create_subscription(String, topics["status_topic"], self._on_status, 100)

    def _on_status(self, msg: String) -> None:
        self.raw_statuses.append(msg.data)
        # strict JSON: a NaN or Infinity literal would break every non-Python consumer of the status topic
        try:
            self.statuses.append(json.loads(msg.data, parse_constant=_reject_constant))
        except ValueError as e:
            self.invalid_json.append(f"{e}: {msg.data[:300]}")

    def say(self, text: str) -> int:
        """Publish an instruction; returns the status count before it (for statuses_since)."""
        seen = len(self.statuses)
        self.instruction.publish(String(data=text))
        return seen

    def statuses_since(self, n: int) -> list[dict]:
        return self.statuses[n:]

    def latest(self) -> dict:
        return self.statuses[-1] if self.statuses else {}

    def send_info(self, k: Optional[list[float]] = None, width: int = W, height: int = H) -> None:
        info = CameraInfo(width=width, height=height)
        info.k = [float(v) for v in k] if k is not None else intrinsics_for(width, height, 90.0).as_k()
        self.info.publish(info)

    def send_frame(self, sec: int, rgb: Optional[np.ndarray] = None, info: bool = True) -> None:
        """A valid rgb8 frame stamped `sec` (random pixels unless rgb is given), with camera info."""
        if rgb is None:
            rgb = np.random.default_rng(sec).integers(0, 255, (H, W, 3), dtype=np.uint8)
        f = conversions.rgb_to_image_fields(rgb)
        img = Image(height=f["height"], width=f["width"], encoding="rgb8", step=f["step"])
        img.data = f["data"]
        img.header.stamp.sec, img.header.stamp.nanosec, img.header.frame_id = sec, 0, "cam_test"
        if info:
            self.send_info(width=f["width"], height=f["height"])
        self.image.publish(img)

    def send_raw_image(self, height: int, width: int, encoding: str, step: int, data: bytes, sec: int = 0) -> None:
        img = Image(height=height, width=width, encoding=encoding, step=step)
        img.data = data
        img.header.stamp.sec, img.header.frame_id = sec, "cam_test"
        self.image.publish(img)

    def send_odom(self, x: float = 10.0, y: float = -5.0, z: float = 30.0) -> None:
        self.odom.publish(odom_message(x, y, z))


def odom_message(x: float, y: float, z: float, frame_id: str = "map", stamp: Optional[float] = None,
                 q: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 1.0)) -> Odometry:
    """A vehicle at (x, y, z) in `frame_id` (ENU), level unless q (x, y, z, w) is given, stamped `stamp` seconds
    (default: now on the system clock, which the navigator's ROS clock follows)."""
    odom = Odometry()
    odom.header.frame_id = frame_id
    t = time.time() if stamp is None else stamp
    odom.header.stamp.sec, odom.header.stamp.nanosec = int(t), int(round((t - int(t)) * 1e9)) % 1_000_000_000
    odom.pose.pose.position.x, odom.pose.pose.position.y, odom.pose.pose.position.z = float(x), float(y), float(z)
    o = odom.pose.pose.orientation
    o.x, o.y, o.z, o.w = (float(v) for v in q)
    return odom


def _reject_constant(name: str) -> float:
    raise ValueError(f"status JSON holds {name}: not valid JSON")


class NavHarness:
    """One context, one executor thread, the driver, and a navigator that can be stopped and started again."""

    _count = 0

    def __init__(self, engine_dir: Path, overrides: dict[str, Any]) -> None:
        NavHarness._count += 1
        # Topics under a prefix of their own: harnesses alive at the same time in one domain never cross-talk.
        prefix = f"/h{NavHarness._count}"
        self.topics = {name: prefix + default for name, default in TOPICS.items()}
        self.engine_dir = Path(engine_dir)
        self.overrides = {**TEST_OVERRIDES, **self.topics, "engine_dir": str(engine_dir), **overrides}
        self.ctx = rclpy.Context()
        rclpy.init(context=self.ctx)
        self.executor = SingleThreadedExecutor(context=self.ctx)
        self.driver = Driver(self.ctx, self.topics)
        self.executor.add_node(self.driver)
        self.nav: Optional[Navigator] = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._spin, daemon=True)
        self._thread.start()

    def _spin(self) -> None:
        # spin_once in a loop: a node destroyed between two waits (stop_navigator) must not end the spinning
        while not self._stop.is_set() and self.ctx.ok():
            try:
                self.executor.spin_once(timeout_sec=0.05)
            except rclpy.executors.ExternalShutdownException:
                return
            except rclpy._rclpy_pybind11.InvalidHandle:
                continue

    def start_navigator(self, wait_state: Optional[str] = "IDLE", **overrides: Any) -> Navigator:
        params = [Parameter(k, value=v) for k, v in {**self.overrides, **overrides}.items()]
        self.nav = Navigator(context=self.ctx, parameter_overrides=params)
        self.executor.add_node(self.nav)
        if wait_state is not None:
            assert wait_for(lambda: self.nav.status["state"] == wait_state, 30.0), self.nav.status
        # discovery: the driver must see the navigator's subscriptions before one-shot messages are sent
        if self.nav.status["state"] != "ERROR" and wait_state is not None:
            assert wait_for(lambda: self.driver.instruction.get_subscription_count() > 0
                            and self.driver.image.get_subscription_count() > 0, 10.0)
        return self.nav

    def stop_navigator(self) -> None:
        if self.nav is not None:
            self.executor.remove_node(self.nav)
            time.sleep(0.2)   # let a wait in progress on the executor thread finish with the node's handles
            self.nav.destroy_node()
            self.nav = None

    def prove_alive(self, text: str = "fly to the red building left of the pool", sec: int = 900) -> dict:
        """A valid instruction + frames afterwards must still produce a target box and a status for it."""
        d = self.driver
        assert not d.invalid_json, d.invalid_json[:3]
        d.send_odom()
        seen = d.say(text)
        assert wait_for(lambda: any(s.get("instruction") == text for s in d.statuses_since(seen)), 10.0), \
            d.statuses_since(seen)[-3:]
        n_targets = len(d.targets)
        assert wait_for(lambda: any(t.header.stamp.sec == sec for t in d.targets[n_targets:]), 15.0,
                        poke=lambda: d.send_frame(sec=sec)), (d.latest(), self.nav.status)
        return d.latest()

    def shutdown(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5.0)
        stop_executor(self.executor)
        self.stop_navigator()
        self.driver.destroy_node()
        rclpy.shutdown(context=self.ctx)


def build_gallery_index(engine_dir: Path, out_dir: Path, places_xy: list[tuple[float, float]],
                        model_checksum: Optional[str] = None) -> Path:
    """A real gallery index (GalleryIndex.build with the engine) of flat-coloured place images at places_xy;
    model_checksum replaces the engine's identity (an index "from another model")."""
    import json as _json

    from PIL import Image as PILImage

    from geotext_ros.nav.gallery import GalleryIndex
    from geotext_ros.runtime import open_backend

    places = []
    for i, (x, y) in enumerate(places_xy):
        path = out_dir / f"place{i}.png"
        PILImage.fromarray(np.full((64, 64, 3), 60 * i + 40, np.uint8)).save(path)
        places.append({"place_id": f"p{i}", "image": str(path), "x": float(x), "y": float(y), "altitude": 30.0})
    (out_dir / "gallery.json").write_text(_json.dumps({"places": places}))
    with open_backend(engine_dir, kind="onnxruntime") as backend:
        index = GalleryIndex.build(backend, out_dir / "gallery.json")
    if model_checksum is not None:
        index = GalleryIndex(index.embeddings, index.place_ids, index.x, index.y, index.altitude, model_checksum)
    return index.save(out_dir / "gallery.npz")
