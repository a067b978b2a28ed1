"""The demo's closed loop over DDS: navigator + sim_world in this process (the geotext-nav --sim graph), one
instruction after the other, recorded from the product's topics (odometry, status, camera, annotated frames).

    run = run_closed_loop(engine_dir, tasks, gallery_json, timeout_s)   # {"results", "frames", "trajectory"}
"""
from __future__ import annotations

import json
import math
import threading
import time
from pathlib import Path
from typing import Any, Optional

from geotext_ros.sim.episodes import SUCCESS_M


class _Recorder:
    """Subscribes to odometry, status, camera and annotated frames (the product's topics) on one node."""

    def __init__(self, node: Any) -> None:
        from nav_msgs.msg import Odometry
        from sensor_msgs.msg import Image
        from std_msgs.msg import String

        from geotext_ros.nodes.qos import camera_qos

        self.lock = threading.Lock()
        self.traj: list[tuple[float, float, float]] = []      # (t, x, y)
        self.status: dict[str, Any] = {}
        self.annotated: Any = None
        self.raw: Any = None
        p = node.params
        node.create_subscription(Odometry, p["odom_topic"], self._odom, 10)
        node.create_subscription(String, p["status_topic"], self._status, 10)
        node.create_subscription(Image, p["annotated_topic"], self._annotated, camera_qos())
        node.create_subscription(Image, p["camera_topic"], self._raw, camera_qos())

    def _odom(self, m: Any) -> None:
        with self.lock:
            self.traj.append((time.monotonic(), m.pose.pose.position.x, m.pose.pose.position.y))

    def _status(self, m: Any) -> None:
        self.status = json.loads(m.data)

    def _annotated(self, m: Any) -> None:
        self.annotated = m

    def _raw(self, m: Any) -> None:
        self.raw = m

    def pose_since(self, t0: float) -> list[tuple[float, float]]:
        with self.lock:
            return [(x, y) for t, x, y in self.traj if t >= t0]


def _to_rgb(msg: Any) -> Any:
    from geotext_ros.nodes import conversions
    return None if msg is None else conversions.image_to_rgb(msg.height, msg.width, msg.encoding, msg.step,
                                                             msg.data)


def _path_length(points: list[tuple[float, float]]) -> float:
    return float(sum(math.dist(a, b) for a, b in zip(points, points[1:])))


def fly(sim: Any, pub: Any, rec: _Recorder, task: Any, timeout_s: float, label: str) -> dict[str, Any]:
    """Publish one instruction on `pub`; print progress until ARRIVED / NOT_FOUND / timeout; the result record."""
    from std_msgs.msg import String

    truth = task.target_xy is not None
    print(f"{label} {task.instruction!r}" + (f"  (true place {task.place_id})" if truth else ""))
    rec.annotated = None
    t0 = time.monotonic()
    pub.publish(String(data=task.instruction))
    last_state, last_print, retrieved = None, 0.0, None
    while time.monotonic() - t0 < timeout_s:
        st = rec.status
        mine = st.get("instruction") == task.instruction
        state = st.get("state") if mine else "sent"
        if mine and st.get("place") and retrieved is None:
            retrieved = st["place"]
        now = time.monotonic() - t0
        if state != last_state or now - last_print > 3.0:
            where = f"drone ({sim.state.x:6.1f}, {sim.state.y:6.1f}, {sim.state.z:4.1f})"
            extra = ""
            if state == "SEARCH" and retrieved:
                extra = f"gallery place {retrieved['place_id']} (score {retrieved['score']:.2f})"
            elif state in ("LOCALIZE", "APPROACH") and st.get("score") is not None:
                extra = f"confidence {st['score']:.2f}  {st.get('reason', '')}"
            else:
                extra = st.get("reason", "") if mine else ""
            print(f"    {now:5.1f} s  {state:9s} {where}  {extra}"[:160])
            last_state, last_print = state, now
        if mine and _settled(state, st.get("reason") or ""):
            break
        time.sleep(0.1)
    seconds = time.monotonic() - t0
    final = (sim.state.x, sim.state.y)
    err = math.dist(final, task.target_xy) if truth else None
    frame, boxed = _to_rgb(rec.annotated), rec.annotated is not None
    if frame is None:
        frame = _to_rgb(rec.raw)
    result = {**task.to_dict(), "state": rec.status.get("state"), "final_xy": [round(v, 2) for v in final],
              "error_m": round(err, 2) if truth else None, "success": err <= SUCCESS_M if truth else None,
              "seconds": round(seconds, 1),
              "path_m": round(_path_length(rec.pose_since(t0)), 1),
              "retrieved_place": retrieved["place_id"] if retrieved else None,
              "retrieval_score": round(float(retrieved["score"]), 3) if retrieved else None,
              "retrieval_correct": bool(retrieved and retrieved["place_id"] == task.place_id) if truth else None,
              "box_shown": boxed}
    if truth:
        print(f"    -> {result['state']} after {result['seconds']} s, {result['path_m']} m flown; "
              f"{err:.1f} m from the target centre: {'SUCCESS' if result['success'] else 'FAILED'}; "
              f"retrieved place {result['retrieved_place']} (true {task.place_id})")
    else:
        print(f"    -> {result['state']} after {result['seconds']} s, {result['path_m']} m flown; ended at "
              f"({final[0]:.1f}, {final[1]:.1f}); retrieved place {result['retrieved_place']}")
    return {"result": result, "frame": frame}


def _settled(state: Optional[str], reason: str) -> bool:
    """The mission rests: arrived, gave up, holds, asks back, did not understand, or is back home (an operator's
    "stop" or "return home" ends in these too, not only in ARRIVED / NOT_FOUND)."""
    return state in ("ARRIVED", "NOT_FOUND", "HOLD", "CLARIFY", "NOT_UNDERSTOOD") or (
        state == "RETURN" and reason.startswith("at home"))


def run_closed_loop(engine_dir: Path, tasks: list[Any], gallery: Optional[Path], timeout_s: float) -> dict[str, Any]:
    """Start navigator + sim_world (gallery given to the navigator), fly every task in turn."""
    import rclpy
    from std_msgs.msg import String

    from geotext_ros.nodes.node_graph import Graph

    rclpy.init()
    args = {"engine_dir": str(engine_dir), "gallery": str(gallery) if gallery else ""}
    graph = Graph(sim=True, launch_args=args).start()
    nav, sim = graph.nodes["navigator"], graph.nodes["sim_world"]
    rec = _Recorder(nav)
    pub = nav.create_publisher(String, nav.params["instruction_topic"], 10)
    results, frames = [], []
    try:
        _wait(lambda: rec.status.get("state") in ("IDLE", "ERROR"), 90.0)
        if rec.status.get("state") != "IDLE":
            raise RuntimeError(f"navigator did not become ready: {rec.status}")
        time.sleep(0.5)   # let discovery match the instruction publisher
        for i, task in enumerate(tasks):
            out = fly(sim, pub, rec, task, timeout_s, f"[{i + 1}/{len(tasks)}]")
            results.append(out["result"])
            frames.append(out["frame"])
    finally:
        graph.shutdown()
        rclpy.try_shutdown()
    with rec.lock:
        traj = [(x, y) for _, x, y in rec.traj]
    return {"results": results, "frames": frames, "trajectory": traj}


def _wait(pred: Any, timeout: float) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end and not pred():
        time.sleep(0.1)
