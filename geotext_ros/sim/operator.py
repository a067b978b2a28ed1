"""The operator of the closed-loop episodes (issue 19 §3): answers the navigator's CLARIFY question truthfully from
the simulator's ground truth, in the words a person at the ground station would send.

The question's candidates carry the boxes of the frame the navigator asked about (normalized cx, cy, w, h); the
frame's ground-truth objects (geotext_ros.sim.render.VisibleObject) carry boxes in the same units. Each candidate
is the object it overlaps most (IoU; without any overlap, the object whose box centre is nearest). The answer is
"number k" for the candidate that is the intended target (the best overlap when several are), or "none of them"
when the target is not offered. A question about gallery places (candidates with a `place_id`,
nav/place_question.py) is answered with the number of the target's place, as an operator who knows the area would.

    text = operator_answer(status, frame.objects, task.target_id)   # status["state"] == "CLARIFY"
    status = pipe.set_instruction(text, now, pose)

    operator = Operator(task.target_id)                  # in the loop: counts questions, answers after a delay
    status = operator.see(status, frame.objects, now, lambda text: pipe.set_instruction(text, now, pose))
"""
from __future__ import annotations

from typing import Any, Callable, Mapping, Optional, Sequence

from geotext_ros.nav.candidates import center_distance, iou
from geotext_ros.nav.place_question import is_place_question

NONE_OF_THEM = "none of them"
ANSWER_DELAY_S = 2.0   # simulated seconds the operator takes to read the question and answer


def owner(box: Sequence[float], objects: Sequence[Any]) -> Optional[Any]:
    """The ground-truth object a candidate box shows: the best IoU, else the nearest box centre (None: no
    objects)."""
    if not objects:
        return None
    best = max(objects, key=lambda o: iou(box, o.bbox))
    if iou(box, best.bbox) > 0.0:
        return best
    return min(objects, key=lambda o: center_distance(box, o.bbox))


def operator_answer(status: Mapping[str, Any], objects: Sequence[Any], target_id: int,
                    place_id: Optional[str] = None) -> str:
    """The truthful answer to a CLARIFY status: "number k" (k = the candidate's `number`) for the candidate that
    shows the target (or is the target's gallery place, place_id), else "none of them". objects: the ground truth
    of the frame the question was asked about."""
    candidates = status.get("candidates")
    if status.get("state") != "CLARIFY" or not candidates:
        raise ValueError(f"operator_answer needs a CLARIFY status with candidates, got state "
                         f"{status.get('state')!r} with {len(candidates or [])} candidates")
    if is_place_question(candidates):
        return next((f"number {int(c['number'])}" for c in candidates if c["place_id"] == place_id), NONE_OF_THEM)
    target = next((o for o in objects if o.object_id == target_id), None)
    if target is None:   # the target is not in the frame asked about: no candidate can be it
        return NONE_OF_THEM
    hits = [c for c in candidates if (o := owner(c["box"], objects)) is not None and o.object_id == target_id]
    if not hits:
        return NONE_OF_THEM
    best = max(hits, key=lambda c: iou(c["box"], target.bbox))
    return f"number {int(best['number'])}"


class Operator:
    """The operator at the ground station during one episode: counts the questions (`asked`: entries into
    CLARIFY; `asked_places`: those about gallery places) and, when `answers`, answers each ANSWER_DELAY_S after it
    was asked (again after the same delay while the mission keeps asking, e.g. a chosen candidate it could not
    place); `given` lists the answers. place_id: the target's gallery place, for questions about places."""

    def __init__(self, target_id: int, answers: bool = True, place_id: Optional[str] = None) -> None:
        self.target_id, self.answers, self.place_id = target_id, answers, place_id
        self.asked, self.given = 0, []
        self.asked_places = 0   # of those, questions about gallery places (nav/place_question.py)
        self._since: Optional[float] = None   # when the pending question was asked (or last answered)

    def see(self, status: dict[str, Any], objects: Sequence[Any], now: float,
            reply: Callable[[str], dict[str, Any]]) -> dict[str, Any]:
        """The status after this cycle: unchanged, or what `reply(answer)` (the navigator taking the operator's
        text) returned. objects: the ground truth of the frame the question was asked about."""
        if status.get("state") != "CLARIFY":
            self._since = None
            return status
        if self._since is None:
            self.asked, self._since = self.asked + 1, now
            self.asked_places += is_place_question(status)
        elif self.answers and now >= self._since + ANSWER_DELAY_S:
            self.given.append(operator_answer(status, objects, self.target_id, self.place_id))
            status, self._since = reply(self.given[-1]), now
            if status.get("state") != "CLARIFY":
                self._since = None
        return status
