"""Safety envelope: the last check on every waypoint before it reaches a flight controller (ROS-free).

`SafetyEnvelope.check(waypoint, vehicle_pose, now, ...)` returns a `SafetyDecision`: the waypoint to send (possibly
clamped), or a hold at the latched current position, or None when not even a hold point is known, plus the list
of violations as (code, message). Everything is ENU metres in the `map` frame, yaw in radians (ENU, from east,
counter-clockwise); `z` is height in the local frame (above the EKF origin / home), not above ground.

Order of checks (the first three make the envelope hold):
  1. non-finite numbers anywhere           -> hold           ("non_finite")
  2. stale odometry / camera (watchdog)    -> hold           ("stale_odom", "stale_camera")
  3. operator stop                         -> hold           ("stop")
  4. return-to-home request                -> home target    ("return_home")
  5. geofence                              -> clamp or hold  ("geofence", "geofence_reject")
  6. altitude floor / ceiling              -> clamp          ("altitude_floor", "altitude_ceiling")
  7. step from the vehicle per command     -> clamp          ("max_step", "max_vertical_step")
  8. setpoint speed since the last command -> clamp          ("max_speed", "max_vertical_speed")
Grounding confidence is the mission's gate (mission.min_confidence), not the envelope's: the envelope also runs in
px4_bridge, which gets waypoints, never groundings.
Steps 7-8 shorten the move along its own direction, so the vehicle still heads for the requested point.
"""
from __future__ import annotations

import dataclasses
import logging
import math
import numbers
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

from geotext_ros.geometry import wrap_pi
from geotext_ros.param_file import config_values

Pose = tuple[float, float, float, float]          # x, y, z, yaw (ENU, metres / radians)
Violation = tuple[str, str]                       # (code, human-readable message)

GEOFENCE_ACTIONS = ("clamp", "reject")
_FENCE_ITERATIONS = 50
_EPS = 1e-6

_log = logging.getLogger("geotext_ros.safety")


@dataclass
class SafetyConfig:
    """Every limit of the envelope, with its default. A timeout or limit of 0 switches that check off."""

    home_x: float = 0.0                    # home (ENU map frame): geofence centre and return-to-home target
    home_y: float = 0.0
    geofence_radius_m: float = 300.0       # circle around home; used when geofence_polygon is empty
    geofence_polygon: tuple[tuple[float, float], ...] = ()   # ENU (x, y) vertices; replaces the circle
    geofence_action: str = "clamp"         # "clamp": move the waypoint onto the fence; "reject": hold
    min_altitude_m: float = 5.0            # floor: waypoints below are raised
    max_altitude_m: float = 120.0          # ceiling: waypoints above are lowered
    max_step_m: float = 60.0               # horizontal distance vehicle -> waypoint accepted per command
    max_vertical_step_m: float = 20.0      # vertical distance vehicle -> waypoint accepted per command
    max_horizontal_speed_mps: float = 8.0  # how fast the commanded setpoint may move horizontally
    max_vertical_speed_mps: float = 3.0    # ... and vertically
    camera_timeout_s: float = 2.0          # no camera frame for this long: hold (0 = no camera watchdog)
    odom_timeout_s: float = 1.0            # no odometry for this long: hold (0 = no odometry watchdog)
    return_altitude_m: float = 30.0        # altitude of the return-to-home target (then altitude-clamped)

    def __post_init__(self) -> None:
        self.geofence_polygon = _as_polygon(self.geofence_polygon)
        self._validate()

    def _validate(self) -> None:
        for name in ("geofence_radius_m", "max_step_m", "max_vertical_step_m", "max_horizontal_speed_mps",
                     "max_vertical_speed_mps", "camera_timeout_s", "odom_timeout_s"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"safety.{name} = {value!r}: must be a finite number >= 0 (0 switches it off)")
        for name in ("home_x", "home_y", "min_altitude_m", "max_altitude_m", "return_altitude_m"):
            if not math.isfinite(getattr(self, name)):
                raise ValueError(f"safety.{name} = {getattr(self, name)!r}: must be finite")
        if self.min_altitude_m >= self.max_altitude_m:
            raise ValueError(f"safety.min_altitude_m = {self.min_altitude_m} must be below "
                             f"safety.max_altitude_m = {self.max_altitude_m}")
        if self.geofence_action not in GEOFENCE_ACTIONS:
            raise ValueError(f"safety.geofence_action = {self.geofence_action!r}: use one of {GEOFENCE_ACTIONS}")
        if not self.geofence_polygon and self.geofence_radius_m <= 0:
            raise ValueError("no geofence: set safety.geofence_radius_m > 0 or give safety.geofence_polygon "
                             "(at least 3 x,y vertices)")

    @classmethod
    def from_params(cls, params: Mapping[str, Any], prefix: str = "safety.") -> "SafetyConfig":
        """Build from flattened ROS parameters (`safety.max_step_m`, ...); unknown names are an error.

        `geofence_polygon` may be flat [x1, y1, x2, y2, ...] (a ROS double array) or a list of pairs.
        """
        if prefix + "min_confidence" in params:
            raise ValueError(f"{prefix}min_confidence was removed: the mission gates motion on grounding confidence; "
                             "set mission.min_confidence instead")
        values = config_values(cls, params, prefix)
        return cls(**values)

    def to_params(self, prefix: str = "safety.") -> dict[str, Any]:
        """Flattened ROS parameters (the polygon as a flat double list) - the inverse of `from_params`."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name == "geofence_polygon":
                value = [float(c) for vertex in value for c in vertex]
            out[prefix + f.name] = value
        return out


@dataclass
class SafetyDecision:
    """What to send: `waypoint` (x, y, z, yaw) or None (nothing safe to send); `hold` says it is a hold."""

    waypoint: Pose | None
    hold: bool = False
    violations: list[Violation] = field(default_factory=list)

    @property
    def codes(self) -> list[str]:
        return [code for code, _ in self.violations]


class SafetyEnvelope:
    """Stateful checker: remembers the last setpoint (speed limit), the latched hold point, stop and return-home."""

    def __init__(self, config: SafetyConfig | None = None, logger: logging.Logger | None = None) -> None:
        self.config = config or SafetyConfig()
        self._log = logger or _log
        self._stopped = False
        self._returning = False
        self._hold_point: Pose | None = None
        self._last_setpoint: Pose | None = None
        self._last_time: float | None = None
        self._last_codes: tuple[str, ...] = ()

    # -- operator requests ------------------------------------------------------------------------------------
    def stop(self) -> None:
        """Hold position from now on, whatever is requested, until `resume()`."""
        self._stopped = True

    def return_to_home(self) -> None:
        """Fly to home at `return_altitude_m`, ignoring requested waypoints, until `resume()` (stop wins)."""
        self._returning = True

    def resume(self) -> None:
        """Cancel stop and return-to-home: requested waypoints are followed again."""
        self._stopped = False
        self._returning = False

    @property
    def stopped(self) -> bool:
        return self._stopped

    @property
    def returning(self) -> bool:
        return self._returning

    # -- the check --------------------------------------------------------------------------------------------
    def check(self, waypoint: Sequence[float] | None, vehicle_pose: Sequence[float] | None, now: float,
              last_camera_time: float | None = None,
              last_odom_time: float | None = None) -> SafetyDecision:
        """Apply every limit to `waypoint` (x, y, z, yaw; None = nothing requested, i.e. hold)."""
        violations: list[Violation] = []
        pose = _finite_pose(vehicle_pose)
        hold_reasons = self._hold_reasons(waypoint, vehicle_pose, pose, now, last_camera_time, last_odom_time)
        violations += hold_reasons
        if hold_reasons or waypoint is None:
            return self._finish(self._hold(pose), True, violations, now)
        self._hold_point = None
        target = self._target(waypoint, pose, violations)
        if target is None:       # geofence rejected it
            return self._finish(self._hold(pose), True, violations, now)
        target = self._limit_motion(target, pose, now, violations)
        return self._finish(target, False, violations, now)

    def _hold_reasons(self, waypoint, raw_pose, pose, now, cam_t, odom_t) -> list[Violation]:
        cfg = self.config
        bad = _non_finite(waypoint=waypoint, vehicle_pose=raw_pose, now=now, last_camera_time=cam_t,
                          last_odom_time=odom_t)
        if raw_pose is None:
            bad.append("vehicle_pose is unknown (no odometry yet)")
        if bad:
            return [("non_finite", "hold: " + "; ".join(bad))]
        reasons = []
        for code, last, timeout, what in (("stale_odom", odom_t, cfg.odom_timeout_s, "odometry"),
                                          ("stale_camera", cam_t, cfg.camera_timeout_s, "camera")):
            if timeout > 0 and (last is None or now - last > timeout):
                age = "never received" if last is None else f"last {now - last:.2f} s ago"
                reasons.append((code, f"hold: no {what} for more than {timeout:g} s ({age})"))
        if self._stopped:
            reasons.append(("stop", "hold: stop requested by the operator"))
        return reasons

    def _target(self, waypoint, pose: Pose, violations: list[Violation]) -> Pose | None:
        cfg = self.config
        x, y, z, yaw = (float(v) for v in waypoint[:4])
        if self._returning:
            x, y, z, yaw = cfg.home_x, cfg.home_y, cfg.return_altitude_m, pose[3]
            violations.append(("return_home", f"returning home to ({x:.1f}, {y:.1f}) at {z:.1f} m"))
        fenced = self._fence(x, y)
        if fenced != (x, y):
            if cfg.geofence_action == "reject":
                violations.append(("geofence_reject", f"hold: waypoint ({x:.1f}, {y:.1f}) is outside the geofence"))
                return None
            violations.append(("geofence", f"waypoint ({x:.1f}, {y:.1f}) outside the geofence, clamped to "
                                           f"({fenced[0]:.1f}, {fenced[1]:.1f})"))
            x, y = fenced
        if z < cfg.min_altitude_m:
            violations.append(("altitude_floor", f"altitude {z:.1f} m raised to the floor {cfg.min_altitude_m:g} m"))
            z = cfg.min_altitude_m
        elif z > cfg.max_altitude_m:
            violations.append(("altitude_ceiling",
                               f"altitude {z:.1f} m lowered to the ceiling {cfg.max_altitude_m:g} m"))
            z = cfg.max_altitude_m
        return x, y, z, wrap_pi(yaw)

    def _limit_motion(self, target: Pose, pose: Pose, now: float, violations: list[Violation]) -> Pose:
        cfg = self.config
        x, y, z, yaw = target
        dt, last = None, None
        if self._last_setpoint is not None and self._last_time is not None:
            dt = max(0.0, now - self._last_time)
            last = self._speed_reference(self._last_setpoint, pose, violations)
        x, y = self._limit_horizontal((x, y), pose, last, dt, violations)
        # Clamping towards the vehicle can leave a non-convex fence (or start outside it): project back in, then
        # re-apply the motion limits. Alternating projections onto the fence and the reachable disc converge to
        # a point inside both when they intersect; a vehicle far outside its fence gets the motion-limited point
        # that moves it towards the fence (the motion limits win: a jump is never the safe answer).
        for _ in range(_FENCE_ITERATIONS):
            fenced = self._fence(x, y)
            if math.hypot(fenced[0] - x, fenced[1] - y) <= _EPS:
                break
            violations.append(("geofence", f"limited setpoint ({x:.1f}, {y:.1f}) projected onto the geofence"))
            x, y = self._limit_horizontal(fenced, pose, last, dt, [])
        if cfg.max_vertical_step_m > 0:
            z = _clamp_scalar(pose[2], z, cfg.max_vertical_step_m, "max_vertical_step",
                              "vertical step {:.1f} m from the vehicle clamped to {:g} m", violations)
        if last is not None and cfg.max_vertical_speed_mps > 0:
            z = _clamp_scalar(last[2], z, cfg.max_vertical_speed_mps * dt, "max_vertical_speed",
                              "setpoint {direction} {:.2f} m in " + f"{dt:.2f} s, clamped to " + "{:.2f} m",
                              violations)
        return x, y, z, yaw

    def _limit_horizontal(self, xy: tuple[float, float], pose: Pose, last: Pose | None, dt: float | None,
                          violations: list[Violation]) -> tuple[float, float]:
        """The step limit around the vehicle, then the speed limit around the last setpoint."""
        cfg = self.config
        x, y = xy
        if cfg.max_step_m > 0:
            x, y = _clamp_planar(pose[:2], (x, y), cfg.max_step_m, "max_step",
                                 "horizontal step {:.1f} m from the vehicle clamped to {:g} m", violations)
        if last is not None and cfg.max_horizontal_speed_mps > 0:
            x, y = _clamp_planar(last[:2], (x, y), cfg.max_horizontal_speed_mps * dt, "max_speed",
                                 "setpoint moved {:.2f} m in " + f"{dt:.2f} s, clamped to " + "{:.2f} m "
                                 f"(safety.max_horizontal_speed_mps {cfg.max_horizontal_speed_mps:g})",
                                 violations)
        return x, y

    def _speed_reference(self, last: Pose, pose: Pose, violations: list[Violation]) -> Pose:
        """The point the speed limit measures from: the last setpoint, unless it lies beyond one step from the
        vehicle (odometry jumped, e.g. an EKF reset): then the vehicle itself, so the speed limit cannot pull the
        setpoint back to a place that is now far from the vehicle."""
        cfg = self.config
        x, y, z = last[0], last[1], last[2]
        gap = math.hypot(x - pose[0], y - pose[1])
        if cfg.max_step_m > 0 and gap > cfg.max_step_m + _EPS:
            violations.append(("max_step", f"last setpoint {gap:.1f} m from the vehicle (odometry jump?): "
                                           "speed limit restarts from the vehicle"))
            x, y = pose[0], pose[1]
        if cfg.max_vertical_step_m > 0 and abs(z - pose[2]) > cfg.max_vertical_step_m + _EPS:
            violations.append(("max_vertical_step", f"last setpoint {abs(z - pose[2]):.1f} m above/below the "
                                                    "vehicle: vertical speed limit restarts from the vehicle"))
            z = pose[2]
        return x, y, z, last[3]

    def _fence(self, x: float, y: float) -> tuple[float, float]:
        """(x, y) itself when inside the fence, else the nearest point on the fence."""
        cfg = self.config
        if cfg.geofence_polygon:
            return clamp_to_polygon((x, y), cfg.geofence_polygon)
        return clamp_to_circle((x, y), (cfg.home_x, cfg.home_y), cfg.geofence_radius_m)

    def _hold(self, pose: Pose | None) -> Pose | None:
        # Latch the hold point so a drifting pose estimate does not drag the setpoint along with it.
        if self._hold_point is None and pose is not None:
            self._hold_point = pose
        return self._hold_point

    def _finish(self, waypoint: Pose | None, hold: bool, violations: list[Violation], now: float) -> SafetyDecision:
        if waypoint is not None:
            self._last_setpoint = waypoint
            if math.isfinite(now):
                self._last_time = now
        self._report(violations)
        return SafetyDecision(waypoint=waypoint, hold=hold, violations=violations)

    def _report(self, violations: list[Violation]) -> None:
        # Log when the set of violations changes: callers run at 10 Hz and a repeated line hides the news.
        codes = tuple(sorted({code for code, _ in violations}))
        if codes != self._last_codes:
            for code, message in violations:
                self._log.warning("safety %s: %s", code, message)
            if not codes:
                self._log.info("safety: all limits satisfied again")
        self._last_codes = codes


# -- geometry ---------------------------------------------------------------------------------------------------
def clamp_to_circle(p: Sequence[float], centre: Sequence[float], radius: float) -> tuple[float, float]:
    """p when within `radius` of `centre`, else the point of the circle nearest to p."""
    dx, dy = p[0] - centre[0], p[1] - centre[1]
    dist = math.hypot(dx, dy)
    if dist <= radius:
        return float(p[0]), float(p[1])
    return centre[0] + dx * radius / dist, centre[1] + dy * radius / dist


def point_in_polygon(p: Sequence[float], polygon: Sequence[Sequence[float]]) -> bool:
    """True when p is inside the polygon or on its boundary (within 1e-6 m)."""
    if _nearest_on_boundary(p, polygon)[1] <= _EPS:
        return True
    inside = False
    x, y = p[0], p[1]
    for (x1, y1), (x2, y2) in _edges(polygon):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def clamp_to_polygon(p: Sequence[float], polygon: Sequence[Sequence[float]]) -> tuple[float, float]:
    """p when inside the polygon, else the nearest point on its boundary."""
    if point_in_polygon(p, polygon):
        return float(p[0]), float(p[1])
    return _nearest_on_boundary(p, polygon)[0]


def _edges(polygon: Sequence[Sequence[float]]) -> Iterable[tuple[Sequence[float], Sequence[float]]]:
    return zip(polygon, list(polygon[1:]) + [polygon[0]])


def _nearest_on_boundary(p, polygon) -> tuple[tuple[float, float], float]:
    best, best_d = (float(polygon[0][0]), float(polygon[0][1])), math.inf
    for (x1, y1), (x2, y2) in _edges(polygon):
        ex, ey = x2 - x1, y2 - y1
        length2 = ex * ex + ey * ey
        t = 0.0 if length2 == 0 else max(0.0, min(1.0, ((p[0] - x1) * ex + (p[1] - y1) * ey) / length2))
        q = (x1 + t * ex, y1 + t * ey)
        d = math.hypot(p[0] - q[0], p[1] - q[1])
        if d < best_d:
            best, best_d = q, d
    return best, best_d


def _clamp_planar(origin, p, limit: float, code: str, template: str, violations: list[Violation]):
    dx, dy = p[0] - origin[0], p[1] - origin[1]
    dist = math.hypot(dx, dy)
    if dist <= limit + _EPS:
        return p
    violations.append((code, template.format(dist, limit)))
    scale = limit / dist
    return origin[0] + dx * scale, origin[1] + dy * scale


def _clamp_scalar(origin: float, value: float, limit: float, code: str, template: str,
                  violations: list[Violation]) -> float:
    delta = value - origin
    if abs(delta) <= limit + _EPS:
        return value
    # {direction}: a descent must not be logged as a climb
    violations.append((code, template.format(abs(delta), limit, direction="climbed" if delta > 0 else "descended")))
    return origin + math.copysign(limit, delta)


def _as_polygon(value: Any) -> tuple[tuple[float, float], ...]:
    items = list(value or ())
    if not items:
        return ()
    if all(isinstance(v, (int, float)) for v in items):      # flat ROS double array
        if len(items) % 2:
            raise ValueError(f"safety.geofence_polygon has {len(items)} numbers; give x,y pairs")
        items = [items[i:i + 2] for i in range(0, len(items), 2)]
    try:
        polygon = tuple((float(v[0]), float(v[1])) for v in items)
    except (TypeError, IndexError, ValueError) as e:
        raise ValueError(f"safety.geofence_polygon {value!r}: expected [[x, y], ...] or [x1, y1, x2, y2, ...]") from e
    if len(polygon) < 3 or not all(math.isfinite(c) for v in polygon for c in v):
        raise ValueError(f"safety.geofence_polygon needs at least 3 finite vertices, got {polygon!r}")
    return polygon


def _finite_pose(pose: Sequence[float] | None) -> Pose | None:
    if pose is None or len(pose) < 4:
        return None
    values = tuple(float(v) for v in pose[:4])
    return values if all(math.isfinite(v) for v in values) else None  # type: ignore[return-value]


def _non_finite(**named: Any) -> list[str]:
    bad = []
    for name, value in named.items():
        if value is None:
            continue
        values = list(value) if name in ("waypoint", "vehicle_pose") else [value]
        if name in ("waypoint", "vehicle_pose") and len(values) < 4:
            bad.append(f"{name} has {len(values)} values, expected x, y, z, yaw")
        elif not all(isinstance(v, numbers.Real) and math.isfinite(v) for v in values[:4]):
            bad.append(f"{name} = {value!r} is not finite")
    return bad
