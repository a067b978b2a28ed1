"""Issue 19 §3 over real rclpy + DDS (tiny exported engine): an instruction without a relation whose candidates
score alike (clarify.score_margin 1.0 makes the random model's regions look-alikes) -> state CLARIFY with numbered
candidates in /geotext/status and the numbered annotated image; "number 2" on /instruction -> APPROACH toward
candidate 2 (the same mission, not a new one); "none of them" -> the candidates not offered yet, then HOLD with
the reason."""
import math

import pytest

pytest.importorskip("rclpy")
from ros_harness import wait_for  # noqa: E402

ASKING = {"clarify.score_margin": 1.0, "clarify.max_candidates": 2, "mission.min_confidence": 0.0,
          "publish_annotated": True}


def _status(d, pred, seen: int, timeout: float = 10.0, poke=None) -> dict:
    assert wait_for(lambda: any(pred(s) for s in d.statuses_since(seen)), timeout, poke), d.statuses_since(seen)[-3:]
    return next(s for s in d.statuses_since(seen) if pred(s))


def test_look_alikes_ask_and_number_2_approaches_candidate_2(nav_harness) -> None:
    h = nav_harness(**ASKING)
    d = h.driver
    d.send_odom()
    seen = d.say("fly to the pool")
    asked = _status(d, lambda s: s.get("state") == "CLARIFY", seen, poke=lambda: d.send_frame(sec=1))
    assert [c["number"] for c in asked["candidates"]] == [1, 2] and "Which one" in asked["question"], asked
    assert all(c["position"] is not None for c in asked["candidates"])
    held = d.waypoints[-1][1].pose.position
    assert (round(held.x, 3), round(held.y, 3)) == (10.0, -5.0)          # holds where it asked
    chosen = asked["candidates"][1]["position"]
    seen = d.say("number 2")
    s = _status(d, lambda s: s.get("state") == "APPROACH" and s.get("waypoint"), seen)
    assert s["instruction"] == "fly to the pool" and s["candidates"] is None, s
    assert "operator chose number 2" in s["reason"], s
    # the envelope moves the setpoint at max_horizontal_speed_mps: it reaches candidate 2's ground point
    other = asked["candidates"][0]["position"]
    assert wait_for(lambda: math.dist(h.nav.status["waypoint"][:2], chosen) < 0.5, 15.0), (h.nav.status, chosen)
    assert h.nav.status["state"] in ("APPROACH", "ARRIVED") and math.dist(chosen, other) > 1.0


def test_none_of_them_asks_about_the_rest_then_holds_with_the_reason(nav_harness) -> None:
    h = nav_harness(**ASKING)
    d = h.driver
    d.send_odom()
    seen = d.say("fly to the pool")
    _status(d, lambda s: s.get("state") == "CLARIFY", seen, poke=lambda: d.send_frame(sec=1))
    again = []   # the random model lights more regions than max_candidates 2: they are offered next, 2 at a time
    for _ in range(10):
        seen = d.say("none of them")
        s = _status(d, lambda s: s.get("state") == "HOLD" or (
            s.get("state") == "CLARIFY" and s["reason"].startswith("asking again") and s["reason"] not in again), seen)
        if s["state"] == "HOLD":
            break
        assert "more in view" in s["reason"], s
        assert [c["number"] for c in s["candidates"]] == list(range(1, len(s["candidates"]) + 1)), s
        again.append(s["reason"])
    assert again, "the tiny engine's frame has more candidates than one question offers"
    assert "none of the candidates" in s["reason"] and s["candidates"] is None, s
