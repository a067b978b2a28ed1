"""Issue 19 §4 family `turn`: camera-frame relations ("the tennis court to the left of the pool") while the drone
turns 90-180 degrees during the approach. A camera-frame relation means the camera frame at the moment the
instruction was given; after the turn, the same words read in the new frame name another object (for "left
of", a half turn makes it "right of"), so a navigator that re-evaluates the relation in the turned frame drifts
to the look-alike.

Maker: a localize episode (the drone above a place, the target with a same-kind look-alike in view, named by
an image relation), the same seeds give the same task, plus a turn of 90-180 degrees either way (its own
random stream, so the task is localize's).
Runner: flies the episode twice with run_episode's scoring: as localize, and with the turn: from the first
cycle the mission is in APPROACH (the target has been voted from grounded frames) the vehicle's yaw setpoint is
the instruction's heading plus the turn (the sim vehicle turns at max_yaw_rate, about 2-4 s) and stays so
while it approaches, arrives and holds. The record is the turned flight's, with `unturned` (the localize
flight's success, error, cause), the commanded turn and the yaw change actually flown, and how many frames
grounded after half the turn had a pick the mission ignored as too far from its target (the relation read in
the turned frame named another object; the unturned flight is counted the same way, from the same moment).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Optional

import numpy as np

from geotext_ros.geometry import wrap_pi
from geotext_ros.sim.episodes import SETTLE_S, run_episode
from geotext_ros.sim.flight import fresh_pipeline
from geotext_ros.sim.scenarios import Episode, make_localize_episode
from geotext_ros.sim.vehicle import VehicleLimits

MIN_TURN_DEG, MAX_TURN_DEG = 90.0, 180.0


@dataclass
class TurnEpisode(Episode):
    """A localize episode and the turn (degrees, counter-clockwise positive) flown during its approach."""

    turn_deg: float = 0.0


def make_turn_episode(seed: int, sim: Mapping[str, Any], wording: str, gallery_root: Path
                      ) -> Optional[TurnEpisode]:
    """make_localize_episode's episode for this seed with a turn of 90-180 degrees either way (None as localize)."""
    ep = make_localize_episode(seed, sim, wording)
    if ep is None:
        return None
    rng = np.random.default_rng([seed, 19])   # not localize's stream: the same seed keeps the same task
    turn = float(rng.uniform(MIN_TURN_DEG, MAX_TURN_DEG)) * (1.0 if rng.random() < 0.5 else -1.0)
    return TurnEpisode(ep.seed, ep.camera, ep.start, ep.task, ep.gallery, round(turn, 1))


class TurningPipe:
    """A NavPipeline whose waypoints, from the first APPROACH status on, carry the instruction's heading plus
    `turn_deg` as their yaw (the operator or an avoidance manoeuvre turning the drone while it approaches)."""

    def __init__(self, pipe: Any, turn_deg: float) -> None:
        self._pipe, self.turn_deg = pipe, turn_deg
        self.yaw0: Optional[float] = None
        self.yaw: Optional[float] = None     # the commanded heading once turning
        self.turned_at: Optional[float] = None
        self.last_yaw: Optional[float] = None
        self.frames_turned = 0      # frames grounded in APPROACH / ARRIVED once half the turn is flown
        self.frames_elsewhere = 0   # ... whose detection the mission ignored as too far from its target

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pipe, name)

    def set_instruction(self, text: str, now: float, pose: Any) -> dict[str, Any]:
        self.yaw0 = float(pose[3])
        return self._pipe.set_instruction(text, now, pose)

    def process_frame(self, rgb: Any, k: Any, pose: Any, now: float) -> tuple[Any, dict[str, Any]]:
        result, status = self._pipe.process_frame(rgb, k, pose, now)
        half = abs(math.radians(self.turn_deg)) / 2
        if self.turned_at is not None and abs(wrap_pi(float(pose[3]) - self.yaw0)) >= half \
                and status["state"] in ("APPROACH", "ARRIVED") and result is not None:
            # the relation read in the turned frame picks another object: the mission keeps its estimate
            self.frames_turned += 1
            self.frames_elsewhere += "ignored a detection" in (status.get("reason") or "")
        return result, status

    def tick(self, pose: Any, now: float, camera_time: Any, odom_time: Any) -> tuple[Any, dict[str, Any]]:
        waypoint, status = self._pipe.tick(pose, now, camera_time, odom_time)
        self.last_yaw = float(pose[3])
        if self.turned_at is None and status["state"] == "APPROACH":
            self.turned_at, self.yaw = now, wrap_pi(self.yaw0 + math.radians(self.turn_deg))
        if waypoint is not None and self.yaw is not None:
            waypoint = (*tuple(waypoint)[:3], self.yaw)
        return waypoint, status

    @property
    def turned_deg(self) -> float:
        """The heading change actually flown by the end (degrees, wrapped to +-180)."""
        if self.yaw0 is None or self.last_yaw is None:
            return 0.0
        return math.degrees(wrap_pi(self.last_yaw - self.yaw0))


def run_turn(ep: TurnEpisode, pipe: Any, limits: VehicleLimits, rate_hz: float, max_s: float,
             settle_s: float = SETTLE_S) -> dict[str, Any]:
    """The turned flight's run_episode record plus the unturned flight's outcome (module docstring)."""
    steady = TurningPipe(pipe, 0.0)   # the heading it holds anyway: counts its frames as the turned flight does
    still = run_episode(ep, steady, limits, rate_hz, max_s, settle_s)
    turning = TurningPipe(fresh_pipeline(pipe), ep.turn_deg)
    record = run_episode(ep, turning, limits, rate_hz, max_s, settle_s)
    record.update(turn_deg=ep.turn_deg, turned_at_s=turning.turned_at, yaw_change_deg=round(turning.turned_deg, 1),
                  frames_turned=turning.frames_turned, frames_elsewhere=turning.frames_elsewhere,
                  unturned={"success": still["success"], "error_m": still["error_m"], "cause": still["cause"],
                            "frames": steady.frames_turned, "frames_elsewhere": steady.frames_elsewhere})
    record["latency_ms"] = still["latency_ms"] + record["latency_ms"]
    return record


def summarize_turn(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Success with and without the turn on the same seeds; episodes the turn lost or won; turned flights."""
    n = max(len(results), 1)
    still = [r["unturned"]["success"] for r in results]
    turned = [r["success"] for r in results]
    return {"unturned_success_rate": round(sum(still) / n, 3),
            "turned_success_rate": round(sum(turned) / n, 3),
            "lost_by_turning": [r["seed"] for r in results if r["unturned"]["success"] and not r["success"]],
            "won_by_turning": [r["seed"] for r in results if r["success"] and not r["unturned"]["success"]],
            "turned_before_end": sum(r["turned_at_s"] is not None for r in results),
            # grounded frames after the turn whose pick the mission ignored (> track_radius from its target)
            "turned_frames_elsewhere": f"{sum(r['frames_elsewhere'] for r in results)}/"
                                       f"{sum(r['frames_turned'] for r in results)}",
            "unturned_frames_elsewhere": f"{sum(r['unturned']['frames_elsewhere'] for r in results)}/"
                                         f"{sum(r['unturned']['frames'] for r in results)}",
            "episodes_with_turned_picks_elsewhere": sum(r["frames_elsewhere"] > 0 for r in results),
            "unturned_failures": {c: sum(r["unturned"]["cause"] == c for r in results)
                                  for c in sorted({r["unturned"]["cause"] for r in results} - {None})}}
