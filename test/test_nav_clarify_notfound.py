"""Issue 19 §3, the other reasons to ask (ROS-free, through NavPipeline): the relation's anchor is not found (image
relation, map relation, selector) for clarify.anchor_missing_frames frames, or nothing reaches min_confidence when
LOCALIZE times out. Either way the navigator holds and asks with the candidates it saw; nothing unconfirmed moves
the drone; the same answers resolve it; "none of them" is NOT_FOUND with the reason; no answer returns to HOLD."""
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

POSE = Pose(0.0, -2.0, 40.0, 0.0)
NORTH, SOUTH = (0.0, 12.0), (0.0, -12.0)
RGB = np.zeros((SIZE[1], SIZE[0], 3), np.uint8)


class BuildingsGrounder:
    """Two buildings (north, south) with `scores`; nothing else (no pool, no car) is ever found."""

    def __init__(self, scores=(0.8, 0.8)):
        self.scores = scores

    def ground(self, rgb, instruction):
        if "building" not in instruction.target:
            return GroundingResult(None, 0.1, [], reason=f"no region for {instruction.target!r}")
        cands = [Candidate(square_box(c, 3.0, POSE), s, 9) for c, s in zip((NORTH, SOUTH), self.scores)]
        best = max(range(2), key=lambda i: cands[i].score)
        return GroundingResult(cands[best].box, 0.9, cands, best, phrase=instruction.target,
                               confidence=cands[best].score)


class WithCar(BuildingsGrounder):
    """The buildings north and south, and a red car between them."""

    def ground(self, rgb, instruction):
        if "car" in instruction.target:
            box = square_box((0.0, 0.0), 1.5, POSE)
            return GroundingResult(box, 0.9, [Candidate(box, 0.9, 4)], 0, confidence=0.9)
        return super().ground(rgb, instruction)


def pipeline(scores=(0.8, 0.8), **clarify):
    mission = Mission(MissionConfig(localize_votes=2, min_confidence=0.5, approach_altitude=None,
                                    localize_timeout=5.0), ClarifyConfig(**clarify))
    return NavPipeline(BuildingsGrounder(scores), mission,
                       SafetyEnvelope(SafetyConfig(camera_timeout_s=0.0, odom_timeout_s=0.0)))


def frames(p, times):
    status = None
    for t in times:
        _, status = p.process_frame(RGB, K, tuple(POSE), float(t))
        if status["state"] == "LOCALIZE":   # nothing moves the drone before it asks: it holds where it is
            assert p.mission.target is None and math.dist(status["waypoint"][:2], POSE[:2]) < 1e-6, status
    return status


MISSING = [("fly to the building left of the pool", "the pool"),
           ("fly to the building north of the red car", "the red car"),
           ("fly to the building nearest the red car", "the red car")]


@pytest.mark.parametrize("text, anchor", MISSING)
def test_anchor_not_found_asks_after_anchor_missing_frames(text, anchor):
    p = pipeline(anchor_missing_frames=3)
    p.set_instruction(text, 0.0, tuple(POSE))
    assert frames(p, [1, 2])["state"] == "LOCALIZE"
    status = frames(p, [3])
    assert status["state"] == "CLARIFY", status
    assert status["question"].startswith(f"I cannot find {anchor}; which building do you mean?"), status
    assert [c["number"] for c in status["candidates"]] == [1, 2] and f"could not find {anchor}" in status["reason"]
    wp, status = p.tick(tuple(POSE), 3.5, None, None)
    assert status["state"] == "CLARIFY" and math.dist(wp[:2], POSE[:2]) < 1e-6   # holds while asking


@pytest.mark.parametrize("text, anchor", MISSING)
def test_anchor_not_found_answers_choose_or_end_in_not_found(text, anchor):
    p = pipeline(anchor_missing_frames=2)
    p.set_instruction(text, 0.0, tuple(POSE))
    asked = frames(p, [1, 2])
    north = next(c["number"] for c in asked["candidates"] if c["position"][1] > 0)
    status = p.set_instruction(f"number {north}", 3.0, tuple(POSE))
    assert status["state"] == "APPROACH" and math.dist(p.mission.target, NORTH) < 1.5, status
    assert p.instruction.raw == text
    p = pipeline(anchor_missing_frames=2)
    p.set_instruction(text, 0.0, tuple(POSE))
    frames(p, [1, 2])
    status = p.set_instruction("none of them", 3.0, tuple(POSE))
    assert status["state"] == "NOT_FOUND" and "none of the candidates" in status["reason"], status
    assert f"could not find {anchor}" in status["reason"] and status["waypoint"] is not None


def test_no_answer_returns_to_hold():
    p = pipeline(anchor_missing_frames=1, answer_timeout_s=4.0)
    p.set_instruction(MISSING[0][0], 0.0, tuple(POSE))
    assert frames(p, [1])["state"] == "CLARIFY"
    _, status = p.tick(tuple(POSE), 6.0, None, None)
    assert status["state"] == "HOLD" and "no answer" in status["reason"], status


def test_a_found_anchor_does_not_ask():
    """Control: the same world with the relation's anchor found goes to APPROACH without asking."""
    p = pipeline(anchor_missing_frames=1)
    p.grounder = WithCar()
    p.set_instruction("fly to the building north of the red car", 0.0, tuple(POSE))
    status = frames(p, [1, 2])
    assert status["state"] == "APPROACH" and math.dist(p.mission.target, NORTH) < 1.5, status


def test_nothing_confident_asks_when_localize_times_out_and_a_choice_is_tracked():
    p = pipeline(scores=(0.3, 0.32))
    p.set_instruction("fly to the building", 0.0, tuple(POSE))
    assert frames(p, [1, 2, 3, 4, 5])["state"] == "LOCALIZE"
    status = frames(p, [6])
    assert status["state"] == "CLARIFY", status
    assert status["question"].startswith("Nothing is a confident match; is it one of these?"), status
    assert "target not localized in 5 s" in status["reason"] and len(status["candidates"]) == 2
    north = next(c["number"] for c in status["candidates"] if c["position"][1] > 0)
    status = p.set_instruction(f"number {north}", 7.0, tuple(POSE))
    assert status["state"] == "APPROACH" and math.dist(p.mission.target, NORTH) < 1.5, status
    for t in range(8, 25):   # the operator confirmed it: its frames (score 0.3 < 0.5) keep tracking it
        _, status = p.process_frame(RGB, K, tuple(POSE), float(t))
        assert status["state"] == "APPROACH" and math.dist(p.mission.target, NORTH) < 1.5, status


def test_nothing_confident_none_of_them_is_not_found_and_nothing_seen_stays_not_found():
    p = pipeline(scores=(0.3, 0.32))
    p.set_instruction("fly to the building", 0.0, tuple(POSE))
    assert frames(p, range(1, 7))["state"] == "CLARIFY"
    status = p.set_instruction("none of them", 7.0, tuple(POSE))
    assert status["state"] == "NOT_FOUND" and "nothing reached min_confidence" in status["reason"], status
    p = pipeline()
    p.set_instruction("fly to the tree", 0.0, tuple(POSE))   # no candidate ever: nothing to offer
    assert frames(p, range(1, 7))["state"] == "NOT_FOUND"


def test_a_confident_target_after_unconfident_frames_is_not_asked_about():
    p = pipeline(scores=(0.3, 0.32))
    p.set_instruction("fly to the building", 0.0, tuple(POSE))
    frames(p, [1, 2])
    p.grounder.scores = (0.3, 0.9)
    status = frames(p, [3, 4])
    assert status["state"] == "APPROACH" and math.dist(p.mission.target, SOUTH) < 1.5, status


class FaintGrounder(BuildingsGrounder):
    """The two buildings lit below grounding.min_score: no candidate, only the grounder's `weak` regions."""

    def ground(self, rgb, instruction):
        found = super().ground(rgb, instruction)
        return GroundingResult(None, 0.1, [], reason="no region scores above min_score", weak=found.candidates)


def test_faint_regions_are_offered_when_localize_times_out_and_never_flown_to_unasked():
    p = pipeline(scores=(0.12, 0.1))
    p.grounder = FaintGrounder((0.12, 0.1))
    p.set_instruction("fly to the building", 0.0, tuple(POSE))
    assert frames(p, [1, 2, 3, 4, 5])["state"] == "LOCALIZE"
    status = frames(p, [6])
    assert status["state"] == "CLARIFY" and len(status["candidates"]) == 2, status
    assert status["question"].startswith("Nothing is a confident match; is it one of these?"), status
    south = next(c["number"] for c in status["candidates"] if c["position"][1] < 0)
    status = p.set_instruction(f"number {south}", 7.0, tuple(POSE))
    assert status["state"] == "APPROACH" and math.dist(p.mission.target, SOUTH) < 1.5, status
    for t in range(8, 20):   # the operator's choice is tracked on the faint frames
        _, status = p.process_frame(RGB, K, tuple(POSE), float(t))
        assert status["state"] == "APPROACH" and math.dist(p.mission.target, SOUTH) < 1.5, status


def test_faint_regions_none_of_them_is_not_found():
    p = pipeline()
    p.grounder = FaintGrounder((0.12, 0.1))
    p.set_instruction("fly to the building", 0.0, tuple(POSE))
    assert frames(p, range(1, 7))["state"] == "CLARIFY"
    status = p.set_instruction("none of them", 7.0, tuple(POSE))
    assert status["state"] == "NOT_FOUND" and p.mission.target is None, status


@pytest.mark.parametrize("text", ["fly to the building west of the red car",
                                  "fly to the third building from the left",
                                  "fly to the smaller of the three buildings"])
def test_a_relation_that_rules_out_every_candidate_offers_them_when_localize_times_out(text):
    """Confident buildings, but none lies west of the car / there is no third / not three of them: no waypoint
    from them until the operator picks one at the timeout; "none of them" is NOT_FOUND."""
    p = pipeline()
    p.grounder = WithCar()
    p.set_instruction(text, 0.0, tuple(POSE))
    assert frames(p, [1, 2, 3, 4, 5])["state"] == "LOCALIZE"
    status = frames(p, [6])
    assert status["state"] == "CLARIFY" and len(status["candidates"]) == 2, status
    assert status["question"].startswith("None of them fits every word you said; is it one of these?"), status
    north = next(c["number"] for c in status["candidates"] if c["position"][1] > 0)
    status = p.set_instruction(f"number {north}", 7.0, tuple(POSE))
    assert status["state"] == "APPROACH" and math.dist(p.mission.target, NORTH) < 1.5, status
    p = pipeline()
    p.grounder = WithCar()
    p.set_instruction(text, 0.0, tuple(POSE))
    frames(p, range(1, 7))
    status = p.set_instruction("none of them", 7.0, tuple(POSE))
    assert status["state"] == "NOT_FOUND" and p.mission.target is None, status
