"""Parts of one object lit apart are one candidate (nav/fragments.py): the two ends of a long grey hall are joined
by its roof, two grey roofs with grass between them are not, nothing is joined in a frame of one colour; the
pipeline asks about the hall once and tracks the operator's answer as the whole hall."""
import math

import numpy as np

from geotext_ros.geometry import Pose
from geotext_ros.nav.candidates import Candidate, box_pixel_span
from geotext_ros.nav.clarify import ClarifyConfig
from geotext_ros.nav.fragments import join, parts
from geotext_ros.nav.grounding import GroundingResult
from geotext_ros.nav.mission import Mission, MissionConfig
from geotext_ros.nav.pipeline import NavPipeline
from geotext_ros.nav.safety import SafetyConfig, SafetyEnvelope
from scene_helpers import K, SIZE, square_box

POSE = Pose(0.0, 0.0, 40.0, 0.0)
GRASS, ROOF = (60, 140, 60), (128, 128, 128)
ENDS = [(-14.0, 6.0), (14.0, 6.0)]      # the ends of a hall 36 m long east-west, 8 m wide, lit apart
OTHER = (0.0, -14.0)                    # a grey building of its own, across the grass


def frame():
    rgb = np.full((SIZE[1], SIZE[0], 3), GRASS, np.uint8)
    for (cx, cy), (hx, hy) in (((0.0, 6.0), (18.0, 4.0)), (OTHER, (4.0, 4.0))):
        corners = [square_box((cx + sx * hx, cy + sy * hy), 0.01, POSE) for sx in (-1, 1) for sy in (-1, 1)]
        us, vs = [c[0] for c in corners], [c[1] for c in corners]
        box = ((min(us) + max(us)) / 2, (min(vs) + max(vs)) / 2, max(us) - min(us), max(vs) - min(vs))
        x0, y0, x1, y1 = box_pixel_span(box, SIZE)
        rgb[y0:y1, x0:x1] = ROOF
    return rgb


RGB = frame()


def candidates():
    """The hall's two ends (4 m squares at either end) and the other building, best first."""
    return [Candidate(square_box(ENDS[0], 3.0, POSE), 0.61, 4), Candidate(square_box(OTHER, 3.0, POSE), 0.55, 4),
            Candidate(square_box(ENDS[1], 3.0, POSE), 0.5, 3)]


def test_the_ends_of_one_roof_are_one_object_and_a_building_across_grass_is_not():
    boxes = [c.box for c in candidates()]
    assert parts(RGB, boxes, 40.0, 3) == [[0, 2], [1]]
    merged, chosen = join(candidates(), 2, RGB, 40.0, 3)
    assert len(merged) == 2 and chosen == 0
    assert merged[0].score == 0.61 and merged[0].cells == 7 and merged[1] == candidates()[1]
    end = candidates()[0].box
    assert merged[0].box[2] * merged[0].box[3] > 2.5 * end[2] * end[3], "the merged box spans the hall"
    flat = np.full_like(RGB, 128)   # one colour everywhere: the ground's colour joins nothing
    assert parts(flat, boxes, 40.0, 3) == [[0], [1], [2]]
    assert join(candidates()[:1], 0, RGB, 40.0, 3) == (candidates()[:1], 0)


class HallGrounder:
    def ground(self, rgb, instruction):
        cands = candidates()
        return GroundingResult(cands[0].box, 0.9, cands, 0, phrase=instruction.target, confidence=0.61)


def test_the_question_offers_the_hall_once_and_the_answer_flies_to_its_middle():
    mission = Mission(MissionConfig(localize_votes=1, min_confidence=0.22, approach_altitude=None),
                      ClarifyConfig(score_ratio=0.5))
    p = NavPipeline(HallGrounder(), mission, SafetyEnvelope(SafetyConfig(camera_timeout_s=0.0, odom_timeout_s=0.0)))
    p.set_instruction("fly to the grey building", 0.0, tuple(POSE))
    _, status = p.process_frame(RGB, K, tuple(POSE), 1.0)
    assert status["state"] == "CLARIFY" and len(status["candidates"]) == 2, status
    status = p.set_instruction("number 1", 2.0, tuple(POSE))
    assert status["state"] == "APPROACH", status
    assert math.dist(p.mission.target, (0.0, 6.0)) < 2.0, ("the hall's middle, not an end", p.mission.target)
    for t in range(3, 6):   # tracking keeps to the whole hall, not to the end nearest the estimate
        p.process_frame(RGB, K, tuple(POSE), float(t))
        assert math.dist(p.mission.target, (0.0, 6.0)) < 2.0, p.mission.target


def test_the_ground_colour_from_counts_is_the_dominant_colour_outside_the_box():
    """FrameSurfaces reads the ground's colour from the frame's level counts less the box's: the same value as
    FrameColours' median of the most common bin outside the box, odd and even pixel counts alike."""
    from geotext_ros.nav.image_outline import FrameSurfaces, _dominant, span_mask

    rng = np.random.default_rng(7)
    for trial in range(6):
        rgb = rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)
        rgb[: 20 + trial] = (60 + trial, 140, 60)   # a lawn of one colour: its bin dominates
        surfaces = FrameSurfaces(rgb, 40.0, 3)
        inside = span_mask(rgb.shape, (0.5, 0.6, 0.3 + 0.05 * trial, 0.4))
        np.testing.assert_array_equal(surfaces._ground(inside), _dominant(surfaces.smooth[~inside]))
