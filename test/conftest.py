"""Shared test setup: every test process gets its own ROS domain so parallel runs never cross-talk; the tiny
exported engine and the running-navigator harness shared by the ROS tests."""
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Set before any rclpy.init(): DDS discovery is scoped by domain id (0..101 are safe everywhere).
os.environ.setdefault("ROS_DOMAIN_ID", str(1 + os.getpid() % 100))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("MPLBACKEND", "Agg")

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def tiny_engine_dir(tmp_path_factory) -> Path:
    """An exported engine of a randomly initialised tiny model (one export per test session, ~5 s)."""
    pytest.importorskip("torch")
    pytest.importorskip("onnxruntime")
    from training.export import export_random_model

    out = tmp_path_factory.getbasetemp() / "tiny_nav_engine"
    if not (out / "manifest.json").is_file():
        export_random_model(out, "tiny", seed=0, allow_trt_issues=True)
    return out


@pytest.fixture(scope="session")
def engine_dir(tmp_path_factory) -> Path:
    """A tiny random engine with int8 graphs and small profiles, for the export and runtime tests (one per session)."""
    from training.export import export_random_model

    out = tmp_path_factory.getbasetemp() / "tiny_engine"
    if not (out / "manifest.json").is_file():
        export_random_model(out, "tiny", seed=0, int8=True, max_batch=8, max_boxes=16)
    return out


def _harness_factory(engine_dir: Path):
    pytest.importorskip("rclpy")
    from ros_harness import NavHarness

    started = []

    def start(engine_dir: Path | None = None, wait_state: str | None = "IDLE", **overrides):
        harness = NavHarness(engine_dir or default_engine, overrides)
        started.append(harness)
        harness.start_navigator(wait_state=wait_state)
        return harness

    default_engine = engine_dir
    return start, started


@pytest.fixture()
def nav_harness(tiny_engine_dir):
    """Factory: nav_harness(**navigator_overrides) -> ros_harness.NavHarness: a running navigator and a driver
    node on real DDS, on topics of their own (test/ros_harness.py). Shut down when the test ends."""
    start, started = _harness_factory(tiny_engine_dir)
    yield start
    for harness in reversed(started):
        harness.shutdown()


@pytest.fixture(scope="module")
def module_nav_harness(tiny_engine_dir):
    """nav_harness for a whole module (one navigator serving many tests)."""
    start, started = _harness_factory(tiny_engine_dir)
    yield start
    for harness in reversed(started):
        harness.shutdown()
