"""Two refinements of asking back (issue 19 §3), ROS-free: a target grounded in every colour of its noun
(grounding.any_colour_kinds) counts every confident candidate as a look-alike, since its scores compare how well
the model lights each colour, not how well each fits the words; and look-alikes beyond clarify.max_candidates are
asked about after "none of them" instead of the mission ending in HOLD."""
import math

import numpy as np

from geotext_ros.geometry import Pose
from geotext_ros.nav import clarify
from geotext_ros.nav.candidates import Candidate, box_pixel_span
from geotext_ros.nav.clarify import ClarifyConfig
from geotext_ros.nav.grounding import GroundingResult
from geotext_ros.nav.mission import Mission, MissionConfig
from geotext_ros.nav.pipeline import NavPipeline
from geotext_ros.nav.safety import SafetyConfig, SafetyEnvelope
from geotext_ros.nav.scene import SceneObject
from scene_helpers import K, SIZE, square_box

POSE = Pose(0.0, 0.0, 40.0, 0.0)
# six buildings in a row across the view, the first lit best (its colour is the one the model lights best)
BUILDINGS = [(-25.0 + 10.0 * i, 8.0) for i in range(6)]
SCORES = (0.88, 0.61, 0.5, 0.45, 0.4, 0.35)


def frame():
    """Grey roofs on grass, a gap of grass between them (they are six objects, not parts of one)."""
    rgb = np.full((SIZE[1], SIZE[0], 3), (60, 140, 60), np.uint8)
    for centre in BUILDINGS:
        x0, y0, x1, y1 = box_pixel_span(square_box(centre, 3.0, POSE), SIZE)
        rgb[y0:y1, x0:x1] = (128, 128, 128)
    return rgb


RGB = frame()


def objects(scores):
    return [SceneObject((0.2 + 0.1 * i, 0.5, 0.05, 0.05), "building", s, (10.0 * i, 0.0)) for i, s in enumerate(scores)]


def test_scores_of_any_colour_are_not_a_margin():
    objs = objects(SCORES[:3])
    plain = clarify.decide(objs, 0.22, ClarifyConfig())
    assert plain.action == clarify.GO and plain.index == 0, "0.61 < 0.7 x 0.88: one clear winner by score"
    anyc = clarify.decide(objs, 0.22, ClarifyConfig(), any_colour=True)
    assert anyc.action == clarify.ASK and anyc.candidates == (0, 1, 2), anyc
    assert "no colour was named" in anyc.reason
    assert clarify.decide(objects((0.88, 0.2)), 0.22, ClarifyConfig(), any_colour=True).action == clarify.GO


def test_look_alikes_beyond_max_candidates_are_kept_for_later():
    many = clarify.decide(objects(SCORES), 0.22, ClarifyConfig(max_candidates=4), any_colour=True)
    assert many.candidates == (0, 1, 2, 3) and many.more == (4, 5)
    assert len(many.question["candidates"]) == 4
    assert clarify.decide(objects(SCORES[:2]), 0.22, ClarifyConfig(), any_colour=True).more == ()
    offered = clarify.offer(objects(SCORES), "anchor missing", ClarifyConfig(max_candidates=2))
    assert offered.candidates == (0, 1) and offered.more == (2, 3, 4, 5)


class RowGrounder:
    """Every frame shows the six buildings, read in any colour ("fly to the building")."""

    def ground(self, rgb, instruction):
        cands = [Candidate(square_box(c, 3.0, POSE), s, 9) for c, s in zip(BUILDINGS, SCORES)]
        return GroundingResult(cands[0].box, 0.9, cands, 0, phrase=instruction.target, confidence=SCORES[0],
                               any_colour=True)


def pipeline():
    mission = Mission(MissionConfig(localize_votes=1, min_confidence=0.22, approach_altitude=None),
                      ClarifyConfig(max_candidates=4))
    return NavPipeline(RowGrounder(), mission, SafetyEnvelope(SafetyConfig(camera_timeout_s=0.0, odom_timeout_s=0.0)))


def test_none_of_them_asks_about_the_rest_then_holds():
    p = pipeline()
    p.set_instruction("fly to the building", 0.0, tuple(POSE))
    _, status = p.process_frame(RGB, K, tuple(POSE), 1.0)
    assert status["state"] == "CLARIFY" and len(status["candidates"]) == 4, status
    status = p.set_instruction("none of them", 2.0, tuple(POSE))
    assert status["state"] == "CLARIFY" and status["reason"].startswith("asking again"), status
    assert [c["number"] for c in status["candidates"]] == [1, 2]
    assert "Then is it one of these?" in status["question"]
    wp, status = p.tick(tuple(POSE), 2.5, None, None)
    assert status["state"] == "CLARIFY" and math.hypot(wp[0], wp[1]) < 1e-6, "still holding where it asked"
    status = p.set_instruction("none of them", 3.0, tuple(POSE))
    assert status["state"] == "HOLD", "nothing left to offer: hold, as before"


def test_the_second_question_numbers_its_own_candidates():
    p = pipeline()
    p.set_instruction("fly to the building", 0.0, tuple(POSE))
    p.process_frame(RGB, K, tuple(POSE), 1.0)
    p.set_instruction("none of them", 2.0, tuple(POSE))
    status = p.set_instruction("number 2", 3.0, tuple(POSE))
    assert status["state"] == "APPROACH", status
    assert math.dist(p.mission.target, BUILDINGS[5]) < 1.5, p.mission.target
    assert p.instruction.raw == "fly to the building"
