"""Issue 19: camera-frame relations ("the building left of the pool", "at the top of the image") keep the camera
frame of the moment the instruction was given. The world is a pool with one building north and one south of it;
at yaw 0 (heading east) "left" is north. The grounder below picks in the *current* image with the real selection
rule (nav/selection.py), as the real Grounder does, so after a turn its own pick is the other building: what is
tested is that the pipeline's choice (nav/camera_frame.py) and the approach do not follow it."""
import math

import numpy as np
import pytest

from geotext_ros.geometry import Pose
from geotext_ros.nav.camera_frame import frozen_choice
from geotext_ros.nav.candidates import Candidate
from geotext_ros.nav.grounding import GroundingResult
from geotext_ros.nav.mission import Mission, MissionConfig
from geotext_ros.nav.parser import parse_instruction
from geotext_ros.nav.pipeline import NavPipeline
from geotext_ros.nav.safety import SafetyConfig, SafetyEnvelope
from geotext_ros.nav.selection import select_candidate
from scene_helpers import K, SIZE, rotated, square_box

POOL = (0.0, 0.0)
NORTH, SOUTH = (0.0, 12.0), (0.0, -12.0)
RGB = np.zeros((SIZE[1], SIZE[0], 3), np.uint8)


class ImageGrounder:
    """Candidates = both buildings as seen from `pose`; anchor = the pool (None when `anchor` is False); the
    grounder's own pick = the real 3x3 selection in the current image (what changes when the drone turns)."""

    def __init__(self, pose, anchor=True, scores=(0.8, 0.8)):
        self.pose, self.anchor, self.scores = pose, anchor, scores

    def ground(self, rgb, instruction):
        cands = [Candidate(square_box(c, 3.0, self.pose), s, 9) for c, s in zip((NORTH, SOUTH), self.scores)]
        anchor = square_box(POOL, 2.5, self.pose) if self.anchor else None
        got = select_candidate(cands, instruction.relation if anchor else None, [anchor] if anchor else [],
                               instruction.position)
        return GroundingResult(cands[got.index].box, 0.9, cands, got.index, anchor_box=anchor,
                               relation=got.relation, phrase=instruction.target,
                               confidence=cands[got.index].score)


def pipeline(grounder, **mission):
    cfg = dict(localize_votes=2, min_confidence=0.5, approach_altitude=None, track_radius=8.0)
    cfg.update(mission)
    return NavPipeline(grounder, Mission(MissionConfig(**cfg)),
                       SafetyEnvelope(SafetyConfig(camera_timeout_s=0.0, odom_timeout_s=0.0)))


@pytest.mark.parametrize("yaw", [0.0, math.pi / 2, 2.5, math.pi, -math.pi / 2])
def test_frozen_choice_is_the_instruction_time_pick_whatever_the_yaw(yaw):
    ins = parse_instruction("fly to the building left of the pool")
    pose = Pose(0.0, 0.0, 40.0, yaw)
    result = ImageGrounder(pose).ground(RGB, ins)
    got = frozen_choice(result, ins, SIZE, K, tuple(pose), 0.0)
    assert got.index == 0 and got.frame == "camera at instruction", got   # NORTH: left at yaw 0
    right_of = parse_instruction("fly to the building right of the pool")
    right = frozen_choice(ImageGrounder(pose).ground(RGB, right_of), right_of, SIZE, K, tuple(pose), 0.0)
    assert right.index == 1, right   # SOUTH: right at yaw 0


def test_the_image_pick_does_change_when_the_drone_turns():
    """The test above can fail: at yaw pi the current image's "left" is the south building."""
    ins = parse_instruction("fly to the building left of the pool")
    assert ImageGrounder(Pose(0.0, 0.0, 40.0, 0.0)).ground(RGB, ins).chosen == 0
    assert ImageGrounder(Pose(0.0, 0.0, 40.0, math.pi)).ground(RGB, ins).chosen == 1


def test_image_position_is_frozen_too():
    ins = parse_instruction("fly to the building at the top of the image")   # top = heading = east at yaw 0
    turned = Pose(0.0, 0.0, 40.0, math.pi)
    east_west = GroundingResult(None, 0.9, [Candidate(square_box((12.0, 0.0), 3.0, turned), 0.8, 9),
                                            Candidate(square_box((-12.0, 0.0), 3.0, turned), 0.8, 9)])
    got = frozen_choice(east_west, ins, SIZE, K, (0.0, 0.0, 40.0, math.pi), 0.0)
    assert got.index == 0, got   # east, though at yaw pi it is at the bottom of the current image


@pytest.mark.parametrize("turn", [math.pi / 2, 2.5, math.pi])
def test_target_stays_when_the_drone_turns_before_and_during_the_approach(turn):
    pose = Pose(0.0, -2.0, 40.0, 0.0)
    g = ImageGrounder(pose)
    p = pipeline(g)
    p.set_instruction("fly to the building left of the pool", 0.0, tuple(pose))
    g.pose = rotated(pose, turn)   # turned before the first frame: LOCALIZE sees the frame at another yaw
    for t in range(1, 3):
        _, status = p.process_frame(RGB, K, tuple(g.pose), float(t))
    assert status["state"] == "APPROACH" and math.dist(p.mission.target, NORTH) < 1.5, status
    assert status["relation_frame"] == "camera at instruction", status
    for t in range(3, 30):   # fly toward it, turning the other way half-way
        wp, status = p.tick(tuple(g.pose), t + 0.5, None, None)
        yaw = turn if t < 12 else turn - math.pi
        g.pose = Pose(wp[0], wp[1], wp[2], yaw) if wp is not None else rotated(g.pose, yaw)
        _, status = p.process_frame(RGB, K, tuple(g.pose), t + 0.9)
        assert status["state"] in ("APPROACH", "ARRIVED"), status
        assert math.dist(p.mission.target, NORTH) < 1.5, (t, p.mission.target, status)
    assert status["state"] == "ARRIVED" and math.dist(g.pose[:2], NORTH) < 2.5, (g.pose, status)


def test_the_approached_target_is_tracked_when_the_anchor_leaves_the_view():
    """Flying toward the target the anchor may drop out of the frame: the target chosen at LOCALIZE is kept."""
    pose = Pose(0.0, -2.0, 40.0, 0.0)
    g = ImageGrounder(pose)
    p = pipeline(g, grounded_within_frames=3)
    p.set_instruction("fly to the building left of the pool", 0.0, tuple(pose))
    for t in range(1, 3):
        _, status = p.process_frame(RGB, K, tuple(g.pose), float(t))
    assert status["state"] == "APPROACH", status
    g.anchor, g.pose = False, rotated(pose, math.pi)
    for t in range(3, 12):
        result, status = p.process_frame(RGB, K, tuple(g.pose), float(t))
        assert status["state"] == "APPROACH" and math.dist(p.mission.target, NORTH) < 1.5, status
        assert result.chosen == 0   # the north building's box, the one tracked
