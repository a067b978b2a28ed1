"""Issue 19 §2 missions of several steps (ROS-free): the sentence splits into steps; the pipeline runs them in
order (a step ends when ARRIVED, or at home on a return step), the status shows step k of n; stop holds, "resume"
goes on with the same step, a new instruction replaces the mission. The vehicle follows the waypoint exactly and
the grounder is a fixed world seen through the real camera geometry: what is tested is the steps' logic."""
import math

import numpy as np
import pytest

from geotext_ros.geometry import Pose
from geotext_ros.nav.candidates import Candidate
from geotext_ros.nav.grounding import GroundingResult
from geotext_ros.nav.mission import Mission, MissionConfig
from geotext_ros.nav.pipeline import NavPipeline
from geotext_ros.nav.safety import SafetyConfig, SafetyEnvelope
from geotext_ros.nav.steps import split_steps
from scene_helpers import K, SIZE, square_box

WORLD = {"pool": (10.0, 0.0), "building": (-8.0, 12.0)}


@pytest.mark.parametrize("text, steps", [
    ("fly to the pool, then to the red building, then come home",
     ["fly to the pool", "fly to the red building", "come home"]),
    ("fly to the pool then the red building and then return home",
     ["fly to the pool", "fly to the red building", "return home"]),
    ("fly to the red building left of the pool", ["fly to the red building left of the pool"]),
    ("fly to the pool, the one near the road", ["fly to the pool, the one near the road"]),
])
def test_split_steps(text, steps):
    assert split_steps(text) == steps


class WorldGrounder:
    def __init__(self):
        self.pose = Pose(0.0, 0.0, 30.0, 0.0)

    def ground(self, rgb, instruction):
        kind = next((k for k in WORLD if k in instruction.target), None)
        box = square_box(WORLD[kind], 2.0, self.pose) if kind else None
        if box is None or not all(0 < v < 1 for v in box[:2]):
            return GroundingResult(None, 0.1, [], None, reason="not in view")
        return GroundingResult(box, 0.9, [Candidate(box, 0.9, 9)], 0, phrase=instruction.target, confidence=0.9)


def make():
    g = WorldGrounder()
    p = NavPipeline(g, Mission(MissionConfig(localize_votes=1, min_confidence=0.5, approach_altitude=None)),
                    SafetyEnvelope(SafetyConfig(camera_timeout_s=0.0, odom_timeout_s=0.0, max_step_m=0.0,
                                                max_horizontal_speed_mps=0.0, max_vertical_speed_mps=0.0)))
    return g, p


def fly(g, p, t0, cycles=12):
    """The vehicle teleports to each waypoint; returns the statuses (one per cycle) and the end time."""
    rgb = np.zeros((SIZE[1], SIZE[0], 3), np.uint8)
    out = []
    for t in range(t0, t0 + cycles):
        p.process_frame(rgb, K, tuple(g.pose), float(t))
        wp, status = p.tick(tuple(g.pose), t + 0.5, None, None)
        out.append(status)
        if wp is not None:
            g.pose = Pose(wp[0], wp[1], wp[2], 0.0)
    return out, t0 + cycles


def test_three_steps_run_in_order_and_end_at_home():
    g, p = make()
    status = p.set_instruction("fly to the pool, then to the red building, then come home", 0.0, tuple(g.pose))
    assert status["step"] == {"k": 1, "n": 3, "text": "fly to the pool"} and status["state"] == "LOCALIZE"
    out, _ = fly(g, p, 1, cycles=20)
    seen = [(s["step"]["k"], s["state"]) for s in out]
    assert (1, "ARRIVED") in seen or (1, "APPROACH") in seen, seen
    ks = [k for k, _ in seen]
    assert ks == sorted(ks) and ks[-1] == 3, seen      # steps advance in order, never back
    visited_building = any(k == 2 for k, _ in seen)
    assert visited_building and out[-1]["state"] == "RETURN", seen
    assert math.hypot(g.pose.x, g.pose.y) < 1.0        # home


def test_stop_holds_resume_goes_on_and_a_new_instruction_replaces_the_mission():
    g, p = make()
    p.set_instruction("fly to the pool, then to the red building, then come home", 0.0, tuple(g.pose))
    out, t = fly(g, p, 1, cycles=1)
    k = out[-1]["step"]["k"]
    assert k < 3, out
    status = p.set_instruction("stop", float(t), tuple(g.pose))
    assert status["state"] == "HOLD" and status["step"]["k"] == k
    status = p.set_instruction("resume", t + 1.0, tuple(g.pose))
    assert status["state"] in ("SEARCH", "LOCALIZE") and status["step"]["k"] == k, status
    out, t = fly(g, p, t + 2, cycles=20)
    assert out[-1]["step"]["k"] == 3
    status = p.set_instruction("fly to the pool", float(t), tuple(g.pose))
    assert status["step"] is None and status["instruction"] == "fly to the pool"


def test_a_step_that_names_nothing_is_not_understood_and_nothing_moves():
    g, p = make()
    status = p.set_instruction("fly to the pool, then to the, then come home", 0.0, tuple(g.pose))
    assert status["state"] == "NOT_UNDERSTOOD" and status["step"] is None, status
