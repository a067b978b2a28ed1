"""Start/stop loop: start a navigator process N times with LARGE_DATA, wait for its first status over DDS, send
SIGINT, and count the starts that never reported (the start-up hang of issue 16) and the stops that ignored SIGINT.

    python bench/startstop.py --starts 50                     # untrained tiny engine, 640x480 camera topic idle
    python bench/startstop.py --starts 50 --camera-hz 30      # frames (and odometry) published during each start
    python bench/startstop.py --starts 50 --transports ''     # the RMW's default transports, for comparison

Each start: the navigator process (as in bench/soak.py, topics under /soak) and, in this process, a driver node
that waits up to --timeout s for an IDLE status. A start is "hung" when no status came; "sigint_ignored" when the
process had not exited --stop-timeout s after SIGINT (it is then killed). Prints one JSON report.
"""
from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import soak


def one_start(engine: Path, transports: str, timeout: float, stop_timeout: float, camera_hz: float = 0.0,
              size: tuple[int, int] = (64, 48)) -> dict:
    proc = soak._start_navigator(engine, {}, transports)
    driver = soak.SoakDriver(size[0], size[1], transports)
    stop = threading.Event()

    def publish() -> None:   # frames + odometry from before the navigator's subscriptions exist until SIGINT
        while not stop.wait(1.0 / camera_hz):
            driver.send_frame()
            driver.send_odom()

    feeder = threading.Thread(target=publish, daemon=True)
    if camera_hz > 0:
        feeder.start()
    t0 = time.monotonic()
    try:
        came_up = driver.wait_for_navigator(timeout)
        up_s = round(time.monotonic() - t0, 2)
    finally:
        stop.set()
        if feeder.is_alive():
            feeder.join()
        driver.close()
    log = soak._log_tail(proc)
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=stop_timeout)
        ignored = False
    except subprocess.TimeoutExpired:
        ignored = True
        proc.kill()
        proc.wait(timeout=10)
    proc.log_path.unlink(missing_ok=True)
    return {"came_up": came_up, "up_s": up_s, "sigint_ignored": ignored, "active_logged": "active:" in log}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--starts", type=int, default=50)
    p.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for the first status")
    p.add_argument("--stop-timeout", type=float, default=10.0, help="seconds to wait for the exit after SIGINT")
    p.add_argument("--transports", default="LARGE_DATA")
    p.add_argument("--engine-dir", default="")
    p.add_argument("--camera-hz", type=float, default=0.0, help="publish frames + odometry at this rate (0: none)")
    p.add_argument("--width", type=int, default=640)
    p.add_argument("--height", type=int, default=480)
    args = p.parse_args(argv)
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        engine = Path(args.engine_dir) if args.engine_dir else soak._tiny_engine(Path(tmp) / "engine")
        for i in range(args.starts):
            runs.append(one_start(engine, args.transports, args.timeout, args.stop_timeout, args.camera_hz,
                                  (args.width, args.height)))
            print(f"start {i + 1}: {runs[-1]}", file=sys.stderr, flush=True)
    up = [r["up_s"] for r in runs if r["came_up"]]
    report = {"starts": len(runs), "transports": args.transports or "default", "camera_hz": args.camera_hz,
              "frame": f"{args.width}x{args.height}",
              "hung": sum(not r["came_up"] for r in runs),
              "hung_with_active_logged": sum(not r["came_up"] and r["active_logged"] for r in runs),
              "sigint_ignored": sum(r["sigint_ignored"] for r in runs),
              "up_s_median": sorted(up)[len(up) // 2] if up else None, "up_s_max": max(up) if up else None}
    print(json.dumps(report, indent=2))
    return 0 if report["hung"] == 0 and report["sigint_ignored"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
