"""navigator with real rclpy + real DDS and a real (tiny, untrained) exported engine.

The engine is the session's tiny exported engine (test/conftest.py, randomly initialised, ~5 s); grounding
thresholds are set to 0 through the node's parameters so an untrained model still yields a box every frame —
what is tested here is the node: topics, headers, frames, lifecycle, preemption, stop, bad input.
"""
import json
import threading
import time
from pathlib import Path

import numpy as np
import pytest

rclpy = pytest.importorskip("rclpy")
from geometry_msgs.msg import PolygonStamped, PoseStamped  # noqa: E402
from nav_msgs.msg import Odometry  # noqa: E402
from rclpy.executors import SingleThreadedExecutor  # noqa: E402
from rclpy.node import Node  # noqa: E402
from rclpy.parameter import Parameter  # noqa: E402
from sensor_msgs.msg import CameraInfo, Image  # noqa: E402
from std_msgs.msg import String  # noqa: E402

from geotext_ros.geometry import intrinsics_for  # noqa: E402
from geotext_ros.nodes import conversions  # noqa: E402
from geotext_ros.nodes.navigator import Navigator  # noqa: E402
from geotext_ros.nodes.qos import camera_qos  # noqa: E402
from ros_harness import odom_message, wait_for  # noqa: E402

W, H = 96, 80


@pytest.fixture(scope="module")
def engine_dir(tiny_engine_dir) -> Path:
    return tiny_engine_dir   # the session's tiny exported engine (test/conftest.py)


class Driver(Node):
    """The test's side of the graph: publishes inputs, records outputs."""

    def __init__(self, context) -> None:
        super().__init__("test_driver", context=context)
        self.instruction = self.create_publisher(String, "/instruction", 10)
        self.image = self.create_publisher(Image, "/camera/image_raw", camera_qos())
        self.info = self.create_publisher(CameraInfo, "/camera/camera_info", camera_qos())
        self.odom = self.create_publisher(Odometry, "/odom", 10)
        self.targets, self.waypoints, self.statuses = [], [], []
        self.create_subscription(PolygonStamped, "/geotext/target", self.targets.append, 10)
        self.create_subscription(PoseStamped, "/geotext/waypoint", self.waypoints.append, 10)
        self.create_subscription(String, "/geotext/status", lambda m: self.statuses.append(json.loads(m.data)), 50)

    def send_frame(self, sec: int, step_pad: int = 0, frame_id: str = "cam_test") -> None:
        rgb = np.random.default_rng(sec).integers(0, 255, (H, W, 3), dtype=np.uint8)
        f = conversions.rgb_to_image_fields(rgb)
        data = np.concatenate([np.frombuffer(f["data"], np.uint8).reshape(H, W * 3),
                               np.zeros((H, step_pad), np.uint8)], axis=1).tobytes()
        img = Image(height=H, width=W, encoding="rgb8", step=W * 3 + step_pad)
        img.data = data
        img.header.stamp.sec, img.header.stamp.nanosec, img.header.frame_id = sec, 1234, frame_id
        info = CameraInfo(width=W, height=H)
        info.k = intrinsics_for(W, H, 90.0).as_k()
        self.info.publish(info)
        self.image.publish(img)

    def send_odom(self, x: float = 10.0, y: float = -5.0, z: float = 30.0) -> None:
        self.odom.publish(odom_message(x, y, z))


@pytest.fixture(scope="module")
def graph(engine_dir):
    ctx = rclpy.Context()
    rclpy.init(context=ctx)
    overrides = [Parameter("engine_dir", value=str(engine_dir)), Parameter("process_rate_hz", value=20.0),
                 Parameter("grounding.min_score", value=0.0),
                 Parameter("safety.camera_timeout_s", value=0.0), Parameter("safety.odom_timeout_s", value=0.0),
                 Parameter("backend", value="onnxruntime")]
    nav = Navigator(context=ctx, parameter_overrides=overrides)
    driver = Driver(ctx)
    executor = SingleThreadedExecutor(context=ctx)
    executor.add_node(nav)
    executor.add_node(driver)
    thread = threading.Thread(target=executor.spin, daemon=True)
    thread.start()
    assert wait_for(lambda: nav.status["state"] == "IDLE", 30.0), nav.status
    # discovery: the driver must see the navigator's subscriptions before one-shot messages are sent
    assert wait_for(lambda: driver.instruction.get_subscription_count() > 0
                    and driver.image.get_subscription_count() > 0, 10.0)
    driver.send_odom()
    yield nav, driver
    executor.shutdown(timeout_sec=2.0)
    nav.destroy_node()
    driver.destroy_node()
    rclpy.shutdown(context=ctx)


def _latest(driver: Driver) -> dict:
    return driver.statuses[-1] if driver.statuses else {}


def test_box_header_matches_its_image_and_waypoint_is_in_map(graph) -> None:
    nav, driver = graph
    driver.targets.clear()
    driver.instruction.publish(String(data="fly to the red building left of the pool"))
    assert wait_for(lambda: _latest(driver).get("instruction") == "fly to the red building left of the pool")
    assert wait_for(lambda: driver.targets, 15.0, poke=lambda: driver.send_frame(sec=41)), _latest(driver)
    target = driver.targets[-1]
    assert (target.header.stamp.sec, target.header.stamp.nanosec, target.header.frame_id) == (41, 1234, "cam_test")
    xs = [p.x for p in target.polygon.points]
    ys = [p.y for p in target.polygon.points]
    assert len(xs) == 4 and min(xs) >= -1 and max(xs) <= W + 1 and min(ys) >= -1 and max(ys) <= H + 1
    assert wait_for(lambda: driver.waypoints, 5.0)
    assert driver.waypoints[-1].header.frame_id == "map"
    status = _latest(driver)
    for key in ("state", "instruction", "phrase", "relation", "score", "box", "place", "waypoint", "latency_ms"):
        assert key in status, f"status lacks {key}: {status}"
    assert wait_for(lambda: _latest(driver).get("latency_ms") is not None, 5.0)
    assert _latest(driver)["relation"] == "left of"


def test_new_instruction_preempts_the_old_one(graph) -> None:
    nav, driver = graph
    driver.instruction.publish(String(data="fly to the blue pool"))
    assert wait_for(lambda: _latest(driver).get("instruction") == "fly to the blue pool")
    driver.instruction.publish(String(data="go to the parking lot below the tennis court"))
    assert wait_for(lambda: _latest(driver).get("instruction") == "go to the parking lot below the tennis court")
    assert nav.pipeline.instruction.target != "blue pool"
    assert nav.pipeline.instruction.relation == "below"
    assert wait_for(lambda: _latest(driver).get("state") in ("LOCALIZE", "APPROACH", "NOT_FOUND"), 5.0)


def test_stop_holds_position(graph) -> None:
    nav, driver = graph
    driver.send_odom(x=10.0, y=-5.0, z=30.0)
    time.sleep(0.3)
    driver.instruction.publish(String(data="stop"))
    assert wait_for(lambda: _latest(driver).get("state") == "HOLD")
    driver.send_odom(x=12.0, y=-4.0, z=31.0)   # drift while stopped: the hold point must not follow it
    driver.waypoints.clear()
    for sec in range(60, 64):   # frames keep coming: a stopped navigator must not chase anything
        driver.send_frame(sec=sec)
        time.sleep(0.1)
    assert wait_for(lambda: len(driver.waypoints) >= 3, 5.0)
    for wp in driver.waypoints[-3:]:
        p = wp.pose.position
        assert (round(p.x, 3), round(p.y, 3), round(p.z, 3)) == (10.0, -5.0, 30.0)
    assert _latest(driver)["state"] == "HOLD"
    driver.send_odom(x=10.0, y=-5.0, z=30.0)


def test_bad_frame_is_reported_and_the_node_keeps_running(graph) -> None:
    nav, driver = graph
    driver.instruction.publish(String(data="fly to the white building"))
    assert wait_for(lambda: _latest(driver).get("instruction") == "fly to the white building")
    bad = Image(height=H, width=W, encoding="rgb8", step=W * 3 - 1)   # step too small
    bad.data = bytes((W * 3 - 1) * H)
    seen = len(driver.statuses)
    driver.image.publish(bad)
    assert wait_for(lambda: any("step" in str(s.get("error", "")) for s in driver.statuses[seen:]), 5.0), \
        driver.statuses[seen:]
    driver.targets.clear()
    assert wait_for(lambda: driver.targets, 10.0, poke=lambda: driver.send_frame(sec=77, step_pad=5))
    assert driver.targets[-1].header.stamp.sec == 77   # padded rows (step > width*3) are fine


def test_missing_engine_fails_activation_with_a_reason(tmp_path) -> None:
    ctx = rclpy.Context()
    rclpy.init(context=ctx)
    try:
        nav = Navigator(context=ctx, parameter_overrides=[Parameter("engine_dir", value=str(tmp_path / "nope")),
                                                          Parameter("autostart", value=False)])
        from rclpy.lifecycle import TransitionCallbackReturn
        assert nav.trigger_configure() == TransitionCallbackReturn.SUCCESS
        assert nav.trigger_activate() == TransitionCallbackReturn.FAILURE
        assert nav.status["state"] == "ERROR" and "nope" in nav.status["error"]
        assert nav._state_machine.current_state[1] == "inactive"
        nav.on_instruction(String(data="fly to the pool"))   # ignored, not fatal
        assert "not active" in nav.status["error"]
        nav.destroy_node()
    finally:
        rclpy.shutdown(context=ctx)
