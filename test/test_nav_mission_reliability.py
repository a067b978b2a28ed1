"""Issue 16 sections 1, 2 and 4 in the mission state machine (ROS-free): NOT_UNDERSTOOD never moves the drone,
APPROACH / ARRIVED always rest on a recent confident grounding, and a stale input is a HOLD that the old target
never leaves on its own."""
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geotext_ros.nav.grounding import GroundingResult
from geotext_ros.nav.mission import Mission, MissionConfig, State
from geotext_ros.nav.parser import parse_instruction

BOX = (0.4, 0.5, 0.1, 0.1)
GOTO = parse_instruction("fly to the red building")
POSE = (10.0, -5.0, 30.0, 0.0)


def seen(score=0.9, box=BOX):
    return GroundingResult(box=box, score=score, reason="test")


def approaching(**kw) -> Mission:
    m = Mission(MissionConfig(localize_votes=1, vote_window=1, **kw))
    m.instruct(GOTO, 0.0, POSE)
    m.update(0.1, POSE, seen(), (40.0, 20.0))
    assert m.state == State.APPROACH
    return m


@pytest.mark.parametrize("text", ["a", "飞到红色的建筑", "fly to the"])
def test_not_understood_from_idle_sends_no_waypoint(text):
    m = Mission(MissionConfig())
    m.instruct(parse_instruction(text), 0.0, POSE)
    out = m.update(1.0, POSE)
    assert m.state == State.NOT_UNDERSTOOD and out.waypoint is None and not m.needs_grounding
    assert out.status["reason"].startswith("not understood: ")
    assert "no object named" in out.status["reason"] or "language not supported" in out.status["reason"]


def test_not_understood_while_approaching_holds_where_it_is_and_drops_the_target():
    m = approaching()
    m.instruct(parse_instruction("a"), 1.0, (12.0, -4.0, 30.0, 0.0))
    out = m.update(1.1, (12.5, -4.0, 30.0, 0.0))
    assert m.state == State.NOT_UNDERSTOOD and (out.waypoint.x, out.waypoint.y) == (12.0, -4.0)


def test_arrived_needs_a_confident_grounding_within_the_last_n_frames():
    m = approaching(grounded_within_frames=3, hold_tracking=True)
    m.update(1.0, (40.0, 20.0, 25.0, 0.0))
    assert m.state == State.ARRIVED
    for i in range(2):   # two misses: still within the window, the status shows what the target rests on
        out = m.update(2.0 + i, (40.0, 20.0, 25.0, 0.0), seen(score=0.05, box=None), None)
        assert m.state == State.ARRIVED and out.status["box"] == list(BOX) and out.status["score"] == 0.9
        assert out.status["grounded_frames_ago"] == i + 1
    out = m.update(5.0, (40.0, 20.0, 25.0, 0.0), seen(score=0.19), (40.0, 20.0))   # below min_confidence 0.5
    assert m.state == State.LOCALIZE and "target lost" in out.status["reason"]
    assert (out.waypoint.x, out.waypoint.y) == (40.0, 20.0)   # holds where it is


def test_stale_input_is_a_hold_that_stays_until_resume_and_never_resends_the_old_target():
    m = approaching()
    m.input_lost(1.0, "no camera for more than 2 s")
    out = m.update(1.1, (15.0, -3.0, 30.0, 0.0))
    assert m.state == State.HOLD and out.status["reason"] == "hold: no camera for more than 2 s"
    assert (out.waypoint.x, out.waypoint.y) == POSE[:2]   # where the drone was when the input went stale
    m.inputs_ok(2.0)
    out = m.update(2.1, (15.0, -3.0, 30.0, 0.0))
    assert m.state == State.HOLD and "say 'resume'" in out.status["reason"]
    m.instruct(parse_instruction("continue"), 3.0, (15.0, -3.0, 30.0, 0.0))
    out = m.update(3.1, (15.0, -3.0, 30.0, 0.0))
    assert m.state == State.LOCALIZE and "resumed" in out.status["reason"]   # grounds again, from the start
    assert (out.waypoint.x, out.waypoint.y) == (15.0, -3.0)
    assert m.instruction is GOTO


def test_resume_after_stale_parameter_resumes_by_itself():
    m = approaching(resume_after_stale=True)
    m.input_lost(1.0, "no odometry for more than 1 s")
    m.inputs_ok(2.0)
    assert m.state == State.LOCALIZE


def test_operator_hold_then_resume_and_resume_with_nothing_to_resume():
    m = Mission(MissionConfig())
    m.instruct(parse_instruction("resume"), 0.0, POSE)
    assert m.state == State.IDLE and "nothing to resume" in m.status()["reason"]
    m = approaching()
    m.instruct(parse_instruction("pause"), 1.0, POSE)
    assert m.state == State.HOLD
    m.instruct(parse_instruction("carry on"), 2.0, POSE)
    assert m.state == State.LOCALIZE


# -- property: random instruction streams, frames and dropouts -------------------------------------------------
_SENTENCES = ["fly to the red building", "a", "飞到红色的建筑", "fly to the", "stop", "resume", "continue",
              "return home", "take me above the car park", "\x1b[2J", "", "hold", "go to the pool left of the road"]
_frame = st.tuples(st.just("frame"), st.sampled_from([0.0, 0.19, 0.219, 0.22, 0.5, 0.9, 0.9, float("nan")]),
                   st.sampled_from([True, True, True, False]), st.sampled_from([True, True, True, False]),
                   st.sampled_from([20.0, 21.0, 23.0, -30.0]), st.sampled_from([10.0, 11.0, 12.5, 40.0]))
_others = [st.tuples(st.just("say"), st.sampled_from(_SENTENCES)),
           st.tuples(st.just("lost"), st.sampled_from(["camera", "odometry", "camera_info"])),
           st.tuples(st.just("ok")),
           st.tuples(st.just("move"), st.sampled_from([-8.0, 0.5, 8.0]), st.sampled_from([-8.0, 0.5, 8.0])),
           st.tuples(st.just("follow"))]
# mostly frames (one_of would weigh every branch alike): 24 in 32 events are frames
_event = st.integers(0, 31).flatmap(lambda k: _frame if k < 24 else _others[k % 5])


@settings(max_examples=400, deadline=None)
@given(st.lists(_event, min_size=10, max_size=80), st.booleans(), st.integers(1, 5), st.booleans())
def test_property_no_status_claims_a_target_it_has_not_grounded(events, hold_tracking, n, resume_after_stale):
    cfg = MissionConfig(min_confidence=0.22, localize_votes=2, vote_window=4, hold_tracking=hold_tracking,
                        grounded_within_frames=n, arrive_tolerance=3.0, resume_after_stale=resume_after_stale)
    m = Mission(cfg)
    x, y, now = 0.0, 0.0, 0.0
    grounded: list[tuple[float, float]] = []   # confident ground points since the mission (re)started
    events = [("say", "fly to the red building")] + events
    for ev in events:
        now += 0.2
        pose = (x, y, 30.0, 0.0)
        if ev[0] == "say":
            ins = parse_instruction(ev[1])
            before = m.state
            m.instruct(ins, now, pose)
            if not ins.empty and not (ins.command == "resume" and before != State.HOLD):   # a (re)start
                grounded = []
            out = m.update(now, pose)
        elif ev[0] == "frame":
            _, score, has_box, on_ground, px, py = ev
            result = seen(score=score, box=BOX if has_box else None)
            point = (px, py) if on_ground else None
            if m.needs_grounding and has_box and on_ground and score >= cfg.min_confidence:   # NaN: False
                grounded.append((px, py))
            out = m.update(now, pose, result if m.needs_grounding else None, point if m.needs_grounding else None)
        elif ev[0] == "lost":
            before = m.state
            m.input_lost(now, f"no {ev[1]}")
            out = m.update(now, pose)
            if before in (State.APPROACH, State.ARRIVED, State.LOCALIZE, State.SEARCH, State.RETURN):
                assert m.state == State.HOLD and out.status["reason"] == f"hold: no {ev[1]}"
                grounded = []
        elif ev[0] == "ok":
            m.inputs_ok(now)
            out = m.update(now, pose)
        elif ev[0] == "follow":   # the vehicle reaches its waypoint
            wp = m.update(now, pose).waypoint
            x, y = (wp.x, wp.y) if wp is not None else (x, y)
            out = m.update(now, (x, y, 30.0, 0.0))
        else:
            x, y = x + ev[1], y + ev[2]
            out = m.update(now, (x, y, 30.0, 0.0))
        st_ = out.status
        if st_["state"] in ("APPROACH", "ARRIVED"):
            assert st_["box"] is not None and st_["score"] >= cfg.min_confidence, st_
            assert st_["grounded_frames_ago"] is not None and st_["grounded_frames_ago"] < n
            # the waypoint lies among confident detections of this mission: never toward an ungrounded target
            assert grounded, st_
            wx, wy = out.waypoint.x, out.waypoint.y
            assert min(p[0] for p in grounded) - 1e-6 <= wx <= max(p[0] for p in grounded) + 1e-6
            assert min(p[1] for p in grounded) - 1e-6 <= wy <= max(p[1] for p in grounded) + 1e-6
        if st_["state"] == "NOT_UNDERSTOOD" and out.waypoint is not None:
            assert math.isfinite(out.waypoint.x)
        if st_["state"] == "HOLD" and not resume_after_stale and m.instruction is not None:
            assert out.waypoint is None or (out.waypoint.z == 30.0)
