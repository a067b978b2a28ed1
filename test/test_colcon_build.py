"""`colcon build` of the package (colcon-core, colcon-ros, colcon-python-setup-py from pip): it builds, installs the
launch files, the config and the default engine where `ros2 launch geotext_ros ...` looks, and builds nothing else
(colcon does not descend into a package's folders; test/px4_msgs_pkg also carries COLCON_IGNORE so that it never
shadows PX4's px4_msgs in a workspace)."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
COLCON = Path(sys.executable).parent / "colcon"


def _source_tree(dest: Path) -> Path:
    """The tracked and not-ignored files of this checkout (no .venv, .build or other local build output)."""
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: the file list comes from git")
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                           check=True, capture_output=True, text=True).stdout.split("\0")
    for rel in filter(None, files):
        if (ROOT / rel).is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, dest / rel)
    return dest


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    if not COLCON.is_file():
        pytest.skip(f"colcon is not installed next to {sys.executable}: pip install -e '.[colcon]' (make test does)")
    ws = tmp_path_factory.mktemp("colcon_ws")
    _source_tree(ws / "src" / "geotext_ros")
    return ws


def _colcon(ws: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(COLCON), "--log-base", str(ws / "log"), *args], cwd=ws, capture_output=True, text=True,
                          timeout=300)


def test_colcon_build_installs_launch_config_and_default_engine(workspace: Path) -> None:
    built = _colcon(workspace, "build", "--base-paths", "src", "--build-base", "build", "--install-base", "install",
                    "--event-handlers", "console_direct-")
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    packages = sorted(p.name for p in (workspace / "install").iterdir() if p.is_dir())
    assert packages == ["geotext_ros"], f"colcon built {packages}"
    share = workspace / "install" / "geotext_ros" / "share" / "geotext_ros"
    for rel in ("package.xml", "launch/nav.launch.py", "launch/sim.launch.py", "config/nav.yaml",
                "engines/default/manifest.json", "engines/default/vocab.txt"):
        assert (share / rel).is_file(), f"{rel} missing from {share}"
    engine = sorted(p.name for p in (share / "engines" / "default").iterdir())
    source = sorted(p.name for p in (ROOT / "engines" / "default").iterdir() if p.is_file())
    assert engine == source, "the installed default engine differs from engines/default"
    assert (workspace / "install" / "geotext_ros" / "share" / "ament_index" / "resource_index" / "packages"
            / "geotext_ros").is_file()
    for script in ("navigator", "px4_bridge", "sim_world", "geotext-nav"):
        assert (workspace / "install" / "geotext_ros" / "lib" / "geotext_ros" / script).is_file(), script
