"""Issue 19 §3 over real rclpy + DDS (tiny exported engine): the relation's anchor is never found
(grounding.anchor_min_score 1.0: no region of the random model's map reaches it) -> after
clarify.anchor_missing_frames frames the navigator holds and asks on /geotext/status ("I cannot find the red car;
which pool do you mean?") with the numbered candidates it saw, and draws them on /geotext/annotated although the
frame had no target box; it never flies toward an unconfirmed candidate; "none of them" -> NOT_FOUND with why."""
import pytest

pytest.importorskip("rclpy")
from rclpy.qos import QoSProfile, ReliabilityPolicy  # noqa: E402
from sensor_msgs.msg import Image  # noqa: E402

from ros_harness import wait_for  # noqa: E402

NO_ANCHOR = {"grounding.anchor_min_score": 1.0, "clarify.anchor_missing_frames": 2, "mission.min_confidence": 0.0,
             "publish_annotated": True}
TEXT = "fly to the pool left of the red car"


def _status(d, pred, seen: int, timeout: float = 10.0, poke=None) -> dict:
    assert wait_for(lambda: any(pred(s) for s in d.statuses_since(seen)), timeout, poke), d.statuses_since(seen)[-3:]
    return next(s for s in d.statuses_since(seen) if pred(s))


def test_missing_anchor_asks_on_status_and_none_of_them_is_not_found(nav_harness) -> None:
    h = nav_harness(**NO_ANCHOR)
    d = h.driver
    images = []
    sub = d.create_subscription(Image, h.topics["annotated_topic"], images.append,
                                QoSProfile(depth=5, reliability=ReliabilityPolicy.RELIABLE))
    assert wait_for(lambda: sub.get_publisher_count() > 0, 10.0)
    d.send_odom()
    seen = d.say(TEXT)
    sec = iter(range(1, 1000))
    asked = _status(d, lambda s: s.get("state") == "CLARIFY", seen, poke=lambda: d.send_frame(sec=next(sec)))
    assert asked["question"].startswith("I cannot find the red car; which pool do you mean?"), asked
    assert "could not find the red car" in asked["reason"] and asked["instruction"] == TEXT, asked
    assert [c["number"] for c in asked["candidates"]] == list(range(1, len(asked["candidates"]) + 1)), asked
    assert asked["relation_frame"] == "camera at instruction", asked
    # never a waypoint other than holding where it was (odometry 10, -5, 30), before or while asking
    sent = {(round(m.pose.position.x, 3), round(m.pose.position.y, 3)) for _, m in d.waypoints}
    assert sent <= {(10.0, -5.0)}, sent
    assert not any(s.get("state") == "APPROACH" for s in d.statuses_since(seen))
    assert wait_for(lambda: images, 5.0), "the numbered question image must be published"
    seen = d.say("none of them")
    s = _status(d, lambda s: s.get("state") == "NOT_FOUND", seen)
    assert "none of the candidates" in s["reason"] and "could not find the red car" in s["reason"], s
