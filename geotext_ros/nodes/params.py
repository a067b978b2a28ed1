"""Node parameters: declared from config/nav.yaml (read by geotext_ros.param_file), so launch, geotext-nav and
`ros2 run` agree.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from geotext_ros.param_file import load_node_params


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
