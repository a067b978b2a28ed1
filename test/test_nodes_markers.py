"""/geotext/markers (visualization_msgs/MarkerArray) and /geotext/path (nav_msgs/Path): the pure builders with
the real message types (serialized and read back the way DDS carries them), then the navigator publishing them
over real rclpy + DDS with a real (tiny) engine and a real gallery index."""
import math
from types import SimpleNamespace

import pytest

pytest.importorskip("rclpy")
from builtin_interfaces.msg import Time  # noqa: E402
from nav_msgs.msg import Path  # noqa: E402
from rclpy.serialization import deserialize_message, serialize_message  # noqa: E402
from visualization_msgs.msg import Marker, MarkerArray  # noqa: E402

from geotext_ros.geometry import intrinsics_for, yaw_from_quaternion  # noqa: E402
from geotext_ros.nav.candidates import Candidate  # noqa: E402
from geotext_ros.nav.safety import SafetyConfig  # noqa: E402
from geotext_ros.nodes import markers  # noqa: E402
from ros_harness import build_gallery_index, wait_for  # noqa: E402


def _roundtrip(msg):
    return deserialize_message(serialize_message(msg), type(msg))


def _by_ns(array: MarkerArray) -> dict:
    out = {}
    for m in array.markers:
        out.setdefault(m.ns, []).append(m)
    return out


def test_markers_carry_every_layer_in_map() -> None:
    scene = markers.MarkerScene(target=(10.0, -4.0), waypoint=(10.0, -4.0, 25.0, math.pi / 2),
                                candidates=[(10.0, -4.0), (30.0, 5.0)], chosen=0, anchors=[(0.0, 1.0)],
                                geofence=markers.geofence_outline(SafetyConfig(geofence_radius_m=100.0)),
                                places=[("0001", 5.0, 6.0), ("0002", -20.0, 40.0)])
    array = _roundtrip(markers.build_markers(scene, "map", Time(sec=12)))
    assert array.markers[0].action == Marker.DELETEALL   # layers that went away are removed first
    assert all(m.header.frame_id == "map" for m in array.markers)
    ns = _by_ns(array)
    assert set(ns) == {"", "geofence", "places", "place_labels", "candidates", "anchors", "target", "waypoint"}
    fence = ns["geofence"][0]
    assert fence.type == Marker.LINE_STRIP and len(fence.points) == markers.GEOFENCE_SEGMENTS + 1
    assert (fence.points[0].x, fence.points[0].y) == (fence.points[-1].x, fence.points[-1].y)   # closed
    assert max(math.hypot(p.x, p.y) for p in fence.points) == pytest.approx(100.0)
    assert [m.text for m in ns["place_labels"]] == ["0001", "0002"]
    assert ns["target"][0].pose.position.x == 10.0 and ns["target"][0].pose.position.y == -4.0
    wp = ns["waypoint"][0]
    q = wp.pose.orientation
    assert yaw_from_quaternion(q.x, q.y, q.z, q.w) == pytest.approx(math.pi / 2)
    assert wp.pose.position.z == 25.0
    for m in array.markers[1:]:   # RViz / Foxglove draw nothing with a zero alpha or size (text: scale.z only)
        assert m.color.a > 0 and (m.scale.z if m.type == Marker.TEXT_VIEW_FACING else m.scale.x) > 0, m.ns
    layers = markers.map_layers(array)
    assert layers["target"] == [10.0, -4.0] and layers["waypoint"] == [10.0, -4.0, 25.0]
    assert layers["places"] == [{"id": "0001", "x": 5.0, "y": 6.0}, {"id": "0002", "x": -20.0, "y": 40.0}]
    assert layers["candidates"] == [[10.0, -4.0], [30.0, 5.0]] and layers["anchors"] == [[0.0, 1.0]]
    assert len(layers["geofence"]) == markers.GEOFENCE_SEGMENTS


def test_an_empty_scene_clears_the_display() -> None:
    array = markers.build_markers(markers.MarkerScene(), "map", Time())
    assert [m.action for m in array.markers] == [Marker.DELETEALL]
    assert markers.map_layers(array)["target"] is None


def test_a_polygon_geofence_is_drawn_as_given() -> None:
    poly = SafetyConfig(geofence_polygon=((0.0, 0.0), (50.0, 0.0), (50.0, 40.0)))
    assert markers.geofence_outline(poly) == [(0.0, 0.0), (50.0, 0.0), (50.0, 40.0)]


def test_path_holds_the_trajectory() -> None:
    path = _roundtrip(markers.build_path([(0.0, 0.0, 40.0), (3.0, 4.0, 38.0)], "map", Time(sec=3)))
    assert isinstance(path, Path) and path.header.frame_id == "map"
    assert [(p.pose.position.x, p.pose.position.y, p.pose.position.z) for p in path.poses] == \
        [(0.0, 0.0, 40.0), (3.0, 4.0, 38.0)]


def test_grounding_points_lie_under_the_boxes() -> None:
    # nadir camera, 90 degree fov, 100x100 px at 40 m: the image centre is under the drone, the right edge 40 m
    # to its right (= south when the drone heads east)
    k = intrinsics_for(100, 100, 90.0)
    result = SimpleNamespace(candidates=[Candidate((0.5, 0.5, 0.1, 0.1), 0.9, 1), Candidate((1.0, 0.5, 0.1, 0.1),
                                                                                             0.5, 1)],
                             chosen=1, anchor_box=(0.5, 0.5, 0.2, 0.2), anchor2_box=None)
    cands, chosen, anchors = markers.grounding_points(result, k, (10.0, 20.0, 40.0, 0.0), (100, 100))
    assert chosen == 1
    assert cands[0] == pytest.approx((10.0, 20.0)) and cands[1] == pytest.approx((10.0, -20.0))
    assert anchors == [pytest.approx((10.0, 20.0))]


def test_navigator_publishes_markers_and_path(nav_harness, tiny_engine_dir, tmp_path) -> None:
    gallery = build_gallery_index(tiny_engine_dir, tmp_path, [(40.0, 0.0), (-30.0, 20.0)])
    h = nav_harness(gallery=str(gallery), markers_topic="/mk/markers", path_topic="/mk/path",
                    markers_rate_hz=10.0, **{"clarify.place_margin": 0.0})   # SEARCH at once, no question
    got_markers, got_paths = [], []
    h.driver.create_subscription(MarkerArray, "/mk/markers", got_markers.append, 5)
    h.driver.create_subscription(Path, "/mk/path", got_paths.append, 5)
    d = h.driver
    for x in (0.0, 2.0, 4.0):
        d.send_odom(x=x, y=0.0, z=30.0)
        wait_for(lambda: False, 0.15)
    d.say("fly to the red building left of the pool")   # SEARCH: to a gallery place, then LOCALIZE there

    def fly_to_the_waypoint_and_look() -> None:   # the test plays the vehicle: it is where it was sent
        if d.waypoints:
            p = d.waypoints[-1][1].pose.position
            d.send_odom(x=p.x, y=p.y, z=p.z)
        d.send_frame(sec=5)
    assert wait_for(lambda: any("candidates" in _by_ns(a) for a in got_markers), 20.0,
                    poke=fly_to_the_waypoint_and_look), [sorted(_by_ns(a)) for a in got_markers[-3:]]
    ns = _by_ns(got_markers[-1])
    assert {"geofence", "places", "place_labels", "candidates"} <= set(ns)
    assert sorted(m.text for m in ns["place_labels"]) == ["p0", "p1"]
    assert all(m.header.frame_id == "map" for m in got_markers[-1].markers)
    assert wait_for(lambda: got_paths and len(got_paths[-1].poses) >= 3, 5.0)
    assert [p.pose.position.x for p in got_paths[-1].poses[:3]] == [0.0, 2.0, 4.0]

