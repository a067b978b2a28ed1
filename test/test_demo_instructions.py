"""Instructions with known answers (geotext_ros.sim.instructions), the demo's plan (geotext_ros.sim.scenarios), and
the closed-loop episodes (geotext_ros.sim.episodes)."""
import json
import math
from pathlib import Path

import numpy as np
import pytest

from geotext_ros.nav.parser import parse_instruction, relation_labels_of
from geotext_ros.relations import relation_labels
from geotext_ros.sim.camera import CameraPose
from geotext_ros.sim.captions import describable, object_phrase
from geotext_ros.sim.instructions import (PLAIN_TEMPLATES, TEMPLATES, nearest_place, poses_around,
                                          referring_task)
from geotext_ros.sim.render import Renderer
from geotext_ros.geometry import intrinsics_for
from geotext_ros.sim.layouts import generate_world
from geotext_ros.sim.world import DESCRIBABLE_KINDS

ROOT = Path(__file__).resolve().parents[1]
K = intrinsics_for(256, 256, 90.0)


def _tasks(seed, wording, **kw):
    world = generate_world(seed, 1, 6)
    renderer, out = Renderer(world), []
    for i, place in enumerate(world.places):
        views = [renderer.render(p, K).objects for p in poses_around(CameraPose(place.x, place.y, 49.0, 0.3 * i))]
        task = referring_task(views, world, np.random.default_rng(i), wording, **kw)
        if task is not None:
            out.append((world, views, task))
    return out


@pytest.mark.parametrize("wording", ["train", "heldout"])
def test_the_parsed_instruction_singles_out_the_target(wording):
    cases = _tasks(3, wording) + _tasks(4, wording)
    assert sum(t.relation is not None for _, _, t in cases) >= 2
    for world, views, task in cases:
        ins = parse_instruction(task.instruction)
        target = world.objects[task.target_id]
        for objs in views:
            same = [o for o in describable(objs) if o.kind == target.kind]
            if task.relation is None:
                assert [o.object_id for o in same] == [task.target_id], task
                assert ins.relation is None
                continue
            anchor = next(o for o in objs if o.object_id == task.anchor_id)
            want = relation_labels_of(ins.relation)
            assert want != (None, None), (task.instruction, ins)
            fits = [o.object_id for o in same
                    if all(w is None or w == got for got, w in zip(relation_labels(o.bbox, anchor.bbox), want))]
            assert fits == [task.target_id], (task.instruction, ins)
        # target and anchor phrases are split at the relation (no relation words left in the target)
        assert ins.target in task.instruction and " of " not in ins.target.replace("row of", "")
        if task.relation is not None:
            assert ins.anchor and task.instruction.endswith(ins.anchor)


def test_templates_parse_to_target_relation_anchor():
    for template in TEMPLATES["train"] + TEMPLATES["heldout"]:
        ins = parse_instruction(template.format(t="green tennis ground", r="to the left of", a="grey piazza"))
        assert (ins.target, ins.relation, ins.anchor) == ("the green tennis ground", "left of", "the grey piazza"), \
            template
    for template in PLAIN_TEMPLATES["train"] + PLAIN_TEMPLATES["heldout"]:
        ins = parse_instruction(template.format(t="outdoor pool"))
        assert (ins.target, ins.relation) == ("the outdoor pool", None), template


def test_search_tasks_name_one_place_only():
    cases = _tasks(5, "train", unique_in_world=True) + _tasks(6, "train", unique_in_world=True)
    assert cases
    for world, _, task in cases:
        ids = [task.target_id] + ([task.anchor_id] if task.anchor_id is not None else [])
        phrases = {object_phrase(world.objects[i]) for i in ids}
        for place in world.places:
            there = {object_phrase(world.objects[i]) for i in place.object_ids
                     if world.objects[i].kind in DESCRIBABLE_KINDS}
            assert (place.place_id == task.place_id) == (phrases <= there), (task, place.place_id)


def test_demo_plan_targets_other_places_out_of_view():
    from geotext_ros.demo import demo_camera, sim_params
    from geotext_ros.sim.scenarios import plan_tasks

    params = sim_params()
    camera = demo_camera(params)
    tasks = plan_tasks(camera, params, 3)
    assert len(tasks) == 3 and tasks[0].relation is not None
    start = (float(params["start_x"]), float(params["start_y"]))
    here = nearest_place(camera.world, *start)
    for task in tasks:
        assert task.place_id != here
        here = task.place_id
    assert len({t.place_id for t in tasks}) == 3
    first_view = camera.renderer.render(CameraPose(*start, float(params["start_altitude"]),
                                                   float(params["start_yaw"])), camera.intrinsics).objects
    assert tasks[0].target_id not in {o.object_id for o in first_view}


def test_demo_in_view_instructions_name_visible_objects():
    from geotext_ros.demo import demo_camera
    from geotext_ros.sim.scenarios import pick_instructions
    from geotext_ros.sim.vehicle import VehicleState

    camera = demo_camera()
    state = VehicleState(x=0.0, y=0.0, z=40.0, yaw=0.0)
    picks = pick_instructions(camera, state, 2)
    visible = {(round(camera.world.objects[o.object_id].x, 6), round(camera.world.objects[o.object_id].y, 6))
               for o in camera.render(state).objects}
    assert len(picks) == 2
    for p in picks:
        assert (round(p["target_xy"][0], 6), round(p["target_xy"][1], 6)) in visible


def test_demo_without_a_model_writes_the_contact_sheet(tmp_path):
    from geotext_ros.demo import main

    assert main(["--engine-dir", str(tmp_path / "none"), "--out", str(tmp_path / "demo")]) == 0
    summary = json.loads((tmp_path / "demo/summary.json").read_text())
    assert summary["status"] == "no_model" and (tmp_path / "demo/contact_sheet.png").is_file()


def test_bench_search_episode_records_retrieval_and_cause(tiny_engine_dir, tmp_path):
    """One short search episode with an untrained engine: it flies toward a retrieved place and reports why it
    missed (the random model decides which cause; the record must be complete and consistent)."""
    from geotext_ros.param_file import load_node_params
    from geotext_ros.nav.pipeline import NavPipeline, open_gallery
    from geotext_ros.sim.vehicle import VehicleLimits
    from geotext_ros.runtime.open_backend import open_backend

    from geotext_ros.sim.episodes import run_episode, summarize
    from geotext_ros.sim.scenarios import make_search_episode

    sim, nav = load_node_params("sim_world"), load_node_params("navigator")
    ep = next(e for e in (make_search_episode(s, sim, tmp_path) for s in range(100000, 100010)) if e)
    backend = open_backend(tiny_engine_dir)
    pipe = NavPipeline.from_backend(backend, nav, open_gallery(ep.gallery, backend))
    rec = run_episode(ep, pipe, VehicleLimits.from_params(sim), 5.0, max_s=6.0)
    assert rec["retrieved_place"] in {p.place_id for p in ep.camera.world.places}
    assert rec["true_place"] == ep.task.place_id and rec["true_place_rank"] is not None
    assert rec["path_m"] > 10.0   # it flew toward the retrieved place
    assert not rec["success"] and rec["cause"] in ("wrong_place", "timeout")
    summary = summarize([rec], "search", str(tiny_engine_dir))
    assert summary["episodes"] == 1 and summary["success_rate"] == 0.0 and "retrieval_top1" in summary
    assert sum(summary["failures"].values()) == 1
    assert math.isfinite(rec["error_m"])


def test_bench_success_interval_is_the_wilson_score_interval():
    from geotext_ros.sim.episodes import summarize, wilson_interval

    lo, hi = wilson_interval(90, 100)
    # textbook values for 90 of 100 at 95 %: 0.8256 .. 0.9448
    assert lo == pytest.approx(0.8256, abs=5e-4) and hi == pytest.approx(0.9448, abs=5e-4)
    assert wilson_interval(0, 10)[0] == 0.0 and wilson_interval(10, 10)[1] == pytest.approx(1.0)
    assert wilson_interval(0, 0) == (0.0, 1.0)
    rec = {"success": True, "latency_ms": [], "time_s": 1.0, "path_m": 1.0, "cause": None}
    recs = [{**rec, "seed": 100000 + 2 * i} for i in range(9)] + [{**rec, "success": False, "cause": "not_found",
                                                                  "seed": 100019}]
    summary = summarize(recs, "localize", "e")
    assert summary["success_rate"] == 0.9 and summary["success_ci95"][0] < 0.9 < summary["success_ci95"][1]
    assert summary["seeds"] == [100000, 100019]   # 10 episodes from 100000 ended at 100019: the next run starts after


def test_simplest_instruction_names_the_only_one_of_its_kind():
    from geotext_ros.demo import demo_camera
    from geotext_ros.sim.scenarios import simplest_instruction
    from geotext_ros.sim.vehicle import VehicleState

    camera = demo_camera()
    state = VehicleState(x=0.0, y=0.0, z=40.0, yaw=0.0)
    item = simplest_instruction(camera, state)
    objs = describable(camera.render(state).objects)
    target = next(o for o in objs if math.dist(item["target_xy"], (camera.world.objects[o.object_id].x,
                                                                     camera.world.objects[o.object_id].y)) < 1e-6)
    assert sum(o.kind == target.kind for o in objs) == 1 and item["instruction"].endswith(object_phrase(target))


def test_bench_style_seed_sets_the_look_of_every_frame():
    """--style-seed N renders every episode's frames in style N, 'episode' in each episode's own; the objects (and
    so the task) are the same whatever the look, and the default (nav.yaml style_seed 0) is what the node uses."""
    from geotext_ros.param_file import load_node_params
    from geotext_ros.sim.vehicle import VehicleState
    from geotext_ros.sim.world_camera import WorldCamera, style_seed

    assert style_seed("episode") == "episode" and style_seed("3") == 3
    with pytest.raises(ValueError, match="integer or 'episode'"):
        style_seed("spring")
    sim = load_node_params("sim_world")
    assert sim["style_seed"] == 0
    state = VehicleState(x=0.0, y=0.0, z=45.0)
    frames = {}
    for style in (0, 5, "episode"):
        cam = WorldCamera.from_params({**sim, "style_seed": style}, 100001, 1, 2)
        assert cam.style_seed == (100001 if style == "episode" else style)
        frames[style] = cam.render(state)
    assert [o.object_id for o in frames[0].objects] == [o.object_id for o in frames[5].objects]
    assert not np.array_equal(frames[0].image, frames[5].image)
    assert not np.array_equal(frames[5].image, frames["episode"].image)
