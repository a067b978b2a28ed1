"""package.xml declares what the onboard code and the launch files import (rosdep keys), so that `rosdep install`
on a robot brings everything `ros2 launch geotext_ros ...` needs."""
import ast
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# import name -> rosdep key, for everything the onboard code may import that rosdep can install
ROSDEP_KEYS = {
    "rclpy": "rclpy", "rcl_interfaces": "rcl_interfaces", "ament_index_python": "ament_index_python",
    "std_msgs": "std_msgs", "sensor_msgs": "sensor_msgs", "geometry_msgs": "geometry_msgs", "nav_msgs": "nav_msgs",
    "lifecycle_msgs": "lifecycle_msgs", "visualization_msgs": "visualization_msgs", "std_srvs": "std_srvs",
    "builtin_interfaces": "builtin_interfaces",
    "diagnostic_msgs": "diagnostic_msgs", "launch": "launch", "launch_ros": "launch_ros",
    "numpy": "python3-numpy", "yaml": "python3-yaml", "PIL": "python3-pil", "cv2": "python3-opencv",
    "aiohttp": "python3-aiohttp", "scipy": "python3-scipy",
}
# imported, but not a rosdep key: pip-only inference stacks, optional exporters, and PX4's message package
NOT_ROSDEP = {"torch", "onnx", "onnxruntime", "tensorrt", "torch_tensorrt", "modelopt", "safetensors", "matplotlib",
              "px4_msgs", "geotext_ros", "transformers"}


def _exec_depends() -> set[str]:
    root = ET.parse(ROOT / "package.xml").getroot()
    return {e.text.strip() for tag in ("exec_depend", "depend") for e in root.iter(tag)}


def _imports() -> set[str]:
    mods: set[str] = set()
    for path in [*(ROOT / "geotext_ros").rglob("*.py"), *(ROOT / "launch").glob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                mods |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                mods.add(node.module.split(".")[0])
    return {m for m in mods if m not in sys.stdlib_module_names}


def test_every_import_is_a_declared_rosdep_key_or_known_pip_only():
    imports, declared = _imports(), _exec_depends()
    unknown = sorted(imports - set(ROSDEP_KEYS) - NOT_ROSDEP)
    assert not unknown, f"imported but neither mapped to a rosdep key nor listed as pip-only here: {unknown}"
    missing = sorted(ROSDEP_KEYS[m] for m in imports & set(ROSDEP_KEYS) if ROSDEP_KEYS[m] not in declared)
    assert not missing, f"package.xml lacks <exec_depend> for {missing}"


def test_runtime_dependencies_of_the_launch_files_and_markers_are_declared():
    declared = _exec_depends()
    for key in ("python3-yaml", "ament_index_python", "rcl_interfaces", "python3-pil", "visualization_msgs",
                "ros_gz_bridge", "launch", "launch_ros"):
        assert key in declared, key
    assert "ros_gz_bridge" in (ROOT / "launch" / "sim.launch.py").read_text()
