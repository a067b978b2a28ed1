"""Mission state machine: SEARCH -> LOCALIZE -> APPROACH -> ARRIVED, timeouts, preemption, stop/hold/return,
and never a waypoint from a low-confidence match."""
import json

import pytest

from geotext_ros.nav.gallery import PlaceMatch
from geotext_ros.nav.grounding import GroundingResult
from geotext_ros.nav.mission import Mission, MissionConfig, State, Waypoint
from geotext_ros.nav.parser import parse_instruction

GOTO = parse_instruction("fly to the red building left of the pool")
BOX = (0.4, 0.5, 0.1, 0.1)


def place(pid="0042", x=100.0, y=50.0, altitude=35.0, score=0.9):
    return PlaceMatch(pid, x, y, altitude, 0, 0.3, score, score)


def seen(score=0.9, box=BOX):
    return GroundingResult(box=box, score=score, reason="test")


# The state machine these tests were written for (move by track_gain, no descent, no hold tracking); the
# navigator's settings (MissionConfig defaults = config/nav.yaml) are tested by the episodes.
BASE = dict(min_confidence=0.5, min_place_score=0.0, track_radius=15.0, track_window=0, hold_tracking=False,
            approach_altitude=None)


def mission(**kw):
    return Mission(MissionConfig(**{**BASE, **kw}))


def test_idle_has_no_waypoint():
    out = mission().update(0.0, (0, 0, 10, 0))
    assert out.waypoint is None and out.status["state"] == "IDLE"
    assert set(out.status) == {"state", "instruction", "phrase", "relation", "score", "box", "place", "waypoint",
                               "grounded_frames_ago",
                               "reason", "question", "candidates", "relation_frame", "selection", "landing"}


def test_full_mission_search_localize_approach_arrive():
    m = mission(localize_votes=3)
    m.instruct(GOTO, 0.0, (0, 0, 20, 0.3), retrieval=[place()])
    out = m.update(1.0, (0, 0, 20, 0.3))
    assert m.state == State.SEARCH and out.waypoint == Waypoint(100.0, 50.0, 35.0, 0.3)
    assert out.status["place"]["place_id"] == "0042" and not m.needs_grounding
    out = m.update(30.0, (98, 51, 35, 0.3))                        # within place_tolerance
    assert m.state == State.LOCALIZE and m.needs_grounding
    assert out.waypoint == Waypoint(98, 51, 35, 0.3)               # hold while localizing
    for t, pt in ((31, (120.0, 60.0)), (32, (121.0, 59.0))):
        out = m.update(t, (98, 51, 35, 0.3), seen(), pt)
        assert m.state == State.LOCALIZE and out.waypoint == Waypoint(98, 51, 35, 0.3)
    out = m.update(33, (98, 51, 35, 0.3), seen(), (119.0, 61.0))
    assert m.state == State.APPROACH
    assert out.waypoint.x == pytest.approx(120.0) and out.waypoint.y == pytest.approx(60.0)
    assert out.waypoint.z == 35 and out.status["score"] == 0.9 and out.status["box"] == list(BOX)
    out = m.update(40, (119.5, 60.5, 35, 0.3))
    assert m.state == State.ARRIVED and out.waypoint.x == pytest.approx(120.0)
    assert json.loads(json.dumps(out.status))["state"] == "ARRIVED"


def test_without_gallery_localizes_in_place():
    m = mission(localize_votes=1)
    m.instruct(GOTO, 0.0, (5, 6, 30, 0))
    assert m.state == State.LOCALIZE
    out = m.update(1.0, (5, 6, 30, 0), seen(), (15.0, 6.0))
    assert m.state == State.APPROACH and out.waypoint == Waypoint(15.0, 6.0, 30.0, 0.0)


def test_outlier_votes_do_not_agree():
    m = mission(localize_votes=3, vote_radius=5.0)
    m.instruct(GOTO, 0.0, (0, 0, 30, 0))
    for t, pt in enumerate([(10, 0), (60, 0), (-40, 20), (10.5, 0.5)], start=1):
        m.update(float(t), (0, 0, 30, 0), seen(), pt)
    assert m.state == State.LOCALIZE and "2/3" in m.status()["reason"]
    m.update(5.0, (0, 0, 30, 0), seen(), (9.5, -0.5))
    assert m.state == State.APPROACH


def test_low_confidence_never_moves():
    m = mission(localize_votes=1, min_confidence=0.6, localize_timeout=10.0)
    m.instruct(GOTO, 0.0, (0, 0, 30, 0))
    hold = Waypoint(0, 0, 30, 0)
    for t in range(1, 10):
        out = m.update(float(t), (0, 0, 30, 0), seen(score=0.59), (50.0, 50.0))
        assert out.waypoint == hold and m.state == State.LOCALIZE
        assert "low confidence" in out.status["reason"] and out.status["score"] == 0.59
    out = m.update(11.0, (0, 0, 30, 0), seen(score=float("nan")), (50.0, 50.0))
    assert m.state == State.NOT_FOUND and out.waypoint == hold


def test_low_confidence_does_not_pull_the_target_while_approaching():
    m = mission(localize_votes=1, min_confidence=0.5)
    m.instruct(GOTO, 0.0, (0, 0, 30, 0))
    m.update(1.0, (0, 0, 30, 0), seen(), (20.0, 0.0))
    out = m.update(2.0, (2, 0, 30, 0), seen(score=0.2), (25.0, 5.0))
    assert out.waypoint[:2] == (20.0, 0.0) and "low confidence" in out.status["reason"]
    out = m.update(3.0, (4, 0, 30, 0), seen(score=0.9), (22.0, 0.0))
    assert out.waypoint.x == pytest.approx(21.0)                   # track_gain 0.5 toward the new point
    out = m.update(4.0, (5, 0, 30, 0), seen(score=0.9), (80.0, 0.0))
    assert out.waypoint.x == pytest.approx(21.0) and "ignored" in out.status["reason"]


@pytest.mark.parametrize("hold_tracking", [False, True])
def test_hold_tracking_keeps_refining_above_the_target(hold_tracking):
    m = mission(localize_votes=1, hold_tracking=hold_tracking)
    m.instruct(GOTO, 0.0, (0, 0, 30, 0))
    m.update(1.0, (0, 0, 30, 0), seen(), (20.0, 0.0))
    m.update(2.0, (19.5, 0, 30, 0))
    assert m.state == State.ARRIVED and m.needs_grounding is hold_tracking
    out = m.update(3.0, (19.8, 0, 30, 0), seen(score=0.9), (24.0, 0.0))
    assert m.state == State.ARRIVED
    assert out.waypoint.x == pytest.approx(22.0 if hold_tracking else 20.0)   # track_gain 0.5 when on
    out = m.update(4.0, (20, 0, 30, 0), seen(score=0.9), (90.0, 0.0))        # a far detection never pulls it
    assert out.waypoint.x == pytest.approx(22.0 if hold_tracking else 20.0)
    for t in (5.0, 6.0):   # a missed frame, then cycles without a frame: the status still says where it is
        m.update(t, (20, 0, 30, 0), GroundingResult(None, 0.9, reason="nothing") if t == 5.0 else None, None)
        assert m.state == State.ARRIVED and m.status()["reason"].startswith("above the target")
        assert m.status()["reason"].count("above the target") == 1


def test_no_box_or_off_ground_is_not_a_vote():
    m = mission(localize_votes=1)
    m.instruct(GOTO, 0.0, (0, 0, 30, 0))
    m.update(1.0, (0, 0, 30, 0), GroundingResult(None, 0.9, reason="nothing above min_score"), None)
    assert m.state == State.LOCALIZE and "not in view" in m.status()["reason"]
    m.update(2.0, (0, 0, 30, 0), seen(), None)
    assert m.state == State.LOCALIZE and "ground" in m.status()["reason"]


def test_timeouts_give_not_found_and_hold():
    m = mission(search_timeout=10.0)
    m.instruct(GOTO, 0.0, (0, 0, 20, 0), retrieval=[place()])
    m.update(5.0, (10, 0, 20, 0))
    out = m.update(10.5, (20, 0, 20, 0))
    assert m.state == State.NOT_FOUND and out.waypoint == Waypoint(20, 0, 20, 0)
    assert "not reached" in out.status["reason"]

    m = mission(localize_votes=1, approach_timeout=5.0)
    m.instruct(GOTO, 0.0, (0, 0, 20, 0))
    m.update(1.0, (0, 0, 20, 0), seen(), (100.0, 0.0))
    out = m.update(7.0, (30, 0, 20, 0))
    assert m.state == State.NOT_FOUND and out.waypoint == Waypoint(30, 0, 20, 0)


def test_low_place_score_skips_search():
    m = mission(min_place_score=0.5)
    m.instruct(GOTO, 0.0, (0, 0, 20, 0), retrieval=[place(score=0.2)])
    assert m.state == State.LOCALIZE and "min_place_score" in m.status()["reason"]


def test_place_without_altitude_uses_search_altitude():
    m = mission(search_altitude=42.0)
    m.instruct(GOTO, 0.0, (0, 0, 20, 0), retrieval=[place(altitude=None)])
    assert m.update(1.0, (0, 0, 20, 0)).waypoint.z == 42.0


@pytest.mark.parametrize("word", ["stop", "hold"])
def test_stop_and_hold_preempt_and_hold_position(word):
    m = mission()
    m.instruct(GOTO, 0.0, (0, 0, 20, 0), retrieval=[place()])
    m.update(1.0, (10, 5, 25, 0.1))
    m.instruct(parse_instruction(word), 2.0, (12, 6, 25, 0.1))
    out = m.update(3.0, (13, 6.5, 25, 0.1))
    assert m.state == State.HOLD and out.waypoint == Waypoint(12, 6, 25, 0.1)
    assert out.status["place"] is None and word in out.status["reason"]
    assert m.update(50.0, (14, 7, 25, 0.1)).waypoint == Waypoint(12, 6, 25, 0.1)


def test_return_flies_home():
    m = mission(return_altitude=30.0, arrive_tolerance=2.0)
    m.update(0.0, (1, 2, 0, 0))                                    # first pose = home
    m.instruct(GOTO, 1.0, (1, 2, 20, 0), retrieval=[place()])
    m.update(5.0, (50, 20, 35, 0.5))
    m.instruct(parse_instruction("return to home"), 6.0)
    out = m.update(7.0, (50, 20, 35, 0.5))
    assert m.state == State.RETURN and out.waypoint == Waypoint(1, 2, 30, 0.5)
    assert m.update(9.0, (1.5, 2, 30, 0.5)).status["reason"] == "at home"


def test_configured_home():
    m = mission(home=(-5.0, 7.0))
    m.instruct(parse_instruction("go home"), 0.0, (3, 3, 10, 0))
    assert m.update(1.0, (3, 3, 10, 0)).waypoint[:2] == (-5.0, 7.0)


def test_new_instruction_preempts_and_resets_votes():
    m = mission(localize_votes=2)
    m.instruct(GOTO, 0.0, (0, 0, 30, 0))
    m.update(1.0, (0, 0, 30, 0), seen(), (10.0, 0.0))
    other = parse_instruction("the pool in the upper left")
    m.instruct(other, 2.0, (0, 0, 30, 0), retrieval=[place("0007", 5, 5)])
    out = m.update(3.0, (0, 0, 30, 0))
    assert m.state == State.SEARCH and out.status["phrase"] == "the pool" and out.status["score"] is None
    assert out.status["place"]["place_id"] == "0007"
    m.update(4.0, (5, 5, 30, 0))                                    # reached: LOCALIZE, votes start from zero
    m.update(5.0, (5, 5, 30, 0), seen(), (10.0, 0.0))
    assert m.state == State.LOCALIZE


def test_empty_instruction_is_ignored():
    m = mission()
    m.instruct(GOTO, 0.0, (0, 0, 30, 0))
    m.instruct(parse_instruction("   "), 1.0)
    assert m.state == State.LOCALIZE and m.instruction is GOTO and "empty" in m.status()["reason"]


def test_bad_config_and_pose_rejected():
    with pytest.raises(ValueError, match="min_confidence"):
        MissionConfig(min_confidence=1.5)
    with pytest.raises(ValueError, match="localize_votes"):
        MissionConfig(localize_votes=5, vote_window=3)
    with pytest.raises(ValueError, match="pose"):
        mission().update(0.0, (0, 0, "up", 0))


def test_status_is_json_serialisable_in_every_state():
    m = mission(localize_votes=1)
    m.instruct(GOTO, 0.0, (0, 0, 30, 0), retrieval=[place()])
    states = set()
    for t, pose, g, pt in [(1, (0, 0, 30, 0), None, None), (2, (100, 50, 35, 0), None, None),
                           (3, (100, 50, 35, 0), seen(), (110.0, 50.0)), (4, (110, 50, 35, 0), None, None)]:
        out = m.update(float(t), pose, g, pt)
        states.add(out.status["state"])
        json.dumps(out.status)
    assert states == {"SEARCH", "LOCALIZE", "APPROACH", "ARRIVED"}


def test_track_window_takes_the_median_so_one_stray_frame_cannot_drag_the_target():
    m = mission(localize_votes=3, track_window=5)
    m.instruct(GOTO, 0.0, (0, 0, 30, 0))
    for t, x in ((1.0, 19.0), (2.0, 20.0), (3.0, 21.0)):
        m.update(t, (0, 0, 30, 0), seen(), (x, 0.0))
    assert m.state == State.APPROACH and m.update(3.5, (1, 0, 30, 0)).waypoint.x == pytest.approx(20.0)
    out = m.update(4.0, (2, 0, 30, 0), seen(), (32.0, 0.0))          # a fragment 12 m off, inside track_radius
    assert out.waypoint.x == pytest.approx(20.5)                       # median of 19, 20, 21, 32 (gain: 26.0)
    for t in (5.0, 6.0, 7.0):                                          # the object really is at 22: it follows
        out = m.update(t, (3, 0, 30, 0), seen(), (22.0, 0.0))
    assert out.waypoint.x == pytest.approx(22.0)                       # window of 5: 21, 32, 22, 22, 22
    m.instruct(GOTO, 8.0, (3, 0, 30, 0))                               # a new instruction starts a new track
    for t, x in ((9.0, -10.0), (10.0, -10.0), (11.0, -10.0)):
        out = m.update(t, (3, 0, 30, 0), seen(), (x, 0.0))
    assert out.waypoint.x == pytest.approx(-10.0)


def test_a_box_nearly_as_wide_as_the_image_neither_votes_nor_drags_the_target():
    m = mission(localize_votes=2, max_box_width=0.85)
    m.instruct(GOTO, 0.0, (0, 0, 30, 0))
    wide = seen(box=(0.5, 0.4, 0.95, 0.75))
    for t in (1.0, 2.0, 3.0):                                          # wide boxes alone never localize
        m.update(t, (0, 0, 30, 0), wide, (30.0, 0.0))
    assert m.state == State.LOCALIZE and "max_box_width 0.85" in m.status()["reason"]
    for t in (4.0, 5.0):
        m.update(t, (0, 0, 30, 0), seen(), (20.0, 0.0))
    assert m.state == State.APPROACH
    out = m.update(6.0, (1, 0, 30, 0), wide, (26.0, 0.0))              # 6 m off, inside track_radius: ignored
    assert out.waypoint.x == pytest.approx(20.0) and "max_box_width" in out.status["reason"]
    out = m.update(7.0, (1, 0, 30, 0), seen(box=(0.5, 0.4, 0.5, 0.4)), (22.0, 0.0))   # a normal box refines it
    assert out.waypoint.x == pytest.approx(21.0)
    with pytest.raises(ValueError, match="max_box_width must be in"):
        MissionConfig(max_box_width=0.0)


@pytest.mark.parametrize("hold_radius", [0.0, 4.0])
def test_hold_radius_keeps_a_row_of_look_alikes_from_walking_the_target_away(hold_radius):
    """Above the target (seen 1 m from the estimate: held), its region drops out and a look-alike 7 m on is the
    nearest detection, then the next one 7 m further (a row of solar arrays): within track_radius of the
    estimate each time, so without hold_radius the estimate walks along the row; with it, only points near the
    target seen under the drone count. An arrival estimate 6 m off (no detection near it) still moves to the
    target."""
    m = mission(localize_votes=1, hold_tracking=True, track_radius=8.0, track_gain=1.0, hold_radius=hold_radius)
    m.instruct(GOTO, 0.0, (0, 0, 30, 0))
    m.update(1.0, (0, 0, 30, 0), seen(), (20.0, 0.0))
    m.update(2.0, (19.5, 0, 30, 0))
    assert m.state == State.ARRIVED
    out = m.update(3.0, (20, 0, 30, 0), seen(), (21.0, 0.0))          # the target itself, 1 m off: refines
    assert out.waypoint.x == pytest.approx(21.0)
    for t, x in ((4.0, 28.0), (5.0, 35.0)):
        out = m.update(t, (out.waypoint.x, 0, 30, 0), seen(), (x, 0.0))
    assert out.waypoint.x == pytest.approx(21.0 if hold_radius else 35.0)
    if hold_radius:
        assert "from the target seen under the drone (hold_radius 4.0 m)" in out.status["reason"]
    m.instruct(GOTO, 7.0, (0, 0, 30, 0))
    m.update(8.0, (0, 0, 30, 0), seen(), (20.0, 0.0))
    m.update(9.0, (19.5, 0, 30, 0))
    for t in (10.0, 11.0):                                             # the target is 6 m from the estimate
        out = m.update(t, (out.waypoint.x, 0, 30, 0), seen(), (26.0, 0.0))
    assert m.state == State.ARRIVED and out.waypoint.x == pytest.approx(26.0)
    with pytest.raises(ValueError, match="hold_radius must be >= 0"):
        MissionConfig(hold_radius=-1.0)


def test_track_window_must_not_be_negative():
    with pytest.raises(ValueError, match="track_window"):
        MissionConfig(track_window=-1)


def _at_place_then_timeout(m, pid_xy, t0, localize_timeout):
    """Fly to the place being searched, then let LOCALIZE time out with nothing seen; the time after."""
    x, y = pid_xy
    m.update(t0, (x, y, 35, 0))                       # within place_tolerance: LOCALIZE
    assert m.state == State.LOCALIZE
    m.update(t0 + localize_timeout + 0.5, (x, y, 35, 0), GroundingResult(box=None, score=0.0, reason="none"), None)
    return t0 + localize_timeout + 1.0


def test_not_found_at_a_place_searches_the_next_up_to_search_places():
    places = [place("0001", 100.0, 0.0, score=0.9), place("0002", 0.0, 100.0, score=0.8),
              place("0003", -100.0, 0.0, score=0.7)]
    m = mission(search_places=2, localize_timeout=5.0)
    m.instruct(GOTO, 0.0, (0, 0, 20, 0), retrieval=places)
    assert m.status()["place"]["rank"] == 1
    t = _at_place_then_timeout(m, (100.0, 0.0), 1.0, 5.0)
    out = m.update(t, (100, 0, 35, 0))
    assert m.state == State.SEARCH and out.status["place"]["place_id"] == "0002"
    assert out.status["place"]["rank"] == 2 and "not localized" in out.status["reason"]
    assert out.waypoint == Waypoint(0.0, 100.0, 35.0, 0.0)
    t = _at_place_then_timeout(m, (0.0, 100.0), t + 1.0, 5.0)
    assert m.state == State.NOT_FOUND, "search_places=2: the third place is never flown to"


def test_search_places_1_and_min_place_score_keep_the_drone_at_the_first_place():
    places = [place("0001", 100.0, 0.0, score=0.9), place("0002", 0.0, 100.0, score=0.3)]
    for kw in (dict(search_places=1), dict(search_places=3, min_place_score=0.5)):
        m = mission(localize_timeout=5.0, **kw)
        m.instruct(GOTO, 0.0, (0, 0, 20, 0), retrieval=places)
        _at_place_then_timeout(m, (100.0, 0.0), 1.0, 5.0)
        assert m.state == State.NOT_FOUND, kw
    with pytest.raises(ValueError, match="search_places"):
        MissionConfig(search_places=0)


def test_none_of_them_searches_the_next_place_but_no_answer_holds():
    places = [place("0001", 100.0, 0.0, score=0.9), place("0002", 0.0, 100.0, score=0.6)]   # no place question
    question = {"question": "which one?", "reason": "2 candidates", "candidates": []}
    for answered, state in ((True, State.SEARCH), (False, State.HOLD)):
        m = mission(localize_timeout=5.0)
        m.instruct(GOTO, 0.0, (0, 0, 20, 0), retrieval=places)
        m.update(1.0, (100, 0, 35, 0))
        m.ask(2.0, question, [object()])
        assert m.state == State.CLARIFY
        m.cancel_question(3.0, "operator answered 'none of them'", answered=answered)
        out = m.update(3.0, (100, 0, 35, 0))
        assert m.state == state, answered
        if answered:
            assert out.status["place"]["place_id"] == "0002" and out.waypoint == Waypoint(0.0, 100.0, 35.0, 0.0)
        else:
            assert out.waypoint == Waypoint(100, 0, 35, 0), "a timed-out question moves nothing"
