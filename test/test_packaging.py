"""The package builds from a clean clone and carries what `colcon build` / `pip install` need."""
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _git(*args: str, cwd: Path = ROOT) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: the clean-clone build needs git")
    tmp = tmp_path_factory.mktemp("clone")
    clone = tmp / "geotext_ros"
    # A clean clone of the committed tree plus the working tree's tracked changes, as CI sees it.
    _git("clone", "-q", str(ROOT), str(clone), cwd=tmp)
    diff = _git("diff", "HEAD", "--binary")
    if diff.strip():
        subprocess.run(["git", "apply", "--allow-empty", "-"], input=diff, text=True, cwd=clone, check=True)
    for rel in _git("ls-files", "--others", "--exclude-standard").splitlines():
        (clone / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, clone / rel)
    out = tmp / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                    "-w", str(out), str(clone)], check=True, capture_output=True)
    wheels = list(out.glob("geotext_ros-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def test_wheel_has_ros_data_files(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    data = [n for n in names if ".data/data/share/" in n]
    expected = ["share/ament_index/resource_index/packages/geotext_ros", "share/geotext_ros/package.xml",
                "share/geotext_ros/launch/nav.launch.py", "share/geotext_ros/config/nav.yaml",
                "share/geotext_ros/engines/default/manifest.json", "share/geotext_ros/engines/default/vocab.txt"]
    for path in expected:
        assert any(n.endswith(path) for n in data), f"{path} missing from the wheel's data files"


def test_wheel_declares_every_console_script(wheel: Path) -> None:
    zf = zipfile.ZipFile(wheel)
    entry = next(n for n in zf.namelist() if n.endswith("entry_points.txt"))
    text = zf.read(entry).decode()
    for script in ["navigator", "sim_world", "px4_bridge", "geotext-data", "geotext-train", "geotext-eval",
                   "geotext-export", "geotext-dense-head", "geotext-gallery", "geotext-nav"]:
        assert f"{script} = " in text, f"console script {script} missing"


def test_console_scripts_resolve() -> None:
    """Every entry point names an importable module with a main()."""
    import importlib
    import re

    text = (ROOT / "setup.py").read_text()
    for module, func in re.findall(r'= ([\w.]+):(\w+)"', text):
        mod = importlib.import_module(module)
        assert callable(getattr(mod, func, None)), f"{module}:{func} is not callable"


def test_colcon_layout() -> None:
    cfg = (ROOT / "setup.cfg").read_text()
    assert "script_dir=$base/lib/geotext_ros" in cfg
    assert "install_scripts=$base/lib/geotext_ros" in cfg
    assert (ROOT / "resource" / "geotext_ros").exists()
    xml = (ROOT / "package.xml").read_text()
    assert 'format="3"' in xml and "<build_type>ament_python</build_type>" in xml
    for dep in ["rclpy", "std_msgs", "sensor_msgs", "geometry_msgs", "nav_msgs"]:
        assert f"<exec_depend>{dep}</exec_depend>" in xml


def test_onboard_library_never_imports_training() -> None:
    offenders = []
    for path in (ROOT / "geotext_ros").rglob("*.py"):
        for line in path.read_text().splitlines():
            s = line.strip()
            if s.startswith(("import training", "from training")):
                offenders.append(f"{path.relative_to(ROOT)}: {s}")
    assert not offenders, offenders


def test_ros_free_core_never_imports_rclpy() -> None:
    offenders = []
    for sub in ["nav", "runtime", "model", "sim"]:
        for path in (ROOT / "geotext_ros" / sub).rglob("*.py"):
            for line in path.read_text().splitlines():
                s = line.strip()
                if s.startswith(("import rclpy", "from rclpy")):
                    offenders.append(f"{path.relative_to(ROOT)}: {s}")
    assert not offenders, offenders
