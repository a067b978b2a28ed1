"""The ground_station node on real rclpy + DDS, talked to over real HTTP / websockets (aiohttp's client): topics
reach the page's snapshots, the page's messages reach /instruction (cleaned), and `geotext-nav --sim --ui` serves
the page from the one-process graph."""
import asyncio
import io
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image as PILImage

rclpy = pytest.importorskip("rclpy")
import aiohttp  # noqa: E402
from builtin_interfaces.msg import Time  # noqa: E402
from rclpy.executors import SingleThreadedExecutor  # noqa: E402
from rclpy.node import Node  # noqa: E402
from rclpy.parameter import Parameter  # noqa: E402
from sensor_msgs.msg import Image  # noqa: E402
from std_msgs.msg import String  # noqa: E402
from visualization_msgs.msg import MarkerArray  # noqa: E402

from geotext_ros.nav.safety import SafetyConfig  # noqa: E402
from geotext_ros.nodes import conversions, markers  # noqa: E402
from geotext_ros.nodes.ground_station import GroundStation  # noqa: E402
from geotext_ros.nodes.qos import camera_qos  # noqa: E402
from geotext_ros.param_file import default_config_path  # noqa: E402
from ros_harness import odom_message, wait_for  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
P = "/gs"   # topics of their own
TOPICS = {"status_topic": f"{P}/status", "annotated_topic": f"{P}/annotated", "camera_topic": f"{P}/camera",
          "odom_topic": f"{P}/odom", "markers_topic": f"{P}/markers", "instruction_topic": f"{P}/instruction"}


@pytest.fixture()
def station():
    ctx = rclpy.Context()
    rclpy.init(context=ctx)
    node = GroundStation(context=ctx, parameter_overrides=[Parameter("port", value=0)] +
                         [Parameter(k, value=v) for k, v in TOPICS.items()])
    peer = Node("gs_test_peer", context=ctx)
    ex = SingleThreadedExecutor(context=ctx)
    ex.add_node(node)
    ex.add_node(peer)
    thread = threading.Thread(target=ex.spin, daemon=True)
    thread.start()
    yield node, peer
    ex.shutdown(timeout_sec=2.0)
    node.destroy_node()
    peer.destroy_node()
    rclpy.shutdown(context=ctx)
    thread.join(timeout=5.0)


async def _session(url: str, steps):
    origin = url.rstrip("/")
    async with aiohttp.ClientSession() as s:
        async with s.ws_connect(url + "ws", headers={"Origin": origin}) as ws:
            return await steps(s, ws)


async def _until(ws, pred, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        msg = await asyncio.wait_for(ws.receive(), max(0.1, end - time.monotonic()))
        data = json.loads(msg.data)
        if pred(data):
            return data
    raise AssertionError("no matching websocket message")


def test_topics_reach_the_page_and_the_page_reaches_instruction(station) -> None:
    node, peer = station
    heard = []
    peer.create_subscription(String, TOPICS["instruction_topic"], lambda m: heard.append(m.data), 10)
    status = peer.create_publisher(String, TOPICS["status_topic"], 10)
    camera = peer.create_publisher(Image, TOPICS["camera_topic"], camera_qos())
    odom = peer.create_publisher(type(odom_message(0, 0, 0)), TOPICS["odom_topic"], 10)
    marks = peer.create_publisher(MarkerArray, TOPICS["markers_topic"], 5)
    assert node.config.host == "127.0.0.1" and node.server.port > 0
    assert wait_for(lambda: status.get_subscription_count() and camera.get_subscription_count()
                    and odom.get_subscription_count() and marks.get_subscription_count(), 10.0)

    def publish_inputs() -> None:
        status.publish(String(data=json.dumps({"state": "SEARCH", "reason": "flying to gallery place 0003",
                                               "instruction": "fly to the pool"})))
        f = conversions.rgb_to_image_fields(np.full((720, 1280, 3), 200, np.uint8))
        img = Image(height=f["height"], width=f["width"], encoding="rgb8", step=f["step"])
        img.data = f["data"]
        camera.publish(img)
        odom.publish(odom_message(12.0, -3.0, 40.0))
        scene = markers.scene_from((30.0, 5.0), (30.0, 5.0, 25.0, 0.0), SafetyConfig(geofence_radius_m=150.0))
        marks.publish(markers.build_markers(scene, "map", Time()))

    async def steps(s, ws):
        def complete(d):
            publish_inputs()
            return (d.get("type") == "snapshot" and d["status"].get("state") == "SEARCH" and d["frame_seq"] > 0
                    and d["pose"] is not None and d["map"].get("target") is not None)
        snap = await _until(ws, complete, 15.0)
        async with s.get(node.url + "frame.jpg") as r:
            jpeg = await r.read()
            assert r.status == 200 and jpeg[:2] == b"\xff\xd8"   # a JPEG
        assert PILImage.open(io.BytesIO(jpeg)).size == (node.config.max_frame_width, 360)   # scaled for the page
        await ws.send_str(json.dumps({"type": "instruction", "text": "fly to the\x07 pool\n"}))
        sent = await _until(ws, lambda d: d.get("type") == "sent")
        await ws.send_str(json.dumps({"type": "command", "name": "stop"}))
        await _until(ws, lambda d: d.get("type") == "sent")
        return snap, sent

    snap, sent = asyncio.run(_session(node.url, steps))
    assert snap["pose"][:3] == [12.0, -3.0, 40.0] and snap["frame_source"] == "camera"
    assert snap["map"]["target"] == [30.0, 5.0] and len(snap["map"]["geofence"]) == markers.GEOFENCE_SEGMENTS
    assert snap["timeline"][-1]["reason"] == "flying to gallery place 0003"
    assert sent["text"] == "fly to the pool"
    assert wait_for(lambda: heard == ["fly to the pool", "stop"], 5.0), heard


def test_geotext_nav_ui_serves_the_page(tmp_path, tiny_engine_dir) -> None:
    doc = yaml.safe_load(default_config_path().read_text())
    doc["ground_station"]["ros__parameters"]["port"] = 0
    config = tmp_path / "nav.yaml"
    config.write_text(yaml.safe_dump(doc))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "geotext_ros.nodes.node_graph", "--sim", "--ui", "--duration", "25",
                             "--config", str(config), "--engine-dir", str(tiny_engine_dir)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=ROOT)
    try:
        url, lines = None, []
        end = time.monotonic() + 40
        while url is None and time.monotonic() < end:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            found = re.search(r"ground station on (http://127\.0\.0\.1:\d+/)", line)
            url = found.group(1) if found else None
        assert url, "".join(lines[-20:])

        async def fetch():
            async with aiohttp.ClientSession() as s:
                async with s.get(url) as r:
                    return r.status, await r.text()
        status, page = asyncio.run(fetch())
        assert status == 200 and 'id="btn-stop"' in page
    finally:
        proc.terminate()
        proc.wait(timeout=20)
