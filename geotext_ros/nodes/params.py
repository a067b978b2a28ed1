"""Node parameters: defaults come from config/nav.yaml only, so launch, geotext-nav and `ros2 run` agree.

The YAML is a standard ROS 2 parameter file (`<node>: ros__parameters: {...}`). It is found in the source tree
(`<repo>/config/nav.yaml`) or in the installed share directory (`share/geotext_ros/config/nav.yaml`).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Mapping

import yaml

PACKAGE = "geotext_ros"
CONFIG_NAME = "nav.yaml"
ENV_CONFIG = "GEOTEXT_NAV_CONFIG"   # lets a deployment point every node at its own defaults file


def _candidate_paths() -> list[Path]:
    paths = []
    if os.environ.get(ENV_CONFIG):
        paths.append(Path(os.environ[ENV_CONFIG]))
    paths.append(Path(__file__).resolve().parents[2] / "config" / CONFIG_NAME)   # source tree
    try:   # colcon install: ament index knows the share directory
        from ament_index_python.packages import get_package_share_directory
        paths.append(Path(get_package_share_directory(PACKAGE)) / "config" / CONFIG_NAME)
    except Exception:   # package not in an ament index (pip install): fall through to sys.prefix
        pass
    paths.append(Path(sys.prefix) / "share" / PACKAGE / "config" / CONFIG_NAME)
    return paths


def default_config_path() -> Path:
    """Path of the nav.yaml that holds the defaults; FileNotFoundError lists where it looked."""
    paths = _candidate_paths()
    for path in paths:
        if path.is_file():
            return path
    raise FileNotFoundError(
        f"{CONFIG_NAME} not found; looked in {[str(p) for p in paths]}. "
        f"Set {ENV_CONFIG} to its path or reinstall the package.")


def share_dir() -> Path:
    """Package data root: the source tree or the installed share/geotext_ros (holds config/, engines/, launch/)."""
    return default_config_path().parents[1]


def _flatten(prefix: str, value: Any, out: dict[str, Any]) -> None:
    # ROS parameter files nest names with dots: {a: {b: 1}} is parameter "a.b".
    if isinstance(value, Mapping):
        for key, sub in value.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), sub, out)
    else:
        out[prefix] = value


def load_node_params(node_name: str, path: str | Path | None = None) -> dict[str, Any]:
    """The parameters of one node (flattened names) from a ROS 2 parameter YAML file."""
    path = Path(path) if path else default_config_path()
    try:
        doc = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as e:
        raise ValueError(f"cannot read parameter file {path}: {e}") from e
    section = doc.get(node_name) or doc.get(f"/{node_name}") or {}
    if not isinstance(section, Mapping):
        raise ValueError(f"{path}: section '{node_name}' must be a mapping, got {type(section).__name__}")
    params = section.get("ros__parameters") or {}
    out: dict[str, Any] = {}
    _flatten("", params, out)
    return out


def declare_parameters(node: Any, node_name: str, path: str | Path | None = None) -> dict[str, Any]:
    """Declare every parameter of `node_name` with its nav.yaml default; return the values in effect.

    Overrides (launch, --params-file, parameter_overrides) win over the defaults, as usual in ROS 2. Types follow
    the default: a float default also accepts an integer (`home_x: 5`) and is returned as float; an empty-list
    default (`geofence_polygon: []`) is declared as a double array that stays unset (= the default) until given.
    """
    defaults = load_node_params(node_name, path)
    for name, default in defaults.items():
        if not node.has_parameter(name):
            _declare(node, name, default)
    values = {name: _value(node, name, default) for name, default in defaults.items()}
    for name, default in defaults.items():
        if isinstance(default, float):
            try:
                values[name] = float(values[name])
            except (TypeError, ValueError) as e:
                raise ValueError(f"parameter {node_name}.{name} = {values[name]!r}: expected a number "
                                 f"(default {default})") from e
    return values


def _declare(node: Any, name: str, default: Any) -> None:
    from rcl_interfaces.msg import ParameterDescriptor
    from rclpy.parameter import Parameter

    if isinstance(default, list) and not default:   # [] has no element type of its own: declare the type only
        node.declare_parameter(name, Parameter.Type.DOUBLE_ARRAY)
    elif isinstance(default, float):                 # dynamic typing lets YAML write 5 for 5.0
        node.declare_parameter(name, default, ParameterDescriptor(dynamic_typing=True))
    else:
        node.declare_parameter(name, default)


def _value(node: Any, name: str, default: Any) -> Any:
    from rclpy.exceptions import ParameterUninitializedException

    # A YAML `[]` reaches rclpy as an unset parameter (no element type): that means the default, an empty list.
    try:
        value = node.get_parameter(name).value
    except ParameterUninitializedException:
        return default
    if value is None:
        return default
    return list(value) if isinstance(value, (tuple, list)) or hasattr(value, "tolist") else value
