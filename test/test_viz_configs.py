"""config/geotext.rviz and docs/foxglove_layout.json show the topics the nodes publish (names from nav.yaml), in
the map frame."""
import json
from pathlib import Path

import yaml

from geotext_ros.param_file import load_node_params

ROOT = Path(__file__).resolve().parents[1]


def _published() -> dict[str, str]:
    nav = load_node_params("navigator")
    return {"markers": nav["markers_topic"], "path": nav["path_topic"], "annotated": nav["annotated_topic"],
            "odom": nav["odom_topic"], "status": nav["status_topic"], "instruction": nav["instruction_topic"]}


def test_rviz_config_shows_markers_path_odometry_and_camera_in_map() -> None:
    doc = yaml.safe_load((ROOT / "config" / "geotext.rviz").read_text())
    manager = doc["Visualization Manager"]
    assert manager["Global Options"]["Fixed Frame"] == load_node_params("navigator")["map_frame"]
    displays = {d["Class"]: d for d in manager["Displays"]}
    topics = _published()
    assert displays["rviz_default_plugins/MarkerArray"]["Topic"]["Value"] == topics["markers"]
    assert displays["rviz_default_plugins/Path"]["Topic"]["Value"] == topics["path"]
    assert displays["rviz_default_plugins/Odometry"]["Topic"]["Value"] == topics["odom"]
    image = displays["rviz_default_plugins/Image"]["Topic"]
    assert image["Value"] == topics["annotated"] and image["Reliability Policy"] == "Best Effort"   # sensor QoS
    from geotext_ros.nodes import markers
    shown = set(displays["rviz_default_plugins/MarkerArray"]["Namespaces"])
    assert shown == {markers.NS_TARGET, markers.NS_CANDIDATES, markers.NS_ANCHORS, markers.NS_WAYPOINT,
                     markers.NS_GEOFENCE, markers.NS_PLACES, markers.NS_PLACE_LABELS}


def test_foxglove_layout_references_real_panels_and_topics() -> None:
    layout = json.loads((ROOT / "docs" / "foxglove_layout.json").read_text())
    configs = layout["configById"]

    def leaves(node):
        return [node] if isinstance(node, str) else leaves(node["first"]) + leaves(node["second"])
    assert sorted(leaves(layout["layout"])) == sorted(configs)   # every panel placed, none dangling
    topics = _published()
    three_d = configs["3D!geotext"]
    assert three_d["followTf"] == "map"
    assert {topics["markers"], topics["path"], topics["odom"]} <= set(three_d["topics"])
    assert configs["Image!geotext"]["imageMode"]["imageTopic"] == topics["annotated"]
    assert configs["RawMessages!geotext"]["topicPath"].startswith(topics["status"])
    publishers = [c for k, c in configs.items() if k.startswith("Publish!")]
    assert publishers and all(p["topicName"] == topics["instruction"] for p in publishers)
    assert all(json.loads(p["value"])["data"] for p in publishers)

