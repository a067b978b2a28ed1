"""Faults around a running navigator (real rclpy + DDS, tiny exported engine): camera outage, odometry jump,
a failing model backend, an instruction before the first frame, a navigator restart mid-mission."""
import math
import time

import pytest

pytest.importorskip("rclpy")
from ros_harness import build_gallery_index, wait_for  # noqa: E402

FAR_PLACE = (250.0, 0.0)   # inside the 300 m geofence, far beyond one step of the envelope


@pytest.fixture(scope="module")
def gallery(tiny_engine_dir, tmp_path_factory):
    return build_gallery_index(tiny_engine_dir, tmp_path_factory.mktemp("gallery"), [FAR_PLACE])


def _stream(driver, seconds: float, frames: bool = True, odom=(10.0, -5.0, 30.0), start_sec: int = 1000) -> None:
    end, sec = time.monotonic() + seconds, start_sec
    while time.monotonic() < end:
        driver.send_odom(*odom)
        if frames:
            driver.send_frame(sec=sec)
        sec += 1
        time.sleep(0.1)


def test_camera_outage_holds_then_recovers(nav_harness) -> None:
    h = nav_harness(**{"safety.camera_timeout_s": 0.6})
    d = h.driver
    h.prove_alive("fly to the red building", sec=1)
    _stream(d, 0.8)
    assert "stale_camera" not in str(d.latest().get("safety"))
    seen, n_wp = len(d.statuses), len(d.waypoints)
    _stream(d, 1.5, frames=False)   # the camera stops; odometry goes on
    stale = [s for s in d.statuses_since(seen) if "stale_camera" in str(s.get("safety"))]
    assert stale, d.statuses_since(seen)[-3:]
    held = {(round(w.pose.position.x, 3), round(w.pose.position.y, 3), round(w.pose.position.z, 3))
            for _, w in d.waypoints[n_wp:]}
    assert held <= {(10.0, -5.0, 30.0)}, f"during the outage only the hold point may be sent, got {held}"
    seen = len(d.statuses)
    _stream(d, 1.0, start_sec=2000)   # the camera comes back
    assert wait_for(lambda: d.statuses_since(seen) and
                    "stale_camera" not in str(d.latest().get("safety")), 5.0), d.latest()
    h.prove_alive(sec=2100)


def test_odometry_jump_never_gives_a_waypoint_beyond_one_step(nav_harness, gallery) -> None:
    step = 15.0
    h = nav_harness(gallery=str(gallery), **{"safety.max_step_m": step})
    d = h.driver
    d.send_odom(0.0, 0.0, 40.0)
    time.sleep(0.3)
    seen = d.say("fly to the red building")
    assert wait_for(lambda: any(s.get("state") == "SEARCH" for s in d.statuses_since(seen)), 10.0), d.latest()
    _stream(d, 0.8, frames=False, odom=(0.0, 0.0, 40.0))
    jumped = (-120.0, 150.0, 40.0)   # an EKF reset: the pose jumps ~190 m
    _stream(d, 0.5, frames=False, odom=jumped)
    n_wp = len(d.waypoints)
    _stream(d, 1.0, frames=False, odom=jumped)
    after = [w.pose.position for _, w in d.waypoints[n_wp:]]
    assert after, "the mission must keep sending (limited) waypoints"
    for p in after:
        dist = math.hypot(p.x - jumped[0], p.y - jumped[1])
        assert dist <= step + 1e-3, f"waypoint ({p.x:.1f}, {p.y:.1f}) is {dist:.1f} m from the vehicle (> {step})"
    assert d.latest()["state"] == "SEARCH" and "max_step" in str(d.latest().get("safety")), d.latest()


class FailingBackend:
    """A real backend whose image encoder fails (as a lost accelerator would); everything else passes through."""

    def __init__(self, real) -> None:
        self.real, self.calls = real, 0

    def __getattr__(self, name):
        return getattr(self.real, name)

    def encode_image(self, *args, **kwargs):
        self.calls += 1
        raise RuntimeError("simulated accelerator failure: CUDA error 700 (illegal address)")


def test_backend_failure_is_reported_and_the_node_stays_alive(nav_harness) -> None:
    h = nav_harness()
    d, nav = h.driver, h.nav
    h.prove_alive("fly to the pool", sec=10)
    real = nav.pipeline.grounder.backend
    failing = FailingBackend(real)
    nav.pipeline.grounder.backend = failing
    try:
        seen = d.say("fly to the white building")
        assert wait_for(lambda: any("simulated accelerator failure" in str(s.get("error", ""))
                                    for s in d.statuses_since(seen)), 10.0,
                        poke=lambda: (d.send_odom(), d.send_frame(sec=11))), d.statuses_since(seen)[-3:]
        error = next(s["error"] for s in d.statuses_since(seen) if "accelerator" in str(s.get("error", "")))
        assert "RuntimeError" in error and failing.calls >= 1
        seen = d.say("fly to the tennis court")   # instructions are still served while the model fails
        assert wait_for(lambda: any(s.get("instruction") == "fly to the tennis court"
                                    for s in d.statuses_since(seen)), 5.0)
    finally:
        nav.pipeline.grounder.backend = real
    h.prove_alive(sec=12)


def test_instruction_before_the_first_frame_is_kept_and_acted_on(nav_harness) -> None:
    h = nav_harness()
    d = h.driver
    d.send_odom()
    text = "fly to the red building left of the pool"
    seen = d.say(text)
    assert wait_for(lambda: any(s.get("instruction") == text for s in d.statuses_since(seen)), 10.0)
    time.sleep(0.5)
    assert not d.targets and h.nav.frames_processed == 0
    assert wait_for(lambda: d.targets, 10.0, poke=lambda: d.send_frame(sec=31)), d.latest()
    assert d.targets[0].header.stamp.sec == 31 and d.latest()["instruction"] == text


def test_restarted_navigator_sends_no_stale_waypoint(nav_harness, gallery) -> None:
    h = nav_harness(gallery=str(gallery))
    d = h.driver
    d.send_odom(0.0, 0.0, 40.0)
    time.sleep(0.3)
    d.say("fly to the red building")
    assert wait_for(lambda: d.waypoints, 10.0, poke=lambda: d.send_odom(0.0, 0.0, 40.0))
    h.stop_navigator()   # killed mid-mission, on the way to the far place
    h.start_navigator()
    n_wp, seen = len(d.waypoints), len(d.statuses)
    _stream(d, 1.5, odom=(5.0, 0.0, 40.0))   # camera and odometry go on as before
    assert d.waypoints[n_wp:] == [], "a restarted navigator must wait for a new instruction"
    assert wait_for(lambda: d.statuses_since(seen), 5.0)
    assert d.latest()["state"] == "IDLE" and d.latest()["instruction"] is None, d.latest()
    # the same in-process: deactivate + cleanup + configure + activate forgets the mission too
    nav = h.nav
    d.say("fly to the red building")
    assert wait_for(lambda: len(d.waypoints) > n_wp, 10.0, poke=lambda: d.send_odom(5.0, 0.0, 40.0))
    from rclpy.lifecycle import TransitionCallbackReturn
    for transition in (nav.trigger_deactivate, nav.trigger_cleanup, nav.trigger_configure, nav.trigger_activate):
        assert transition() == TransitionCallbackReturn.SUCCESS, nav.status
    n_wp = len(d.waypoints)
    _stream(d, 1.0, odom=(5.0, 0.0, 40.0))
    assert d.waypoints[n_wp:] == [] and nav.status["state"] == "IDLE", nav.status


def test_watchdog_runs_on_the_node_clock_with_use_sim_time(nav_harness) -> None:
    """With use_sim_time the navigator's times (mission, watchdogs) follow /clock, not the wall clock: wall seconds
    without odometry while the simulation stands still are no odometry outage; simulated ones are."""
    from rosgraph_msgs.msg import Clock

    h = nav_harness(wait_state=None, use_sim_time=True, **{"safety.odom_timeout_s": 0.5})
    d = h.driver
    clock = d.create_publisher(Clock, "/clock", 10)

    def tick(t: float) -> None:
        msg = Clock()
        msg.clock.sec, msg.clock.nanosec = int(t), int(round((t % 1) * 1e9))
        clock.publish(msg)

    assert wait_for(lambda: h.nav.status["state"] == "IDLE", 30.0, poke=lambda: tick(100.0)), h.nav.status
    assert wait_for(lambda: d.instruction.get_subscription_count() > 0, 10.0)
    d.send_odom()
    seen = d.say("hold")
    assert wait_for(lambda: any(s.get("state") == "HOLD" for s in d.statuses_since(seen)), 10.0,
                    poke=lambda: tick(100.0))
    time.sleep(1.5)                          # wall time passes, simulated time does not
    seen, steps = len(d.statuses), iter(range(1, 1000))
    # then simulated time creeps on (0.01 s per 0.1 s of wall time): still well inside odom_timeout_s. Statuses
    # go out at status_rate_hz of simulated time plus one per change, so the node's own status is read here.
    stale: list[str] = []
    wait_for(lambda: bool(stale), 3.0, poke=lambda: (tick(100.0 + 0.01 * next(steps)),
                                                     stale.extend(["x"] if "stale_odom" in str(
                                                         h.nav.status.get("safety")) else [])))
    assert not stale and not [s for s in d.statuses_since(seen) if "stale_odom" in str(s.get("safety"))], \
        h.nav.status
    assert wait_for(lambda: "stale_odom" in str(h.nav.status.get("safety")), 5.0, poke=lambda: tick(102.0)), \
        h.nav.status
