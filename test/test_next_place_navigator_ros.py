"""Issue 19 §3 "from every place searched", over real rclpy + DDS (tiny exported engine, a two-place gallery):
the operator answers "none of them" at the first gallery place (again while the look-alikes left out of the
question are offered) -> the navigator flies to the second place the gallery ranked (status place.rank 2) instead
of holding; at the last place searched, "none of them" holds."""
import pytest

pytest.importorskip("rclpy")
from ros_harness import build_gallery_index, wait_for  # noqa: E402

PLACES = [(40.0, 0.0), (0.0, 40.0)]
ASKING = {"clarify.score_margin": 1.0, "clarify.max_candidates": 2, "mission.min_confidence": 0.0,
          "clarify.place_margin": 0.0,
          "mission.search_places": 2}


@pytest.fixture(scope="module")
def gallery(tiny_engine_dir, tmp_path_factory):
    return build_gallery_index(tiny_engine_dir, tmp_path_factory.mktemp("gallery"), PLACES)


def _until(d, pred, seen: int, odom, timeout: float = 15.0) -> dict:
    """The first status since `seen` that satisfies pred, streaming odometry at `odom` and camera frames."""
    sec = [2000]

    def poke():
        d.send_odom(*odom)
        d.send_frame(sec=sec[0])
        sec[0] += 1

    assert wait_for(lambda: any(pred(s) for s in d.statuses_since(seen)), timeout, poke), d.statuses_since(seen)[-3:]
    return next(s for s in d.statuses_since(seen) if pred(s))


def _ask_at_place(d, seen: int, rank: int) -> dict:
    """Fly (teleport the odometry) to the place of the given rank, wait for the question there."""
    search = _until(d, lambda s: s.get("state") == "SEARCH" and (s.get("place") or {}).get("rank") == rank, seen,
                    (0.0, 0.0, 30.0))
    place = search["place"]
    _until(d, lambda s: s.get("state") == "CLARIFY", seen, (place["x"], place["y"], 30.0))
    return place


def _none_of_them(d, place: dict, done) -> tuple[int, dict]:
    """Answer "none of them" until `done(status)`: the look-alikes a question had no room for (more than
    clarify.max_candidates 2 of the tiny engine's regions) are offered first, at the same place."""
    again = []
    for _ in range(10):
        seen = d.say("none of them")
        s = _until(d, lambda s: done(s) or (s.get("state") == "CLARIFY" and s["reason"].startswith("asking again")
                                            and s["reason"] not in again), seen, (place["x"], place["y"], 30.0))
        if done(s):
            return seen, s
        again.append(s["reason"])
    raise AssertionError(f"still asking after {again}")


def test_none_of_them_at_the_first_place_searches_the_second(nav_harness, gallery) -> None:
    h = nav_harness(gallery=str(gallery), **ASKING)
    d = h.driver
    d.send_odom(0.0, 0.0, 30.0)
    first = _ask_at_place(d, d.say("fly to the pool"), rank=1)
    seen, moved = _none_of_them(d, first, lambda s: s.get("state") == "SEARCH")
    assert "none of the candidates" in moved["reason"] and "retrieval rank 2" in moved["reason"], moved
    second = _ask_at_place(d, seen, rank=2)
    assert second["place_id"] != first["place_id"], (first, second)
    _, held = _none_of_them(d, second, lambda s: s.get("state") == "HOLD")   # the last place: hold, as without one
    assert "none of the candidates" in held["reason"], held
