"""`make demo`: the whole loop in the built-in world with the committed default model (engines/default).

1. the demo world (config/nav.yaml, sim_world: world_seed, n_campuses, places_per_campus) is rendered into a
   geotagged gallery, one nadir image per place (geotext_ros.sim.gallery), out/demo/gallery/gallery.json;
2. navigator + sim_world run in this process (the geotext-nav --sim graph) with that gallery, which the navigator
   embeds with the engine at activation;
3. instructions name objects at places the drone cannot see yet ("fly to the blue tennis court below the green
   elongated building"; a relation whenever the object has a same-kind look-alike there): gallery retrieval ->
   SEARCH (fly to the place) -> LOCALIZE (ground the target, relation resolution) -> APPROACH -> ARRIVED;
4. the terminal shows progress per instruction; out/demo/trajectory.png (map with trajectory, places, targets,
   final camera frame per instruction with the target box) and out/demo/summary.json (per instruction: success
   within 5 m, time, path length, retrieved vs. true place) are written.
`--say "fly to ...;land next to ..."` (`make demo INSTRUCTIONS="..."`) flies the operator's own sentences instead, in
order; they have no known answer, so the demo reports where the drone ended and what it saw, not a success rate.
Without engines/default the demo renders a contact sheet of the world (out/demo/contact_sheet.png) and says how
to get a model.
"""
from __future__ import annotations

import argparse
import json
import logging
import math
import sys
import textwrap
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import numpy as np

OUT = Path("out/demo")
SUCCESS_M = 5.0


def _engine_dir(arg: str) -> Optional[Path]:
    from geotext_ros.nodes.params import share_dir
    path = Path(arg) if arg else share_dir() / "engines" / "default"
    return path if (path / "manifest.json").is_file() else None


def sim_params() -> dict[str, Any]:
    """The sim_world parameters of config/nav.yaml: the demo world and the drone's start."""
    from geotext_ros.nodes.params import load_node_params
    return load_node_params("sim_world")


def demo_camera(params: Optional[dict[str, Any]] = None) -> Any:
    """The sim_world's WorldCamera (world + renderer + intrinsics) for the configured demo world."""
    from geotext_ros.nodes.sim_world import WorldCamera
    p = params or sim_params()
    return WorldCamera(int(p["world_seed"]), int(p["n_campuses"]), int(p["places_per_campus"]),
                       int(p["image_width"]), int(p["image_height"]), float(p["fov_deg"]), int(p["style_seed"]))


def contact_sheet(out: Path, size: int = 256) -> Path:
    """Top-down views of every place of the demo world in one PNG (no model needed)."""
    from PIL import Image, ImageDraw

    from geotext_ros.sim.gallery import render_place
    from geotext_ros.sim.render import Renderer

    world = demo_camera().world
    renderer, cols = Renderer(world), 4
    sheet = Image.new("RGB", (cols * size, math.ceil(len(world.places) / cols) * (size + 16)), "white")
    for i, place in enumerate(world.places):
        x, y = (i % cols) * size, (i // cols) * (size + 16)
        sheet.paste(Image.fromarray(render_place(renderer, place, size).image), (x, y + 16))
        ImageDraw.Draw(sheet).text((x + 4, y + 2), f"place {place.place_id} ({place.template})", fill="black")
    out.mkdir(parents=True, exist_ok=True)
    path = out / "contact_sheet.png"
    sheet.save(path)
    return path


def prepare_gallery(camera: Any, out: Path, fov_deg: float) -> Path:
    """Render the demo world's gallery (one image per place at the drone camera's field of view)."""
    from geotext_ros.sim.gallery import write_gallery
    return write_gallery(camera.world, out / "gallery", hfov_deg=fov_deg)


def plan_tasks(camera: Any, params: dict[str, Any], count: int, seed: int = 0) -> list[Any]:
    """Up to `count` search tasks, each at a place other than the one the drone is at when it is given, with the
    target out of the drone's view then; look-alike targets (relation needed) first. Each view is the one the
    drone will have above the place: gallery altitude, the start heading."""
    from geotext_ros.sim.camera import CameraPose
    from geotext_ros.sim.gallery import GALLERY_FOOTPRINT_M, altitude_for_footprint
    from geotext_ros.sim.instructions import poses_around, referring_task

    world, rng = camera.world, np.random.default_rng(seed)
    alt = altitude_for_footprint(GALLERY_FOOTPRINT_M, float(params["fov_deg"]))
    yaw = float(params["start_yaw"])
    candidates = []
    for place in world.places:
        views = [camera.renderer.render(p, camera.intrinsics).objects
                 for p in poses_around(CameraPose(place.x, place.y, alt, yaw))]
        task = referring_task(views, world, rng, "train", unique_in_world=True)
        if task is not None:
            candidates.append(task)
    candidates.sort(key=lambda t: t.relation is None)   # relation tasks first (stable)
    here = CameraPose(float(params["start_x"]), float(params["start_y"]), float(params["start_altitude"]), yaw)
    tasks: list[Any] = []
    for task in candidates:
        if len(tasks) == count:
            break
        in_view = {o.object_id for o in camera.renderer.render(here, camera.intrinsics).objects}
        if task.target_id in in_view:
            continue
        tasks.append(task)
        here = CameraPose(task.target_xy[0], task.target_xy[1], alt, yaw)
    return tasks


@dataclass(frozen=True)
class OperatorTask:
    """A sentence the operator typed: no known target, place or relation."""

    instruction: str
    place_id: Optional[str] = None
    target_xy: Optional[tuple[float, float]] = None

    def to_dict(self) -> dict:
        return {"instruction": self.instruction, "target_xy": None, "place_id": None, "operator": True}


def operator_tasks(text: str) -> list[OperatorTask]:
    """';'-separated sentences -> tasks; ValueError when none is left."""
    tasks = [OperatorTask(" ".join(part.split())) for part in text.split(";") if part.strip()]
    if not tasks:
        raise ValueError(f"--say {text!r} holds no sentence: separate instructions with ';'")
    return tasks


def pick_instructions(world_camera: Any, state: Any, count: int, seed: int = 0) -> list[dict[str, Any]]:
    """Instructions for distinct objects in the current camera view (localize only, no gallery needed)."""
    from geotext_ros.sim.camera import CameraPose
    from geotext_ros.sim.instructions import poses_around, referring_task

    pose = CameraPose(state.x, state.y, max(state.z, 0.5), state.yaw)
    views = [world_camera.renderer.render(p, world_camera.intrinsics).objects for p in poses_around(pose, 2.0)]
    rng, picks, used = np.random.default_rng(seed), [], set()
    for _ in range(4 * count):
        task = referring_task(views, world_camera.world, rng, "train")
        if task is not None and task.target_id not in used:
            used.add(task.target_id)
            picks.append({"instruction": task.instruction, "target_xy": list(task.target_xy)})
        if len(picks) == count:
            break
    return picks


def simplest_instruction(world_camera: Any, state: Any) -> dict[str, Any]:
    """"fly to the <phrase>" for the largest describable object in view that is the only one of its kind."""
    from geotext_ros.sim.captions import describable, object_phrase

    objs = describable(world_camera.render(state).objects)
    unique = [o for o in objs if sum(p.kind == o.kind for p in objs) == 1]
    if not unique:
        raise ValueError(f"no object in view at ({state.x:.1f}, {state.y:.1f}) is the only one of its kind")
    target = max(unique, key=lambda o: o.area)
    truth = world_camera.world.objects[target.object_id]
    return {"instruction": f"fly to the {object_phrase(target)}", "target_xy": [truth.x, truth.y]}


class _Recorder:
    """Subscribes to odometry, status, camera and annotated frames (the product's topics) on one node."""

    def __init__(self, node: Any) -> None:
        from nav_msgs.msg import Odometry
        from sensor_msgs.msg import Image
        from std_msgs.msg import String

        from geotext_ros.nodes.navigator import CAMERA_QOS

        self.lock = threading.Lock()
        self.traj: list[tuple[float, float, float]] = []      # (t, x, y)
        self.status: dict[str, Any] = {}
        self.annotated: Any = None
        self.raw: Any = None
        p = node.params
        node.create_subscription(Odometry, p["odom_topic"], self._odom, 10)
        node.create_subscription(String, p["status_topic"], self._status, 10)
        node.create_subscription(Image, p["annotated_topic"], self._annotated, CAMERA_QOS)
        node.create_subscription(Image, p["camera_topic"], self._raw, CAMERA_QOS)

    def _odom(self, m: Any) -> None:
        with self.lock:
            self.traj.append((time.monotonic(), m.pose.pose.position.x, m.pose.pose.position.y))

    def _status(self, m: Any) -> None:
        self.status = json.loads(m.data)

    def _annotated(self, m: Any) -> None:
        self.annotated = m

    def _raw(self, m: Any) -> None:
        self.raw = m

    def pose_since(self, t0: float) -> list[tuple[float, float]]:
        with self.lock:
            return [(x, y) for t, x, y in self.traj if t >= t0]


def _to_rgb(msg: Any) -> Any:
    from geotext_ros.nodes import conversions
    return None if msg is None else conversions.image_to_rgb(msg.height, msg.width, msg.encoding, msg.step,
                                                             msg.data)


def _path_length(points: list[tuple[float, float]]) -> float:
    return float(sum(math.dist(a, b) for a, b in zip(points, points[1:])))


def fly(sim: Any, pub: Any, rec: _Recorder, task: Any, timeout_s: float, label: str) -> dict[str, Any]:
    """Publish one instruction on `pub`; print progress until ARRIVED / NOT_FOUND / timeout; the result record."""
    from std_msgs.msg import String

    truth = task.target_xy is not None
    print(f"{label} {task.instruction!r}" + (f"  (true place {task.place_id})" if truth else ""))
    rec.annotated = None
    t0 = time.monotonic()
    pub.publish(String(data=task.instruction))
    last_state, last_print, retrieved = None, 0.0, None
    while time.monotonic() - t0 < timeout_s:
        st = rec.status
        mine = st.get("instruction") == task.instruction
        state = st.get("state") if mine else "sent"
        if mine and st.get("place") and retrieved is None:
            retrieved = st["place"]
        now = time.monotonic() - t0
        if state != last_state or now - last_print > 3.0:
            where = f"drone ({sim.state.x:6.1f}, {sim.state.y:6.1f}, {sim.state.z:4.1f})"
            extra = ""
            if state == "SEARCH" and retrieved:
                extra = f"gallery place {retrieved['place_id']} (score {retrieved['score']:.2f})"
            elif state in ("LOCALIZE", "APPROACH") and st.get("score") is not None:
                extra = f"confidence {st['score']:.2f}  {st.get('reason', '')}"
            else:
                extra = st.get("reason", "") if mine else ""
            print(f"    {now:5.1f} s  {state:9s} {where}  {extra}"[:160])
            last_state, last_print = state, now
        if mine and _settled(state, st.get("reason") or ""):
            break
        time.sleep(0.1)
    seconds = time.monotonic() - t0
    final = (sim.state.x, sim.state.y)
    err = math.dist(final, task.target_xy) if truth else None
    frame, boxed = _to_rgb(rec.annotated), rec.annotated is not None
    if frame is None:
        frame = _to_rgb(rec.raw)
    result = {**task.to_dict(), "state": rec.status.get("state"), "final_xy": [round(v, 2) for v in final],
              "error_m": round(err, 2) if truth else None, "success": err <= SUCCESS_M if truth else None,
              "seconds": round(seconds, 1),
              "path_m": round(_path_length(rec.pose_since(t0)), 1),
              "retrieved_place": retrieved["place_id"] if retrieved else None,
              "retrieval_score": round(float(retrieved["score"]), 3) if retrieved else None,
              "retrieval_correct": bool(retrieved and retrieved["place_id"] == task.place_id) if truth else None,
              "box_shown": boxed}
    if truth:
        print(f"    -> {result['state']} after {result['seconds']} s, {result['path_m']} m flown; "
              f"{err:.1f} m from the target centre: {'SUCCESS' if result['success'] else 'FAILED'}; "
              f"retrieved place {result['retrieved_place']} (true {task.place_id})")
    else:
        print(f"    -> {result['state']} after {result['seconds']} s, {result['path_m']} m flown; ended at "
              f"({final[0]:.1f}, {final[1]:.1f}); retrieved place {result['retrieved_place']}")
    return {"result": result, "frame": frame}


def _settled(state: Optional[str], reason: str) -> bool:
    """The mission rests: arrived, gave up, holds, asks back, did not understand, or is back home (an operator's
    "stop" or "return home" ends in these too, not only in ARRIVED / NOT_FOUND)."""
    return state in ("ARRIVED", "NOT_FOUND", "HOLD", "CLARIFY", "NOT_UNDERSTOOD") or (
        state == "RETURN" and reason.startswith("at home"))


def run_closed_loop(engine_dir: Path, tasks: list[Any], gallery: Optional[Path], timeout_s: float) -> dict[str, Any]:
    """Start navigator + sim_world (gallery given to the navigator), fly every task in turn."""
    import rclpy
    from std_msgs.msg import String

    from geotext_ros.nodes.graph import Graph

    rclpy.init()
    args = {"engine_dir": str(engine_dir), "gallery": str(gallery) if gallery else ""}
    graph = Graph(sim=True, launch_args=args).start()
    nav, sim = graph.nodes["navigator"], graph.nodes["sim_world"]
    rec = _Recorder(nav)
    pub = nav.create_publisher(String, nav.params["instruction_topic"], 10)
    results, frames = [], []
    try:
        _wait(lambda: rec.status.get("state") in ("IDLE", "ERROR"), 90.0)
        if rec.status.get("state") != "IDLE":
            raise RuntimeError(f"navigator did not become ready: {rec.status}")
        time.sleep(0.5)   # let discovery match the instruction publisher
        for i, task in enumerate(tasks):
            out = fly(sim, pub, rec, task, timeout_s, f"[{i + 1}/{len(tasks)}]")
            results.append(out["result"])
            frames.append(out["frame"])
    finally:
        graph.shutdown()
        rclpy.try_shutdown()
    with rec.lock:
        traj = [(x, y) for _, x, y in rec.traj]
    return {"results": results, "frames": frames, "trajectory": traj}


def _wait(pred: Any, timeout: float) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end and not pred():
        time.sleep(0.1)


def plot(run: dict[str, Any], camera: Any, out: Path) -> Path:
    """Map (north-up world render, places, trajectory, retrieved and true places, targets) + final frames."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from geotext_ros.sim.camera import CameraPose, intrinsics_for

    world, results = camera.world, run["results"]
    pts = np.array(run["trajectory"] + [(p.x, p.y) for p in world.places] or [(0.0, 0.0)])
    lo, hi = pts.min(axis=0) - 40.0, pts.max(axis=0) + 40.0
    cx, cy = (lo + hi) / 2
    half = float(max(hi - lo) / 2)
    overview = camera.renderer.render(CameraPose(cx, cy, half, math.pi / 2), intrinsics_for(768, 768, 90.0),
                                      style_seed=None).image
    n = max(1, len(results))
    rows = min(n, 3)
    fig = plt.figure(figsize=(9 + 9 / rows, 9))
    grid = fig.add_gridspec(rows, 2, width_ratios=[rows, 1])
    ax = fig.add_subplot(grid[:, 0])
    # yaw = pi/2 puts north up; the image spans [cx - half, cx + half] x [cy - half, cy + half] metres.
    ax.imshow(overview, extent=(cx - half, cx + half, cy - half, cy + half))
    for p in world.places:
        ax.annotate(p.place_id, (p.x, p.y + 42), color="white", fontsize=9, ha="center",
                    bbox={"facecolor": "black", "alpha": 0.5, "pad": 1})
    traj = np.array(run["trajectory"]) if run["trajectory"] else np.zeros((1, 2))
    ax.plot(traj[:, 0], traj[:, 1], "y-", lw=2, label="trajectory")
    ax.plot(traj[0, 0], traj[0, 1], "wo", ms=8, label="start")
    for i, r in enumerate(results):
        if r["target_xy"] is None:   # an operator's sentence: no known target, number the final position
            ax.plot(*r["final_xy"], "c.", ms=10)
            ax.annotate(f"{i + 1}", r["final_xy"], xytext=(6, 6), textcoords="offset points", color="cyan",
                        fontsize=12, weight="bold")
            continue
        ax.plot(*r["target_xy"], "r+", ms=16, mew=3)
        ax.plot(*r["final_xy"], "c.", ms=10)
        ax.annotate(f"{i + 1}", r["target_xy"], xytext=(6, 6), textcoords="offset points", color="red",
                    fontsize=12, weight="bold")
    ax.plot([], [], "r+", ms=12, mew=3, label="true target")
    ax.plot([], [], "c.", ms=10, label="final position")
    ax.set_title("demo world (ENU metres, north up): places, trajectory, targets")
    ax.legend(loc="lower right", fontsize=8)
    for i, (r, frame) in enumerate(zip(results[:3], run["frames"][:3])):
        sub = fig.add_subplot(grid[i, 1])
        if frame is not None:
            sub.imshow(frame)
        kind = "target box" if r["box_shown"] else "last camera frame, no box"
        error = "" if r["error_m"] is None else f" {r['error_m']} m"
        truth = "" if r["place_id"] is None else f" (true {r['place_id']})"
        sub.set_title(f"{i + 1}: {r['state']}{error} ({kind})\nplace {r['retrieved_place']}{truth}", fontsize=9)
        sub.set_xlabel("\n".join(textwrap.wrap(r["instruction"], 48)), fontsize=8)
        sub.set_xticks([])
        sub.set_yticks([])
    path = out / "trajectory.png"
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def main(argv: Optional[list[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="geotext-demo", description=__doc__.split("\n\n")[0])
    p.add_argument("--engine-dir", default="", help="engine directory (default: engines/default)")
    p.add_argument("--instructions", type=int, default=3, help="how many generated instructions to fly")
    p.add_argument("--say", default="", help="the operator's own sentences, ';'-separated, flown instead of the "
                                              "generated ones (make demo INSTRUCTIONS=\"fly to ...;land next to ...\")")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds per instruction")
    p.add_argument("--seed", type=int, default=0, help="which instructions are picked")
    p.add_argument("--out", type=Path, default=OUT)
    args = p.parse_args(argv)
    try:
        said = operator_tasks(args.say) if args.say.strip() else None
    except ValueError as e:
        print(f"geotext-demo: {e}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    engine = _engine_dir(args.engine_dir)
    if engine is None:
        sheet = contact_sheet(args.out)
        summary = {"status": "no_model", "contact_sheet": str(sheet),
                   "message": "engines/default is missing: train and export a model (geotext-train, geotext-export "
                              "--out engines/default) or pass --engine-dir"}
        (args.out / "summary.json").write_text(json.dumps(summary, indent=2))
        print(f"No model in engines/default yet: wrote the world's contact sheet {sheet} and {args.out}/summary.json.")
        return 0
    # Long SEARCH legs are clamped by the safety envelope on every cycle (max_step, max_speed): that is its normal
    # work here and the status carries the codes; the terminal shows the mission's progress instead.
    logging.getLogger("geotext_ros.safety").setLevel(logging.ERROR)
    params = sim_params()
    camera = demo_camera(params)
    gallery = prepare_gallery(camera, args.out, float(params["fov_deg"]))
    tasks = said if said is not None else plan_tasks(camera, params, args.instructions, args.seed)
    print(f"demo world seed {params['world_seed']}: {len(camera.world.places)} places, gallery {gallery}; "
          f"engine {engine}; {len(tasks)} instructions")
    run = run_closed_loop(engine, tasks, gallery, args.timeout)
    fig = plot(run, camera, args.out)
    res = run["results"]
    judged = [r for r in res if r["success"] is not None]   # the operator's sentences have no known answer
    ok = sum(r["success"] for r in judged)
    summary = {"status": "ok", "engine_dir": str(engine), "gallery": str(gallery),
               "success": f"{ok}/{len(judged)}", "success_radius_m": SUCCESS_M,
               "retrieval_correct": f"{sum(r['retrieval_correct'] for r in judged)}/{len(judged)}",
               "operator_instructions": len(res) - len(judged), "results": res, "trajectory_png": str(fig)}
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2))
    if judged:
        print(f"{ok}/{len(judged)} instructions ended within {SUCCESS_M:.0f} m of the target "
              f"({summary['retrieval_correct']} retrieved the right place); wrote {fig} and {args.out}/summary.json")
    else:
        print(f"flew {len(res)} operator instruction(s) (no known target to score); final states "
              f"{[r['state'] for r in res]}; wrote {fig} and {args.out}/summary.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
