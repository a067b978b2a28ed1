"""Soak: the sim graph (navigator + sim_world, one process) for N minutes with an instruction every P seconds.

Reports resident memory growth, frames processed, and status latency p50/p95, to catch leaks and stalls.

    python bench/soak.py --minutes 10 --engine-dir engines/default
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WORDS = ("fly to the red building", "go to the parking lot", "hold", "fly to the white building left of the pool",
         "stop", "head to the tennis court")


def main(argv: list[str] | None = None) -> int:
    import psutil
    import rclpy
    from std_msgs.msg import String

    from geotext_ros.nodes.graph import Graph

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--minutes", type=float, default=5.0)
    p.add_argument("--period", type=float, default=15.0, help="seconds between instructions")
    p.add_argument("--engine-dir", default=str(ROOT / "engines" / "default"))
    args = p.parse_args(argv)
    proc = psutil.Process()
    rclpy.init()
    graph = Graph(sim=True, launch_args={"engine_dir": args.engine_dir}).start()
    nav = graph.nodes["navigator"]
    pub = nav.create_publisher(String, nav.params["instruction_topic"], 10)
    rss, latency, t0, n = [], [], time.monotonic(), 0
    try:
        time.sleep(5.0)
        if nav.status["state"] == "ERROR":
            print(f"navigator failed to start: {nav.status.get('error')}", file=sys.stderr)
            return 1
        next_instruction = 0.0
        while time.monotonic() - t0 < args.minutes * 60:
            if time.monotonic() - t0 >= next_instruction:
                pub.publish(String(data=WORDS[n % len(WORDS)]))
                n, next_instruction = n + 1, next_instruction + args.period
            rss.append(proc.memory_info().rss / 2**20)
            if nav.status.get("latency_ms") is not None:
                latency.append(nav.status["latency_ms"])
            time.sleep(1.0)
    finally:
        frames = nav.frames_processed
        graph.shutdown()
        rclpy.try_shutdown()
    third = max(len(rss) // 3, 1)
    report = {"minutes": args.minutes, "instructions": n, "frames_processed": frames,
              "rss_mb_start": round(float(np.mean(rss[:third])), 1), "rss_mb_end": round(float(np.mean(rss[-third:])), 1),
              "latency_ms_p50": float(np.percentile(latency, 50)) if latency else None,
              "latency_ms_p95": float(np.percentile(latency, 95)) if latency else None}
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
