"""Camera-frame relations frozen at instruction time (issue 19): "the building left of the pool", "the car at the
top of the image" mean the image as the camera saw it when the instruction was given, not the current one.

The grounder picks among a frame's candidates in that frame's image (the 3x3 rule of geotext_ros.relations, image
positions). After the drone yaws, "left" in the image is another direction on the ground and that pick changes.
`frozen_choice` makes the same pick on boxes re-projected into a virtual nadir camera at the vehicle's current
position and altitude but the yaw it had when the instruction came (Mission.instruction_yaw): each candidate's and
anchor's box is placed on the ground (geotext_ros.nav.scene.locate), its footprint projected back through that
camera (geotext_ros.nav.camera.ground_to_pixel), and the grounder's own rule (nav/selection.py select_candidate)
applied to the projected boxes, without the relation head (its probabilities are of the current image). Within
SAME_FRAME_YAW of the instruction's yaw the current image is the instruction's frame and the grounder's own pick
(which has the relation head's evidence) is kept. For a nadir camera over flat
ground the 3x3 relation of two objects depends only on their ground positions, so a relation's pick also stays
while the drone flies toward the target; image positions ("at the top of the image") are frozen in direction but
move with the drone: the pipeline keeps tracking the target it approaches instead (pipeline._pinned).
"""
from __future__ import annotations

import math
from typing import Any, NamedTuple, Optional, Sequence

from geotext_ros.nav.camera import IntrinsicsLike, ground_to_pixel, pixel_to_normalized
from geotext_ros.nav.candidates import BoxT, Candidate
from geotext_ros.nav.map_relations import FRAME_CAMERA
from geotext_ros.nav.scene import locate
from geotext_ros.nav.selection import select_candidate

Pose4 = tuple[float, float, float, float]
# Turned less than this since the instruction (rad): the image is still the instruction's frame. 5 degrees moves
# a box at the edge of a 90-degree view by under 0.05 of the image, well inside the 3x3 rule's half-extent margins.
SAME_FRAME_YAW = math.radians(5.0)


class FrozenChoice(NamedTuple):
    """index into the grounding's candidates (None: none could be placed), the frame used, and why."""

    index: Optional[int]
    frame: str
    reason: str


def has_camera_relation(instruction: Any) -> bool:
    """True for an image relation with its anchor ("left of the pool") or an image position ("at the top")."""
    position = getattr(instruction, "position", None)
    return bool(getattr(instruction, "relation", None) and getattr(instruction, "anchor", None)) or (
        position is not None and any(p is not None for p in position))


def frozen_box(box: Sequence[float], size: tuple[int, int], k: IntrinsicsLike, pose: Pose4,
               yaw_at_instruction: float) -> Optional[BoxT]:
    """A box of the frame seen from `pose`, as the nadir camera at the same place with the instruction's yaw would
    have seen it (normalized cx, cy, w, h; may lie outside 0..1); None when it does not map to the ground."""
    obj = locate(box, "object", 0.0, size, k, pose)
    if not obj.footprint:
        return None
    frozen = (pose[0], pose[1], pose[2], yaw_at_instruction)
    pixels = [ground_to_pixel(x, y, k, frozen) for x, y in obj.footprint]
    if any(p is None for p in pixels):
        return None
    pts = [pixel_to_normalized(u, v, size) for u, v in pixels]   # type: ignore[misc]
    us, vs = [p[0] for p in pts], [p[1] for p in pts]
    return (min(us) + max(us)) / 2, (min(vs) + max(vs)) / 2, max(us) - min(us), max(vs) - min(vs)


def frozen_choice(result: Any, instruction: Any, size: tuple[int, int], k: IntrinsicsLike, pose: Pose4,
                  yaw_at_instruction: float) -> FrozenChoice:
    """The candidate of `result` (a GroundingResult) that the instruction's image relation or position picks in
    the camera frame at instruction time (module docstring). The relation needs the grounder's anchor box(es):
    without them it returns index None ("anchor not found"); the caller asks instead of guessing."""
    frame = FRAME_CAMERA
    turned = abs(math.remainder(float(pose[3]) - yaw_at_instruction, 2 * math.pi))
    relation = getattr(instruction, "relation", None)
    anchor_found = result.anchor_box is not None or not relation
    if turned <= SAME_FRAME_YAW and result.chosen is not None and anchor_found:
        return FrozenChoice(result.chosen, frame, f"the image is the camera frame at instruction (turned "
                                                  f"{math.degrees(turned):.0f} deg): the grounder's pick")
    placed = [(i, frozen_box(c.box, size, k, pose, yaw_at_instruction)) for i, c in enumerate(result.candidates or [])]
    placed = [(i, b) for i, b in placed if b is not None]
    if not placed:
        return FrozenChoice(None, frame, "no candidate could be placed on the ground")
    cands = [Candidate(b, float(result.candidates[i].score), result.candidates[i].cells) for i, b in placed]
    anchors: list[BoxT] = []
    if relation and instruction.anchor:
        boxes = [result.anchor_box] + ([result.anchor2_box] if relation == "between" else [])
        anchors = [a for a in (frozen_box(b, size, k, pose, yaw_at_instruction) if b is not None else None
                               for b in boxes) if a is not None]
        if len(anchors) < len(boxes) and not (relation == "between" and anchors):
            return FrozenChoice(None, frame, f"{instruction.anchor} not found")
    got = select_candidate(cands, relation if anchors else None, anchors, instruction.position)
    if got.index is None:
        return FrozenChoice(None, frame, got.reason)
    what = f"{relation} {instruction.anchor}" if anchors else f"image position {instruction.position}"
    return FrozenChoice(placed[got.index][0], frame, f"{what} in the camera frame at instruction ({got.reason})")
