"""RViz / Foxglove markers: the navigator's picture of the world as visualization_msgs/MarkerArray and
nav_msgs/Path, all in the map frame (ENU).

Pure functions of the core's data (no node): `scene_from(...)` collects target, candidates, anchors, waypoint,
geofence and gallery places; `build_markers(scene, frame, stamp)` and `build_path(points, frame, stamp)` make the
messages; `map_layers(markers)` reads them back into the ground station's map layers.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional, Sequence

from builtin_interfaces.msg import Time
from geometry_msgs.msg import Point, PoseStamped
from nav_msgs.msg import Path
from std_msgs.msg import ColorRGBA
from visualization_msgs.msg import Marker, MarkerArray

from geotext_ros.geometry import Intrinsics, quaternion_from_yaw
from geotext_ros.nav.camera import box_center_to_ground

XY = tuple[float, float]
# Namespaces: a Foxglove/RViz user toggles layers by these; map_layers() reads them back.
NS_TARGET, NS_CANDIDATES, NS_ANCHORS, NS_WAYPOINT = "target", "candidates", "anchors", "waypoint"
NS_GEOFENCE, NS_PLACES, NS_PLACE_LABELS = "geofence", "places", "place_labels"
GEOFENCE_SEGMENTS = 72   # a circular geofence drawn as a polygon of this many sides


@dataclass
class MarkerScene:
    """What the navigator knows, in map coordinates (metres, ENU)."""

    target: Optional[XY] = None
    waypoint: Optional[tuple[float, float, float, float]] = None   # x, y, z, yaw
    candidates: list[XY] = field(default_factory=list)
    chosen: Optional[int] = None                                    # index into candidates
    anchors: list[XY] = field(default_factory=list)
    geofence: list[XY] = field(default_factory=list)                # polygon vertices (not closed)
    places: list[tuple[str, float, float]] = field(default_factory=list)


def geofence_outline(safety_config: Any, segments: int = GEOFENCE_SEGMENTS) -> list[XY]:
    """The SafetyConfig's fence: its polygon, or the circle around home as a polygon."""
    if safety_config.geofence_polygon:
        return [(float(x), float(y)) for x, y in safety_config.geofence_polygon]
    r, hx, hy = float(safety_config.geofence_radius_m), float(safety_config.home_x), float(safety_config.home_y)
    return [(hx + r * math.cos(2 * math.pi * i / segments), hy + r * math.sin(2 * math.pi * i / segments))
            for i in range(segments)]


def grounding_points(result: Any, intr: Intrinsics, pose: Sequence[float],
                     image_size: tuple[int, int]) -> tuple[list[XY], Optional[int], list[XY]]:
    """Ground points (x, y) under a GroundingResult's candidate and anchor boxes, seen from `pose`.
    Returns (candidates, index of the chosen candidate or None, anchors); boxes above the horizon are left out."""

    def ground(box: Sequence[float]) -> Optional[XY]:
        p = box_center_to_ground(box, image_size, intr, pose)
        return None if p is None else (float(p[0]), float(p[1]))

    candidates, chosen = [], None
    for i, cand in enumerate(getattr(result, "candidates", None) or []):
        p = ground(cand.box)
        if p is not None:
            if i == result.chosen:
                chosen = len(candidates)
            candidates.append(p)
    anchors = [p for p in (ground(b) for b in (result.anchor_box, result.anchor2_box) if b is not None)
               if p is not None]
    return candidates, chosen, anchors


def scene_from(target: Optional[Sequence[float]], waypoint: Optional[Sequence[float]], safety_config: Any,
               gallery: Any = None, grounding: Optional[tuple[list[XY], Optional[int], list[XY]]] = None
               ) -> MarkerScene:
    """A MarkerScene from the mission's target, the waypoint sent, the envelope's config, the gallery index
    (place_ids, x, y) and grounding_points() of the last grounded frame."""
    cands, chosen, anchors = grounding if grounding is not None else ([], None, [])
    places = []
    if gallery is not None:
        places = [(str(pid), float(x), float(y)) for pid, x, y in zip(gallery.place_ids, gallery.x, gallery.y)]
    return MarkerScene(
        target=None if target is None else (float(target[0]), float(target[1])),
        waypoint=None if waypoint is None else tuple(float(v) for v in waypoint),
        candidates=list(cands), chosen=chosen, anchors=list(anchors),
        geofence=geofence_outline(safety_config), places=places)


def _color(r: float, g: float, b: float, a: float = 1.0) -> ColorRGBA:
    return ColorRGBA(r=float(r), g=float(g), b=float(b), a=float(a))


def _pt(x: float, y: float, z: float = 0.0) -> Point:
    return Point(x=float(x), y=float(y), z=float(z))


def _marker(ns: str, mid: int, kind: int, frame: str, stamp: Time, scale: tuple[float, float, float],
            color: ColorRGBA) -> Marker:
    m = Marker(ns=ns, id=mid, type=kind, action=Marker.ADD, frame_locked=False)
    m.header.frame_id, m.header.stamp = frame, stamp
    m.pose.orientation.w = 1.0
    m.scale.x, m.scale.y, m.scale.z = scale
    m.color = color
    return m


def build_markers(scene: MarkerScene, frame_id: str, stamp: Time) -> MarkerArray:
    """DELETEALL first (layers that went away disappear), then one marker per layer that has data."""
    clear = Marker(action=Marker.DELETEALL)
    clear.header.frame_id, clear.header.stamp = frame_id, stamp
    out = [clear]
    if scene.geofence:
        m = _marker(NS_GEOFENCE, 0, Marker.LINE_STRIP, frame_id, stamp, (1.0, 0.0, 0.0), _color(0.8, 0.3, 0.8))
        m.points = [_pt(x, y) for x, y in [*scene.geofence, scene.geofence[0]]]   # closed
        out.append(m)
    if scene.places:
        m = _marker(NS_PLACES, 0, Marker.CUBE_LIST, frame_id, stamp, (6.0, 6.0, 1.0), _color(0.6, 0.6, 0.7, 0.8))
        m.points = [_pt(x, y) for _, x, y in scene.places]
        out.append(m)
        for i, (pid, x, y) in enumerate(scene.places):
            t = _marker(NS_PLACE_LABELS, i, Marker.TEXT_VIEW_FACING, frame_id, stamp, (0.0, 0.0, 5.0),
                        _color(0.9, 0.9, 0.9))
            t.pose.position = _pt(x, y, 6.0)
            t.text = pid
            out.append(t)
    if scene.candidates:
        m = _marker(NS_CANDIDATES, 0, Marker.SPHERE_LIST, frame_id, stamp, (3.0, 3.0, 3.0), _color(1.0, 0.6, 0.2))
        m.points = [_pt(x, y, 0.5) for x, y in scene.candidates]
        out.append(m)
    if scene.anchors:
        m = _marker(NS_ANCHORS, 0, Marker.CUBE_LIST, frame_id, stamp, (3.0, 3.0, 3.0), _color(0.3, 0.5, 1.0))
        m.points = [_pt(x, y, 0.5) for x, y in scene.anchors]
        out.append(m)
    if scene.target is not None:
        m = _marker(NS_TARGET, 0, Marker.CYLINDER, frame_id, stamp, (4.0, 4.0, 8.0), _color(1.0, 0.15, 0.15, 0.9))
        m.pose.position = _pt(scene.target[0], scene.target[1], 4.0)
        out.append(m)
    if scene.waypoint is not None:
        x, y, z, yaw = scene.waypoint
        m = _marker(NS_WAYPOINT, 0, Marker.ARROW, frame_id, stamp, (6.0, 1.2, 1.2), _color(1.0, 0.85, 0.2))
        m.pose.position = _pt(x, y, z)
        qx, qy, qz, qw = quaternion_from_yaw(yaw)
        m.pose.orientation.x, m.pose.orientation.y, m.pose.orientation.z, m.pose.orientation.w = qx, qy, qz, qw
        out.append(m)
    return MarkerArray(markers=out)


def build_path(points: Iterable[Sequence[float]], frame_id: str, stamp: Time) -> Path:
    """The flown trajectory (x, y, z) as a nav_msgs/Path."""
    path = Path()
    path.header.frame_id, path.header.stamp = frame_id, stamp
    poses = []
    for p in points:
        ps = PoseStamped()
        ps.header.frame_id, ps.header.stamp = frame_id, stamp
        ps.pose.position = _pt(p[0], p[1], p[2] if len(p) > 2 else 0.0)
        ps.pose.orientation.w = 1.0
        poses.append(ps)
    path.poses = poses
    return path


def map_layers(msg: MarkerArray) -> dict[str, Any]:
    """The ground station's map layers from a MarkerArray made by build_markers (unknown namespaces ignored)."""
    layers: dict[str, Any] = {"places": [], "geofence": [], "target": None, "waypoint": None, "candidates": [],
                              "anchors": []}
    labels: dict[int, str] = {}
    place_points: list[XY] = []
    for m in msg.markers:
        if m.action != Marker.ADD:
            continue
        pts = [[round(p.x, 2), round(p.y, 2)] for p in m.points]
        if m.ns == NS_GEOFENCE:
            layers["geofence"] = pts[:-1] if len(pts) > 1 and pts[0] == pts[-1] else pts
        elif m.ns == NS_PLACES:
            place_points = [(p[0], p[1]) for p in pts]
        elif m.ns == NS_PLACE_LABELS:
            labels[m.id] = m.text
        elif m.ns == NS_CANDIDATES:
            layers["candidates"] = pts
        elif m.ns == NS_ANCHORS:
            layers["anchors"] = pts
        elif m.ns == NS_TARGET:
            layers["target"] = [round(m.pose.position.x, 2), round(m.pose.position.y, 2)]
        elif m.ns == NS_WAYPOINT:
            p = m.pose.position
            layers["waypoint"] = [round(p.x, 2), round(p.y, 2), round(p.z, 2)]
    layers["places"] = [{"id": labels.get(i, str(i)), "x": x, "y": y} for i, (x, y) in enumerate(place_points)]
    return layers
