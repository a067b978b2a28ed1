"""Soak: a real navigator process driven over DDS with full-HD camera frames and a stream of instructions.

The navigator runs as its own process (`python -m geotext_ros.nodes.navigator`, topics under /soak); this process
publishes 1920x1080 rgb8 frames at --camera-hz, odometry, camera info, and an instruction at --instruction-hz
whose text carries a sequence number ("... seq 17"), and records /soak/geotext/{target,status}. First an idle
phase (one instruction, frames at --idle-camera-hz) gives the idle latency, then the load phase runs.

Reported (JSON):
  frame_age_ms      publish -> target received, for every processed frame (p50/p95/max, first vs last third, idle
                    p50/p95 and the load / idle p95 ratio: one sample per box, where the status-borne
                    latency_ms below has only as many as statuses went out):
                    a node that queued frames instead of taking the newest would show it growing
  frames            published; grounded_hz (the navigator's frames_grounded counter: frames it grounded) over the
                    load phase and over the time the mission was grounding (LOCALIZE, APPROACH: the rate to hold
                    against process_rate_hz); processed (frames that gave a target box); the rest were dropped
                    (newest-frame policy), never queued
  states            how many load-phase statuses were in each state (grounding runs only while the mission needs it)
  rss_mb            navigator process resident memory at the start and the end of the load phase
  instructions      sent, seen in the status stream, lost, and out-of-order (the `instruction` field of the
                    statuses, in arrival order, must walk through the sequence numbers without going back)
  dds_transports    FASTDDS_BUILTIN_TRANSPORTS used by both processes (--transports; LARGE_DATA by default)
  latency_ms        navigator-reported latency (frame arrival -> result) p95 idle vs load, and their ratio

  faults            with --faults, a schedule during the load phase (FAULTS: camera drop, odometry drop, bad
                    CameraInfo, odometry in the wrong frame, a burst of garbage instructions), and in one report:
                    false_holds (stale/unusable-input HOLDs outside a fault window and its grace: 0),
                    holds_in_fault_windows, waypoints_ungrounded (statuses of APPROACH/ARRIVED sending a waypoint
                    without a grounded box at min_confidence: 0), contradictions (statuses that contradict
                    themselves: APPROACH/ARRIVED with a null box or a low score, HOLD without a reason, moving
                    while the camera is unusable: 0) and the input rejections the navigator counted

    python bench/soak.py                       # 60 s, 30 Hz 1920x1080, 10 Hz instructions, untrained tiny model
    python bench/soak.py --engine-dir engines/default --seconds 600
    python bench/soak.py --faults --seconds 40 # the same with the fault schedule
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any, Optional

import numpy as np

from geotext_ros.nav.mission import State, grounds_in
from geotext_ros.param_file import load_node_params, parse_override

ROOT = Path(__file__).resolve().parents[1]

PREFIX = "/soak"
# Fast DDS's default UDP transport loses most multi-fragment best-effort samples between processes (a 1920x1080
# rgb8 frame is 6 MB): LARGE_DATA (shared memory + TCP) is Fast DDS's setting for camera-sized data.
TRANSPORTS_ENV = "FASTDDS_BUILTIN_TRANSPORTS"
SEQ = re.compile(r" seq (\d+)$")
TOPICS = {"instruction_topic": "/instruction", "camera_topic": "/camera/image_raw",
          "camera_info_topic": "/camera/camera_info", "odom_topic": "/odom", "target_topic": "/geotext/target",
          "waypoint_topic": "/geotext/waypoint", "status_topic": "/geotext/status",
          "annotated_topic": "/geotext/annotated"}
# An untrained model must still act on every frame: no grounding threshold, no confidence gate, and the mission
# keeps grounding instead of asking back about look-alikes (the frames are noise: a question stops the grounding
# until the next instruction, so the frames grounded would depend on the noise). For the same reason the sentence
# has no relation: whether noise holds its anchor decided whether any frame gave a box (0 or 40 targets in the
# same 8 s run). The processing rate is the configured one (config/nav.yaml process_rate_hz) unless --param
# changes it.
NAV_PARAMS = {"backend": "onnxruntime", "grounding.min_score": 0.0, "mission.min_confidence": 0.0,
              "clarify.score_margin": 0.0, "publish_annotated": False}
# --faults: (name, start, length) as fractions of the load phase; the navigator's watchdogs are on for them.
FAULTS = (("camera_drop", 0.15, 0.08), ("odometry_drop", 0.30, 0.08), ("bad_camera_info", 0.45, 0.08),
          ("odometry_wrong_frame", 0.60, 0.08), ("garbage_instructions", 0.75, 0.05))
FAULT_PARAMS = {"safety.camera_timeout_s": 1.0, "safety.odom_timeout_s": 1.0}
GARBAGE = ("a", "飞到红色的建筑", "\x1b[2J\x1b[H", "fly to the", "Лети к зданию", "🚁🏠🔥", "take me", "{\"state\": 1}")
HOLD_GRACE_S = 2.5   # a hold may start up to the watchdog timeout after the fault window and last until the
                     # next instruction: what falls outside [start, end + grace] is a false hold


def _percentile(values: list[float], q: float) -> Optional[float]:
    return round(float(np.percentile(values, q)), 1) if values else None


def _start_navigator(engine_dir: Path, extra: dict[str, Any], transports: str) -> subprocess.Popen:
    params = {**NAV_PARAMS, **{k: PREFIX + v for k, v in TOPICS.items()}, "engine_dir": str(engine_dir), **extra}
    args = [sys.executable, "-m", "geotext_ros.nodes.navigator", "--ros-args"]
    for name, value in params.items():
        args += ["-p", f"{name}:={json.dumps(value) if isinstance(value, bool) else value}"]
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    if transports:
        env[TRANSPORTS_ENV] = transports
    # The log goes to a file: an unread pipe fills after ~64 kB of log lines and then blocks the navigator.
    log = tempfile.NamedTemporaryFile("w+", prefix="soak_navigator_", suffix=".log", delete=False)
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
    log.close()
    proc.log_path = Path(log.name)   # type: ignore[attr-defined]
    return proc


class SoakDriver:
    """Publishes camera/odom/info/instructions from prebuilt messages; records targets and statuses."""

    def __init__(self, width: int, height: int, transports: str = "") -> None:
        import rclpy
        from geometry_msgs.msg import PolygonStamped
        from nav_msgs.msg import Odometry
        from rclpy.node import Node
        from sensor_msgs.msg import CameraInfo, Image
        from std_msgs.msg import String

        from geotext_ros.geometry import intrinsics_for
        from geotext_ros.nodes import conversions
        from geotext_ros.nodes.qos import camera_qos

        self.ctx = rclpy.Context()
        rclpy.init(context=self.ctx)
        saved = os.environ.get(TRANSPORTS_ENV)
        if transports:   # read when the participant is created: set it for this node only, then restore
            os.environ[TRANSPORTS_ENV] = transports
        try:
            self.node = Node("soak_driver", context=self.ctx)
        finally:
            if saved is None:
                os.environ.pop(TRANSPORTS_ENV, None)
            else:
                os.environ[TRANSPORTS_ENV] = saved
        t = {k: PREFIX + v for k, v in TOPICS.items()}
        n = self.node
        self.String = String
        self.pub_instruction = n.create_publisher(String, t["instruction_topic"], 10)
        self.pub_image = n.create_publisher(Image, t["camera_topic"], camera_qos())
        self.pub_info = n.create_publisher(CameraInfo, t["camera_info_topic"], camera_qos())
        self.pub_odom = n.create_publisher(Odometry, t["odom_topic"], 10)
        self.fault: Optional[str] = None                  # the fault now being injected (FAULTS), or None
        self.garbage_seqs: set[int] = set()
        self.bad_info = CameraInfo(width=width, height=height)
        self.bad_info.k = [0.0] * 9
        self.targets: list[tuple[float, float]] = []     # (receive wall time, frame stamp as wall time)
        self.statuses: list[dict] = []
        self.lock = threading.Lock()
        n.create_subscription(PolygonStamped, t["target_topic"], self._on_target, 50)
        n.create_subscription(String, t["status_topic"], self._on_status, 1000)
        rng = np.random.default_rng(0)
        self.frames = []
        for _ in range(3):   # a few distinct prebuilt frames: the driver must not be the bottleneck
            f = conversions.rgb_to_image_fields(rng.integers(0, 255, (height, width, 3), dtype=np.uint8))
            img = Image(height=height, width=width, encoding="rgb8", step=f["step"])
            img.data = f["data"]
            img.header.frame_id = "camera"
            self.frames.append(img)
        self.info = CameraInfo(width=width, height=height)
        self.info.k = intrinsics_for(width, height, 90.0).as_k()
        self.odom = Odometry()
        self.odom.header.frame_id = "map"
        self.odom.pose.pose.position.x, self.odom.pose.pose.position.z = 10.0, 30.0
        self.odom.pose.pose.orientation.w = 1.0
        self.frames_sent = 0
        self.executor = rclpy.executors.SingleThreadedExecutor(context=self.ctx)
        self.executor.add_node(n)
        self._thread = threading.Thread(target=self._spin, daemon=True)
        self._thread.start()

    def _spin(self) -> None:
        import rclpy
        try:
            self.executor.spin()
        except (rclpy.executors.ExternalShutdownException, rclpy._rclpy_pybind11.InvalidHandle):
            pass

    def _on_target(self, msg: Any) -> None:
        stamp = msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9
        with self.lock:
            self.targets.append((time.time(), stamp))

    def _on_status(self, msg: Any) -> None:
        status = json.loads(msg.data)
        status["_t"] = time.time()
        with self.lock:
            self.statuses.append(status)

    def send_frame(self) -> None:
        if self.fault == "camera_drop":
            return
        img = self.frames[self.frames_sent % len(self.frames)]
        now = time.time()
        img.header.stamp.sec, img.header.stamp.nanosec = int(now), int((now % 1) * 1e9)
        self.pub_info.publish(self.bad_info if self.fault == "bad_camera_info" else self.info)
        self.pub_image.publish(img)
        self.frames_sent += 1

    def send_odom(self) -> None:
        if self.fault == "odometry_drop":
            return
        self.odom.header.frame_id = "odom" if self.fault == "odometry_wrong_frame" else "map"
        t = time.time_ns()   # stamped now: the navigator rejects odometry older than safety.odom_timeout_s
        self.odom.header.stamp.sec, self.odom.header.stamp.nanosec = t // 1_000_000_000, t % 1_000_000_000
        self.pub_odom.publish(self.odom)

    def say(self, seq: int) -> None:
        if self.fault == "garbage_instructions":   # this sequence number is not sent: not "lost"
            self.garbage_seqs.add(seq)
            self.pub_instruction.publish(self.String(data=GARBAGE[seq % len(GARBAGE)]))
            return
        self.pub_instruction.publish(self.String(data=f"fly to the red building seq {seq}"))

    def wait_for_navigator(self, timeout: float) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self.lock:
                idle = any(s.get("state") == "IDLE" for s in self.statuses)
            if idle and self.pub_instruction.get_subscription_count() > 0 and self.pub_image.get_subscription_count():
                return True
            time.sleep(0.1)
        return False

    def drain(self, last_seq: int, timeout: float = 20.0) -> float:
        """Wait until the status of instruction `last_seq` has arrived (statuses still in flight to this busy
        process are late, not lost) or timeout; the seconds waited."""
        start, pattern = time.monotonic(), f" seq {last_seq}"
        while time.monotonic() - start < timeout:
            with self.lock:
                if any(str(s.get("instruction", "")).endswith(pattern) for s in self.statuses[-200:]):
                    break
            self.send_odom()
            time.sleep(0.1)
        return round(time.monotonic() - start, 1)

    def close(self) -> None:
        self.executor.shutdown(timeout_sec=2.0)
        self.node.destroy_node()
        import rclpy
        rclpy.try_shutdown(context=self.ctx)


def _drive(driver: SoakDriver, seconds: float, camera_hz: float, instruction_hz: float, first_seq: int,
           on_second: Optional[Any] = None, faults: Optional[list[tuple[str, float, float]]] = None) -> int:
    """Publish frames, odometry and instructions on one clock; returns the next sequence number. faults:
    (name, start wall time, end wall time) windows during which driver.fault is that name."""
    start = time.monotonic()
    next_frame = next_instruction = next_odom = next_second = start
    seq = first_seq
    while (now := time.monotonic()) - start < seconds:
        wall = time.time()
        driver.fault = next((name for name, a, b in faults or () if a <= wall < b), None)
        if now >= next_frame:
            driver.send_frame()
            next_frame = max(next_frame + 1.0 / camera_hz, now - 0.5 / camera_hz)   # no catch-up bursts
        if instruction_hz > 0 and now >= next_instruction:
            driver.say(seq)
            seq += 1
            next_instruction += 1.0 / instruction_hz
        if now >= next_odom:
            driver.send_odom()
            next_odom += 0.05
        if on_second is not None and now >= next_second:
            on_second()
            next_second += 1.0
        time.sleep(max(0.0, min(next_frame, next_odom, next_instruction if instruction_hz > 0 else next_frame)
                       - time.monotonic()))
    return seq


def _order(statuses: list[dict], first_seq: int, last_seq: int,
           skipped: frozenset[int] = frozenset()) -> dict[str, Any]:
    """Sequence numbers of the `instruction` field in arrival order: lost and out-of-order counts."""
    seen: list[int] = []
    for s in statuses:
        m = SEQ.search(str(s.get("instruction") or ""))
        if m and (not seen or seen[-1] != int(m.group(1))):
            seen.append(int(m.group(1)))
    expected = set(range(first_seq, last_seq)) - set(skipped)
    backwards = sum(1 for a, b in zip(seen, seen[1:]) if b < a)
    return {"sent": len(expected), "seen": len(expected & set(seen)), "last_seen": seen[-1] if seen else None, "lost": sorted(expected - set(seen))[:20],
            "n_lost": len(expected - set(seen)), "out_of_order": backwards}


_INPUT_HOLD = ("hold: no camera", "hold: no odometry", "hold: camera unusable")


def fault_report(statuses: list[dict], windows: list[tuple[str, float, float]], min_confidence: float) -> dict:
    """False holds, holds in fault windows, waypoints without a grounded target, self-contradicting statuses."""
    false_holds, in_window, ungrounded, contradictions = 0, {name: 0 for name, _, _ in windows}, 0, []
    previous_hold = False
    for s in statuses:
        state, reason, t = s.get("state"), str(s.get("reason") or ""), s["_t"]
        input_hold = state == "HOLD" and reason.startswith(_INPUT_HOLD)
        if input_hold and not previous_hold:   # count hold episodes, not their statuses
            # the latest window that began before the hold: a grace period may reach into the next window
            window = next((name for name, a, b in reversed(windows) if a <= t <= b + HOLD_GRACE_S), None)
            if window is None:
                false_holds += 1
            else:
                in_window[window] += 1
        previous_hold = input_hold
        grounded = s.get("box") is not None and s.get("score") is not None and s["score"] >= min_confidence
        if state in ("APPROACH", "ARRIVED") and not grounded:
            contradictions.append(f"{state} with box {s.get('box')} score {s.get('score')}")
            if s.get("waypoint") is not None:
                ungrounded += 1
        if state == "HOLD" and not reason:
            contradictions.append("HOLD without a reason")
        if state in ("APPROACH", "ARRIVED") and (s.get("inputs") or {}).get("camera_unusable"):
            contradictions.append(f"{state} while the camera is unusable")
    last_inputs = next((s["inputs"] for s in reversed(statuses) if s.get("inputs")), {})
    return {"schedule": [{"fault": n, "seconds": round(b - a, 1)} for n, a, b in windows],
            "false_holds": false_holds, "holds_in_fault_windows": in_window, "waypoints_ungrounded": ungrounded,
            "contradictions": len(contradictions), "contradiction_examples": contradictions[:5],
            "rejections": {k: v.get("rejected") for k, v in last_inputs.items() if isinstance(v, dict)},
            "states": sorted({str(s.get("state")) for s in statuses})}


def run_soak(engine_dir: Path, seconds: float = 60.0, camera_hz: float = 30.0, instruction_hz: float = 10.0,
             width: int = 1920, height: int = 1080, idle_seconds: float = 6.0, idle_camera_hz: float = 2.0,
             startup_timeout: float = 60.0, nav_params: Optional[dict[str, Any]] = None,
             transports: str = "LARGE_DATA", faults: bool = False) -> dict[str, Any]:
    """Run the idle then the load phase against a navigator process; the report (see module docstring)."""
    import psutil

    nav_params = {**(FAULT_PARAMS if faults else {}), **(nav_params or {})}
    proc = _start_navigator(engine_dir, nav_params, transports)
    driver = SoakDriver(width, height, transports)
    try:
        if not driver.wait_for_navigator(startup_timeout):
            proc.terminate()
            raise RuntimeError(f"navigator did not come up; its log: {_log_tail(proc)}")
        nav = psutil.Process(proc.pid)
        # idle: one instruction, slow frames
        n_idle = len(driver.statuses)
        seq = _drive(driver, idle_seconds, idle_camera_hz, 1.0 / max(idle_seconds, 1.0), first_seq=0)
        idle_statuses = driver.statuses[n_idle:]
        idle_targets = list(driver.targets)
        # load
        n_status, n_target, frames0, first_seq = len(driver.statuses), len(driver.targets), driver.frames_sent, seq
        rss: list[float] = []
        t0 = time.time()
        windows = [(name, t0 + a * seconds, t0 + (a + n) * seconds) for name, a, n in FAULTS] if faults else []
        last_seq = _drive(driver, seconds, camera_hz, instruction_hz, first_seq,
                          on_second=lambda: rss.append(nav.memory_info().rss / 2**20), faults=windows)
        elapsed = time.time() - t0
        drain_s = driver.drain(last_seq - 1)   # statuses still in flight to this (busy) process are not lost ones
        load_statuses = driver.statuses[n_status:]
        load_targets = driver.targets[n_target:]
        alive = proc.poll() is None
        cpu = round(sum(nav.cpu_times()[:2]), 1) if alive else None
    finally:
        driver.close()
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        proc.log_path.unlink(missing_ok=True)
    ages = [(r - s) * 1000.0 for r, s in load_targets]
    idle_ages = [(r - s) * 1000.0 for r, s in idle_targets]
    third = max(len(ages) // 3, 1)
    idle_lat = _latencies(idle_statuses)
    load_lat = _latencies(load_statuses)
    rss_part = max(len(rss) // 6, 1)   # start / end: the mean of the first and the last sixth of the samples
    frames_sent = driver.frames_sent - frames0
    params = {**load_node_params("navigator"), **NAV_PARAMS, **nav_params}
    min_confidence = float(params["mission.min_confidence"])
    return {
        **({"faults": fault_report(load_statuses, windows, min_confidence)} if faults else {}),
        "seconds": seconds, "dds_transports": transports or "default", "camera_hz": camera_hz, "instruction_hz": instruction_hz, "frame": f"{width}x{height}",
        "navigator_alive": alive, "process_rate_hz": float(params["process_rate_hz"]),
        "frames": {"published": frames_sent, "published_hz": round(frames_sent / elapsed, 1),
                   "grounded_hz": _rate(load_statuses, "frames_grounded", elapsed),
                   "grounded_hz_while_grounding": _rate(load_statuses, "frames_grounded", _grounding_seconds(
                       load_statuses, bool(params["mission.hold_tracking"]))),
                   "processed": len(load_targets), "processed_hz": round(len(load_targets) / elapsed, 1)},
        "states": dict(Counter(str(s.get("state")) for s in load_statuses).most_common()),
        "reasons": dict(Counter(str(s.get("reason"))[:120] for s in load_statuses).most_common(3)),
        "statuses_with_box": sum(s.get("box") is not None for s in load_statuses),
        "frame_age_ms": {"p50": _percentile(ages, 50), "p95": _percentile(ages, 95),
                         "max": round(max(ages), 1) if ages else None,
                         "first_third_p50": _percentile(ages[:third], 50),
                         "last_third_p50": _percentile(ages[-third:], 50),
                         "idle_p50": _percentile(idle_ages, 50), "idle_p95": _percentile(idle_ages, 95),
                         "ratio_p95": round(_percentile(ages, 95) / _percentile(idle_ages, 95), 2)
                         if ages and idle_ages else None},
        "rss_mb": {"start": round(float(np.mean(rss[:rss_part])), 1) if rss else None,
                   "middle": round(float(rss[len(rss) // 2]), 1) if rss else None,
                   "end": round(float(np.mean(rss[-rss_part:])), 1) if rss else None,
                   "max": round(max(rss), 1) if rss else None},
        "instructions": _order(load_statuses, first_seq, last_seq, frozenset(driver.garbage_seqs)),
        "statuses_per_s": round(len(load_statuses) / elapsed, 1), "status_drain_s": drain_s,
        "navigator_cpu_s": cpu,
        "latency_ms": {"idle_p50": _percentile(idle_lat, 50), "idle_p95": _percentile(idle_lat, 95),
                       "load_p50": _percentile(load_lat, 50), "load_p95": _percentile(load_lat, 95),
                       "ratio_p95": round(_percentile(load_lat, 95) / _percentile(idle_lat, 95), 2)
                       if idle_lat and load_lat else None},
    }


def _log_tail(proc: subprocess.Popen) -> str:
    path = getattr(proc, "log_path", None)
    return path.read_text()[-2000:] if path is not None and path.is_file() else "(no log)"


def _rate(statuses: list[dict], counter: str, seconds: float) -> float | None:
    """Per second, of a counter the statuses carry (first to last value seen)."""
    values = [s[counter] for s in statuses if isinstance(s.get(counter), int)]
    return round((values[-1] - values[0]) / seconds, 2) if len(values) >= 2 and seconds > 0 else None


def _grounding_seconds(statuses: list[dict], hold_tracking: bool) -> float:
    """Seconds the mission spent in a state that grounds frames (nav/mission.py grounds_in), from the statuses'
    arrival times: a state change is published when it happens, so each interval belongs to the earlier status's
    state."""
    states = {s.value for s in State if grounds_in(s, hold_tracking)}
    return sum(b["_t"] - a["_t"] for a, b in zip(statuses, statuses[1:]) if a.get("state") in states)


def _latencies(statuses: list[dict]) -> list[float]:
    # latency_ms stays in the status until the next frame is processed: count each processed frame once
    out, last = [], None
    for s in statuses:
        value = s.get("latency_ms")
        key = (value, str(s.get("box")))
        if value is not None and key != last:
            out.append(float(value))
        last = key
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--camera-hz", type=float, default=30.0)
    p.add_argument("--instruction-hz", type=float, default=10.0)
    p.add_argument("--width", type=int, default=1920)
    p.add_argument("--height", type=int, default=1080)
    p.add_argument("--idle-seconds", type=float, default=6.0)
    p.add_argument("--faults", action="store_true", help="inject the FAULTS schedule during the load phase")
    p.add_argument("--transports", default="LARGE_DATA",
                   help=f"{TRANSPORTS_ENV} for both processes ('' = the RMW default: UDP, drops big frames)")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="a navigator parameter of config/nav.yaml for this run (repeatable)")
    p.add_argument("--engine-dir", default="", help="exported engine (default: an untrained tiny model, exported "
                                                     "to a temporary directory)")
    args = p.parse_args(argv)
    try:
        overrides = dict(parse_override(text, load_node_params("navigator")) for text in args.param)
    except ValueError as e:
        p.error(str(e))
    with tempfile.TemporaryDirectory() as tmp:
        engine = Path(args.engine_dir) if args.engine_dir else _tiny_engine(Path(tmp) / "engine")
        report = run_soak(engine, args.seconds, args.camera_hz, args.instruction_hz, args.width, args.height,
                          args.idle_seconds, nav_params=overrides, transports=args.transports, faults=args.faults)
    print(json.dumps(report, indent=2))
    return 0 if report["navigator_alive"] else 1


def _tiny_engine(out: Path) -> Path:
    from training.export import export_random_model
    export_random_model(out, "tiny", seed=0, allow_trt_issues=True)
    return out


if __name__ == "__main__":
    sys.exit(main())
