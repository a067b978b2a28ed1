"""The `ambiguous` episode family (issue 19 §4, geotext_ros/sim/family_ambiguous.py): look-alikes that one sentence
without a relation fits; the navigator must ask, and the simulated operator (geotext_ros/sim/operator.py) answers.
The closed-loop run needs engines/default (the trained model asks; a random tiny model does not)."""
import importlib.util
import json
from pathlib import Path

import pytest

from geotext_ros.nav.parser import parse_instruction
from geotext_ros.param_file import load_node_params
from geotext_ros.sim import vocab
from geotext_ros.sim.captions import describable
from geotext_ros.sim.families import FAMILIES
from geotext_ros.sim.family_ambiguous import make_ambiguous_episode
from geotext_ros.sim.family_plain import make_plain_episode

ROOT = Path(__file__).resolve().parents[1]
ENGINE = ROOT / "engines" / "default"
SEEDS = range(100000, 100012)


def _bench():
    spec = importlib.util.spec_from_file_location("bench_episodes", ROOT / "bench" / "episodes.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_target_has_a_lookalike_in_view_that_the_relation_free_sentence_also_fits():
    sim = load_node_params("sim_world")
    made = [ep for ep in (make_ambiguous_episode(s, sim) for s in SEEDS) if ep is not None]
    assert len(made) >= len(SEEDS) // 2
    for ep in made:
        ins = parse_instruction(ep.task.instruction)
        assert ins.understood and ins.relation is None and ins.anchor is None and not ins.position, ep.task
        assert ep.task.relation is None and ep.task.lookalikes >= 1
        seen = describable(ep.camera.render(ep.start).objects)
        target = next(o for o in seen if o.object_id == ep.task.target_id)
        words = set(ep.task.instruction.split())
        colour_named = bool(words & {vocab.COLORS["heldout"].get(target.color, target.color)})
        fits = [o for o in seen if o.object_id != target.object_id and o.kind == target.kind
                and (not colour_named or o.color == target.color)]
        assert fits, f"seed {ep.seed}: {ep.task.instruction!r} fits only the target"
    assert len({ep.task.instruction for ep in made}) > 1


def test_the_plain_control_has_its_target_alone_of_its_kind_and_no_relation():
    sim = load_node_params("sim_world")
    made = [ep for ep in (make_plain_episode(s, sim) for s in SEEDS) if ep is not None]
    assert len(made) >= len(SEEDS) // 2
    for ep in made:
        ins = parse_instruction(ep.task.instruction)
        assert ins.understood and ins.relation is None and ep.task.lookalikes == 0, ep.task
        seen = describable(ep.camera.render(ep.start).objects)
        kind = ep.camera.world.objects[ep.task.target_id].kind
        assert [o.object_id for o in seen if o.kind == kind] == [ep.task.target_id]


def test_the_family_is_registered_and_its_episodes_are_reproducible():
    sim = load_node_params("sim_world")
    assert {"ambiguous", "plain"} <= set(FAMILIES)
    family = FAMILIES["ambiguous"]
    a, b = family.make(100000, sim, "heldout", Path("/nonexistent")), make_ambiguous_episode(100000, sim)
    assert a.task == b.task and a.start == b.start


@pytest.mark.skipif(not (ENGINE / "manifest.json").is_file(), reason="engines/default is absent")
def test_one_ambiguous_episode_asks_and_the_answer_takes_it_to_the_target(tmp_path):
    out = tmp_path / "ambiguous.json"
    rc = _bench().main(["--engine-dir", str(ENGINE), "--family", "ambiguous", "--episodes", "1",
                        "--out", str(out)])
    assert rc == 0
    report = json.loads(out.read_text())
    (episode,), summary = report["episodes"], report["summary"]
    assert episode["seed"] == 100000 and episode["asked"] == 1, episode
    assert episode["answers"][0].startswith("number ") and episode["success"], episode
    assert not episode["wrong_flight"] and episode["approached"] == [make_ambiguous_episode(
        100000, load_node_params("sim_world")).task.target_id]
    assert summary["ask_rate"] == 1.0 and summary["success_rate"] == 1.0 and summary["operator_answers"]


@pytest.mark.skipif(not (ENGINE / "manifest.json").is_file(), reason="engines/default is absent")
def test_without_answers_the_question_times_out_into_hold(tmp_path):
    out = tmp_path / "ambiguous_noanswers.json"
    rc = _bench().main(["--engine-dir", str(ENGINE), "--family", "ambiguous", "--episodes", "1", "--no-answers",
                        "--out", str(out)])
    assert rc == 0
    (episode,) = json.loads(out.read_text())["episodes"]
    assert episode["asked"] == 1 and episode["answers"] == [] and episode["state"] == "HOLD"
    assert not episode["success"] and episode["cause"] == "unanswered"
    assert "clarify.answer_timeout_s" in episode["reason"]
