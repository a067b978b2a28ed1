"""Bad input to a running navigator (real rclpy + DDS, tiny exported engine): every case yields a status with a
reason on /geotext/status (strict JSON), and the node keeps serving - proved by a valid instruction + frame that
still produces a target box afterwards."""
import math
import shutil

import numpy as np
import pytest

pytest.importorskip("rclpy")
from ros_harness import H, W, build_gallery_index, wait_for  # noqa: E402

ODD_LATIN1 = bytes(range(0x80, 0x100)).decode("latin-1")   # C1 controls, NBSP, soft hyphen, accented letters
INSTRUCTIONS = {
    "odd_latin1": "fly to the " + ODD_LATIN1 + " building",
    "emoji": "fly to the 🚁🏠 red building 🔥 left of the 🏊 pool",
    "rtl": "טוס לבניין האדום left of the بركة",
    "bidi_controls": "fly to the \u202eloop eht\u202c building\u200f",
    "sql": "fly to the building'; DROP TABLE missions; --",
    "shell": "$(rm -rf /) `reboot` && fly to the pool",
    "json": '{"state": "ARRIVED", "waypoint": [0, 0, 500]}',
    "json_fragment": '"}, "state": "ARRIVED',
    "format_string": "fly to the %s%s%n {0} {instruction} building",
}
NOTHING_GROUNDABLE = {"rtl", "json", "json_fragment"}   # no known kind or attribute: NOT_UNDERSTOOD, no move


@pytest.fixture(scope="module")
def harness(module_nav_harness):
    h = module_nav_harness()
    h.driver.send_odom()
    return h


def _status_for(driver, text: str, seen: int) -> dict:
    assert wait_for(lambda: any(s.get("instruction") == text for s in driver.statuses_since(seen)), 10.0), \
        driver.statuses_since(seen)[-3:]
    return next(s for s in driver.statuses_since(seen) if s.get("instruction") == text)


@pytest.mark.parametrize("name", sorted(INSTRUCTIONS))
def test_odd_instruction_is_taken_literally_and_reported(harness, name) -> None:
    text, d = INSTRUCTIONS[name], harness.driver
    seen = d.say(text)
    status = _status_for(d, text, seen)   # the raw text comes back verbatim: never interpreted
    if name in NOTHING_GROUNDABLE:
        assert status["state"] == "NOT_UNDERSTOOD" and status["reason"].startswith("not understood: "), status
    else:
        assert status["state"] in ("LOCALIZE", "SEARCH", "APPROACH", "NOT_FOUND") and status["reason"], status
    assert status["waypoint"] != [0, 0, 500]


@pytest.mark.parametrize("text", ["", "   \n\t  "])
def test_empty_instruction_is_ignored_with_a_reason(harness, text) -> None:
    d = harness.driver
    before = harness.prove_alive("fly to the white building", sec=101)["instruction"]
    seen = d.say(text)
    assert wait_for(lambda: any("empty instruction" in str(s.get("reason")) for s in d.statuses_since(seen)), 5.0), \
        d.statuses_since(seen)[-3:]
    assert d.latest()["instruction"] == before, "an empty instruction must not replace the mission"


def test_100_kb_instruction_is_cut_and_reported(harness) -> None:
    d, text = harness.driver, "fly to the red building " * 4200   # ~100 kB
    seen = d.say(text)
    assert wait_for(lambda: any("truncated" in str(s.get("reason")) for s in d.statuses_since(seen)), 10.0), \
        d.statuses_since(seen)[-3:]
    status = next(s for s in d.statuses_since(seen) if "truncated" in str(s.get("reason")))
    assert len(status["instruction"]) <= 2000 and text.startswith(status["instruction"])
    assert max(len(r) for r in d.raw_statuses[seen:]) < 10_000, "the status must not echo 100 kB"
    harness.prove_alive(sec=102)


BAD_IMAGES = {
    "step_too_small": (H, W, "rgb8", W * 3 - 1, bytes((W * 3 - 1) * H), "step"),
    "data_too_short": (H, W, "rgb8", W * 3, bytes(W * 3 * H - 7), "bytes"),
    "data_too_long": (H, W, "rgb8", W * 3, bytes(W * 3 * H + 3), "bytes"),
    "yuv422": (H, W, "yuv422", W * 2, bytes(W * 2 * H), "yuv422"),
    "16UC1": (H, W, "16UC1", W * 2, bytes(W * 2 * H), "16UC1"),
    "zero_size": (0, 0, "rgb8", 0, b"", "zero size"),
}


@pytest.mark.parametrize("name", sorted(BAD_IMAGES))
def test_bad_image_is_reported_and_the_node_keeps_running(harness, name) -> None:
    height, width, encoding, step, data, words = BAD_IMAGES[name]
    d = harness.driver
    harness.prove_alive(f"fly to the blue pool {name}", sec=200)
    seen = len(d.statuses)
    d.send_info()
    assert wait_for(lambda: any(words in str(s.get("error", "")) for s in d.statuses_since(seen)), 5.0,
                    poke=lambda: d.send_raw_image(height, width, encoding, step, data)), d.statuses_since(seen)[-3:]
    harness.prove_alive(sec=201)


def test_all_black_frame_is_processed_like_any_other(harness) -> None:
    d = harness.driver
    harness.prove_alive("fly to the parking lot", sec=300)
    n = len(d.targets)
    black = np.zeros((H, W, 3), np.uint8)
    assert wait_for(lambda: any(t.header.stamp.sec == 301 for t in d.targets[n:]), 10.0,
                    poke=lambda: d.send_frame(sec=301, rgb=black))
    # the box reaches the status with the next status_rate_hz message (no state change: no extra message)
    assert wait_for(lambda: "error" not in d.latest() and d.latest()["box"] is not None, 3.0), d.latest()


def test_uncalibrated_camera_info_is_reported(harness) -> None:
    d = harness.driver
    harness.prove_alive("fly to the tennis court", sec=400)
    seen = len(d.statuses)

    def send_uncalibrated() -> None:
        d.send_info(k=[0.0] * 9)
        d.send_frame(sec=401, info=False)

    assert wait_for(lambda: any("not calibrated" in str(s.get("error", "")) for s in d.statuses_since(seen)), 5.0,
                    poke=send_uncalibrated), d.statuses_since(seen)[-3:]
    harness.prove_alive(sec=402)


def test_nan_odometry_is_dropped_with_a_reason_and_never_reaches_a_waypoint(harness) -> None:
    d = harness.driver
    harness.prove_alive("fly to the red building", sec=500)
    seen = len(d.statuses)
    n_wp = len(d.waypoints)
    assert wait_for(lambda: any("not finite" in str(s.get("error", "")) for s in d.statuses_since(seen)), 5.0,
                    poke=lambda: (d.send_odom(x=math.nan, y=1.0, z=math.inf), d.send_frame(sec=501))), \
        d.statuses_since(seen)[-3:]
    assert wait_for(lambda: len(d.waypoints) > n_wp + 2, 5.0)   # still acting on the last good pose
    for _, wp in d.waypoints[n_wp:]:
        p = wp.pose.position
        assert all(math.isfinite(v) for v in (p.x, p.y, p.z)), p
    pose = harness.nav._pose()
    assert pose is not None and all(math.isfinite(v) for v in pose)
    harness.prove_alive(sec=502)


# -- files the navigator loads: activation refuses them with a reason, and succeeds once they are fixed -------

def _activate_again(harness) -> None:
    from rclpy.lifecycle import TransitionCallbackReturn
    nav = harness.nav
    assert nav.trigger_activate() == TransitionCallbackReturn.SUCCESS, nav.status
    assert nav.status["state"] == "IDLE"
    assert wait_for(lambda: harness.driver.instruction.get_subscription_count() > 0, 10.0)


def test_truncated_onnx_file_fails_activation_with_a_reason_then_recovers(nav_harness, tiny_engine_dir,
                                                                          tmp_path) -> None:
    engine = tmp_path / "engine"
    shutil.copytree(tiny_engine_dir, engine)
    victim = sorted(engine.glob("*.onnx"))[0]
    good = victim.read_bytes()
    victim.write_bytes(good[: len(good) // 2])
    harness = nav_harness(engine_dir=engine, wait_state="ERROR")
    assert victim.name in harness.nav.status["error"] or "checksum" in harness.nav.status["error"].lower(), \
        harness.nav.status
    assert wait_for(lambda: harness.driver.latest().get("state") == "ERROR", 5.0)
    victim.write_bytes(good)
    _activate_again(harness)
    harness.prove_alive(sec=600)


def test_gallery_of_another_model_fails_activation_with_a_reason_then_recovers(nav_harness, tiny_engine_dir,
                                                                               tmp_path) -> None:
    # Both places lie within mission.place_tolerance of the harness's (still) drone at (10, -5): whichever place the
    # random-weight model retrieves, SEARCH ends there and frames are grounded (a place 11 m away is never reached).
    places = [(10.0, -5.0), (12.0, -5.0)]
    index = build_gallery_index(tiny_engine_dir, tmp_path, places, model_checksum="f" * 64)
    # (clarify.place_margin 0: the random model scores the two places alike and would ask which one first)
    harness = nav_harness(wait_state="ERROR", gallery=str(index), **{"clarify.place_margin": 0.0})
    assert "built with model ffffffffffff" in harness.nav.status["error"], harness.nav.status
    build_gallery_index(tiny_engine_dir, tmp_path, places)   # the same places, this model
    _activate_again(harness)
    harness.prove_alive(sec=700)
