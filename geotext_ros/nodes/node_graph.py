"""geotext-nav: the node graph of launch/nav.launch.py in one process, for machines without the ros2 CLI.

    geotext-nav --sim                                   # navigator + built-in sim_world
    geotext-nav --engine-dir engines/default --gallery data/gallery.json   # navigator + px4_bridge
    geotext-nav --sim --instruction "fly to the red building left of the pool" --duration 60
    geotext-nav --sim --ui                              # + the ground station page on 127.0.0.1:8765

GRAPH below is the single description of which nodes run with which overrides; the launch file declares the
same nodes (test/test_launch_graph.py reads it with `ast` and compares).
"""
from __future__ import annotations

import argparse
import importlib
import inspect
import json
import queue
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from geotext_ros.param_file import default_config_path, load_node_params

PACKAGE = "geotext_ros"


@dataclass(frozen=True)
class NodeSpec:
    """One node of the graph: executable (= module in geotext_ros.nodes), name, and launch-argument overrides."""

    executable: str
    name: str
    overrides: tuple[tuple[str, str], ...] = ()   # (parameter name, launch argument name)
    when: str = "always"                          # "always" | "sim" (sim:=true) | "real" (sim:=false) | "ui"
    package: str = PACKAGE


GRAPH: tuple[NodeSpec, ...] = (
    NodeSpec("navigator", "navigator",
             (("engine_dir", "engine_dir"), ("gallery", "gallery"), ("camera_topic", "camera_topic"))),
    NodeSpec("px4_bridge", "px4_bridge", (), when="real"),
    NodeSpec("sim_world", "sim_world", (("camera_topic", "camera_topic"),), when="sim"),
    NodeSpec("ground_station", "ground_station", (), when="ui"),
)


def graph_spec(sim: bool, ui: bool = False) -> list[NodeSpec]:
    """The nodes started for sim:=true / sim:=false (and ui:=true)."""
    wanted = {"always", "sim" if sim else "real"} | ({"ui"} if ui else set())
    return [s for s in GRAPH if s.when in wanted]


def launch_defaults() -> dict[str, str]:
    """Launch-argument defaults, read from nav.yaml like the launch file does."""
    nav = load_node_params("navigator")
    return {"config": str(default_config_path()), "engine_dir": nav["engine_dir"], "gallery": nav["gallery"],
            "camera_topic": nav["camera_topic"], "sim": "false", "ui": "false"}


def node_parameters(spec: NodeSpec, launch_args: dict[str, str]) -> dict[str, Any]:
    """Parameters a node gets: its section of the `config` file, then the launch-argument overrides."""
    params = load_node_params(spec.name, launch_args["config"])
    for param, arg in spec.overrides:
        params[param] = launch_args[arg]
    return params


def create_node(spec: NodeSpec, params: dict[str, Any]) -> Any:
    """Instantiate the node class of `spec` in this process with `params` as parameter overrides."""
    from rclpy.node import Node
    from rclpy.parameter import Parameter

    # An empty list has no element type (rclpy would call it a byte array): leave it unset = the node's default.
    overrides = [Parameter(k, value=v) for k, v in params.items() if not (isinstance(v, list) and not v)]
    module = importlib.import_module(f"{PACKAGE}.nodes.{spec.executable}")
    factory = getattr(module, "create_node", None)
    if factory is None:   # fall back to the module's own Node subclass
        classes = [c for _, c in inspect.getmembers(module, inspect.isclass)
                   if issubclass(c, Node) and c.__module__ == module.__name__]
        if len(classes) != 1:
            raise RuntimeError(f"{module.__name__} has no create_node() and {len(classes)} Node classes; "
                               "add create_node(**kwargs) to it")
        factory = classes[0]
    return factory(parameter_overrides=overrides)


class Graph:
    """The running graph: nodes on one SingleThreadedExecutor spun by a background thread (their heavy work runs on
    their own LatestWork threads, nodes/worker.py)."""

    def __init__(self, sim: bool, launch_args: Optional[dict[str, str]] = None, ui: bool = False) -> None:
        import rclpy
        from rclpy.executors import SingleThreadedExecutor

        args = {**launch_defaults(), **(launch_args or {})}
        self.nodes: dict[str, Any] = {}
        try:
            for spec in graph_spec(sim, ui):
                self.nodes[spec.name] = create_node(spec, node_parameters(spec, args))
        except Exception:
            self._destroy()
            raise
        self.executor = SingleThreadedExecutor()
        for node in self.nodes.values():
            self.executor.add_node(node)
        self._thread: Optional[threading.Thread] = None
        self._stop = threading.Event()
        self._rclpy = rclpy

    def start(self) -> "Graph":
        self._thread = threading.Thread(target=self._spin, name="geotext-nav-executor", daemon=True)
        self._thread.start()
        return self

    def _spin(self) -> None:
        # spin_once in a loop, so that shutdown() stops the spinning between two waits: executor.shutdown() while
        # spin() waits lets callbacks run against destroyed nodes, and their errors end up printed as "The
        # following exception was never retrieved: cannot use Destroyable because destruction was requested".
        from rclpy.executors import ExternalShutdownException
        while not self._stop.is_set() and self._rclpy.ok():
            try:
                self.executor.spin_once(timeout_sec=0.1)
            except ExternalShutdownException:
                return

    def _destroy(self) -> None:
        for node in self.nodes.values():
            node.destroy_node()

    def shutdown(self) -> None:
        """Stop spinning, let callbacks in flight finish, then destroy the nodes (in that order)."""
        from geotext_ros.nodes.spin import stop_executor

        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
        stop_executor(self.executor)
        self._destroy()


def _parser() -> argparse.ArgumentParser:
    d = launch_defaults()
    p = argparse.ArgumentParser(prog="geotext-nav", description=__doc__.split("\n\n")[0])
    p.add_argument("--sim", action="store_true", help="built-in sim_world instead of px4_bridge")
    p.add_argument("--config", default=d["config"], help="ROS 2 parameter file (default: %(default)s)")
    p.add_argument("--engine-dir", default=d["engine_dir"], help="engine directory (empty = engines/default)")
    p.add_argument("--gallery", default=d["gallery"], help="gallery.json (empty = no search)")
    p.add_argument("--camera-topic", default=d["camera_topic"], help="camera image topic")
    p.add_argument("--ui", action="store_true", help="also serve the ground station page (ground_station node)")
    p.add_argument("--instruction", default="",
                   help="publish this instruction once the graph runs; print each state change and stop at its "
                        "outcome (ARRIVED or NOT_FOUND)")
    p.add_argument("--duration", type=float, default=0.0,
                   help="stop after this many seconds (0 = at the instruction's outcome, or run forever)")
    return p


def main(argv: Optional[list[str]] = None) -> int:
    import rclpy
    from std_msgs.msg import String

    args = _parser().parse_args(sys.argv[1:] if argv is None else argv)
    if not Path(args.config).is_file():
        print(f"geotext-nav: config {args.config} not found; pass --config PATH", file=sys.stderr)
        return 2
    launch_args = {"config": args.config, "engine_dir": args.engine_dir, "gallery": args.gallery,
                   "camera_topic": args.camera_topic, "sim": str(args.sim).lower(), "ui": str(args.ui).lower()}
    rclpy.init()
    try:
        graph = Graph(args.sim, launch_args, ui=args.ui).start()
    except Exception as e:
        print(f"geotext-nav: cannot start the graph: {e}", file=sys.stderr)
        rclpy.try_shutdown()
        return 1
    if "ground_station" in graph.nodes:
        print(f"geotext-nav: ground station on {graph.nodes['ground_station'].url}", flush=True)
    progress = Progress(graph.nodes["navigator"], args.instruction)
    try:
        if args.instruction:
            nav = graph.nodes["navigator"]
            pub = nav.create_publisher(String, nav.params["instruction_topic"], 10)
            time.sleep(1.0)   # let discovery match the subscription before the one-shot message
            pub.publish(String(data=args.instruction))
        deadline = time.monotonic() + args.duration if args.duration > 0 else float("inf")
        while rclpy.ok() and time.monotonic() < deadline:
            if progress.poll() and args.duration <= 0:
                break
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    finally:
        graph.shutdown()
        rclpy.try_shutdown()
    if args.instruction and progress.outcome is None:
        print(f"geotext-nav: no outcome for {args.instruction!r} before the end (state {progress.state})")
    return 0 if not args.instruction or progress.outcome == "ARRIVED" else 1


class Progress:
    """Prints every state change on the navigator's status topic, and the outcome of the instruction given."""

    FINAL = ("ARRIVED", "NOT_FOUND")

    def __init__(self, navigator: Any, instruction: str) -> None:
        from std_msgs.msg import String

        from geotext_ros.nodes.qos import status_qos

        self.instruction = instruction
        self.state: Optional[str] = None
        self.outcome: Optional[str] = None
        self._t0 = time.monotonic()
        self._queue: "queue.SimpleQueue[str]" = queue.SimpleQueue()
        navigator.create_subscription(String, navigator.params["status_topic"], lambda m: self._queue.put(m.data),
                                      status_qos())

    def poll(self) -> bool:
        """Print what changed since the last call; True once the instruction's outcome is known."""
        while not self._queue.empty():
            self._show(json.loads(self._queue.get()))
        return self.outcome is not None

    def _show(self, status: dict[str, Any]) -> None:
        state = status.get("state")
        mine = bool(self.instruction) and status.get("instruction") == self.instruction
        if state != self.state:
            self.state = state
            reason = status.get("reason") or status.get("error") or ""
            print(f"{time.monotonic() - self._t0:6.1f} s  {state:9s} {reason}"[:160], flush=True)
        if mine and state in self.FINAL and self.outcome is None:
            self.outcome = state
            waypoint = status.get("waypoint")
            where = f" at {waypoint[:3]}" if waypoint else ""
            print(f"outcome: {state}{where} for {self.instruction!r}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
