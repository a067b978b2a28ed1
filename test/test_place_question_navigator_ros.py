"""Issue 19 §3, asking which gallery place, over real rclpy + DDS (tiny exported engine, a three-place gallery,
clarify.place_margin 1.0 so the two best places always count as alike): the navigator asks on /geotext/status before
anything moves, with the places numbered and their gallery pictures side by side on /geotext/annotated; "number 2"
on /instruction flies to that place; asked again, "none of them" flies to the place that was not offered."""
import pytest

pytest.importorskip("rclpy")
from rclpy.qos import QoSProfile, ReliabilityPolicy  # noqa: E402
from sensor_msgs.msg import Image  # noqa: E402

from geotext_ros.nav.place_question import THUMB_PX  # noqa: E402
from ros_harness import build_gallery_index, wait_for  # noqa: E402

PLACES = [(40.0, 0.0), (0.0, 40.0), (-40.0, 0.0)]
ASK_PLACES = {"clarify.place_margin": 1.0, "clarify.max_candidates": 2, "publish_annotated": True}
TEXT = "fly to the pool"


@pytest.fixture(scope="module")
def gallery(tiny_engine_dir, tmp_path_factory):
    return build_gallery_index(tiny_engine_dir, tmp_path_factory.mktemp("gallery"), PLACES)


def _status(d, pred, seen: int, timeout: float = 10.0) -> dict:
    assert wait_for(lambda: any(pred(s) for s in d.statuses_since(seen)), timeout, lambda: d.send_odom(0.0, 0.0, 30.0)), \
        d.statuses_since(seen)[-3:]
    return next(s for s in d.statuses_since(seen) if pred(s))


def test_the_navigator_asks_which_place_and_flies_where_the_operator_says(nav_harness, gallery) -> None:
    h = nav_harness(gallery=str(gallery), **ASK_PLACES)
    d = h.driver
    images = []
    sub = d.create_subscription(Image, h.topics["annotated_topic"], images.append,
                                QoSProfile(depth=5, reliability=ReliabilityPolicy.RELIABLE))
    assert wait_for(lambda: sub.get_publisher_count() > 0, 10.0)
    d.send_odom(0.0, 0.0, 30.0)
    d.send_frame(sec=1)   # the question image goes out with the latest camera header
    seen = d.say(TEXT)
    asked = _status(d, lambda s: s.get("state") == "CLARIFY", seen)
    offered = [c["place_id"] for c in asked["candidates"]]
    assert len(offered) == 2 and set(offered) < {"p0", "p1", "p2"} and asked["place"] is None, asked
    assert "places in my gallery" in asked["question"] and asked["candidates"][0]["label"].startswith("gallery place")
    sent = {(round(m.pose.position.x, 3), round(m.pose.position.y, 3)) for _, m in d.waypoints}
    assert sent <= {(0.0, 0.0)}, "nothing moves before the answer"
    assert wait_for(lambda: images, 5.0, lambda: d.send_odom(0.0, 0.0, 30.0)), "the places' pictures must be published"
    assert (images[-1].width, images[-1].height) == (2 * THUMB_PX, THUMB_PX)

    seen = d.say("number 2")
    flying = _status(d, lambda s: s.get("state") == "SEARCH", seen)
    assert flying["place"]["place_id"] == offered[1] and "operator chose number 2" in flying["reason"], flying

    seen = d.say(TEXT)
    _status(d, lambda s: s.get("state") == "CLARIFY", seen)
    seen = d.say("none of them")
    flying = _status(d, lambda s: s.get("state") == "SEARCH", seen)
    rest = ({"p0", "p1", "p2"} - set(offered)).pop()
    assert flying["place"]["place_id"] == rest and "none of the 2 places offered" in flying["reason"], flying
