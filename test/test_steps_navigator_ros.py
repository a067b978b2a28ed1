"""Issue 19 §2 missions of several steps over real rclpy + DDS (tiny exported engine; thresholds off so every frame
is a confident grounding and arrive_tolerance wide, so each goto step arrives at once): the status shows step k of
n in order, "stop" holds inside the mission, "resume" goes on, a new instruction replaces the mission."""
import pytest

pytest.importorskip("rclpy")
from ros_harness import wait_for  # noqa: E402

QUICK = {"mission.min_confidence": 0.0, "mission.localize_votes": 1, "mission.arrive_tolerance": 1000.0,
         "clarify.score_margin": 0.0, "clarify.score_ratio": 1.0}
TEXT = "fly to the pool, then to the red building, then come home"


def _status(d, pred, seen: int, timeout: float = 15.0, poke=None) -> dict:
    assert wait_for(lambda: any(pred(s) for s in d.statuses_since(seen)), timeout, poke), d.statuses_since(seen)[-3:]
    return next(s for s in d.statuses_since(seen) if pred(s))


def test_three_steps_in_order_stop_resume_and_replace(nav_harness) -> None:
    h = nav_harness(**QUICK)
    d = h.driver
    d.send_odom()
    seen = d.say(TEXT)
    first = _status(d, lambda s: (s.get("step") or {}).get("k") == 1, seen)
    assert first["step"] == {"k": 1, "n": 3, "text": "fly to the pool"}, first
    sec = [0]

    def frame() -> None:
        sec[0] += 1
        d.send_odom()
        d.send_frame(sec=sec[0])

    last = _status(d, lambda s: (s.get("step") or {}).get("k") == 3 and s.get("state") == "RETURN", seen, poke=frame)
    assert last["instruction"] == "come home"
    ks = [s["step"]["k"] for s in d.statuses_since(seen) if s.get("step")]
    assert 2 in ks and ks == sorted(ks), ks
    seen = d.say("stop")
    held = _status(d, lambda s: s.get("state") == "HOLD", seen)
    assert held["step"]["k"] == 3, held
    seen = d.say("resume")
    _status(d, lambda s: s.get("state") == "RETURN" and "resumed" in s.get("reason", ""), seen)
    seen = d.say("fly to the pool")
    new = _status(d, lambda s: s.get("instruction") == "fly to the pool", seen)
    assert new["step"] is None, new
