"""The simulated operator of the episodes (geotext_ros.sim.operator, issue 19 §3): a CLARIFY status made by the
navigator's own question builder (nav/clarify.py) from boxes of a rendered frame is answered with the target's
number, or "none of them" when the target is not offered, and the answer means that candidate to the navigator."""
from functools import lru_cache

import pytest

from geotext_ros.nav import clarify
from geotext_ros.nav.scene import locate
from geotext_ros.param_file import load_node_params
from geotext_ros.sim.family_ambiguous import make_ambiguous_episode
from geotext_ros.sim.operator import ANSWER_DELAY_S, NONE_OF_THEM, Operator, operator_answer, owner

SEED = 100000


@lru_cache(maxsize=1)
def _scene():
    """A rendered frame of an ambiguous episode, its target and the target's look-alikes (same kind) in it."""
    ep = make_ambiguous_episode(SEED, load_node_params("sim_world"))
    assert ep is not None
    frame = ep.camera.render(ep.start)
    target = next(o for o in frame.objects if o.object_id == ep.task.target_id)
    others = [o for o in frame.objects if o.kind == target.kind and o.object_id != target.object_id]
    assert others, "the episode's target has no look-alike in its first frame"
    pose = (ep.start.x, ep.start.y, ep.start.z, ep.start.yaw)
    size = (frame.image.shape[1], frame.image.shape[0])
    k = ep.camera.k[0], ep.camera.k[4], ep.camera.k[2], ep.camera.k[5]
    return frame, target, others, (size, k, pose)


def _status(boxes, geometry):
    """The CLARIFY status the navigator publishes for these candidate boxes (numbered 1.. in this order)."""
    size, k, pose = geometry
    objects = [locate(b, "building", 0.5, size, k, pose) for b in boxes]
    question = clarify.question(objects, list(range(len(objects))), "test", (pose[0], pose[1]))
    return {"state": "CLARIFY", "question": question["question"], "candidates": question["candidates"]}, objects


@pytest.mark.parametrize("position", [0, 1, 2])
def test_the_target_candidate_gets_its_number_and_the_navigator_reads_it_as_that_candidate(position):
    frame, target, others, geometry = _scene()
    boxes = [o.bbox for o in others[:2]]
    boxes.insert(min(position, len(boxes)), target.bbox)
    status, objects = _status(boxes, geometry)
    answer = operator_answer(status, frame.objects, target.object_id)
    want = min(position, len(boxes) - 1) + 1
    assert answer == f"number {want}"
    meant = clarify.resolve_answer(answer, objects)
    assert meant.kind == clarify.CHOICE and meant.index == want - 1


def test_a_fragment_of_the_target_is_still_the_target_and_the_best_overlap_wins():
    frame, target, others, geometry = _scene()
    cx, cy, w, h = target.bbox
    fragment = (cx - w / 4, cy, w / 2, h / 2)   # the left half of the target's box: a piece of it
    status, _ = _status([others[0].bbox, fragment, target.bbox], geometry)
    assert owner(fragment, frame.objects).object_id == target.object_id
    assert operator_answer(status, frame.objects, target.object_id) == "number 3"


def test_none_of_them_when_the_target_is_not_offered():
    frame, target, others, geometry = _scene()
    status, objects = _status([o.bbox for o in others[:2]], geometry)
    answer = operator_answer(status, frame.objects, target.object_id)
    assert answer == NONE_OF_THEM
    assert clarify.resolve_answer(answer, objects).kind == clarify.CANCEL
    # the target out of the frame asked about: it cannot be one of the candidates either
    rest = [o for o in frame.objects if o.object_id != target.object_id]
    assert operator_answer(status, rest, target.object_id) == NONE_OF_THEM


def test_only_a_question_is_answered():
    frame, target, _, _ = _scene()
    with pytest.raises(ValueError, match="CLARIFY.*'APPROACH'"):
        operator_answer({"state": "APPROACH", "candidates": None}, frame.objects, target.object_id)


def test_the_operator_counts_questions_and_answers_each_after_its_delay():
    frame, target, others, geometry = _scene()
    status, _ = _status([others[0].bbox, target.bbox], geometry)
    sent = []

    def reply(text):   # the navigator took the answer: here it asks once more, then approaches
        sent.append(text)
        return status if len(sent) == 1 else {"state": "APPROACH"}

    op = Operator(target.object_id)
    assert op.see({"state": "LOCALIZE"}, frame.objects, 0.0, reply) == {"state": "LOCALIZE"}
    assert op.see(status, frame.objects, 1.0, reply) is status and op.asked == 1 and sent == []
    op.see(status, frame.objects, 1.0 + ANSWER_DELAY_S / 2, reply)
    assert sent == []   # still reading the question
    op.see(status, frame.objects, 1.0 + ANSWER_DELAY_S, reply)
    assert sent == ["number 2"] and op.asked == 1   # asked on: the same question, not a new one
    assert op.see(status, frame.objects, 1.0 + 2 * ANSWER_DELAY_S, reply) == {"state": "APPROACH"}
    op.see(status, frame.objects, 20.0, reply)   # a later question is a new one
    assert op.asked == 2 and op.given == ["number 2", "number 2"]
    silent = Operator(target.object_id, answers=False)
    for t in range(60):
        silent.see(status, frame.objects, float(t), reply)
    assert silent.asked == 1 and silent.given == [] and len(sent) == 2
