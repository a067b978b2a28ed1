"""The navigator's ROS-free loop: wires parser, gallery search, Grounder, camera geometry, Mission and
SafetyEnvelope together, so the node stays plumbing and bench/episodes.py runs the same loop without DDS.

    pipe = NavPipeline.load(engine_dir, params)          # params: the navigator's (flattened) parameters
    pipe.set_instruction("fly to the red building left of the pool", now, pose)
    result, status = pipe.process_frame(rgb, (fx, fy, cx, cy), pose, now)    # while pipe.needs_grounding
    waypoint, status = pipe.tick(pose, now, last_camera_time, last_odom_time)  # every cycle
"""
from __future__ import annotations

import dataclasses
import math
import threading
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence

import numpy as np

from geotext_ros.nav.inputs import stale_inputs
from geotext_ros.model.text import MAX_WORDS_TEST
from geotext_ros.nav import clarify, fragments
from geotext_ros.nav.camera import IntrinsicsLike, box_center_to_ground
from geotext_ros.nav.clarify import ClarifyConfig
from geotext_ros.nav.gallery import SearchConfig
from geotext_ros.nav.grounding import Grounder, GroundingConfig, LandingView
from geotext_ros.nav.camera_frame import frozen_choice, has_camera_relation
from geotext_ros.nav.mission import TARGET_STATES, Mission, MissionConfig, State
from geotext_ros.nav.parser import MAX_INPUT_CHARS, parse_instruction
from geotext_ros.nav.place_check import grounded_order
from geotext_ros.nav.place_question import place_montage
from geotext_ros.nav.safety import SafetyConfig, SafetyEnvelope
from geotext_ros.nav.candidates import cells_below, iou
from geotext_ros.nav.landing import ON, LandingConfig, plan_landing
from geotext_ros.nav.landing_surface import SurfaceCheck
from geotext_ros.nav.lookalike_memory import LookalikeMemory
from geotext_ros.nav.image_outline import FrameColours
from geotext_ros.nav.scene import SceneObject, locate, polygon_centroid, view_footprint
from geotext_ros.nav.spatial_choice import choose as spatial_choose
from geotext_ros.nav.steps import split_steps
from geotext_ros.nav.spatial_choice import needs_spatial_choice

Pose4 = tuple[float, float, float, float]
SAME_OBJECT_IOU = 0.5   # an obstacle region overlapping the landing target this much is the target itself


class PipelineError(RuntimeError):
    """A frame or instruction the pipeline cannot use (reported, never fatal)."""


def configs(params: Mapping[str, Any]) -> tuple[GroundingConfig, MissionConfig, SafetyConfig, SearchConfig]:
    """The navigator's settings from its flattened parameters (config/nav.yaml + overrides); a bad value or an
    unknown name under grounding. / mission. / safety. / search_ is a ValueError naming it."""
    return (GroundingConfig.from_params(params), MissionConfig.from_params(params), SafetyConfig.from_params(params),
            SearchConfig.from_params(params))


def open_gallery(path: str | Path, backend: Any) -> Any:
    """GalleryIndex for the `gallery` parameter: a gallery.json (a few places) is embedded now with `backend`;
    anything else is a prebuilt index (geotext-gallery build), refused when another model built it."""
    from geotext_ros.nav.gallery import GalleryIndex

    path = Path(str(path))
    return GalleryIndex.build(backend, path) if path.suffix == ".json" else GalleryIndex.load(path, backend)


class NavPipeline:
    """One mission at a time. Thread-safe: instructions and frames may arrive on different executor threads."""

    def __init__(self, grounder: Any, mission: Mission, safety: SafetyEnvelope, gallery: Any = None,
                 backend: Any = None, search: SearchConfig = SearchConfig(),
                 landing: LandingConfig = LandingConfig()) -> None:
        self.grounder, self.mission, self.safety, self.landing = grounder, mission, safety, landing
        self.gallery, self.backend, self.search = gallery, backend, search
        self.last_frame_time: Optional[float] = None
        self._lock = threading.RLock()
        self._generation = 0     # bumped by every instruction: a grounding of an older one is dropped
        self.preempted = False   # the last process_frame's grounding answered an instruction replaced meanwhile
        self._plan: Optional[_Plan] = None   # a mission of several steps, run in order
        self._anchor_missing = 0   # LOCALIZE frames in a row without the relation's anchor
        self._question_rgb: Any = None   # the frame whose candidates a question offers (or would offer)
        # where the tracked target's look-alikes were seen apart from it (nav/lookalike_memory.py)
        self._lookalikes = LookalikeMemory(mission.config.vote_radius, mission.config.min_confidence)

    @classmethod
    def load(cls, engine_dir: str | Path, params: Mapping[str, Any], logger: Any = None) -> "NavPipeline":
        """Open the engine (runtime.open_backend), the gallery (if given: gallery.json, embedded at load, or an
        index .npz), mission and safety settings. logger: where safety events go (the node's logger)."""
        from geotext_ros.runtime.open_backend import open_backend

        configs(params)   # bad or unknown settings fail before loading the model
        ClarifyConfig.from_params(params)
        LandingConfig.from_params(params)
        backend = open_backend(engine_dir, params.get("backend", "auto"))
        gallery = None
        try:
            if params.get("gallery"):
                gallery = open_gallery(params["gallery"], backend)
            return cls.from_backend(backend, params, gallery, logger)
        except Exception:
            close = getattr(backend, "close", None)
            if close is not None:   # a refused gallery must not leave the engine's sessions behind
                close()
            raise

    @classmethod
    def from_backend(cls, backend: Any, params: Mapping[str, Any], gallery: Any = None,
                     logger: Any = None) -> "NavPipeline":
        """A pipeline with fresh mission and safety state on an already open backend (and gallery index)."""
        grounding, mission, safety, search = configs(params)
        return cls(Grounder(backend, grounding), Mission(mission, ClarifyConfig.from_params(params)),
                   SafetyEnvelope(safety, logger=logger), gallery, backend, search,
                   LandingConfig.from_params(params))

    def describe(self) -> str:
        kind = getattr(self.backend, "kind", type(self.backend).__name__)
        return f"backend {kind}, gallery {'%d places' % len(self.gallery) if self.gallery is not None else 'none'}"

    def close(self) -> None:
        if self.backend is not None and hasattr(self.backend, "close"):
            self.backend.close()

    @property
    def instruction(self) -> Any:
        return self.mission.instruction

    @property
    def needs_grounding(self) -> bool:
        return self.mission.needs_grounding

    @property
    def question_rgb(self) -> Any:
        """While asking (CLARIFY): the frame its candidates' boxes belong to, for the numbered image (a question
        asked when LOCALIZE timed out comes between frames), or the offered places' gallery pictures side by side;
        None otherwise."""
        with self._lock:
            return self._question_rgb if self.mission.state == State.CLARIFY else None

    def _status(self, status: dict[str, Any]) -> dict[str, Any]:
        """A copy of a mission status stamped with the instruction generation it belongs to (`generation`, one
        more per instruction): a status made on one thread can reach the node after a newer instruction's, and the
        node uses this to drop it instead of publishing the old instruction again."""
        plan = self._plan
        step = None
        if plan is not None:
            step = {"k": plan.index + 1, "n": len(plan.steps), "text": plan.steps[plan.index]}
        return {**status, "generation": self._generation, "step": step}

    # -- instructions ---------------------------------------------------------------------------------------
    def set_instruction(self, text: str, now: float, pose: Optional[Pose4]) -> dict[str, Any]:
        """Start (or preempt) a mission; stop/hold hold position where the command arrived. While the mission
        asks (CLARIFY), the text is first read as the answer (clarify.resolve_answer): a choice approaches that
        candidate, "none of them" holds, an unclear answer asks again, anything else is a new instruction."""
        answered = self._answer(text, now, pose)
        if answered is not None:
            return answered
        ins = parse_instruction(text)
        steps = split_steps(ins.raw) if ins.command not in ("stop", "hold", "resume") else [ins.raw]
        plan = None
        if len(steps) > 1:   # "fly to the pool, then to the red building, then come home"
            parsed = [parse_instruction(step) for step in steps]
            plan = _Plan(steps, parsed, [self._search_places(p) for p in parsed])   # outside the lock: model work
            bad = next((i for i, p in enumerate(parsed) if not p.understood), None)
            ins = parsed[0] if bad is None else parsed[bad]   # a step it cannot act on: not understood, no move
            if bad is not None:
                plan = None
        retrieval = plan.retrievals[0] if plan is not None else self._search_places(ins)
        with self._lock:
            self._generation += 1
            if plan is not None or (ins.command in ("goto", "return") and not ins.empty):
                self._plan = plan    # a new instruction replaces the mission; stop / hold / resume keep it
            self.mission.instruct(ins, now, pose, retrieval)
            self._anchor_missing = 0
            self._show_places()
            if ins.command in ("stop", "hold"):
                self.safety.stop()       # the envelope holds too, whatever is requested later, until resumed
            elif ins.understood:         # not for NOT_UNDERSTOOD: a sentence it cannot act on lifts no stop
                self.safety.resume()
            status = self._status(self.mission.status())
        if ins.truncated:   # the operator must learn that only the first part of the message is acted on
            note = (f"instruction truncated to its first {MAX_INPUT_CHARS} characters / {MAX_WORDS_TEST} words "
                    f"(received {len(text)} characters)")
            status["reason"] = f"{status['reason']}; {note}" if status.get("reason") else note
        return status

    def _search_places(self, ins: Any) -> Optional[Any]:
        """Gallery matches for a goto (None without a gallery or for a command)."""
        if ins.command != "goto" or ins.empty or not ins.understood or self.gallery is None:
            return None
        matches = self.gallery.search(ins.text, top_k=self.search.top_k, itm_weight=self.search.itm_weight)
        return grounded_order(matches, self.gallery, self.grounder, ins, self.search.ground_weight)

    def _show_places(self) -> None:
        """A question about gallery places (nav/place_question.py): its image is their pictures side by side."""
        places = self.mission.offered_places
        if places and self.gallery is not None:
            row = {p: i for i, p in enumerate(self.gallery.place_ids)}
            self._question_rgb = place_montage([self.gallery.images[row[m.place_id]] for m in places])

    def _advance(self, now: float, pose: Pose4) -> None:
        """A step of a several-step mission is done (ARRIVED, or home on a return step): start the next one."""
        plan = self._plan
        if plan is None or plan.index >= len(plan.steps) - 1 or self.mission.instruction is not plan.current \
                or getattr(plan.current, "land", None):
            return   # a landing ends the mission
        done = self.mission.state == State.ARRIVED or (
            self.mission.state == State.RETURN and self.mission.status()["reason"] == "at home")
        if not done:
            return
        plan.index += 1
        self._generation += 1
        self._anchor_missing = 0
        self.mission.instruct(plan.current, now, pose, plan.retrievals[plan.index])
        self._show_places()
        self.mission.update(now, pose)
        self.safety.resume()

    def _answer(self, text: str, now: float, pose: Optional[Pose4]) -> Optional[dict[str, Any]]:
        """The status after an answer to the pending question, or None when the text is not one."""
        with self._lock:
            pending = self.mission.pending
            if not pending:
                return None
            if parse_instruction(text).command in ("stop", "hold", "return", "resume"):
                return None   # commands keep their meaning while asking
            vehicle = (pose[0], pose[1]) if pose is not None else None
            answer = clarify.resolve_answer(text, pending, vehicle, self.mission.pending_yaw)
            if answer.kind == clarify.NOT_AN_ANSWER:
                return None
            self._generation += 1
            if pose is not None:
                self.mission.update(now, pose)
            if answer.kind == clarify.CHOICE:
                self.mission.choose(now, int(answer.index), answer.reason)
                self.safety.resume()
            elif answer.kind == clarify.CANCEL and self.mission.not_offered:
                self._ask_next(now, vehicle, f"operator answered {text.strip()[:40]!r}")
            elif answer.kind == clarify.CANCEL:
                self.mission.cancel_question(now, f"operator answered {text.strip()[:40]!r}: none of the "
                                                  "candidates; say what to do", answered=True)
            else:
                self.mission.ask_again(f"answer {text.strip()[:40]!r} unclear: {answer.reason}")
            if pose is not None and answer.kind != clarify.UNCLEAR:
                self.mission.update(now, pose)   # the waypoint of the new state (reason kept)
            return self._status(self.mission.status())

    def _ask_next(self, now: float, vehicle: Optional[tuple[float, float]], why: str) -> None:
        """After "none of them": the look-alikes the question left out, offered in the same frame's picture."""
        rest = self.mission.not_offered
        decision = clarify.offer(rest, f"{why}: none of those; {len(rest)} more in view", self.mission.clarify,
                                 vehicle, self._question_rgb, ask="Then is it one of these?")
        self.mission.ask_next(now, decision.question, [rest[i] for i in decision.candidates],
                              [rest[i] for i in decision.more])

    # -- frames ---------------------------------------------------------------------------------------------
    def process_frame(self, rgb: Any, k: IntrinsicsLike, pose: Pose4,
                      now: float) -> tuple[Any, dict[str, Any]]:
        """Ground the instruction in one frame and feed the result to the mission: (GroundingResult, status)."""
        with self._lock:
            self.last_frame_time, self.preempted = now, False
            instruction, generation = self.mission.instruction, self._generation
            if instruction is None or not self.mission.needs_grounding:
                return None, self._status(self.mission.status())
            landing = self.mission.wants_landing_plan
        result = self.grounder.ground(rgb, instruction)      # the slow part, outside the lock
        height, width = rgb.shape[:2]
        size = (width, height)
        anchor_xy = None
        if needs_spatial_choice(instruction) and instruction.anchor:
            anchor_xy = self._anchor_ground(rgb, instruction.anchor, k, pose)
        # every detected object for the landing point: the obstacle kinds' regions (model work, once per landing)
        view = self.grounder.landing_view(rgb, self.landing.kinds, instruction.target if (
            instruction.land == ON and self.landing.surface_gaps) else None) if landing else None
        with self._lock:
            if generation != self._generation:   # preempted while grounding: the result answers the old one
                self.preempted = True
                return None, self._status(self.mission.status())
            grounded = result
            if not result.candidates and result.weak and (self.mission.state == State.LOCALIZE
                                                          or self.mission.chosen is not None):
                # nothing reached min_score: the weaker regions can only be offered (none is confident, so the
                # mission votes on none of them) or track the candidate the operator chose among them
                result = dataclasses.replace(result, candidates=list(result.weak))
            result, point, missing = self._choose(result, instruction, size, k, pose, anchor_xy)
            if self.mission.chosen is not None:   # tracking the answer: as the question offered them (_maybe_ask)
                result, point = self._one_per_object(result, rgb, size, k, pose, point)
            objects = self._target_objects(result, size, k, pose)
            tracking = self.mission.chosen is not None or (
                self.mission.state in TARGET_STATES and self.mission.target is not None
                and (needs_spatial_choice(instruction) or has_camera_relation(instruction)))
            if self.mission.target is None:
                self._lookalikes.reset()
            keep = None   # why this frame's point must not move the target estimate
            if tracking and objects:   # keep the target chosen (by the operator, or by the relation at LOCALIZE)
                result, point, keep = self._pinned(result, objects)
            if self.mission.state == State.ARRIVED and self.mission.config.centre_from_outline and keep is None:
                point = self._outline_centre(rgb, result.box, k, pose) or point
            if self.mission.state == State.LOCALIZE and self._maybe_ask(result, objects, missing, pose, rgb, k, now):
                self.mission.update(now, pose)   # CLARIFY holds: this frame's pick is not a vote
            else:
                self.mission.update(now, pose, result, point, keep_estimate=keep)
            if landing and self.mission.wants_landing_plan:   # a frame whose obstacles were grounded
                self._plan_landing(result, size, k, pose, now, view, rgb)
            self._advance(now, pose)
            if missing and result.box is None and has_camera_relation(instruction):
                # shown as the grounder saw it (its reason: "anchor not found, relation unused"), like a
                # low-confidence pick on /geotext/target; the mission got no box from it
                return grounded, self._status(self.mission.status())
            return result, self._status(self.mission.status())

    def _one_per_object(self, result: Any, rgb: Any, size: tuple[int, int], k: IntrinsicsLike, pose: Pose4,
                        point: Optional[tuple[float, float]]) -> tuple[Any, Optional[tuple[float, float]]]:
        """The result with the candidates one surface joins in the frame merged (nav/fragments.py) and the chosen
        one's group chosen, with that group's ground point (`point` as given when nothing merged or none is
        chosen)."""
        cands, chosen = fragments.join(result.candidates, result.chosen, rgb, self.landing.surface_tolerance,
                                       self.landing.surface_line_px)
        if len(cands) == len(result.candidates):
            return result, point
        if chosen is None:
            return dataclasses.replace(result, candidates=cands), point
        box = tuple(cands[chosen].box)
        result = dataclasses.replace(result, candidates=cands, chosen=chosen, box=box,
                                     confidence=float(cands[chosen].score))
        return result, box_center_to_ground(box, size, k, pose)

    def _choose(self, result: Any, instruction: Any, size: tuple[int, int], k: IntrinsicsLike, pose: Pose4,
                anchor_xy: Optional[tuple[float, float]]) -> tuple[Any, Optional[tuple[float, float]], Optional[str]]:
        """(result, ground point, the relation's anchor when it was not found) after the instruction's choice
        among the frame's candidates: on the ground for map relations / selectors (nav/spatial_choice.py), in the
        camera frame at instruction time for image relations / positions (nav/camera_frame.py), else the
        grounder's own pick. A relation whose anchor is missing gives no box: nothing unchecked is voted on."""
        if needs_spatial_choice(instruction):
            result, point = self._spatial(result, instruction, size, k, pose, anchor_xy)
            return result, point, instruction.anchor if instruction.anchor and anchor_xy is None else None
        if has_camera_relation(instruction) and result.candidates:
            got = frozen_choice(result, instruction, size, k, pose, self.mission.instruction_yaw)
            self.mission.note_selection(got.frame, got.reason)
            if got.index is None:
                missing = instruction.anchor if got.reason.endswith(" not found") else None
                return dataclasses.replace(result, box=None, chosen=None, confidence=None, reason=got.reason), \
                    None, missing
            cand = result.candidates[got.index]
            result = dataclasses.replace(result, box=tuple(cand.box), chosen=got.index, confidence=float(cand.score),
                                         reason=got.reason)
        point = box_center_to_ground(result.box, size, k, pose) if result.box is not None else None
        return result, point, None

    def _anchor_ground(self, rgb: Any, anchor: str, k: IntrinsicsLike, pose: Pose4) -> Optional[tuple[float, float]]:
        """The anchor phrase grounded on its own in this frame, on the ground; None when not confidently found."""
        found = self.grounder.ground(rgb, parse_instruction(f"fly to {anchor}"))
        if found.box is None or (found.confidence or 0.0) < self.mission.config.min_confidence:
            return None
        height, width = rgb.shape[:2]
        return box_center_to_ground(found.box, (width, height), k, pose)

    def _spatial(self, result: Any, instruction: Any, size: tuple[int, int], k: IntrinsicsLike, pose: Pose4,
                 anchor_xy: Optional[tuple[float, float]]) -> tuple[Any, Optional[tuple[float, float]]]:
        """A map relation / ordinal / superlative picks among the frame's candidates on the ground (the grounder's
        own image-space pick is replaced); the status says which frame the choice used."""
        objects = self._target_objects(result, size, k, pose)
        got = spatial_choose(instruction, objects, self.mission.instruction_yaw, (pose[0], pose[1]), anchor_xy)
        self.mission.note_selection(got.frame, got.reason)
        if got.index is None:
            return dataclasses.replace(result, box=None, chosen=None, confidence=None, reason=got.reason), None
        cand = result.candidates[got.index]
        return (dataclasses.replace(result, box=tuple(cand.box), chosen=got.index, confidence=float(cand.score),
                                    reason=got.reason), objects[got.index].ground)

    def _plan_landing(self, result: Any, size: tuple[int, int], k: IntrinsicsLike, pose: Pose4, now: float,
                      view: LandingView, rgb: Any) -> None:
        """Above the target of "land next to / on X": a touchdown point clear of every detected object of this
        frame by landing.clearance_m, inside the view; the descent goes to the envelope's minimum altitude (it
        applies until the flight controller's land mode takes over).

        "Every detected object" = every candidate region of the target's kind (the look-alikes too) and every
        region of each landing.obstacle_kinds phrase that the grounder finds in the frame (dense map above
        grounding.min_score, Grounder.landing_view), less the regions that are the target itself (IoU with its box
        >= SAME_OBJECT_IOU) and, for "land on", those that contain the target's centre (what it lies on: the roof
        under a helipad). Objects of other kinds that the model does not ground are not known to it. For "land
        on X", the cells of X's own dense map inside its box that fall below the region's cut are not X's surface
        (cars on a lot: the model does not ground a car 2 cells long, but the colour-guided map of the lot has a
        hole there) and are cleared like objects (with the image check, only those inside X's colour region:
        _surface_gaps). With landing.surface_check the point's disc must also look like clear ground in this frame
        (geotext_ros/nav/landing_surface.py: what the model does not ground). With landing.outline_from_image,
        "land next to X" clears, and "land on X" sets down inside, X's outline as the frame shows it instead of its
        box (SurfaceCheck.target_footprint; the box when the frame does not show X apart from the ground)."""
        if result.box is None or result.chosen is None:
            return   # wait for a frame that shows the target
        mode = self.mission.instruction.land
        objects = self._target_objects(result, size, k, pose)
        for name, regions in view.obstacles.items():
            for region in regions:
                if iou(region.box, result.box) >= SAME_OBJECT_IOU or (mode == ON and _contains(region.box,
                                                                                                 result.box)):
                    continue
                objects.append(locate(region.box, name.replace(" ", "_"), float(region.score), size, k, pose))
        outlined = self.landing.outline_from_image
        image = SurfaceCheck(rgb, k, pose, self.landing, result.box, mode) \
            if self.landing.surface_check or outlined else None
        check = image if self.landing.surface_check else None
        gaps = self._surface_gaps(view, result.box, size, k, pose, check)
        outline = image.target_footprint() if image is not None and outlined else None
        if outline is not None:
            objects[result.chosen] = dataclasses.replace(objects[result.chosen], footprint=outline)
        plan = plan_landing(result.chosen, objects, mode, self.landing, view_footprint(size, k, pose), gaps, check)
        gap_note = f", {len(gaps)} cells of its box that are not its surface," if view.surface is not None else ""
        looked = f"; {check.rejected} of {check.checked} points looked at were not clear ground" if check else ""
        outline_note = f"; the {objects[result.chosen].kind}'s outline read from the image" if outline else ""
        self.mission.land_at(now, plan.point, self.safety.config.min_altitude_m,
                             f"{plan.reason}; {len(objects) - 1} other detected object(s){gap_note} "
                             f"cleared{looked}{outline_note}")

    @staticmethod
    def _surface_gaps(view: LandingView, box: Sequence[float], size: tuple[int, int], k: IntrinsicsLike,
                      pose: Pose4, check: Optional[SurfaceCheck]) -> list[tuple[float, float]]:
        """"Land on X": the ground points of the cells of X's own dense map inside its box that fall below the
        region's cut. With the image check, only those inside X's colour region in the frame (a car on the lot):
        the others are the ground beyond X's edge (the corners of a turned lot's box), which the check already keeps
        the point off, and clearing them held every plan clearance_m inside the lot's edge, among its cars."""
        if view.surface is None:
            return []
        cells = cells_below(view.surface, box, view.surface_cut)
        if check is not None:
            cells = cells[check.on_target(cells * np.asarray(size, np.float64))]
        points = [box_center_to_ground((x, y, 0.0, 0.0), size, k, pose) for x, y in cells]
        return [p for p in points if p is not None]

    def _outline_centre(self, rgb: Any, box: Optional[Sequence[float]], k: IntrinsicsLike,
                        pose: Pose4) -> Optional[tuple[float, float]]:
        """The centre of the target's outline in the frame on the ground (nav/image_outline.py, with the colour
        rules of landing.surface_tolerance / surface_line_px), or None without a box or an outline."""
        if box is None:
            return None
        colours = FrameColours(rgb, box, self.landing.surface_tolerance, self.landing.surface_line_px)
        outline = colours.footprint(k, pose)
        return polygon_centroid(outline) if outline else None

    def _target_objects(self, result: Any, size: tuple[int, int], k: IntrinsicsLike,
                        pose: Pose4) -> list[SceneObject]:
        """The frame's target candidates on the ground (same order as result.candidates), for the CLARIFY
        decision and the tracking of a chosen target."""
        kind = (self.mission.instruction.target or "target").split()[-1]
        return [locate(c.box, kind, float(c.score), size, k, pose) for c in (result.candidates or [])]

    def _pinned(self, result: Any, objects: list[SceneObject]
                ) -> tuple[Any, Optional[tuple[float, float]], Optional[str]]:
        """After the operator chose a look-alike, track the candidate nearest the chosen target (the grounder's
        own pick may be the other look-alike): the result's box and ground point become that candidate's. The
        third value says why that point must not move the estimate (mission.ignore_merged: its region covers the
        target and a look-alike seen apart from it, nav/lookalike_memory.py), else None."""
        target = self.mission.target
        placed = [(math.dist(o.ground, target), i) for i, o in enumerate(objects) if o.ground is not None]
        if target is None or not placed:
            return result, None, None
        _, i = min(placed)
        cand = result.candidates[i]
        result = dataclasses.replace(result, box=tuple(cand.box), chosen=i, confidence=float(cand.score))
        if not self.mission.config.ignore_merged:
            return result, objects[i].ground, None
        self._lookalikes.note(objects, i, target)
        other = self._lookalikes.merged(objects[i], target)
        keep = None if other is None else (f"its region also covers a look-alike seen apart at ({other[0]:.1f}, "
                                           f"{other[1]:.1f}): estimate kept")
        return result, objects[i].ground, keep

    def _maybe_ask(self, result: Any, objects: list[SceneObject], missing: Optional[str], pose: Pose4, rgb: Any,
                   k: IntrinsicsLike, now: float) -> bool:
        """In LOCALIZE, ask instead of guessing (True when it asked): the relation's anchor missing in
        clarify.anchor_missing_frames frames in a row (the candidates seen are offered), or look-alikes within
        clarify.score_margin of the best (each confident, for an instruction without a relation: a relation
        already picks one of them; the parts of one object as one, nav/fragments.py; every confident one for a
        target read in any colour). Frames whose candidates all score below min_confidence, or whose relation /
        order / "nearest" word ruled out every candidate, are kept as the offer for when LOCALIZE times out
        (mission.offer_if_not_found)."""
        cfg, min_conf, vehicle = self.mission.clarify, self.mission.config.min_confidence, (pose[0], pose[1])
        self._anchor_missing = self._anchor_missing + 1 if missing else 0
        if missing and self._anchor_missing >= cfg.anchor_missing_frames:
            decision = clarify.decide(objects, min_conf, cfg, vehicle, missing_anchor=missing, rgb=rgb)
            if decision.action == clarify.ASK:
                self._anchor_missing, self._question_rgb = 0, rgb
                self.mission.ask(now, decision.question, [objects[i] for i in decision.candidates], not_found=True)
                return True
        placed = [o for o in objects if o.ground is not None]
        instruction = self.mission.instruction
        offer = None
        if placed and max(o.score for o in placed) < min_conf:
            offer = (f"nothing reached min_confidence {min_conf:.2f} here",
                     "Nothing is a confident match; is it one of these?")
        elif placed and result.box is None and not missing and needs_spatial_choice(instruction):
            # confident candidates, but the compass / order / "nearest" word ruled out every one of them (the
            # anchor found may be another object, a look-alike may be unlit): the operator may still know which
            offer = (result.reason, "None of them fits every word you said; is it one of these?")
        if offer is not None:
            decision = clarify.offer(placed, offer[0], cfg, vehicle, rgb, ask=offer[1])
            self.mission.offer_if_not_found(decision.question, [placed[i] for i in decision.candidates])
            self._question_rgb = rgb
        if (instruction.relation or getattr(instruction, "position", None) or needs_spatial_choice(instruction)
                or result.box is None or len(objects) < 2):
            return False
        size = (rgb.shape[1], rgb.shape[0])   # parts of one object lit apart are one choice (nav/fragments.py)
        objects = self._target_objects(self._one_per_object(result, rgb, size, k, pose, None)[0], size, k, pose)
        decision = clarify.decide(objects, min_conf, cfg, vehicle, rgb=rgb, any_colour=result.any_colour)
        if decision.action != clarify.ASK or max(o.score for o in objects) < min_conf:
            return False   # nothing confident: kept as the offer above, asked about if LOCALIZE times out
        self.mission.ask(now, decision.question, [objects[i] for i in decision.candidates],
                         more=[objects[i] for i in decision.more])
        self._question_rgb = rgb
        return True

    # -- every cycle ----------------------------------------------------------------------------------------
    def tick(self, pose: Optional[Pose4], now: float, camera_time: Optional[float],
             odom_time: Optional[float],
             camera_problem: Optional[str] = None) -> tuple[Optional[Pose4], dict[str, Any]]:
        """Advance the mission with the pose; the safety-checked waypoint to send now (or None) and the status.
        camera_time / odom_time: arrival of the newest message (monotonic); camera_problem: why the camera is
        unusable (bad CameraInfo), or None. A stale input makes the mission HOLD (mission.input_lost)."""
        with self._lock:
            if pose is None:
                return None, self._status(self.mission.status())
            cfg = self.safety.config
            stale = stale_inputs(now, camera_time, odom_time, cfg.camera_timeout_s, cfg.odom_timeout_s)
            if stale:
                self.mission.input_lost(now, "; ".join(stale))
            elif camera_problem is not None and self.mission.needs_grounding:
                self.mission.input_lost(now, f"camera unusable: {camera_problem}", resume_when_back=True)
            elif camera_problem is None:
                self.mission.inputs_ok(now)
            out = self.mission.update(now, pose)
            if self._plan is not None:
                self._advance(now, pose)
                out = self.mission.update(now, pose)
            if out.waypoint is None:
                return None, self._status(out.status)
            # The mission gates on grounding confidence (mission.min_confidence); the envelope checks limits.
            decision = self.safety.check(tuple(out.waypoint), pose, now, last_camera_time=camera_time,
                                         last_odom_time=odom_time)
            status = self._status(out.status)
            if decision.violations:
                status["safety"] = decision.codes
            return decision.waypoint, status


class _Plan:
    """The steps of a several-step mission (texts, parsed, gallery matches) and the one now running."""

    def __init__(self, steps: list[str], parsed: list[Any], retrievals: list[Any]) -> None:
        self.steps, self.parsed, self.retrievals, self.index = steps, parsed, retrievals, 0

    @property
    def current(self) -> Any:
        return self.parsed[self.index]


def _contains(outer: Sequence[float], inner: Sequence[float]) -> bool:
    """The centre of normalized box `inner` lies inside box `outer`."""
    return abs(float(inner[0]) - float(outer[0])) <= float(outer[2]) / 2 and \
        abs(float(inner[1]) - float(outer[1])) <= float(outer[3]) / 2
