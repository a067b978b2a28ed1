"""One closed-loop flight cycle by cycle: render while the mission grounds, NavPipeline.tick, the sim_world vehicle
model at SUBSTEPS sub-steps per cycle, in simulated time; split into look (ground + tick) and move so a runner can
read the status between them. run_episode (geotext_ros.sim.episodes) and the families' own runners (several
steps, a landing) all fly with it.

    fl = Flight(ep, pipe, limits, rate_hz)
    while fl.t < max_s:
        waypoint, status = fl.look()
        if status["state"] == "NOT_FOUND":
            break
        fl.move(waypoint)
"""
from __future__ import annotations

import math
import time
from typing import Any, Optional

from geotext_ros.nav.grounding import Grounder
from geotext_ros.nav.mission import Mission
from geotext_ros.nav.pipeline import NavPipeline
from geotext_ros.nav.safety import SafetyEnvelope
from geotext_ros.sim.scenarios import Episode
from geotext_ros.sim.vehicle import Setpoint, VehicleLimits, VehicleState, step_vehicle

SUBSTEPS = 5   # vehicle integration steps per navigator cycle


class Flight:
    """A fresh mission given ep.task.instruction at t = 0 with the vehicle at ep.start."""

    def __init__(self, ep: Episode, pipe: Any, limits: VehicleLimits, rate_hz: float) -> None:
        self.ep, self.pipe, self.limits = ep, pipe, limits
        self.state: VehicleState = ep.start
        self.t, self.dt, self.path = 0.0, 1.0 / rate_hz, 0.0
        self.latencies: list[float] = []
        self.objects: list[Any] = []   # ground truth of the latest rendered frame (the one a question is about)
        k = ep.camera.k
        self._k = k[0], k[4], k[2], k[5]
        self.status = pipe.set_instruction(ep.task.instruction, 0.0, self.pose)

    @property
    def pose(self) -> tuple[float, float, float, float]:
        s = self.state
        return s.x, s.y, s.z, s.yaw

    @property
    def xy(self) -> tuple[float, float]:
        return self.state.x, self.state.y

    def look(self) -> tuple[Optional[tuple[float, ...]], dict[str, Any]]:
        """Ground the current frame (while the mission needs it) and tick: (waypoint or None, status)."""
        pose, t = self.pose, self.t
        if self.pipe.needs_grounding:
            frame = self.ep.camera.render(self.state)
            self.objects = frame.objects
            t0 = time.perf_counter()
            result, _ = self.pipe.process_frame(frame.image, self._k, pose, t)
            if result is not None:   # every grounded frame, box or not: frame ready -> result
                self.latencies.append((time.perf_counter() - t0) * 1000.0)
        waypoint, self.status = self.pipe.tick(pose, t, t, t)
        return waypoint, self.status

    def move(self, waypoint: Optional[tuple[float, ...]]) -> None:
        """Fly one cycle toward the waypoint (None: hover) and advance the clock."""
        self.fly(Setpoint(*waypoint) if waypoint is not None else None)

    def fly(self, target: Optional[Setpoint]) -> None:
        sub = self.dt / SUBSTEPS
        for _ in range(SUBSTEPS):
            prev = self.state
            self.state = step_vehicle(self.state, target, sub, self.limits)
            self.path += math.hypot(self.state.x - prev.x, self.state.y - prev.y)
        self.t += self.dt


def fresh_pipeline(pipe: NavPipeline) -> NavPipeline:
    """A pipeline with fresh mission and safety state on `pipe`'s backend, gallery and settings (a runner that
    flies one episode twice must not carry the first flight's mission or envelope into the second)."""
    return NavPipeline(Grounder(pipe.backend, pipe.grounder.config), Mission(pipe.mission.config,
                                                                             pipe.mission.clarify),
                       SafetyEnvelope(pipe.safety.config), pipe.gallery, pipe.backend, pipe.search, pipe.landing)
