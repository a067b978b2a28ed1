"""Closed loop in the built-in world: navigator + sim_world (geotext-nav --sim graph) fly to a named target.

Needs the committed default model (engines/default, produced by the lead's training run): skipped without it.
"""
import math
import time
from pathlib import Path

import pytest

ENGINE = Path(__file__).resolve().parents[1] / "engines" / "default"
pytestmark = pytest.mark.skipif(not (ENGINE / "manifest.json").is_file(),
                                reason="engines/default is absent: the closed loop needs the trained default model")


def test_drone_reaches_a_target_in_view() -> None:
    rclpy = pytest.importorskip("rclpy")
    from std_msgs.msg import String

    from geotext_ros.demo import pick_instructions
    from geotext_ros.nodes.graph import Graph

    rclpy.init()
    graph = Graph(sim=True, launch_args={"engine_dir": str(ENGINE)}).start()
    try:
        nav, sim = graph.nodes["navigator"], graph.nodes["sim_world"]
        end = time.monotonic() + 60
        while nav.status["state"] != "IDLE" and time.monotonic() < end:
            time.sleep(0.1)
        assert nav.status["state"] == "IDLE", nav.status
        item = pick_instructions(sim.camera, sim.state, 1)[0]
        pub = nav.create_publisher(String, nav.params["instruction_topic"], 10)
        time.sleep(0.5)
        pub.publish(String(data=item["instruction"]))
        end = time.monotonic() + 50
        while nav.status["state"] not in ("ARRIVED", "NOT_FOUND") and time.monotonic() < end:
            time.sleep(0.2)
        err = math.hypot(sim.state.x - item["target_xy"][0], sim.state.y - item["target_xy"][1])
        assert nav.status["state"] == "ARRIVED" and err <= 5.0, (item, nav.status, err)
    finally:
        graph.shutdown()
        rclpy.try_shutdown()
