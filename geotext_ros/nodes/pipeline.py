"""The navigator's ROS-free core loop: instruction -> grounding per frame -> goal -> safety-checked waypoint.

It only wires the nav modules together (parser, Grounder, camera geometry, SafetyEnvelope, gallery search)
so the navigator node stays plumbing, and bench/episodes.py runs the very same loop without DDS.

States: idle (no instruction) -> localizing (grounding frames) -> approaching (goal set, flying) -> arrived;
searching (target not in view yet, flying to the best gallery place); holding / stopped (operator hold/stop);
returning (return home).
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Mapping, Optional

from geotext_ros.nav.camera import Intrinsics, box_center_to_ground
from geotext_ros.nav.parser import Instruction, parse_instruction
from geotext_ros.nav.safety import SafetyConfig, SafetyEnvelope

Pose4 = tuple[float, float, float, float]


class PipelineError(RuntimeError):
    """A frame or instruction the pipeline cannot use (reported, never fatal)."""


class NavPipeline:
    """One mission at a time; every method is cheap except process_frame (runs the model)."""

    def __init__(self, grounder: Any, safety: SafetyEnvelope, params: Mapping[str, Any],
                 gallery: Any = None, backend: Any = None) -> None:
        self.grounder, self.safety, self.gallery, self.backend = grounder, safety, gallery, backend
        self.approach_altitude = float(params.get("approach_altitude_m", 25.0))
        self.arrival_radius = float(params.get("arrival_radius_m", 5.0))
        self.instruction: Optional[Instruction] = None
        self.state = "idle"
        self.goal: Optional[Pose4] = None
        self.confidence = 0.0
        self.last_frame_time: Optional[float] = None
        self.place: Optional[str] = None

    @classmethod
    def load(cls, engine_dir: str | Path, params: Mapping[str, Any]) -> "NavPipeline":
        """Open the engine (runtime.open_backend), the gallery (if given) and the safety envelope."""
        from geotext_ros.nav.grounding import Grounder
        from geotext_ros.runtime.open_backend import open_backend

        safety = SafetyEnvelope(SafetyConfig.from_params(params))   # bad limits fail before loading the model
        backend = open_backend(engine_dir, params.get("backend", "auto"))
        gallery = None
        if params.get("gallery"):
            gallery = _load_gallery(params["gallery"], backend)
        grounder = Grounder(backend, min_score=float(params.get("grounding.min_score", 0.5)),
                            relative_threshold=float(params.get("grounding.relative_threshold", 0.5)))
        return cls(grounder, safety, params, gallery, backend)

    def describe(self) -> str:
        kind = getattr(self.backend, "kind", type(self.backend).__name__)
        return f"backend {kind}, gallery {'yes' if self.gallery is not None else 'none'}"

    def close(self) -> None:
        if self.backend is not None and hasattr(self.backend, "close"):
            self.backend.close()

    # -- instructions ---------------------------------------------------------------------------------------
    def set_instruction(self, text: str, now: float) -> dict[str, Any]:
        """Start (or preempt) a mission; stop/hold hold position, return flies home."""
        ins = parse_instruction(text)
        if ins.empty:
            return {"error": f"empty instruction {text[:80]!r} ignored", "state": self.state}
        self.instruction, self.goal, self.confidence, self.place = ins, None, 0.0, None
        if ins.command in ("stop", "hold"):
            self.safety.stop()
            self.state = "stopped" if ins.command == "stop" else "holding"
        elif ins.command == "return":
            self.safety.resume()
            self.safety.return_to_home()
            self.state = "returning"
        else:
            self.safety.resume()
            self.state = "localizing"
        return {"state": self.state, "instruction": ins.raw, "phrase": ins.target, "relation": ins.relation,
                "score": None, "box": None, "place": None}

    @property
    def wants_frames(self) -> bool:
        return self.state in ("localizing", "approaching", "searching")

    @property
    def has_goal(self) -> bool:
        return self.state != "idle"

    # -- frames ---------------------------------------------------------------------------------------------
    def process_frame(self, rgb: Any, k: tuple[float, float, float, float], pose: Pose4,
                      now: float) -> dict[str, Any]:
        """Ground the current instruction in one frame; a confident box updates the goal."""
        self.last_frame_time = now
        if self.instruction is None or not self.wants_frames:
            return {"state": self.state}
        ins = self.instruction
        result = self.grounder.ground(rgb, ins)
        if ins is not self.instruction:   # preempted while grounding: this result answers the old instruction
            return {"state": self.state}
        out: dict[str, Any] = {"phrase": result.phrase or self.instruction.target, "relation": result.relation,
                               "score": round(float(result.score), 4), "reason": result.reason,
                               "box": [round(float(v), 4) for v in result.box] if result.box is not None else None}
        if result.box is not None and result.score >= self.safety.config.min_confidence:
            height, width = rgb.shape[:2]
            ground = box_center_to_ground(result.box, (width, height), Intrinsics(*k), pose)
            if ground is not None:
                self.goal = (ground[0], ground[1], self.approach_altitude, pose[3])
                self.confidence = float(result.score)
                self.state = "approaching"
        elif self.goal is None and self.gallery is not None:
            self._search()
        out["state"] = self.state
        out["place"] = self.place
        return out

    def _search(self) -> None:
        hits = self.gallery.search(self.instruction.text, top_k=1)
        if hits:
            top = hits[0]
            self.place = str(top.place_id)
            self.goal = (float(top.x), float(top.y), self.approach_altitude, math.nan)
            self.confidence = max(float(getattr(top, "score", 1.0)), self.safety.config.min_confidence)
            self.state = "searching"

    # -- waypoint -------------------------------------------------------------------------------------------
    def waypoint(self, pose: Optional[Pose4], now: float, camera_time: Optional[float],
                 odom_time: Optional[float]) -> Optional[Pose4]:
        """The safety-checked setpoint to send now (a hold when there is no goal yet), or None."""
        if self.state == "idle":
            return None
        goal = self.goal
        if goal is not None and pose is not None and math.isnan(goal[3]):
            goal = (goal[0], goal[1], goal[2], pose[3])   # search goals keep the heading
        confidence = self.confidence if goal is not None else 1.0
        decision = self.safety.check(goal, pose, now, confidence=confidence,
                                     last_camera_time=camera_time, last_odom_time=odom_time)
        return decision.waypoint

    def progress(self, pose: Optional[Pose4]) -> dict[str, Any]:
        """State update from the vehicle pose: arrival when within arrival_radius of an approach goal."""
        out: dict[str, Any] = {"state": self.state}
        if self.goal is not None and pose is not None:
            dist = math.hypot(self.goal[0] - pose[0], self.goal[1] - pose[1])
            out["distance_m"] = round(dist, 2)
            if self.state == "approaching" and dist <= self.arrival_radius:
                self.state = out["state"] = "arrived"
        return out


def _load_gallery(path: str | Path, backend: Any) -> Any:
    """GalleryIndex from geotext_ros.nav.gallery (geotext-gallery builds it)."""
    from geotext_ros.nav.gallery import GalleryIndex

    return GalleryIndex.load(path, backend)
