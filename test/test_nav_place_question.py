"""Asking which gallery place (issue 19 §3, nav/place_question.py): places that score almost alike are offered before
anything moves; a number flies to that place alone, "none of them" to the places not offered, no answer holds; the
simulated operator answers with the target's place; and on a tuning episode whose retrieval picks the wrong place,
asking turns a wrong flight into a success."""
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from geotext_ros.nav import clarify
from geotext_ros.nav.clarify import ClarifyConfig
from geotext_ros.nav.gallery import PlaceMatch
from geotext_ros.nav.mission import Mission, MissionConfig, State, Waypoint
from geotext_ros.nav.parser import parse_instruction
from geotext_ros.nav.place_question import THUMB_PX, close_places, place_montage, place_question
from geotext_ros.sim.operator import NONE_OF_THEM, operator_answer

ENGINE = Path(__file__).resolve().parents[1] / "engines" / "default"
GOTO = parse_instruction("fly to the red building left of the pool")
HERE = (0.0, 0.0, 20.0, 0.0)


def place(pid, x, y, score):
    return PlaceMatch(pid, x, y, 35.0, 0, 0.3, score, score)


PLACES = [place("0001", 100.0, 0.0, 0.60), place("0002", 0.0, 100.0, 0.58), place("0003", -100.0, 0.0, 0.40)]


def asking(**kw) -> Mission:
    return Mission(MissionConfig(min_place_score=-1.0, localize_timeout=5.0), ClarifyConfig(**kw))


def test_close_places_are_those_within_the_margin_and_two_at_least():
    assert [m.place_id for m in close_places(PLACES, 0.05, 4)] == ["0001", "0002"]
    assert [m.place_id for m in close_places(PLACES, 0.5, 2)] == ["0001", "0002"], "at most max_candidates"
    assert close_places(PLACES, 0.01, 4) == [], "one place that close is no choice"
    assert close_places(PLACES, 0.0, 4) == [] and close_places([], 0.05, 4) == []
    with pytest.raises(ValueError, match="place_margin"):
        ClarifyConfig(place_margin=-0.1)


def test_the_question_numbers_the_places_with_their_pictures_and_where_they_are(tmp_path):
    offered, q = place_question(PLACES[:2], (0.0, 0.0))
    assert [c["number"] for c in q["candidates"]] == [1, 2] and [c["place_id"] for c in q["candidates"]] == ["0001",
                                                                                                              "0002"]
    assert q["candidates"][0]["label"].startswith("gallery place 0001, 100 m east of you")
    assert q["candidates"][1]["bearing"] == "north" and q["candidates"][1]["distance_m"] == 100.0
    assert "0.60, 0.58" in q["reason"] and "none of them" in q["question"]
    # each candidate's box is its picture's slot, so "the left one" is the first picture
    assert [o.box[0] for o in offered] == [0.25, 0.75] and offered[0].ground == (100.0, 0.0)
    assert [c["picture"] for c in q["candidates"]] == [list(o.box) for o in offered] and q["candidates"][0]["box"] is None
    assert clarify.resolve_answer("the left one", offered).index == 0
    assert clarify.resolve_answer("number 2", offered).index == 1
    paths = []
    for i, colour in enumerate((30, 200)):
        paths.append(tmp_path / f"p{i}.jpg")
        Image.fromarray(np.full((64, 80, 3), colour, np.uint8)).save(paths[-1])
    montage = place_montage([str(p) for p in paths])
    assert montage.shape == (THUMB_PX, 2 * THUMB_PX, 3) and montage[0, 0, 0] < 60 < montage[0, -1, 0]
    assert place_montage([str(paths[0]), str(tmp_path / "missing.jpg")]) is None


def test_close_places_ask_before_anything_moves_and_a_number_flies_to_that_place_alone():
    m = asking()
    m.instruct(GOTO, 0.0, HERE, retrieval=PLACES)
    out = m.update(1.0, HERE)
    assert m.state == State.CLARIFY and m.asking_place and out.waypoint == Waypoint(*HERE)
    assert [c["place_id"] for c in out.status["candidates"]] == ["0001", "0002"] and out.status["place"] is None
    m.choose(2.0, 1, "number 2")
    out = m.update(2.0, HERE)
    assert m.state == State.SEARCH and out.status["place"]["place_id"] == "0002" and not m.asking_place
    assert "operator chose number 2" in out.status["reason"] and out.status["candidates"] is None
    # not found there: the operator chose the place, so no other place is searched and nothing is asked again
    m.update(3.0, (0.0, 100.0, 35.0, 0.0))
    assert m.state == State.LOCALIZE
    m.update(9.0, (0.0, 100.0, 35.0, 0.0))
    assert m.state == State.NOT_FOUND


def test_none_of_them_searches_the_places_not_offered_and_no_answer_holds():
    m = asking()
    m.instruct(GOTO, 0.0, HERE, retrieval=PLACES)
    m.cancel_question(1.0, "operator answered 'none of them'", answered=True)
    out = m.update(1.0, HERE)
    assert m.state == State.SEARCH and out.status["place"]["place_id"] == "0003", out.status
    assert "none of the 2 places offered" in out.status["reason"]
    m = asking(max_candidates=3, place_margin=0.5)   # every place offered: nothing left to search
    m.instruct(GOTO, 0.0, HERE, retrieval=PLACES)
    m.cancel_question(1.0, "operator answered 'none of them'", answered=True)
    assert m.state == State.NOT_FOUND and "no other gallery place" in m.status()["reason"]
    m = asking(answer_timeout_s=3.0)
    m.instruct(GOTO, 0.0, HERE, retrieval=PLACES)
    out = m.update(4.0, HERE)
    assert m.state == State.HOLD and out.waypoint == Waypoint(*HERE) and "no answer" in out.status["reason"]


def test_margin_zero_or_a_clear_best_place_flies_at_once():
    for m, places in ((asking(place_margin=0.0), PLACES), (asking(), [PLACES[0], PLACES[2]])):
        m.instruct(GOTO, 0.0, HERE, retrieval=places)
        assert m.state == State.SEARCH and m.status()["place"]["place_id"] == "0001"


def test_the_simulated_operator_names_the_targets_place():
    _, q = place_question(PLACES[:2], (0.0, 0.0))
    status = {"state": "CLARIFY", **q}
    assert operator_answer(status, [], target_id=7, place_id="0002") == "number 2"
    assert operator_answer(status, [], target_id=7, place_id="0003") == NONE_OF_THEM


@pytest.mark.skipif(not (ENGINE / "manifest.json").is_file(), reason="engines/default is absent")
def test_asking_which_place_turns_a_wrong_place_into_a_success(tmp_path):
    """Tuning seed 200018 ("the orange square hall that is below the parking area"): retrieval puts another place
    first, 0.009 ahead of the target's. Without the question the drone flies there (wrong_place); with it the
    operator answers "number 2", the navigator shows the two places' pictures, and the drone ends over the target."""
    from geotext_ros.nav.pipeline import NavPipeline, open_gallery
    from geotext_ros.param_file import load_node_params
    from geotext_ros.runtime.open_backend import open_backend
    from geotext_ros.sim.families import FAMILIES
    from geotext_ros.sim.vehicle import VehicleLimits

    family, nav, sim = FAMILIES["search"], load_node_params("navigator"), load_node_params("sim_world")
    ep = family.make(200018, sim, "heldout", tmp_path)
    records, shown = {}, []
    with open_backend(ENGINE, "onnxruntime") as backend:
        gallery = open_gallery(ep.gallery, backend)
        for margin in (0.0, nav["clarify.place_margin"]):
            pipe = NavPipeline.from_backend(backend, {**nav, "clarify.place_margin": margin}, gallery)
            if margin:
                status = pipe.set_instruction(ep.task.instruction, 0.0, (ep.start.x, ep.start.y, ep.start.z, 0.0))
                shown.append((status, pipe.question_rgb))
                pipe = NavPipeline.from_backend(backend, {**nav, "clarify.place_margin": margin}, gallery)
            records[margin] = family.run(ep, pipe, VehicleLimits.from_params(sim), float(nav["process_rate_hz"]),
                                         family.max_s)
    without, with_question = records[0.0], records[nav["clarify.place_margin"]]
    assert not without["success"] and without["cause"] == "wrong_place" and without["asked"] == 0, without
    assert with_question["success"] and with_question["answers"][0] == "number 2", with_question
    assert with_question["retrieved_place"] == without["retrieved_place"] != with_question["final_place"]
    assert with_question["asked_places"] == 1 and without["asked_places"] == 0
    status, picture = shown[0]
    assert status["state"] == "CLARIFY" and status["candidates"][1]["place_id"] == ep.task.place_id, status
    assert picture.shape == (THUMB_PX, len(status["candidates"]) * THUMB_PX, 3), "the places' pictures side by side"
