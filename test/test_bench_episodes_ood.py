"""bench/episodes.py --style ood: closed-loop episodes in the held-out appearance family (issue 18), through the one
harness (sim.scenarios + sim.episodes); sim_world's `appearance` parameter defaults to the classic look, so the
node, the demo and the default episodes render exactly what they rendered before."""
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from geotext_ros.param_file import load_node_params
from geotext_ros.sim.appearance import DEFAULT_HOLDOUT
from geotext_ros.sim.scenarios import make_localize_episode
from geotext_ros.sim.vehicle import VehicleState
from geotext_ros.sim.world_camera import WorldCamera

ROOT = Path(__file__).resolve().parents[1]


def _bench():
    spec = importlib.util.spec_from_file_location("bench_episodes", ROOT / "bench" / "episodes.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_default_appearance_is_the_classic_look_and_overcast_changes_only_the_look():
    sim = load_node_params("sim_world")
    assert sim["appearance"] == "classic"
    state = VehicleState(x=0.0, y=0.0, z=45.0)
    default = WorldCamera.from_params(sim, 100001, 1, 2)
    assert default.look is None   # the classic Style of the style seed, as before the parameter existed
    before = WorldCamera(100001, 1, 2, int(sim["image_width"]), int(sim["image_height"]), float(sim["fov_deg"]),
                         int(sim["style_seed"]))
    assert np.array_equal(default.render(state).image, before.render(state).image)
    ood = WorldCamera.from_params({**sim, "appearance": DEFAULT_HOLDOUT}, 100001, 1, 2)
    assert ood.look is not None
    a, b = default.render(state), ood.render(state)
    assert [o.object_id for o in a.objects] == [o.object_id for o in b.objects]
    assert not np.array_equal(a.image, b.image)
    # the scenarios take the look from the parameters: same task, other frames
    seed = next(s for s in range(100000, 100020) if make_localize_episode(s, sim) is not None)
    ep_default = make_localize_episode(seed, sim)
    ep_ood = make_localize_episode(seed, {**sim, "appearance": DEFAULT_HOLDOUT})
    assert ep_default.task.instruction == ep_ood.task.instruction
    assert ep_ood.camera.look is not None and ep_default.camera.look is None


def test_unknown_appearance_is_refused_with_the_known_ones():
    sim = load_node_params("sim_world")
    with pytest.raises(ValueError, match="unknown.*overcast"):
        WorldCamera.from_params({**sim, "appearance": "cloudy"}, 100001, 1, 2)


def test_two_ood_episodes_through_the_bench(tiny_engine_dir, tmp_path, capsys):
    out = tmp_path / "ood.json"
    rc = _bench().main(["--engine-dir", str(tiny_engine_dir), "--style", "ood", "--wording", "ood",
                        "--episodes", "2", "--max-seconds", "4", "--settle-seconds", "0", "--out", str(out)])
    assert rc == 0
    report = json.loads(out.read_text())
    summary, episodes = report["summary"], report["episodes"]
    assert summary["appearance"] == DEFAULT_HOLDOUT and summary["style_seed"] == "episode"
    assert summary["wording"] == "ood" and summary["episodes"] == len(episodes) == 2
    assert len({e["seed"] for e in episodes}) == 2 and all(e["seed"] >= 100000 for e in episodes)
    assert summary["frames_grounded"] >= 2 and summary["latency_ms_p95"] is not None
    assert all(e["cause"] is not None for e in episodes if not e["success"])
