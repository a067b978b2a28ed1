"""Issue 19 §2 wired into the pipeline (ROS-free): map-frame relations, ordinals and superlatives choose among the
frame's candidates on the ground; camera words are frozen at instruction time, so the target does not change when
the drone turns; the status says which frame was used. The grounder is a fixed world seen through the real camera
geometry (test/scene_helpers.py): what is tested is the parser -> pipeline -> mission path."""
import math

import numpy as np
import pytest

from geotext_ros.geometry import Pose
from geotext_ros.nav.candidates import Candidate
from geotext_ros.nav.grounding import GroundingResult
from geotext_ros.nav.mission import Mission, MissionConfig
from geotext_ros.nav.pipeline import NavPipeline
from geotext_ros.nav.safety import SafetyConfig, SafetyEnvelope
from scene_helpers import K, SIZE, rotated, square_box

# (kind, centre ENU, half size, score): buildings around a pool, a small and a large parking lot
WORLD = [("building", (0.0, 12.0), 3.0, 0.80), ("building", (0.0, -12.0), 3.0, 0.82),
         ("building", (-12.0, 0.0), 3.0, 0.81), ("pool", (2.0, 0.0), 2.5, 0.9),
         ("lot", (12.0, 10.0), 2.0, 0.8), ("lot", (12.0, -10.0), 4.0, 0.79)]
KINDS = {"building": "building", "pool": "pool", "parking lot": "lot"}


class WorldGrounder:
    """Every object of the instruction's kind in view is a candidate; the grounder's own pick is the best score."""

    def __init__(self):
        self.pose = Pose(0.0, 0.0, 40.0, 0.0)

    def ground(self, rgb, instruction):
        kind = next((k for name, k in KINDS.items() if name in instruction.target), None)
        if kind is None:
            return GroundingResult(None, 0.1, [], None, reason="nothing like it in view")
        cands = [Candidate(square_box(c, h, self.pose), s, 9) for kd, c, h, s in WORLD if kd == kind]
        best = max(range(len(cands)), key=lambda i: cands[i].score)
        return GroundingResult(cands[best].box, 0.9, cands, best, phrase=instruction.target,
                               confidence=cands[best].score)


def run(text, yaws=(0.0,)):
    """Instruct at yaws[0], then ground one frame per yaw (the drone turning); the target after each frame."""
    g = WorldGrounder()
    p = NavPipeline(g, Mission(MissionConfig(localize_votes=1, min_confidence=0.5, track_radius=30.0)),
                    SafetyEnvelope(SafetyConfig(camera_timeout_s=0.0, odom_timeout_s=0.0)))
    rgb = np.zeros((SIZE[1], SIZE[0], 3), np.uint8)
    p.set_instruction(text, 0.0, tuple(g.pose._replace(yaw=yaws[0])))
    targets, status = [], None
    for t, yaw in enumerate(yaws, start=1):
        g.pose = rotated(g.pose, yaw)
        _, status = p.process_frame(rgb, K, tuple(g.pose), float(t))
        targets.append(p.mission.target)
    return targets, status


@pytest.mark.parametrize("text, expected, frame", [
    ("fly to the building north of the pool", (0.0, 12.0), "map"),
    ("fly to the building south of the pool", (0.0, -12.0), "map"),
    ("fly to the building west of the pool", (-12.0, 0.0), "map"),
    ("fly to the eastern parking lot", None, "map"),   # both lots lie east (x=12): the farther-east tie -> one of them
    ("fly to the largest parking lot", (12.0, -10.0), None),
    ("fly to the smallest parking lot", (12.0, 10.0), None),
    ("fly to the building nearest the pool", (0.0, 12.0), None),   # 10 m from the pool (2, 0); the others 12+
])
def test_map_relations_and_superlatives_pick_on_the_ground(text, expected, frame):
    targets, status = run(text)
    assert status["state"] == "APPROACH", status
    if expected is not None:
        assert math.dist(targets[-1], expected) < 1.5, (targets, status)
    assert status["relation_frame"] == frame and status["selection"], status


@pytest.mark.parametrize("text", ["fly to the building north of the pool", "fly to the second building from the left",
                                  "fly to the leftmost building", "fly to the largest parking lot"])
@pytest.mark.parametrize("turn", [math.pi / 2, 2.5, math.pi])
def test_the_target_does_not_change_when_the_drone_turns(text, turn):
    targets, status = run(text, yaws=(0.3, 0.3, 0.3 + turn))
    assert targets[0] is not None and math.dist(targets[0], targets[-1]) < 1.0, (targets, status)


def test_camera_words_say_camera_at_instruction():
    _, status = run("fly to the second building from the left")
    assert status["relation_frame"] == "camera at instruction", status


def test_a_missing_anchor_never_moves_the_drone():
    _, status = run("fly to the building north of the red car")
    assert status["state"] == "LOCALIZE" and status["waypoint"] is not None   # holds where it is
    assert "not found" in status["reason"] or "not in view" in status["reason"], status
