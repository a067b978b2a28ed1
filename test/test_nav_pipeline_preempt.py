"""NavPipeline.preempted: a grounding that an instruction replaced while it ran gives no result and says so, so
the navigator grounds the frame again for the new instruction at once (nodes/navigator.py) instead of losing it."""
import numpy as np

from geotext_ros.geometry import Pose
from geotext_ros.nav.candidates import Candidate
from geotext_ros.nav.grounding import GroundingResult
from geotext_ros.nav.mission import Mission, MissionConfig
from geotext_ros.nav.pipeline import NavPipeline
from geotext_ros.nav.safety import SafetyConfig, SafetyEnvelope
from scene_helpers import K, SIZE, square_box

POSE = Pose(0.0, 0.0, 40.0, 0.0)
RGB = np.zeros((SIZE[1], SIZE[0], 3), np.uint8)


class InterruptedGrounder:
    """One building ahead; while grounding, `interrupt` (if set) runs once: an instruction arriving meanwhile."""

    def __init__(self):
        self.interrupt = None

    def ground(self, rgb, instruction):
        if self.interrupt is not None:
            interrupt, self.interrupt = self.interrupt, None
            interrupt()
        cand = Candidate(square_box((0.0, 10.0), 3.0, POSE), 0.9, 9)
        return GroundingResult(cand.box, 0.9, [cand], 0, phrase=instruction.target, confidence=0.9)


def test_a_grounding_replaced_by_a_new_instruction_is_flagged_and_the_next_one_is_not():
    grounder = InterruptedGrounder()
    pipe = NavPipeline(grounder, Mission(MissionConfig(approach_altitude=None)),
                       SafetyEnvelope(SafetyConfig(camera_timeout_s=0.0, odom_timeout_s=0.0)))
    pipe.set_instruction("fly to the red building", 0.0, tuple(POSE))
    grounder.interrupt = lambda: pipe.set_instruction("fly to the blue building", 0.5, tuple(POSE))
    result, status = pipe.process_frame(RGB, K, tuple(POSE), 1.0)
    assert result is None and pipe.preempted and status["instruction"] == "fly to the blue building"
    result, status = pipe.process_frame(RGB, K, tuple(POSE), 1.2)   # the same frame again, for the new one
    assert result is not None and result.box is not None and not pipe.preempted
    assert result.phrase == "the blue building"
