"""Issue 19 §3 wired into the mission and the pipeline (ROS-free): look-alikes -> CLARIFY (hold, numbered
candidates in the status); the next text is first read as the answer; a choice approaches that candidate's ground
point and keeps tracking it even when the grounder's own pick is the other look-alike; "none of them" and the
answer timeout end in HOLD; anything else is a new instruction. The grounder is a fixed one (the frames' candidates
are given): what is tested is the mission and the pipeline."""
import math

import numpy as np
import pytest

from geotext_ros.geometry import Pose
from geotext_ros.nav.candidates import Candidate
from geotext_ros.nav.clarify import ClarifyConfig
from geotext_ros.nav.grounding import GroundingResult
from geotext_ros.nav.mission import Mission, MissionConfig
from geotext_ros.nav.pipeline import NavPipeline
from geotext_ros.nav.safety import SafetyConfig, SafetyEnvelope
from scene_helpers import K, SIZE, square_box

POSE = Pose(0.0, 0.0, 40.0, 0.0)
POOLS = [(-12.0, 6.0), (12.0, -6.0)]   # two look-alike pools, east/west of the drone


class FixedGrounder:
    """Every frame shows the two pools; `pick` is the one the grounder itself would choose."""

    def __init__(self, scores=(0.8, 0.78), pick=0):
        self.scores, self.pick = scores, pick

    def ground(self, rgb, instruction):
        cands = [Candidate(square_box(c, 3.0, POSE), s, 9) for c, s in zip(POOLS, self.scores)]
        return GroundingResult(cands[self.pick].box, 0.9, cands, self.pick, phrase=instruction.target,
                               confidence=cands[self.pick].score)


def pipeline(grounder=None, **clarify):
    mission = Mission(MissionConfig(localize_votes=1, min_confidence=0.5, approach_altitude=None),
                      ClarifyConfig(**clarify))
    safety = SafetyEnvelope(SafetyConfig(camera_timeout_s=0.0, odom_timeout_s=0.0))
    return NavPipeline(grounder or FixedGrounder(), mission, safety)


RGB = np.zeros((SIZE[1], SIZE[0], 3), np.uint8)


def ask(p, now=1.0):
    p.set_instruction("fly to the pool", 0.0, tuple(POSE))
    _, status = p.process_frame(RGB, K, tuple(POSE), now)
    return status


def test_look_alikes_hold_and_ask_with_numbered_candidates():
    p = pipeline()
    status = ask(p)
    assert status["state"] == "CLARIFY", status
    assert [c["number"] for c in status["candidates"]] == [1, 2]
    assert [c["answer"] for c in status["candidates"]] == ["number 1", "number 2"]
    assert "Which one" in status["question"]
    wp, status = p.tick(tuple(POSE), 2.0, None, None)
    assert status["state"] == "CLARIFY" and wp is not None and math.hypot(wp[0], wp[1]) < 1e-6   # holds here


def test_a_clear_winner_does_not_ask():
    p = pipeline(FixedGrounder(scores=(0.9, 0.6)))
    assert ask(p)["state"] == "APPROACH"


@pytest.mark.parametrize("answer, pool", [("number 2", 1), ("2", 1), ("the left one", 0), ("number 1", 0)])
def test_a_choice_approaches_that_candidate_and_keeps_it(answer, pool):
    p = pipeline(FixedGrounder(pick=1 - pool))   # the grounder's own pick is the other pool
    ask(p)
    status = p.set_instruction(answer, 2.0, tuple(POSE))
    assert status["state"] == "APPROACH" and status["candidates"] is None, status
    assert math.dist(p.mission.target, POOLS[pool]) < 1.0
    for t in range(3, 8):   # frames keep coming: the chosen pool is tracked, never the grounder's pick
        _, status = p.process_frame(RGB, K, tuple(POSE), float(t))
        assert status["state"] == "APPROACH", status
        assert math.dist(p.mission.target, POOLS[pool]) < 1.0
    assert p.instruction.raw == "fly to the pool"   # the answer is not a new mission


def test_none_of_them_holds_and_the_timeout_holds_with_the_reason():
    p = pipeline()
    ask(p)
    status = p.set_instruction("none of them", 2.0, tuple(POSE))
    assert status["state"] == "HOLD" and "none of the candidates" in status["reason"]
    p = pipeline(answer_timeout_s=5.0)
    ask(p)
    _, status = p.tick(tuple(POSE), 4.0, None, None)
    assert status["state"] == "CLARIFY"
    _, status = p.tick(tuple(POSE), 7.0, None, None)
    assert status["state"] == "HOLD" and "no answer" in status["reason"] and "answer_timeout_s" in status["reason"]


def test_unclear_answer_asks_again_and_other_text_is_a_new_instruction():
    p = pipeline()
    ask(p)
    status = p.set_instruction("number 7", 2.0, tuple(POSE))
    assert status["state"] == "CLARIFY" and "no number 7" in status["reason"]
    status = p.set_instruction("fly to the red building", 3.0, tuple(POSE))
    assert status["state"] == "LOCALIZE" and status["instruction"] == "fly to the red building"
    assert status["candidates"] is None


def test_stop_while_asking_is_a_stop():
    p = pipeline()
    ask(p)
    assert p.set_instruction("stop", 2.0, tuple(POSE))["state"] == "HOLD"
