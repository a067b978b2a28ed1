"""navigator: the lifecycle node that turns an instruction + camera frames into a target box and a waypoint.

Topics (design.md section 5): /instruction, /camera/image_raw (sensor QoS, depth 1), /camera/camera_info, /odom
in; /geotext/target, /geotext/waypoint, /geotext/status, /geotext/annotated out.

Lifecycle: configure creates the ROS interfaces; activate loads the engine and the gallery (a missing or
incompatible engine fails the transition with the reason logged and published on /geotext/status); deactivate
stops acting; cleanup releases the engine. With `autostart` (default) the node configures and activates itself.

Threading: subscriptions only store the newest message. The processing timer only kicks the grounding thread
(nodes/worker.py), so the node's SingleThreadedExecutor keeps serving instructions and odometry while a frame is
being grounded, and each run takes the newest frame (older ones are dropped, never queued). Camera frames are
taken serialized (`raw=True`): the callback reads the header fields from the CDR bytes to validate and time-stamp
the frame on arrival (~0.5 ms for a 1920x1080 rgb8 frame, short enough for the executor's one thread), and
only the frame the timer processes is converted, read in place from those bytes (rclpy used to deserialize every
one of the 30 frames of 6 MB per second on the executor, ~10 ms each). Bad
input never kills the node: the reason is logged and published as a status, and the node keeps running.
"""
from __future__ import annotations

import json
import math
import re
import sys
import threading
import time
from collections import deque
from typing import Any, Optional

import rclpy
from builtin_interfaces.msg import Time
from geometry_msgs.msg import Point32, PolygonStamped, PoseStamped
from nav_msgs.msg import Odometry, Path
from rclpy.lifecycle import LifecycleNode, LifecycleState, TransitionCallbackReturn
from rclpy.serialization import deserialize_message
from sensor_msgs.msg import CameraInfo, Image
from std_msgs.msg import Header, String
from visualization_msgs.msg import MarkerArray

from geotext_ros.geometry import Intrinsics, quaternion_from_yaw, yaw_from_quaternion
from geotext_ros.nav.inputs import InputConfig, InputMonitor, Problem
from geotext_ros.nav.pipeline import NavPipeline, PipelineError
from geotext_ros.nodes import conversions, markers
from geotext_ros.nodes.annotate import annotate
from geotext_ros.nodes.log_adapter import NodeLogAdapter
from geotext_ros.nodes.params import declare_parameters
from geotext_ros.nodes.qos import (CAMERA_OVERRIDES, DEPTH_OVERRIDE, ODOM_OVERRIDES, camera_qos, display_qos,
                                   odom_qos, reliable_qos, status_qos)
from geotext_ros.param_file import share_dir
from geotext_ros.nodes.spin import spin_until_shutdown
from geotext_ros.nodes.worker import LatestWork

NODE_NAME = "navigator"

TRAJECTORY_POINTS, TRAJECTORY_SPACING_M = 2000, 0.5   # the /geotext/path kept for RViz / Foxglove
_NUMBERS = re.compile(r"[-+]?\d[\d.e+-]*")   # numbers in an error text: a changed number is not a new status


class Navigator(LifecycleNode):
    """Instruction + camera + odometry -> target box, waypoint, status."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(NODE_NAME, **kwargs)
        self.params = declare_parameters(self, NODE_NAME)
        self._lock = threading.Lock()
        # newest frame: serialized bytes (or the message, for a non-CDR encoding), its header, its arrival (node
        # clock, monotonic)
        self._frame: Optional[tuple[Any, conversions.ImageHeader, float, float]] = None
        self._info: Optional[CameraInfo] = None
        self._odom: Optional[tuple[Odometry, float]] = None
        self._last_frame_time: Optional[float] = None
        self._last_header: Optional[conversions.ImageHeader] = None   # of the last grounded frame
        self._newest_header: Optional[conversions.ImageHeader] = None   # of the newest frame received
        self._shown_question: Optional[tuple[Any, str]] = None         # (generation, question) last drawn
        self._active = False
        self.pipeline: Optional[NavPipeline] = None
        self.status: dict[str, Any] = {"state": "UNCONFIGURED", "instruction": "", "phrase": "", "relation": None,
                                       "score": None, "box": None, "place": None, "waypoint": None,
                                       "latency_ms": None}
        self.frames_processed = 0
        self._entities: list[Any] = []
        self._grounding: Optional[LatestWork] = None   # runs on_process off the executor (configure to cleanup)
        self._trajectory: deque[tuple[float, float, float]] = deque(maxlen=TRAJECTORY_POINTS)
        self._grounding_points: Optional[tuple[list, Optional[int], list]] = None   # markers of the last frame
        self._sent_waypoint: Optional[tuple[float, float, float, float]] = None
        self.inputs = InputMonitor()       # replaced in configure with the parameters' InputConfig
        self._published_key: Any = None    # (state, generation, instruction, error) of the last status sent
        self._published_error: Optional[str] = None   # the last error sent (numbers masked)
        self._error_at = 0.0               # when the status's error was set (monotonic)
        # Status goes out from the start, so a failed activation is visible on the topic (QoS: nodes/qos.py).
        self.status_pub = self.create_publisher(String, self.params["status_topic"], status_qos(),
                                                qos_overriding_options=DEPTH_OVERRIDE)
        if self.params["autostart"]:
            self._autostart_timer = self.create_timer(0.05, self._autostart)

    # -- lifecycle --------------------------------------------------------------------------------------------
    def _autostart(self) -> None:
        self.destroy_timer(self._autostart_timer)
        if self.trigger_configure() == TransitionCallbackReturn.SUCCESS:
            self.trigger_activate()

    def on_configure(self, state: LifecycleState) -> TransitionCallbackReturn:
        p = self.params
        try:
            rate = float(p["process_rate_hz"])
            if not rate > 0:
                raise ValueError(f"process_rate_hz must be > 0, got {rate}")
            self.inputs = InputMonitor(InputConfig.from_params(p))
            self._create_interfaces(p, rate)
        except Exception as e:
            return self._fail(f"configure failed: {e}")
        self._set_status(state="INACTIVE")
        return TransitionCallbackReturn.SUCCESS

    def _create_interfaces(self, p: dict[str, Any], rate: float) -> None:
        self._grounding = LatestWork("navigator-grounding", self.on_process, self.get_logger())
        make_pub, make_sub = self.create_publisher, self.create_subscription
        self.target_pub = make_pub(PolygonStamped, p["target_topic"], reliable_qos())
        self.waypoint_pub = make_pub(PoseStamped, p["waypoint_topic"], reliable_qos())
        self.annotated_pub = make_pub(Image, p["annotated_topic"], display_qos())
        self.markers_pub = make_pub(MarkerArray, p["markers_topic"], reliable_qos())
        self.path_pub = make_pub(Path, p["path_topic"], reliable_qos())
        self._entities = [
            self.target_pub, self.waypoint_pub, self.annotated_pub, self.markers_pub, self.path_pub,
            self.create_timer(1.0 / max(float(p["markers_rate_hz"]), 1e-3), self.publish_markers),
            make_sub(String, p["instruction_topic"], self.on_instruction, reliable_qos()),
            make_sub(Image, p["camera_topic"], self.on_image, camera_qos(), qos_overriding_options=CAMERA_OVERRIDES,
                     raw=True),
            make_sub(CameraInfo, p["camera_info_topic"], self.on_camera_info, camera_qos(),
                     qos_overriding_options=CAMERA_OVERRIDES),
            make_sub(Odometry, p["odom_topic"], self.on_odom, odom_qos(), qos_overriding_options=ODOM_OVERRIDES),
            self.create_timer(1.0 / rate, self._grounding.kick),
            self.create_timer(1.0 / max(float(p["status_rate_hz"]), 1e-3), self.publish_status),
        ]

    def on_activate(self, state: LifecycleState) -> TransitionCallbackReturn:
        engine_dir = self.params["engine_dir"] or str(share_dir() / "engines" / "default")
        try:
            self.pipeline = NavPipeline.load(engine_dir, self.params, logger=NodeLogAdapter(self.get_logger()))
        except Exception as e:   # missing files, wrong manifest, incompatible graphs: all refuse activation
            return self._fail(f"cannot load engine {engine_dir!r} / gallery {self.params['gallery']!r}: {e}. "
                              "Pass engine_dir:=<exported engine> (geotext-export) and gallery:=<gallery.json>")
        self._active = True
        with self._lock:   # a new pipeline counts instructions from 0 again
            self.status.pop("generation", None)
        self._set_status(state="IDLE")
        self.get_logger().info(f"active: engine {engine_dir} ({self.pipeline.describe()})")
        return TransitionCallbackReturn.SUCCESS

    def on_deactivate(self, state: LifecycleState) -> TransitionCallbackReturn:
        self._active = False
        self._set_status(state="INACTIVE")
        return TransitionCallbackReturn.SUCCESS

    def on_cleanup(self, state: LifecycleState) -> TransitionCallbackReturn:
        self._release()
        self._set_status(state="UNCONFIGURED")
        return TransitionCallbackReturn.SUCCESS

    def on_shutdown(self, state: LifecycleState) -> TransitionCallbackReturn:
        self._release()
        return TransitionCallbackReturn.SUCCESS

    def on_error(self, state: LifecycleState) -> TransitionCallbackReturn:
        self._release()
        return TransitionCallbackReturn.SUCCESS

    def _release(self) -> None:
        self._active = False
        for entity in self._entities:
            if hasattr(entity, "cancel"):
                entity.cancel()
                self.destroy_timer(entity)
            elif hasattr(entity, "topic_name") and hasattr(entity, "publish"):
                self.destroy_publisher(entity)
            else:
                self.destroy_subscription(entity)
        self._entities = []
        if self._grounding is not None:   # after the timer that kicks it; a frame in progress finishes first
            self._grounding.stop()
            self._grounding = None
        if self.pipeline is not None:
            self.pipeline.close()
            self.pipeline = None

    def destroy_node(self) -> None:
        if self._grounding is not None:   # no run may start against a destroyed node
            self._grounding.stop()
        super().destroy_node()

    def _fail(self, reason: str) -> TransitionCallbackReturn:
        self.get_logger().error(reason)
        self._set_status(state="ERROR", error=reason)
        return TransitionCallbackReturn.FAILURE

    # -- inputs: store the newest only ------------------------------------------------------------------------
    def on_instruction(self, msg: String) -> None:
        if not self._active or self.pipeline is None:
            self._set_status(error=f"instruction {msg.data[:80]!r} ignored: navigator not active "
                                   f"({self.status['state']})")
            return
        try:
            update = self.pipeline.set_instruction(msg.data, self._now(), self._pose())
        except Exception as e:   # the parser never raises on str, but a pipeline bug must not kill the node
            self.get_logger().error(f"instruction {msg.data[:80]!r} failed: {e}")
            self._set_status(error=f"instruction failed: {e}")
            return
        self._grounding_points = None   # the last frame's candidates answered the previous instruction
        self.get_logger().info(f"instruction {msg.data[:120]!r} -> {update.get('state')}: {update.get('reason')}")
        if str(update.get("reason")).startswith("empty instruction"):
            self.inputs.instruction(time.monotonic(), Problem("instruction", "empty", update["reason"]))
        elif update.get("state") == "NOT_UNDERSTOOD":
            self.inputs.instruction(time.monotonic(), Problem("instruction", "not_understood", update["reason"]))
        else:
            self.inputs.instruction(time.monotonic())
        # always sent: a processing tick on the other thread may already have published this instruction's state,
        # and the answer's own reason (e.g. "instruction truncated ...") must still reach the operator
        self._set_status(force=True, **update)
        self._tick()

    def on_image(self, raw: bytes) -> None:
        # Arrival time first: staleness counts from when the frame came, not from when it is processed.
        now, arrived_wall = self._now(), time.monotonic()
        header, data = conversions.image_header_from_cdr(raw), raw
        if header is None:   # not little-endian CDR (another RMW's encoding): let rclpy read this one
            msg = deserialize_message(raw, Image)
            header = conversions.ImageHeader(msg.header.stamp.sec, msg.header.stamp.nanosec, msg.header.frame_id,
                                             msg.height, msg.width, msg.encoding, msg.step, len(msg.data), -1)
            data = msg.data
        problem = self.inputs.check_image(header.height, header.width, header.encoding, header.step,
                                          header.n_bytes, conversions.CHANNELS.get(header.encoding), arrived_wall)
        if problem is not None:   # never stored: an unusable frame is no frame (the camera watchdog sees that)
            self._reject(problem, prefix="frame skipped: ")
            return
        with self._lock:
            self._frame = (data, header, now, arrived_wall)
            self._last_frame_time, self._newest_header = now, header

    def on_camera_info(self, msg: CameraInfo) -> None:
        problem = self.inputs.check_camera_info(msg.k, msg.width, msg.height, time.monotonic())
        if problem is not None:
            self._reject(problem)
        with self._lock:
            self._info = msg if problem is None else None

    def on_odom(self, msg: Odometry) -> None:
        p, q = msg.pose.pose.position, msg.pose.pose.orientation
        stamp = msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9
        now_s = self.get_clock().now().nanoseconds * 1e-9
        # Dropped, not stored: a pose in another frame, not a rotation, out of order or old would poison target
        # votes and ground points. The last good pose ages out through the odometry watchdog, which then holds.
        problem = self.inputs.check_odometry(msg.header.frame_id, stamp, now_s, (p.x, p.y, p.z),
                                             (q.x, q.y, q.z, q.w), time.monotonic())
        if problem is not None:
            self._reject(problem, prefix="odometry dropped: ")
            return
        with self._lock:
            self._odom = (msg, self._now())
            last = self._trajectory[-1] if self._trajectory else None
            if last is None or math.dist((p.x, p.y, p.z), last) >= TRAJECTORY_SPACING_M:
                self._trajectory.append((p.x, p.y, p.z))

    def _reject(self, problem: Problem, prefix: str = "") -> None:
        """Report a rejected message: in the status now, in the log at most once per log_interval_s per reason."""
        if self.inputs.should_log(problem, time.monotonic()):
            self.get_logger().warning(f"{prefix}{problem.message}")
        self._set_status(error=f"{prefix}{problem.message}")

    # -- processing -------------------------------------------------------------------------------------------
    def on_process(self) -> None:
        if not self._active or self.pipeline is None:
            return
        with self._lock:
            frame, self._frame = self._frame, None
            info = self._info
        if frame is not None and self.pipeline.needs_grounding:
            self._process_frame(frame, info)
        self._tick()

    def _tick(self) -> None:
        """Advance the mission; publish the safety-checked waypoint and the status."""
        if self.pipeline is None:
            return
        with self._lock:
            cam_t = self._last_frame_time
            odom_t = self._odom[1] if self._odom is not None else None
        camera_problem = self.inputs.camera_problem
        waypoint, status = self.pipeline.tick(self._pose(), self._now(), cam_t, odom_t,
                                              camera_problem.message if camera_problem is not None else None)
        self._publish_waypoint(waypoint)
        status["inputs"] = self.inputs.status(time.monotonic())
        # The status carries what was actually sent (after the safety envelope), not the mission's request.
        status["waypoint"] = [round(float(v), 3) for v in waypoint] if waypoint is not None else None
        status.setdefault("safety", [])   # always set: a violation that has ended must leave the status too
        self._set_status(**status)
        self._show_question(status)

    def _process_frame(self, frame: tuple[Any, conversions.ImageHeader, float, float],
                       info: Optional[CameraInfo]) -> None:
        data, header, arrived, arrived_wall = frame
        if self._now() - arrived > float(self.params["max_image_age_s"]):
            return
        try:
            if self.inputs.camera_problem is not None:
                raise ValueError(f"camera unusable: {self.inputs.camera_problem.message}")
            if info is None:
                raise ValueError(f"no camera info yet on {self.params['camera_info_topic']}")
            # only this frame (the newest) is converted, shrunk to process_max_width first; K follows the shrink
            pixels = header.pixels(data) if header.data_offset >= 0 else data
            rgb = conversions.image_to_rgb(header.height, header.width, header.encoding, header.step, pixels,
                                           int(self.params["process_max_width"]))
            k = Intrinsics.from_k(info.k, info.width, info.height)
            k = conversions.scale_intrinsics(k, rgb.shape[1], rgb.shape[0])
            pose = self._pose()
            if pose is None:
                raise ValueError(f"no odometry yet on {self.params['odom_topic']}")
            result, status = self.pipeline.process_frame(rgb, k, pose, self._now())
        except (ValueError, PipelineError) as e:
            self.get_logger().warning(f"frame skipped: {e}", throttle_duration_sec=2.0)
            self._set_status(error=f"frame skipped: {e}")
            return
        except Exception as e:   # a model/runtime failure on one frame: report and keep serving
            self.get_logger().error(f"frame processing failed: {type(e).__name__}: {e}", throttle_duration_sec=2.0)
            self._set_status(error=f"frame processing failed: {type(e).__name__}: {e}")
            return
        self.frames_processed += 1
        latency_ms = (time.monotonic() - arrived_wall) * 1000.0   # processing time: wall clock, also in sim time
        self._set_status(frames_grounded=self.frames_processed)    # the grounding rate, seen from outside
        if result is None and self.pipeline.preempted:
            # A new instruction came during the grounding: ground this frame (or a newer one) again for it at once,
            # not a period later. Instructions at the processing rate had every grounding preempted in some runs
            # (the two periods phase-locked) and no box ever went out.
            with self._lock:
                if self._frame is None:
                    self._frame = frame
            self._grounding.kick()
            return
        if result is None:
            return
        self._grounding_points = markers.grounding_points(result, k, pose, (header.width, header.height))
        self._last_header = header
        if result.box is not None:
            self._publish_target(header, result, rgb, status.get("candidates"))
        status.pop("waypoint", None)
        self._set_status(latency_ms=round(latency_ms, 1), **status)

    # -- outputs ----------------------------------------------------------------------------------------------
    def _publish_target(self, header: conversions.ImageHeader, result: Any, rgb: Any, question: Any = None) -> None:
        box = result.box
        poly = PolygonStamped()
        # the source image's stamp and frame: consumers match box to frame
        poly.header = Header(stamp=Time(sec=header.stamp_sec, nanosec=header.stamp_nanosec), frame_id=header.frame_id)
        poly.polygon.points = [Point32(x=float(u), y=float(v), z=0.0)
                               for u, v in conversions.box_corners_px(box, header.width, header.height)]
        self.target_pub.publish(poly)
        if self.params["publish_annotated"]:
            self._publish_annotated(annotate(rgb, result, question), poly.header)

    def _publish_annotated(self, rgb: Any, header: Header) -> None:
        fields = conversions.rgb_to_image_fields(rgb)
        img = Image(height=fields["height"], width=fields["width"], encoding="rgb8", step=fields["step"])
        img.data = fields["data"]
        img.header = header
        self.annotated_pub.publish(img)

    def _show_question(self, status: dict[str, Any]) -> None:
        """The numbered image of a new question, once: also when its frame had no target box (the relation's
        anchor missing) or it was asked between frames (LOCALIZE timed out with only unconfident candidates); for a
        question about gallery places, their pictures side by side (nav/place_question.py)."""
        key = (status.get("generation"), status.get("question"))
        if not status.get("candidates") or not self.params["publish_annotated"] or key == self._shown_question:
            return
        rgb = self.pipeline.question_rgb if self.pipeline is not None else None
        # a question about gallery places can come before any frame was grounded: the newest frame's stamp then
        header = self._last_header or self._newest_header
        if rgb is None or header is None:
            return
        self._shown_question = key
        self._publish_annotated(annotate(rgb, None, status["candidates"]),
                                Header(stamp=Time(sec=header.stamp_sec, nanosec=header.stamp_nanosec),
                                       frame_id=header.frame_id))

    def _publish_waypoint(self, waypoint: Optional[tuple[float, float, float, float]]) -> None:
        if waypoint is None:
            return
        self._sent_waypoint = tuple(float(v) for v in waypoint)
        x, y, z, yaw = waypoint
        pose = PoseStamped()
        pose.header.stamp = self.get_clock().now().to_msg()
        pose.header.frame_id = self.params["map_frame"]
        pose.pose.position.x, pose.pose.position.y, pose.pose.position.z = float(x), float(y), float(z)
        q = quaternion_from_yaw(yaw)
        o = pose.pose.orientation
        o.x, o.y, o.z, o.w = q
        self.waypoint_pub.publish(pose)

    def publish_markers(self) -> None:
        """Target, candidates, anchors, waypoint, geofence, gallery places and the trajectory for RViz / Foxglove."""
        pipeline = self.pipeline
        if pipeline is None:
            return
        stamp, frame = self.get_clock().now().to_msg(), self.params["map_frame"]
        with self._lock:
            trajectory = list(self._trajectory)
        scene = markers.scene_from(pipeline.mission.target, self._sent_waypoint, pipeline.safety.config,
                                   pipeline.gallery, self._grounding_points)
        self.markers_pub.publish(markers.build_markers(scene, frame, stamp))
        self.path_pub.publish(markers.build_path(trajectory, frame, stamp))

    def _set_status(self, force: bool = False, **fields: Any) -> None:
        """Merge `fields` into the status; publish when that is news (or `force`: an instruction's own answer)."""
        with self._lock:
            generation = fields.get("generation")
            if generation is not None and generation < self.status.get("generation", -1):
                # made (on another executor thread) for an older instruction after the newer one's status went
                # out: publishing it would show the old instruction again, so the stream stays in order
                return
            state_before, now = self.status.get("state"), time.monotonic()
            self.status.update(fields)
            if "error" in fields:
                self._error_at = now
            elif fields.get("state") not in (None, "ERROR") and (
                    fields["state"] != state_before
                    or now - self._error_at >= 1.0 / max(float(self.params["status_rate_hz"]), 1e-3)):
                # a tick in the same state clears an error only once it is a status period old, so every error
                # reaches at least one status even when it is not news (below)
                self.status.pop("error", None)
            key, sent = self._status_key(), self._published_key
            # An error is news when it differs from the last error sent; its end, or the same error again, goes
            # out with the next rate tick. (Every tick used to clear the error and the next rejected message set
            # it again: two statuses per rejection, 7.9/s in the fault soak at status_rate_hz 1.)
            changed = (sent is None or key[:3] != sent[:3]
                       or (key[3] is not None and key[3] != self._published_error))
        # One message per change of state, instruction or new error; everything else goes out with the next
        # status_rate_hz tick (publishing every update gave ~11 Hz with duplicates).
        if changed or force:
            self.publish_status()

    def _status_key(self) -> Any:
        # An error whose numbers change (an odometry stamp's age at 20 Hz) is the same error: not a new message.
        s = self.status
        error = _NUMBERS.sub("#", s["error"]) if s.get("error") else None
        return s.get("state"), s.get("generation"), s.get("instruction"), error

    def publish_status(self) -> None:
        # Serialize and publish under the lock: statuses leave in the order they were made (never a stale last).
        with self._lock:
            self._published_key = self._status_key()
            if self._published_key[3] is not None:
                self._published_error = self._published_key[3]
            self.status_pub.publish(String(data=json.dumps(self.status, default=_json_default)))

    # -- state snapshots --------------------------------------------------------------------------------------
    def _now(self) -> float:
        """Seconds on the node clock: every mission, watchdog and frame-age time, so use_sim_time reaches them."""
        return self.get_clock().now().nanoseconds * 1e-9

    def _pose(self) -> Optional[tuple[float, float, float, float]]:
        with self._lock:
            odom = self._odom
        if odom is None:
            return None
        p, q = odom[0].pose.pose.position, odom[0].pose.pose.orientation
        return p.x, p.y, p.z, yaw_from_quaternion(q.x, q.y, q.z, q.w)


def _json_default(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return str(value)


def create_node(**kwargs: Any) -> Navigator:
    return Navigator(**kwargs)


def main(argv: Optional[list[str]] = None) -> int:
    rclpy.init(args=argv if argv is not None else sys.argv)
    return spin_until_shutdown(Navigator())


if __name__ == "__main__":
    sys.exit(main())
