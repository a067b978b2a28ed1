"""Input validation for the navigator (ROS-free): every odometry, camera info, image and instruction message is
checked before it is used; rejections are counted by reason, the last good time of each input is kept, and the
`inputs` block of the status shows both.

    monitor = InputMonitor(InputConfig.from_params(params))
    problem = monitor.check_odometry(frame_id, stamp_s, now_s, position, quaternion, arrival)
    if problem is None: use it
    elif monitor.should_log(problem.code, arrival): log.warning(problem.message)   # rate-limited per reason
    status["inputs"] = monitor.status(now)

Times: `stamp_s` / `now_s` are the message stamp and the node's clock (ROS time, seconds); `arrival` / `now` are
the monotonic clock the watchdogs use. Staleness is always measured from arrival.
"""
from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import Any, Mapping, NamedTuple, Optional, Sequence

INPUTS = ("odom", "camera", "camera_info", "instruction")


@dataclass(frozen=True)
class InputConfig:
    """What the navigator accepts. max_odom_age_s is the odometry staleness limit (safety.odom_timeout_s; 0 = the
    stamp's age is not checked, only its order)."""

    map_frame: str = "map"              # odometry must be in this frame (the navigator's map_frame parameter)
    quaternion_tolerance: float = 0.05  # |norm(q) - 1| above this rejects the odometry
    max_odom_age_s: float = 1.0         # stamp older than this (vs. the node clock) rejects the odometry
    log_interval_s: float = 2.0         # one log line per input and reason at most this often

    def __post_init__(self) -> None:
        if not self.map_frame:
            raise ValueError("map_frame must name the map frame (e.g. 'map'), got an empty string")
        for name in ("quaternion_tolerance", "max_odom_age_s", "log_interval_s"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"inputs: {name} must be a finite number >= 0, got {value}")

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> "InputConfig":
        """From the navigator's parameters: map_frame, inputs.*, and safety.odom_timeout_s as the age limit."""
        values: dict[str, Any] = {}
        if "map_frame" in params:
            values["map_frame"] = str(params["map_frame"])
        if "safety.odom_timeout_s" in params:
            values["max_odom_age_s"] = float(params["safety.odom_timeout_s"])
        known = {"quaternion_tolerance", "log_interval_s"}
        for key, value in params.items():
            if key.startswith("inputs."):
                name = key[len("inputs."):]
                if name not in known:
                    raise ValueError(f"unknown parameter {key!r}; known: {sorted('inputs.' + k for k in known)}")
                values[name] = float(value)
        return cls(**values)


class Problem(NamedTuple):
    """Why a message was rejected: `code` (counted in the status) and a message that names the bad value."""

    input: str
    code: str
    message: str


def odometry_problem(cfg: InputConfig, frame_id: str, stamp_s: float, now_s: float,
                     last_stamp_s: Optional[float], position: Sequence[float],
                     quaternion: Sequence[float]) -> Optional[Problem]:
    """None when the odometry may be used, else the first reason it may not."""
    if frame_id != cfg.map_frame:
        return Problem("odom", "wrong_frame", f"odometry in frame {frame_id!r}, not the map frame "
                                              f"{cfg.map_frame!r} (parameter map_frame): publish it in the map frame "
                                              "or set map_frame")
    values = tuple(position) + tuple(quaternion)
    if not all(math.isfinite(float(v)) for v in values):
        return Problem("odom", "non_finite", f"odometry pose (x, y, z, qx, qy, qz, qw) = {values} is not finite")
    norm = math.sqrt(sum(float(v) ** 2 for v in quaternion))
    if abs(norm - 1.0) > cfg.quaternion_tolerance:
        return Problem("odom", "bad_quaternion", f"odometry orientation quaternion has norm {norm:.3f}, not 1 "
                                                 f"(tolerance {cfg.quaternion_tolerance:g}): not a rotation")
    age = now_s - stamp_s
    if cfg.max_odom_age_s > 0 and age > cfg.max_odom_age_s:
        return Problem("odom", "stale_stamp", f"odometry stamp is {age:.2f} s old (> {cfg.max_odom_age_s:g} s, "
                                              "safety.odom_timeout_s): check the publisher's clock")
    if last_stamp_s is not None and stamp_s < last_stamp_s:
        return Problem("odom", "stamp_backwards", f"odometry stamp {stamp_s:.3f} s is before the previous one "
                                                  f"({last_stamp_s:.3f} s): stamps must not go backwards")
    return None


def camera_info_problem(k: Sequence[float], width: int, height: int) -> Optional[Problem]:
    """None when CameraInfo K is a usable pinhole matrix for a width x height image, else why not."""
    values = [float(v) for v in k]
    if len(values) != 9 or not all(math.isfinite(v) for v in values):
        return Problem("camera_info", "non_finite", f"camera_info K = {values} is not 9 finite numbers")
    fx, cx, fy, cy = values[0], values[2], values[4], values[5]
    if not (fx > 0 and fy > 0):
        return Problem("camera_info", "bad_focal_length", f"camera_info focal lengths fx={fx:g}, fy={fy:g} must be "
                                                          "> 0 (camera not calibrated?)")
    if width <= 0 or height <= 0:
        return Problem("camera_info", "bad_size", f"camera_info size {width}x{height} must be positive")
    if not (0 <= cx <= width and 0 <= cy <= height):
        return Problem("camera_info", "principal_point_outside", f"camera_info principal point ({cx:g}, {cy:g}) is "
                                                                 f"outside the {width}x{height} image")
    return None


def image_problem(height: int, width: int, encoding: str, step: int, n_bytes: int,
                  channels: Optional[int]) -> Optional[Problem]:
    """Header checks of a sensor_msgs/Image, cheap enough for the subscription callback (no pixel is touched).
    channels: bytes per pixel of `encoding`, None when the encoding is not supported."""
    if channels is None:
        return Problem("camera", "unsupported_encoding", f"unsupported image encoding {encoding!r}: send rgb8, bgr8 "
                                                         "or mono8")
    if height <= 0 or width <= 0:
        return Problem("camera", "zero_size", f"image has zero size ({width}x{height}); the camera sent an empty "
                                              "frame")
    if step < width * channels:
        return Problem("camera", "bad_step", f"image step {step} < width*channels = {width}*{channels} for "
                                             f"{encoding}")
    if n_bytes != step * height:
        return Problem("camera", "bad_size", f"image data has {n_bytes} bytes, expected step*height = "
                                             f"{step}*{height} = {step * height}")
    return None


class InputMonitor:
    """Counts accepted and rejected messages per input; thread-safe (callbacks run on several threads)."""

    def __init__(self, config: InputConfig = InputConfig()) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._last_good: dict[str, Optional[float]] = {name: None for name in INPUTS}
        self._rejected: dict[str, dict[str, int]] = {name: {} for name in INPUTS}
        self._last_log: dict[tuple[str, str], float] = {}
        self._last_odom_stamp: Optional[float] = None
        self._camera_problem: Optional[Problem] = None

    # -- per input --------------------------------------------------------------------------------------------
    def check_odometry(self, frame_id: str, stamp_s: float, now_s: float, position: Sequence[float],
                       quaternion: Sequence[float], arrival: float) -> Optional[Problem]:
        with self._lock:
            last = self._last_odom_stamp
        problem = odometry_problem(self.config, frame_id, stamp_s, now_s, last, position, quaternion)
        if problem is None:
            with self._lock:
                self._last_odom_stamp = stamp_s
        return self._record("odom", problem, arrival)

    def check_camera_info(self, k: Sequence[float], width: int, height: int, arrival: float) -> Optional[Problem]:
        problem = camera_info_problem(k, width, height)
        with self._lock:   # the camera is unusable while the newest CameraInfo is bad
            self._camera_problem = problem
        return self._record("camera_info", problem, arrival)

    def check_image(self, height: int, width: int, encoding: str, step: int, n_bytes: int,
                    channels: Optional[int], arrival: float) -> Optional[Problem]:
        """Header checks (image_problem) of a frame on arrival; last good = the newest usable frame's arrival."""
        return self._record("camera", image_problem(height, width, encoding, step, n_bytes, channels), arrival)

    def instruction(self, arrival: float, problem: Optional[Problem] = None) -> Optional[Problem]:
        return self._record("instruction", problem, arrival)

    def _record(self, name: str, problem: Optional[Problem], arrival: float) -> Optional[Problem]:
        with self._lock:
            if problem is None:
                self._last_good[name] = arrival
            else:
                counts = self._rejected[name]
                counts[problem.code] = counts.get(problem.code, 0) + 1
        return problem

    # -- queries ----------------------------------------------------------------------------------------------
    @property
    def camera_problem(self) -> Optional[Problem]:
        """Why the camera cannot be used now (the newest CameraInfo was rejected), or None."""
        with self._lock:
            return self._camera_problem

    def last_good(self, name: str) -> Optional[float]:
        with self._lock:
            return self._last_good[name]

    def should_log(self, problem: Problem, now: float) -> bool:
        """True at most once per log_interval_s for each (input, reason): rejections at 30 Hz stay readable."""
        key = (problem.input, problem.code)
        with self._lock:
            last = self._last_log.get(key)
            if last is not None and now - last < self.config.log_interval_s:
                return False
            self._last_log[key] = now
            return True

    def status(self, now: float) -> dict[str, Any]:
        """The status's `inputs` block: per input, seconds since the last good message and rejections by reason;
        camera_unusable names why the camera cannot be used (or None)."""
        with self._lock:
            block: dict[str, Any] = {
                name: {"last_good_age_s": None if t is None else round(now - t, 3),
                       "rejected": dict(self._rejected[name])}
                for name, t in self._last_good.items()}
            block["camera_unusable"] = None if self._camera_problem is None else self._camera_problem.message
        return block


def stale_inputs(now: float, last_camera: Optional[float], last_odom: Optional[float], camera_timeout_s: float,
                 odom_timeout_s: float) -> list[str]:
    """Inputs that were received and then went quiet for longer than their timeout (0 = not watched); an input
    never received is not "stale" here (the safety envelope holds for it, the mission keeps waiting)."""
    out = []
    for what, last, timeout in (("camera", last_camera, camera_timeout_s), ("odometry", last_odom, odom_timeout_s)):
        if timeout > 0 and last is not None and now - last > timeout:
            out.append(f"no {what} for {now - last:.1f} s (> {timeout:g} s)")
    return out
