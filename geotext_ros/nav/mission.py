"""The navigator's mission state machine: plain values in, a waypoint and a status dict out (no ROS, no model).

States:
    IDLE       no instruction yet: no waypoint.
    SEARCH     fly to the best gallery place (retrieval result) at the place's altitude. When the target is not
               found there (LOCALIZE timed out with nothing to offer, or the operator answered "none of them"),
               the next place in retrieval order is searched, up to `search_places` (status `place.rank`).
    LOCALIZE   hold position; ground the target in several frames; confident ground points must agree (vote).
    APPROACH   fly above the voted target point; confident re-groundings nearby refine it.
    ARRIVED    within arrive_tolerance of the target: hold above it (with hold_tracking, still refining it).
    NOT_FOUND  a phase timed out: hold position.
    NOT_UNDERSTOOD  the instruction names nothing groundable (parser): no new target; a running mission holds
               where it is, an idle drone stays without a waypoint. The reason says what was missing.
    HOLD       after `stop` / `hold`, or when an input went stale or unusable (`input_lost`): hold the position
               where it began. "resume" / "continue" (or, with resume_after_stale, the inputs coming back) starts
               the interrupted instruction again from the beginning: its old target is never flown to again.
    RETURN     after `return`: fly to home at return_altitude.
    DESCEND    "land next to / on X": ARRIVED above X, the pipeline planned a touchdown point (nav/landing.py): fly
               to it and down to the envelope's minimum altitude.
    LANDING    above the touchdown point at that altitude: handed over to the flight controller's land mode (the PX4
               bridge sends VEHICLE_CMD_NAV_LAND when it sees this state); no waypoint from the mission.
    CLARIFY    not sure (clarify.decide said ASK: look-alikes, or the relation's anchor not found; or LOCALIZE timed
               out with candidates seen but none reaching min_confidence, offered with `offer_if_not_found`, the
               grounder's faint regions between grounding.offer_min_score and min_score included): hold
               position with the numbered candidates in the status (`question`, `candidates`) until the operator
               answers (choose / cancel) or clarify.answer_timeout_s passes (then HOLD with the reason). A choice
               approaches that candidate's ground point; the operator's choice is the confirmation, so a chosen
               candidate that scored below min_confidence is tracked at its own score less clarify.score_margin.
               "none of them" offers the look-alikes the question left out (beyond clarify.max_candidates, same
               frame: `ask_next`), then holds after look-alikes and is NOT_FOUND after a not-found question; at a
               gallery place with another left to search (search_places) it flies to that place instead.
               Before SEARCH, when gallery places score within clarify.place_margin of the best
               (nav/place_question.py), the places are offered instead: a choice flies to that place alone, "none
               of them" to the places not offered (NOT_FOUND when none is left).
A new instruction preempts whatever runs. A grounding whose confidence is below min_confidence (or without a
box) never produces a waypoint: it is ignored and the status says so. Confidence = the grounding's `confidence`
(dense-map probability of the chosen target region) when it has one, else its `score` (ITM probability).
APPROACH and ARRIVED need a confident grounding among the last `grounded_within_frames` grounded frames; without
one the target is lost and the mission localizes again. In those states the status's score and box are that
grounding's (`grounded_frames_ago` says how old), so they never show a null box or a score below min_confidence.

Typical loop (the navigator node):

    mission = Mission(MissionConfig())
    mission.instruct(parse_instruction(text), now, pose, retrieval=index.query(text))
    ...
    result = grounder.ground(rgb, instruction) if mission.needs_grounding else None
    point = box_center_to_ground(result.box, ...) if result and result.box else None
    out = mission.update(now, pose, result, point)
    if out.waypoint: publish(out.waypoint); publish(json.dumps(out.status))
"""
from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, fields
from enum import Enum
from statistics import median
from typing import Any, Mapping, NamedTuple, Optional, Sequence

from geotext_ros.nav.clarify import ClarifyConfig
from geotext_ros.nav.parser import Instruction
from geotext_ros.nav.place_question import close_places, place_question
from geotext_ros.param_file import config_values


class State(str, Enum):
    IDLE = "IDLE"
    SEARCH = "SEARCH"
    LOCALIZE = "LOCALIZE"
    APPROACH = "APPROACH"
    ARRIVED = "ARRIVED"
    NOT_FOUND = "NOT_FOUND"
    HOLD = "HOLD"
    RETURN = "RETURN"
    NOT_UNDERSTOOD = "NOT_UNDERSTOOD"
    CLARIFY = "CLARIFY"
    DESCEND = "DESCEND"
    LANDING = "LANDING"


# States in which the mission acts on its inputs (moves, or looks for the target): stale inputs interrupt them.
ACTIVE_STATES = frozenset({State.SEARCH, State.LOCALIZE, State.APPROACH, State.ARRIVED, State.RETURN,
                           State.DESCEND})
# States whose waypoint comes from a grounded target.
TARGET_STATES = frozenset({State.APPROACH, State.ARRIVED})


@dataclass(frozen=True)
class MissionConfig:
    """Thresholds and timeouts (metres, seconds, probabilities) for a small multirotor at 30-60 m with a nadir
    camera: the `mission.*` parameters of config/nav.yaml, defined here only (test/test_config_defaults.py checks
    the file against these defaults; the measured reasons for each value are next to it in nav.yaml)."""

    min_confidence: float = 0.22       # grounding confidence needed before it can move the drone (docstring)
    min_place_score: float = -1.0      # retrieval score a gallery place needs to be flown to (-1: always)
    # gallery places searched in retrieval order: when the target is not found at one (LOCALIZE times out with
    # nothing to offer, or the operator answers "none of them"), the next is flown to; 1 = only the best
    search_places: int = 2
    search_altitude: float = 40.0      # altitude for a place whose gallery entry has none
    place_tolerance: float = 5.0       # horizontal distance to the place that ends SEARCH
    arrive_tolerance: float = 2.0      # horizontal distance to the target that means ARRIVED
    localize_votes: int = 3            # confident, agreeing ground points needed to accept a target
    vote_radius: float = 5.0           # points within this distance of their median agree
    vote_window: int = 8               # most recent confident points kept for the vote
    track_radius: float = 8.0          # in APPROACH (and ARRIVED with hold_tracking), a confident point this
                                       # close to the target refines it
    track_gain: float = 0.5            # how much of the new point goes into the target (0..1)
    track_window: int = 16             # > 0: the target is instead the median of the last this-many tracked
                                       # points (with the agreeing votes that started the approach)
    # a box wider than this fraction of the image neither votes nor refines the target (it still counts as the
    # target seen): turned views at 25 m gave boxes 0.9-1.0 wide whose centres were ~7 m off (turn seed 100038)
    max_box_width: float = 0.85
    hold_tracking: bool = True         # in ARRIVED, keep grounding and refining the target (station keeping)
    hold_radius: float = 4.0           # in ARRIVED, once a detection this close to the estimate was seen (the
                                       # target under the drone), only points this close to it refine the target
                                       # (0 = track_radius alone): a look-alike beside it (a row of solar arrays)
                                       # otherwise takes the estimate over when the target drops out of the map
    # in ARRIVED, the point a detection refines the target with is the centre of the target's outline in the
    # frame (geotext_ros/nav/image_outline.py; the box's centre when there is none): over a white hall the model
    # lit a third of, the box's centre was 5.4 m from the hall's (plain 800005)
    centre_from_outline: bool = True
    # while tracking a chosen target, a region whose footprint covers the target estimate and a look-alike seen
    # apart from it earlier (two adjacent courts lit as one from closer) counts as the target seen but does not move
    # the estimate: its centre lies between them (nav/lookalike_memory.py)
    ignore_merged: bool = True
    search_timeout: float = 120.0
    localize_timeout: float = 20.0
    approach_timeout: float = 90.0
    approach_altitude: Optional[float] = 25.0   # None (a parameter <= 0) = keep the altitude of LOCALIZE
    return_altitude: float = 30.0
    home: Optional[tuple[float, float]] = None  # None = the first pose the mission sees
    grounded_within_frames: int = 10   # APPROACH / ARRIVED need a confident grounding among this many latest
                                       # grounded frames, else the target is lost (localize again)
    resume_after_stale: bool = False   # after a stale-input HOLD, resume by itself when the inputs are back
                                       # (False: stay in HOLD until "resume" / "continue" or a new instruction)

    def __post_init__(self) -> None:
        if not 0.0 <= self.min_confidence <= 1.0:
            raise ValueError(f"min_confidence must be in [0, 1], got {self.min_confidence}")
        if self.localize_votes < 1 or self.vote_window < self.localize_votes:
            raise ValueError(f"need 1 <= localize_votes ({self.localize_votes}) <= vote_window ({self.vote_window})")
        if not 0.0 < self.track_gain <= 1.0:
            raise ValueError(f"track_gain must be in (0, 1], got {self.track_gain}")
        if self.search_places < 1:
            raise ValueError(f"search_places must be >= 1 (1 = only the best gallery place), got {self.search_places}")
        if self.grounded_within_frames < 1:
            raise ValueError(f"grounded_within_frames must be >= 1, got {self.grounded_within_frames}")
        if self.track_window < 0:
            raise ValueError(f"track_window must be >= 0 (0 = move by track_gain), got {self.track_window}")
        if self.hold_radius < 0:
            raise ValueError(f"hold_radius must be >= 0 (0 = no limit beyond track_radius), got {self.hold_radius}")
        if not 0.0 < self.max_box_width <= 1.0:
            raise ValueError(f"max_box_width must be in (0, 1] (a fraction of the image width; 1 = no limit), "
                             f"got {self.max_box_width}")
        for name in ("place_tolerance", "arrive_tolerance", "vote_radius", "search_timeout", "localize_timeout",
                     "approach_timeout"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")

    @classmethod
    def from_params(cls, params: Mapping[str, Any], prefix: str = "mission.") -> "MissionConfig":
        """From flattened node parameters (`mission.min_confidence`, ...); an unknown `mission.*` name is an
        error. approach_altitude <= 0 means "keep the altitude" (None); `home` is not a parameter (the first pose)."""
        names = [f.name for f in fields(cls) if f.name != "home"]
        values = config_values(cls, params, prefix, names)
        if values.get("approach_altitude") is not None and values["approach_altitude"] <= 0:
            values["approach_altitude"] = None
        return cls(**values)


class Waypoint(NamedTuple):
    """ENU position (m) and yaw (rad) for /geotext/waypoint."""

    x: float
    y: float
    z: float
    yaw: float


class MissionOutput(NamedTuple):
    waypoint: Optional[Waypoint]
    status: dict[str, Any]


def grounds_in(state: State, hold_tracking: bool) -> bool:
    """Whether a mission in `state` grounds the camera frames: LOCALIZE, APPROACH; ARRIVED with hold_tracking."""
    return state in (State.LOCALIZE, State.APPROACH) or (state == State.ARRIVED and hold_tracking)


class Mission:
    """See the module docstring. All times are seconds on one clock (ROS time or time.monotonic())."""

    def __init__(self, config: MissionConfig = MissionConfig(), clarify: ClarifyConfig = ClarifyConfig()) -> None:
        self.config = config
        self.clarify = clarify
        self._question: Optional[dict[str, Any]] = None     # the CLARIFY payload while asking
        self._pending: list[Any] = []                       # the offered SceneObjects, in the question's numbering
        self._more: list[Any] = []                          # look-alikes not offered yet, asked after "none of them"
        self._pending_yaw: Optional[float] = None           # the vehicle's yaw when the question was asked
        self._offered_places: list[Any] = []                # a question about gallery places: their matches
        self.chosen: Optional[Any] = None                   # the candidate the operator chose (pins tracking)
        self._asked_not_found = False                       # the question replaced a NOT_FOUND ("none" = NOT_FOUND)
        self._fallback: Optional[tuple[dict[str, Any], list[Any]]] = None   # unconfident candidates to offer
        self._bar = config.min_confidence                   # confidence that moves the drone (lower once confirmed)
        self._landing: Optional[tuple[tuple[float, float], float]] = None   # (touchdown point, descent altitude)
        self.instruction_yaw = 0.0                          # vehicle yaw when the instruction came (camera words)
        self._selection: Optional[tuple[Optional[str], str]] = None   # (frame, reason) of a map relation / selector
        self.state = State.IDLE
        self.instruction: Optional[Instruction] = None
        self.home: Optional[tuple[float, float]] = config.home
        self._pose: Optional[tuple[float, float, float, float]] = None
        self._entered = 0.0
        self._hold: Optional[Waypoint] = None
        self._place: Optional[Any] = None
        self._target: Optional[tuple[float, float]] = None
        self._held: Optional[tuple[float, float]] = None    # ARRIVED: the target first seen under the drone
        self._keep_estimate: Optional[str] = None   # this cycle: why the grounding's point must not refine the target
        self._votes: deque[tuple[float, float]] = deque(maxlen=config.vote_window)
        self._tracked: deque[tuple[float, float]] = deque(maxlen=max(config.track_window, 1))
        self._last_score: Optional[float] = None
        self._last_box: Optional[Sequence[float]] = None
        self._waypoint: Optional[Waypoint] = None
        self._approach_z: Optional[float] = None
        self._reason = "waiting for an instruction"
        self._evidence: Optional[tuple[float, list[float]]] = None   # (confidence, box) of the last confident one
        self._since_evidence = 0            # grounded frames since that one
        self._retrieval: Optional[Sequence[Any]] = None
        self._place_rank = 0                # index in _retrieval of the place being searched
        self._interrupted: Optional[tuple[Instruction, Optional[Sequence[Any]]]] = None   # what "resume" restarts
        self._input_hold = False            # the HOLD was caused by an input (stale / unusable), not the operator
        self._auto_resume = False           # ... and it ends by itself when the input is usable again

    # ---- inputs ---------------------------------------------------------------------------------------------
    @property
    def target(self) -> Optional[tuple[float, float]]:
        """The target estimate (x, y) in the map frame, once localized (for markers and the ground station)."""
        return self._target

    @property
    def needs_grounding(self) -> bool:
        """True while the camera frames should be grounded (grounds_in)."""
        return grounds_in(self.state, self.config.hold_tracking)

    def instruct(self, instruction: Instruction, now: float, pose: Optional[Sequence[float]] = None,
                 retrieval: Optional[Sequence[Any]] = None) -> None:
        """Start a new instruction, preempting the current one. retrieval: gallery matches best first
        (objects with place_id, x, y, altitude, score), or None/empty to localize where the drone is."""
        if pose is not None:
            self._see(pose)
        if instruction.empty:
            self._reason = "empty instruction ignored"
            return
        if instruction.command == "resume":
            self._resume(now, f"{instruction.raw[:40]!r}")
            return
        interrupted = self._running()
        self.instruction = instruction
        self.instruction_yaw = self._yaw()   # camera words ("from the left") keep this frame while the drone turns
        self._selection = None
        self._forget_target()
        self._clear_question()
        self._input_hold = False
        if instruction.command in ("stop", "hold"):
            self._interrupted = interrupted or self._interrupted
            self._enter(State.HOLD, now, f"{instruction.command}: holding position (say 'resume' to go on)")
            self._hold = self._here()
        elif instruction.command == "return":
            self._retrieval = None
            self._enter(State.RETURN, now, "returning home")
        elif instruction.not_understood is not None:
            was_flying = self._waypoint is not None
            self._retrieval, self._interrupted = None, None
            self._enter(State.NOT_UNDERSTOOD, now, f"not understood: {instruction.not_understood}; "
                                                  + ("holding position" if was_flying else "not moving"))
            self._hold = self._here() if was_flying else None
        else:
            self._retrieval = retrieval
            self._start_goto(now, retrieval)

    def input_lost(self, now: float, reason: str, resume_when_back: bool = False) -> None:
        """An input went stale or unusable: an active mission becomes HOLD with `reason`; its target is dropped.
        resume_when_back: resume by itself once inputs_ok() (for an input that was never flown on, e.g. a bad
        CameraInfo); otherwise only with resume_after_stale or the operator's "resume"."""
        if self.state not in ACTIVE_STATES:
            return
        self._interrupted = self._running()
        self._forget_target()
        self._enter(State.HOLD, now, f"hold: {reason}")
        self._hold = self._here()
        self._input_hold = True
        self._auto_resume = resume_when_back

    def inputs_ok(self, now: float) -> None:
        """Every input is fresh and usable again: resume after an input HOLD if resume_after_stale, else say how."""
        if self.state != State.HOLD or not self._input_hold:
            return
        if self.config.resume_after_stale or self._auto_resume:
            self._resume(now, "inputs are back")
        elif "inputs are back" not in self._reason:
            self._reason = f"{self._reason}; inputs are back: say 'resume' or 'continue' to go on"

    # ---- asking back (CLARIFY) ---------------------------------------------------------------------------------
    @property
    def pending(self) -> list[Any]:
        """The candidates offered in CLARIFY (SceneObjects, pending[0] is "number 1"); empty otherwise."""
        return list(self._pending) if self.state == State.CLARIFY else []

    @property
    def pending_yaw(self) -> Optional[float]:
        return self._pending_yaw

    def ask(self, now: float, question: Mapping[str, Any], offered: Sequence[Any], not_found: bool = False,
            more: Sequence[Any] = ()) -> None:
        """LOCALIZE is not sure (clarify.decide said ASK): hold position and ask which one. not_found: the question
        is instead of NOT_FOUND (anchor missing, nothing confident): "none of them" then ends in NOT_FOUND. more:
        the look-alikes of the same frame not offered (beyond clarify.max_candidates), best first."""
        if self.state != State.LOCALIZE:
            return
        self._question, self._pending, self._more = dict(question), list(offered), list(more)
        self._asked_not_found, self._fallback = not_found, None
        self._pending_yaw = self._yaw()
        self._votes.clear()
        self._enter(State.CLARIFY, now, f"asking: {question.get('reason', 'several candidates')}; holding position")
        self._hold = self._here()

    @property
    def not_offered(self) -> list[Any]:
        """While asking about candidates in view: the look-alikes of the question's frame not offered yet."""
        return list(self._more) if self.state == State.CLARIFY and not self._offered_places else []

    def ask_next(self, now: float, question: Mapping[str, Any], offered: Sequence[Any], more: Sequence[Any]) -> None:
        """The operator said "none of them" and look-alikes were left out of the question: ask about the next
        ones (same frame, same heading, same hold), the answer timeout starting again."""
        if self.state != State.CLARIFY:
            return
        self._question, self._pending, self._more = dict(question), list(offered), list(more)
        hold = self._hold
        self._enter(State.CLARIFY, now, f"asking again: {question.get('reason', 'more candidates')}; holding position")
        self._hold = hold

    @property
    def asking_place(self) -> bool:
        """CLARIFY about gallery places (not about candidates in view)."""
        return self.state == State.CLARIFY and bool(self._offered_places)

    @property
    def offered_places(self) -> list[Any]:
        """The gallery matches of a question about places, in its numbering; empty otherwise."""
        return list(self._offered_places) if self.asking_place else []

    def choose(self, now: float, index: int, why: str) -> None:
        """The operator chose pending[index]: approach its ground point, or fly to that gallery place (not a new
        mission)."""
        if self._offered_places:
            place = self._offered_places[index]
            self._clear_question()
            self._search_places(now, [place], f"operator chose number {index + 1} ({why})")
            return
        obj = self._pending[index]
        if obj.ground is None:
            self._reason = f"candidate {index + 1} is not on the ground map: choose another or say 'none of them'"
            return
        self.chosen = obj
        self._clear_question(keep_chosen=True)
        # the operator confirmed it: a candidate that scored below min_confidence may be tracked at its own score
        self._bar = max(0.0, min(self.config.min_confidence, float(obj.score) - self.clarify.score_margin))
        self._target = (float(obj.ground[0]), float(obj.ground[1]))
        self._tracked.clear()
        self._tracked.append(self._target)
        self._evidence, self._since_evidence = (float(obj.score), [float(v) for v in obj.box]), 0
        here = self._here()
        self._approach_z = here.z if here is not None else None
        self._enter(State.APPROACH, now, f"operator chose number {index + 1} ({why}): approaching")

    def cancel_question(self, now: float, reason: str, answered: bool = False) -> None:
        """"none of them" (answered) or the timeout: HOLD where the question was asked, with the reason; an answered
        question that was asked instead of NOT_FOUND (anchor missing, nothing confident) ends in NOT_FOUND."""
        not_found = answered and self._asked_not_found
        asked = self._question.get("reason", "") if self._question else ""
        offered = self._offered_places
        self._clear_question()
        if answered and offered:
            rest = [m for m in self._retrieval or () if all(m is not o for o in offered)]
            if rest:
                self._search_places(now, rest, f"{reason}: none of the {len(offered)} places offered")
            else:
                self._fail(now, f"not found: {reason}; no other gallery place retrieved ({asked})")
            return
        if answered and self._next_place(now, f"{reason} at gallery place {getattr(self._place, 'place_id', '')}"):
            return
        if not_found:
            self._fail(now, f"not found: {reason} ({asked})")
            return
        self._enter(State.HOLD, now, f"hold: {reason}")
        self._hold = self._here()

    def offer_if_not_found(self, question: Mapping[str, Any], offered: Sequence[Any]) -> None:
        """LOCALIZE saw candidates but none reached min_confidence: if it times out without a confident one, ask
        about these (the latest frame's) instead of ending in NOT_FOUND."""
        if self.state == State.LOCALIZE:
            self._fallback = (dict(question), list(offered))

    def ask_again(self, reason: str) -> None:
        """An answer that picks no candidate: keep asking, with why in the reason."""
        self._reason = f"{reason}; still asking: {self._question.get('question', '') if self._question else ''}"

    @property
    def wants_landing_plan(self) -> bool:
        """ARRIVED above the target of a "land next to / on X" instruction: the pipeline plans the touchdown."""
        return self.state == State.ARRIVED and self.instruction is not None and bool(
            getattr(self.instruction, "land", None))

    def land_at(self, now: float, point: Optional[Sequence[float]], altitude: float, reason: str) -> None:
        """The touchdown point (None: no clear point, NOT_FOUND with the reason): DESCEND to it at `altitude`."""
        if not self.wants_landing_plan:
            return
        if point is None:
            self._fail(now, f"no landing point: {reason}")
            return
        self._landing = ((float(point[0]), float(point[1])), float(altitude))
        self._enter(State.DESCEND, now, f"descending to the landing point ({reason})")

    def _descend(self, now: float, grounding: Any, point: Any) -> None:
        (x, y), alt = self._landing
        if self._distance_to(x, y) <= self.config.arrive_tolerance and self._pose[2] <= alt + 1.0:
            self._enter(State.LANDING, now, "above the landing point: flight controller land mode")
        elif now - self._entered > self.config.approach_timeout:
            self._fail(now, f"landing point not reached in {self.config.approach_timeout:.0f} s")

    def note_selection(self, frame: Optional[str], reason: str) -> None:
        """What the instruction's map relation / ordinal chose in the latest frame, and in which frame."""
        self._selection = (frame, reason)

    def _clear_question(self, keep_chosen: bool = False) -> None:
        self._question, self._pending, self._pending_yaw, self._more = None, [], None, []
        self._offered_places = []
        self._asked_not_found = False
        if not keep_chosen:
            self.chosen = None

    def _clarify(self, now: float, grounding: Any, point: Any) -> None:
        if now - self._entered > self.clarify.answer_timeout_s:
            self.cancel_question(now, f"no answer to the question in {self.clarify.answer_timeout_s:.0f} s "
                                      "(clarify.answer_timeout_s); say what to do")

    def _running(self) -> Optional[tuple[Instruction, Optional[Sequence[Any]]]]:
        """The instruction now being carried out, for a later resume (None when nothing runs)."""
        if self.state in ACTIVE_STATES and self.instruction is not None:
            return self.instruction, self._retrieval
        return None

    def _resume(self, now: float, what: str) -> None:
        if self.state != State.HOLD or self._interrupted is None:
            self._reason = f"{what}: nothing to resume ({self.state.value}); {self._reason}"
            return
        instruction, retrieval = self._interrupted
        self._interrupted, self._input_hold = None, False
        self.instruction = instruction
        self._forget_target()
        if instruction.command == "return":
            self._enter(State.RETURN, now, "resumed: returning home")
        else:
            self._retrieval = retrieval
            self._start_goto(now, retrieval)   # from the start: the target is grounded again, never reused
            self._reason = f"resumed ({what}): {self._reason}"

    def _forget_target(self) -> None:
        self.chosen = None
        self._fallback = None
        self._bar = self.config.min_confidence
        self._landing = None
        self._votes.clear()
        self._target, self._place, self._last_score, self._last_box = None, None, None, None
        self._evidence, self._since_evidence = None, 0
        self._approach_z, self._held = None, None

    def update(self, now: float, pose: Sequence[float], grounding: Optional[Any] = None,
               target_point: Optional[Sequence[float]] = None,
               keep_estimate: Optional[str] = None) -> MissionOutput:
        """Advance with the latest pose (x, y, z, yaw ENU) and, while needs_grounding, the latest grounding
        result (with .box and .score) and the ground point (east, north) under its box (None if off the ground).
        keep_estimate: why this grounding shows the target but its point must not refine it (the status says so)."""
        self._see(pose)
        self._keep_estimate = keep_estimate
        if grounding is not None:
            self._last_score = _confidence(grounding)
            box = getattr(grounding, "box", None)
            self._last_box = list(box) if box is not None else None
            if self._is_confident(grounding, target_point):
                self._evidence, self._since_evidence = (self._last_score, list(box)), 0
            else:
                self._since_evidence += 1
        step = {State.SEARCH: self._search, State.LOCALIZE: self._localize, State.APPROACH: self._approach,
                State.ARRIVED: self._hold_over_target, State.RETURN: self._return,
                State.CLARIFY: self._clarify, State.DESCEND: self._descend}.get(self.state)
        if step is not None:
            step(now, grounding, target_point)
        if self.state in TARGET_STATES and (self._evidence is None
                                            or self._since_evidence >= self.config.grounded_within_frames):
            self._lose_target(now)
        if self.state in (State.HOLD, State.NOT_FOUND, State.LOCALIZE, State.CLARIFY) and self._hold is None:
            self._hold = self._here()
        self._waypoint = self._current_waypoint()
        return MissionOutput(self._waypoint, self.status())

    # ---- per state ------------------------------------------------------------------------------------------
    def _start_goto(self, now: float, retrieval: Optional[Sequence[Any]]) -> None:
        best = retrieval[0] if retrieval else None
        self._place_rank = 0
        if best is not None and float(best.score) >= self.config.min_place_score:
            flyable = [m for m in retrieval if float(m.score) >= self.config.min_place_score]
            close = close_places(flyable, self.clarify.place_margin, self.clarify.max_candidates)
            if close:
                self._ask_place(now, close)
                return
            self._place = best
            self._enter(State.SEARCH, now, f"flying to gallery place {best.place_id}")
        elif best is not None:
            self._start_localize(now, f"best gallery place {best.place_id} scores {float(best.score):.2f} "
                                      f"< min_place_score {self.config.min_place_score}: searching here")
        else:
            self._start_localize(now, "no gallery result: looking for the target here")

    def _ask_place(self, now: float, places: list[Any]) -> None:
        """Gallery places score almost alike: hold and ask which one before flying (nav/place_question.py)."""
        offered, question = place_question(places, self._pose[:2] if self._pose is not None else None)
        self._question, self._pending, self._offered_places = question, offered, list(places)
        self._asked_not_found, self._fallback, self._pending_yaw = False, None, self._yaw()
        self._enter(State.CLARIFY, now, f"asking: {question['reason']}; holding position")
        self._hold = self._here()

    def _search_places(self, now: float, places: list[Any], why: str) -> None:
        """Search these gallery places in this order (the operator's answer to a question about places)."""
        self._retrieval, self._place, self._place_rank = places, places[0], 0
        self._enter(State.SEARCH, now, f"{why}: flying to gallery place {places[0].place_id}")

    def _search(self, now: float, grounding: Any, point: Any) -> None:
        if now - self._entered > self.config.search_timeout:
            self._fail(now, f"place {self._place.place_id} not reached in {self.config.search_timeout:.0f} s")
        elif self._distance_to(self._place.x, self._place.y) <= self.config.place_tolerance:
            self._start_localize(now, f"at place {self._place.place_id}: looking for the target")

    def _localize(self, now: float, grounding: Any, point: Any) -> None:
        if self._confident(grounding, point):
            self._votes.append((float(point[0]), float(point[1])))
            agreed = self._agreeing_votes()
            if len(agreed) >= self.config.localize_votes:
                self._target = (sum(p[0] for p in agreed) / len(agreed), sum(p[1] for p in agreed) / len(agreed))
                self._tracked.clear()
                self._tracked.extend(agreed)
                self._enter(State.APPROACH, now, f"target found ({len(agreed)} agreeing frames): approaching")
                return
            self._reason = f"target seen {len(agreed)}/{self.config.localize_votes} agreeing frames"
        if now - self._entered > self.config.localize_timeout:
            why = f"target not localized in {self.config.localize_timeout:.0f} s ({self._reason})"
            if self._fallback is not None and not self._votes:   # candidates seen, none ever confident: ask
                question, offered = self._fallback
                self.ask(now, question, offered, not_found=True)
                self._reason = f"{why}; {self._reason}"
            elif not self._next_place(now, why):
                self._fail(now, why)

    def _next_place(self, now: float, why: str) -> bool:
        """Not found at the gallery place being searched: fly to the next one in retrieval order (up to
        search_places, each scoring >= min_place_score). False when there is none (searching here, or the last)."""
        rank, places = self._place_rank + 1, self._retrieval or ()
        if self._place is None or rank >= min(self.config.search_places, len(places)) \
                or float(places[rank].score) < self.config.min_place_score:
            return False
        self._forget_target()
        self._place, self._place_rank = places[rank], rank
        self._enter(State.SEARCH, now, f"{why}; flying to gallery place {self._place.place_id} "
                                       f"(retrieval rank {rank + 1} of {self.config.search_places} searched)")
        return True

    def _approach(self, now: float, grounding: Any, point: Any) -> None:
        self._track(grounding, point, "approaching")
        if self._distance_to(*self._target) <= self.config.arrive_tolerance:
            self._enter(State.ARRIVED, now, "above the target")
            self._held = None
        elif now - self._entered > self.config.approach_timeout:
            self._fail(now, f"target not reached in {self.config.approach_timeout:.0f} s")

    def _hold_over_target(self, now: float, grounding: Any, point: Any) -> None:
        if not self.config.hold_tracking:
            return
        # Overhead, the target is near the image centre: the best view to refine. The first detection within
        # hold_radius of the estimate is the target seen under the drone; from then on only points near it count.
        if self.config.hold_radius > 0 and self._held is None and self._is_confident(grounding, point) \
                and not self._keep_estimate and math.dist(point[:2], self._target) <= self.config.hold_radius:
            self._held = (float(point[0]), float(point[1]))
        self._track(grounding, point, "above the target", self._held)

    def _track(self, grounding: Any, point: Any, doing: str, held: Optional[tuple[float, float]] = None) -> None:
        """Move the target estimate toward a confident detection within track_radius of it (and, with a held
        point, within hold_radius of that)."""
        if grounding is None:   # no frame grounded this cycle: nothing to say
            return
        if not self._confident(grounding, point):   # keep what the drone is doing in front of why it ignored it
            self._reason = f"{doing}; {self._reason}"
            return
        dist = math.dist(point[:2], self._target)
        off = math.dist(point[:2], held) if held is not None else 0.0
        if self._keep_estimate:
            self._reason = f"{doing}; {self._keep_estimate}"
        elif off > self.config.hold_radius:
            self._reason = (f"{doing}; ignored a detection {off:.1f} m from the target seen under the drone "
                            f"(hold_radius {self.config.hold_radius:.1f} m)")
        elif dist <= self.config.track_radius:
            self._target = self._refined_target((float(point[0]), float(point[1])))
            self._reason = f"{doing}; target refined"
        else:
            self._reason = f"{doing}; ignored a detection {dist:.1f} m from the target"

    def _refined_target(self, point: tuple[float, float]) -> tuple[float, float]:
        """The target moved toward `point`: by track_gain, or (track_window > 0) to the median of the recent
        tracked points, which one noisy frame (a fragment, a near-threshold region) cannot drag away."""
        if self.config.track_window <= 0:
            g = self.config.track_gain
            return (self._target[0] + g * (point[0] - self._target[0]),
                    self._target[1] + g * (point[1] - self._target[1]))
        self._tracked.append(point)
        return (median(p[0] for p in self._tracked), median(p[1] for p in self._tracked))

    def _return(self, now: float, grounding: Any, point: Any) -> None:
        home = self.home
        if home is not None and self._distance_to(*home) <= self.config.arrive_tolerance:
            self._reason = "at home"

    def _lose_target(self, now: float) -> None:
        n = self.config.grounded_within_frames
        self._forget_target()
        self._start_localize(now, f"target lost: not grounded with confidence >= {self.config.min_confidence:.2f} "
                                  f"in the last {n} frames; looking for it again here")

    # ---- helpers ----------------------------------------------------------------------------------------------
    def _is_confident(self, grounding: Any, point: Any) -> bool:
        """_confident without recording a reason."""
        return (grounding is not None and getattr(grounding, "box", None) is not None and point is not None
                and _confidence(grounding) >= self._bar)

    def _confident(self, grounding: Any, point: Any) -> bool:
        """True when this grounding may move the drone; otherwise records why not in the reason."""
        if grounding is None:
            return False
        score = _confidence(grounding)
        if getattr(grounding, "box", None) is None:
            self._reason = f"target not in view ({getattr(grounding, 'reason', 'no box')}); no waypoint from it"
            return False
        if not score >= self._bar:   # also rejects NaN
            self._reason = (f"low confidence {score:.2f} < min_confidence {self._bar:.2f}: "
                            "no waypoint from this match")
            return False
        if point is None:
            self._reason = "target box does not map to the ground (above the horizon?): no waypoint from it"
            return False
        width = float(grounding.box[2])
        if width > self.config.max_box_width:   # its centre says little about where the target is
            self._reason = (f"box {width:.2f} of the image wide > max_box_width {self.config.max_box_width:.2f}: "
                            "no waypoint from it")
            return False
        return True

    def _agreeing_votes(self) -> list[tuple[float, float]]:
        xs = sorted(p[0] for p in self._votes)
        ys = sorted(p[1] for p in self._votes)
        med = (xs[len(xs) // 2], ys[len(ys) // 2])
        return [p for p in self._votes if math.dist(p, med) <= self.config.vote_radius]

    def _enter(self, state: State, now: float, reason: str) -> None:
        self.state, self._entered, self._reason = state, float(now), reason
        self._hold = None

    def _start_localize(self, now: float, reason: str) -> None:
        self._enter(State.LOCALIZE, now, reason)
        self._hold = self._here()
        # The approach keeps the altitude the target was seen from, unless approach_altitude is set.
        self._approach_z = self._hold.z if self._hold is not None else None

    def _fail(self, now: float, reason: str) -> None:
        self._enter(State.NOT_FOUND, now, reason)
        self._hold = self._here()

    def _see(self, pose: Sequence[float]) -> None:
        try:
            x, y, z, yaw = (float(v) for v in tuple(pose)[:4])
        except (TypeError, ValueError) as e:
            raise ValueError(f"pose must be (x, y, z, yaw) numbers in ENU, got {pose!r:.120}") from e
        self._pose = (x, y, z, yaw)
        if self.home is None:
            self.home = (x, y)

    def _here(self) -> Optional[Waypoint]:
        return Waypoint(*self._pose) if self._pose is not None else None

    def _distance_to(self, x: float, y: float) -> float:
        return math.hypot(self._pose[0] - x, self._pose[1] - y) if self._pose is not None else math.inf

    def _yaw(self) -> float:
        return self._pose[3] if self._pose is not None else 0.0

    def _current_waypoint(self) -> Optional[Waypoint]:
        s = self.state
        if s == State.SEARCH:
            alt = self._place.altitude
            alt = self.config.search_altitude if alt is None or math.isnan(float(alt)) else float(alt)
            return Waypoint(float(self._place.x), float(self._place.y), alt, self._yaw())
        if s in (State.APPROACH, State.ARRIVED) and self._target is not None:
            return Waypoint(self._target[0], self._target[1], self._approach_altitude(), self._yaw())
        if s == State.DESCEND and self._landing is not None:
            (x, y), alt = self._landing
            return Waypoint(x, y, alt, self._yaw())
        if s == State.RETURN and self.home is not None:
            return Waypoint(self.home[0], self.home[1], self.config.return_altitude, self._yaw())
        if s in (State.LOCALIZE, State.HOLD, State.NOT_FOUND, State.NOT_UNDERSTOOD, State.CLARIFY):
            return self._hold
        return None

    def _approach_altitude(self) -> float:
        if self.config.approach_altitude is not None:
            return float(self.config.approach_altitude)
        if self._approach_z is not None:
            return self._approach_z
        return self._pose[2] if self._pose is not None else self.config.search_altitude

    def status(self) -> dict[str, Any]:
        """JSON-ready status: state, instruction, phrase, relation, score, box, place, waypoint, reason."""
        ins = self.instruction
        place = self._place
        score, box, ago = self._last_score, self._last_box, None
        if self.state in TARGET_STATES and self._evidence is not None:
            # what the target rests on, not the latest frame (which may have missed it): never null, never low
            (score, box), ago = self._evidence, self._since_evidence
        return {
            "state": self.state.value,
            "instruction": ins.raw if ins is not None else None,
            "phrase": ins.target if ins is not None and ins.target else None,
            "relation": ins.relation if ins is not None else None,
            "score": score,
            "box": box,
            "grounded_frames_ago": ago,
            "place": None if place is None else {"place_id": place.place_id, "x": float(place.x),
                                                 "y": float(place.y), "score": float(place.score),
                                                 "rank": self._place_rank + 1,
                                                 "ground": getattr(place, "ground", None)},
            "waypoint": list(self._waypoint) if self._waypoint is not None else None,
            "reason": self._reason,
            # CLARIFY: the question and its numbered candidates (the ground station's buttons); None otherwise
            "landing": None if self._landing is None else {"point": [round(v, 2) for v in self._landing[0]],
                                                            "altitude": self._landing[1]},
            "relation_frame": self._selection[0] if self._selection else None,   # "map" / "camera at instruction"
            "selection": self._selection[1] if self._selection else None,
            "question": self._question.get("question") if self._question else None,
            "candidates": list(self._question["candidates"]) if self._question else None,
        }


def _confidence(grounding: Any) -> float:
    """The grounding's target confidence (dense probability of the chosen region) or, without one, its score."""
    value = getattr(grounding, "confidence", None)
    return float(value if value is not None else getattr(grounding, "score", 0.0))
