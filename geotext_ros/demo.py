"""`make demo`: the closed loop in the built-in world with the committed default model (engines/default).

navigator + sim_world run in this process (geotext-nav --sim); a few instructions naming objects in view are
published one after another; the terminal shows progress per instruction; out/demo/trajectory.png (map with
trajectory and targets, final annotated camera frame) and out/demo/summary.json are written.
Without engines/default the demo renders a contact sheet of the world (out/demo/contact_sheet.png) and says how
to get a model.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import threading
import time
from pathlib import Path
from typing import Any, Optional

import numpy as np

OUT = Path("out/demo")


def _engine_dir(arg: str) -> Optional[Path]:
    from geotext_ros.nodes.params import share_dir
    path = Path(arg) if arg else share_dir() / "engines" / "default"
    return path if (path / "manifest.json").is_file() else None


def contact_sheet(out: Path, seed: int = 7, n: int = 8, size: int = 256) -> Path:
    """Top-down views of every place of the demo world in one PNG (no model needed)."""
    from PIL import Image, ImageDraw

    from geotext_ros.sim.camera import CameraPose, intrinsics_for
    from geotext_ros.sim.render import Renderer
    from geotext_ros.sim.world import generate_world

    world = generate_world(seed, 1, n)
    renderer, k = Renderer(world), intrinsics_for(size, size, 90.0)
    cols = 4
    sheet = Image.new("RGB", (cols * size, math.ceil(len(world.places) / cols) * (size + 16)), "white")
    for i, place in enumerate(world.places):
        frame = renderer.render(CameraPose(place.x, place.y, 60.0, 0.0), k, style_seed=i)
        x, y = (i % cols) * size, (i // cols) * (size + 16)
        sheet.paste(Image.fromarray(frame.image), (x, y + 16))
        ImageDraw.Draw(sheet).text((x + 4, y + 2), f"place {place.place_id} ({place.template})", fill="black")
    out.mkdir(parents=True, exist_ok=True)
    path = out / "contact_sheet.png"
    sheet.save(path)
    return path


def pick_instructions(world_camera: Any, state: Any, count: int) -> list[dict[str, Any]]:
    """Instructions for distinct, describable objects in the first camera view (their true centres kept)."""
    from geotext_ros.sim.captions import describable, object_phrase

    frame = world_camera.render(state)
    seen, picks = set(), []
    for obj in describable(frame.objects):
        phrase = object_phrase(obj)
        if phrase in seen or sum(object_phrase(o) == phrase for o in frame.objects) > 1:
            continue    # ambiguous without spatial words: skip for the demo
        seen.add(phrase)
        truth = world_camera.world.objects[obj.object_id]
        picks.append({"instruction": f"fly to the {phrase}", "target_xy": [truth.x, truth.y]})
        if len(picks) == count:
            break
    return picks


def run_closed_loop(engine_dir: Path, count: int, timeout_s: float) -> dict[str, Any]:
    import rclpy
    from nav_msgs.msg import Odometry
    from sensor_msgs.msg import Image
    from std_msgs.msg import String

    from geotext_ros.nodes import conversions
    from geotext_ros.nodes.graph import Graph
    from geotext_ros.nodes.navigator import CAMERA_QOS

    rclpy.init()
    graph = Graph(sim=True, launch_args={"engine_dir": str(engine_dir)}).start()
    nav, sim = graph.nodes["navigator"], graph.nodes["sim_world"]
    rec: dict[str, Any] = {"traj": [], "status": {}, "annotated": None}
    lock = threading.Lock()

    def on_odom(m: Odometry) -> None:
        with lock:
            rec["traj"].append((m.pose.pose.position.x, m.pose.pose.position.y))

    def on_status(m: String) -> None:
        rec["status"] = json.loads(m.data)

    def on_annotated(m: Image) -> None:
        rec["annotated"] = conversions.image_to_rgb(m.height, m.width, m.encoding, m.step, m.data)

    nav.create_subscription(Odometry, nav.params["odom_topic"], on_odom, 10)
    nav.create_subscription(String, nav.params["status_topic"], on_status, 10)
    nav.create_subscription(Image, nav.params["annotated_topic"], on_annotated, CAMERA_QOS)
    pub = nav.create_publisher(String, nav.params["instruction_topic"], 10)
    results = []
    try:
        _wait(lambda: rec["status"].get("state") in ("IDLE", "ERROR"), 60.0)
        if rec["status"].get("state") == "ERROR":
            raise RuntimeError(rec["status"].get("error"))
        for i, item in enumerate(pick_instructions(sim.camera, sim.state, count)):
            print(f"[{i + 1}/{count}] {item['instruction']!r}")
            pub.publish(String(data=item["instruction"]))
            t0, last = time.monotonic(), 0.0
            while time.monotonic() - t0 < timeout_s:
                st = rec["status"]
                if st.get("instruction") == item["instruction"] and st.get("state") in ("ARRIVED", "NOT_FOUND"):
                    break
                if time.monotonic() - last > 2.0:
                    last = time.monotonic()
                    print(f"    {time.monotonic() - t0:5.1f} s  {st.get('state', '?'):9s} score "
                          f"{st.get('score')}  drone ({sim.state.x:6.1f}, {sim.state.y:6.1f})  {st.get('reason', '')}")
                time.sleep(0.1)
            err = math.hypot(sim.state.x - item["target_xy"][0], sim.state.y - item["target_xy"][1])
            results.append({**item, "state": rec["status"].get("state"), "final_xy": [sim.state.x, sim.state.y],
                            "error_m": round(err, 2), "success": err <= 5.0,
                            "seconds": round(time.monotonic() - t0, 1)})
            print(f"    -> {results[-1]['state']}, {err:.1f} m from the target centre")
    finally:
        graph.shutdown()
        rclpy.try_shutdown()
    with lock:
        traj = list(rec["traj"])
    return {"results": results, "trajectory": traj, "annotated": rec["annotated"], "world": sim.camera}


def _wait(pred: Any, timeout: float) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end and not pred():
        time.sleep(0.1)


def plot(run: dict[str, Any], out: Path) -> Path:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from geotext_ros.sim.camera import CameraPose, intrinsics_for

    traj = np.array(run["trajectory"]) if run["trajectory"] else np.zeros((1, 2))
    cx, cy = traj[:, 0].mean(), traj[:, 1].mean()
    k = intrinsics_for(512, 512, 90.0)
    half = max(60.0, np.abs(traj - [cx, cy]).max() + 30.0)
    overview = run["world"].renderer.render(CameraPose(cx, cy, half, math.pi / 2), k, style_seed=None).image
    fig, axes = plt.subplots(1, 2, figsize=(12, 6))
    # yaw = pi/2 puts north up; the image spans [cx - half, cx + half] x [cy - half, cy + half] metres.
    axes[0].imshow(overview, extent=(cx - half, cx + half, cy - half, cy + half))
    axes[0].plot(traj[:, 0], traj[:, 1], "y-", lw=2, label="trajectory")
    for r in run["results"]:
        axes[0].plot(*r["target_xy"], "r+", ms=14, mew=2)
        axes[0].annotate(r["instruction"].replace("fly to the ", ""), r["target_xy"], color="white", fontsize=8)
    axes[0].set_title("map (ENU metres): trajectory and targets")
    axes[0].legend(loc="lower right")
    if run["annotated"] is not None:
        axes[1].imshow(run["annotated"])
    axes[1].set_title("final camera frame with the target box")
    axes[1].axis("off")
    path = out / "trajectory.png"
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def main(argv: Optional[list[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="geotext-demo", description=__doc__.split("\n\n")[0])
    p.add_argument("--engine-dir", default="", help="engine directory (default: engines/default)")
    p.add_argument("--instructions", type=int, default=3)
    p.add_argument("--timeout", type=float, default=60.0, help="seconds per instruction")
    p.add_argument("--out", type=Path, default=OUT)
    args = p.parse_args(argv)
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
    run = run_closed_loop(engine, args.instructions, args.timeout)
    fig = plot(run, args.out)
    ok = sum(r["success"] for r in run["results"])
    summary = {"status": "ok", "engine_dir": str(engine), "success": f"{ok}/{len(run['results'])}",
               "results": run["results"], "trajectory_png": str(fig)}
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2))
    print(f"{ok}/{len(run['results'])} instructions ended within 5 m of the target; wrote {fig} and "
          f"{args.out}/summary.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
