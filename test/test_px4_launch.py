"""launch/sim.launch.py loads without launch installed, and builds its description where launch is installed."""
import ast
import importlib.util
from pathlib import Path

import pytest

LAUNCH = Path(__file__).resolve().parents[1] / "launch" / "sim.launch.py"


def load():
    spec = importlib.util.spec_from_file_location("sim_launch", LAUNCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_launch_file_loads_and_keeps_ros_imports_inside_the_function():
    module = load()
    assert callable(module.generate_launch_description)
    tree = ast.parse(LAUNCH.read_text())
    top_level = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert top_level == [], "imports at module level break loading where launch is not installed"


def test_launch_file_starts_the_documented_processes():
    source = LAUNCH.read_text()
    for needle in ('"MicroXRCEAgent", "udp4", "-p"', 'package="ros_gz_bridge"', 'executable="parameter_bridge"',
                   'executable="navigator"', 'executable="px4_bridge"', '"use_sim_time"',
                   'DeclareLaunchArgument("config", default_value=str(default_config_path())',
                   "gz.msgs.Image", "gz.msgs.CameraInfo", "gz.msgs.Clock"):
        assert needle in source, needle


def test_launch_description_builds_where_launch_is_installed():
    pytest.importorskip("launch")
    pytest.importorskip("launch_ros")
    pytest.importorskip("ament_index_python")
    description = load().generate_launch_description()
    assert len(description.entities) >= 4


def test_gazebo_camera_topics_default_to_the_current_sensor_name_and_are_launch_arguments():
    module = load()
    prefix = "/world/default/model/x500_mono_cam_down_0/link/camera_link/sensor/camera/"
    assert module.GZ_CAMERA_TOPIC == prefix + "image"                 # "imager" until PX4-gazebo-models 2025-10-15
    assert module.GZ_CAMERA_INFO_TOPIC == prefix + "camera_info"
    source = LAUNCH.read_text()
    for name in ("gz_camera_topic", "gz_camera_info_topic"):
        assert f'DeclareLaunchArgument("{name}", default_value=' in source, name
    docs = (LAUNCH.parents[1] / "docs" / "px4_sitl.md").read_text()
    assert "sensor/camera/" in docs and "sensor/imager/" in docs and "2025-10-15" in docs
