"""Issue 19 §2 landing wired (ROS-free): "land next to the pool" -> ARRIVED above the pool -> DESCEND to a touchdown
point clear of the pool by landing.clearance_m, at the envelope's minimum altitude -> LANDING (no waypoint: the
flight controller lands); the PX4 bridge sends VEHICLE_CMD_NAV_LAND (21) once when the navigator says LANDING."""
import math

import numpy as np

from geotext_ros.geometry import Pose
from geotext_ros.nav.candidates import Candidate
from geotext_ros.nav.grounding import GroundingResult
from geotext_ros.nav.landing import LandingConfig
from geotext_ros.nav.mission import Mission, MissionConfig
from geotext_ros.nav.parser import parse_instruction
from geotext_ros.nav.pipeline import NavPipeline
from geotext_ros.nav.px4_messages import VEHICLE_CMD_NAV_LAND, LocalPositionENU, Px4Status
from geotext_ros.nav.px4_offboard import OffboardBridge, OffboardConfig
from geotext_ros.nav.safety import SafetyConfig, SafetyEnvelope
from scene_helpers import K, SIZE, square_box

POOL, HALF = (10.0, 0.0), 2.0


class PoolGrounder:
    def __init__(self):
        self.pose = Pose(0.0, 0.0, 30.0, 0.0)

    def ground(self, rgb, instruction):
        box = square_box(POOL, HALF, self.pose)
        return GroundingResult(box, 0.9, [Candidate(box, 0.9, 9)], 0, phrase=instruction.target, confidence=0.9)


def test_parser_reads_land_next_to_and_on():
    assert parse_instruction("land next to the pool").land == "beside"
    assert parse_instruction("land on the helipad").land == "on"
    assert parse_instruction("land next to the pool").target == "the pool"
    assert parse_instruction("fly to the pool").land is None


def test_land_next_to_the_pool_descends_clear_of_it_then_hands_over():
    g = PoolGrounder()
    safety = SafetyConfig(camera_timeout_s=0.0, odom_timeout_s=0.0, max_step_m=0.0, max_horizontal_speed_mps=0.0,
                          max_vertical_speed_mps=0.0, max_vertical_step_m=0.0)
    p = NavPipeline(g, Mission(MissionConfig(localize_votes=1, min_confidence=0.5, approach_altitude=None)),
                    SafetyEnvelope(safety), landing=LandingConfig(clearance_m=3.0))
    rgb = np.zeros((SIZE[1], SIZE[0], 3), np.uint8)
    p.set_instruction("land next to the pool", 0.0, tuple(g.pose))
    states, plan = [], None
    for t in range(1, 15):
        _, status = p.process_frame(rgb, K, tuple(g.pose), float(t))
        wp, status = p.tick(tuple(g.pose), t + 0.5, None, None)
        states.append(status["state"])
        plan = status["landing"] or plan
        if status["state"] == "DESCEND":
            assert wp[2] >= safety.min_altitude_m   # the envelope's floor holds until the landing phase
        if wp is not None:
            g.pose = Pose(wp[0], wp[1], wp[2], 0.0)
    assert "DESCEND" in states and states[-1] == "LANDING", states
    assert plan["altitude"] == safety.min_altitude_m
    x, y = plan["point"]
    outside = math.hypot(max(abs(x - POOL[0]) - HALF, 0.0), max(abs(y - POOL[1]) - HALF, 0.0))
    assert 3.0 - 0.3 <= outside <= 3.0 + 25.0, plan   # clear of the pool by the clearance (grid step slack)
    assert wp is None   # LANDING: the flight controller's land mode, no setpoint from the mission


def test_bridge_sends_nav_land_once_when_the_navigator_is_landing():
    b = OffboardBridge(SafetyEnvelope(SafetyConfig(camera_timeout_s=0.0, odom_timeout_s=0.0)),
                       OffboardConfig(allow_arming=True), waypoint_timeout_s=0.0)
    b.on_status(Px4Status(armed=True, offboard=True, arming_state=2, nav_state=14))
    b.on_local_position(LocalPositionENU(0.0, 0.0, 5.0, 0.0, 0.0, 0.0, 0.0, True), 0.0)
    b.on_goal(0.0, 0.0, 5.0, 0.0, 0.0)
    sent = lambda t: [c.command for c in b.tick(t).offboard.commands]   # noqa: E731
    assert VEHICLE_CMD_NAV_LAND not in sent(0.1)
    b.on_navigator_state("DESCEND")
    assert VEHICLE_CMD_NAV_LAND not in sent(0.2)
    b.on_navigator_state("LANDING")
    assert VEHICLE_CMD_NAV_LAND in sent(0.3)
    b.on_navigator_state("LANDING")   # the status repeats: one land command only
    assert VEHICLE_CMD_NAV_LAND not in sent(0.4) + sent(0.5)
