"""The parameter file (config/nav.yaml) read without ROS: node sections, flattened names, where the file is.

The YAML is a standard ROS 2 parameter file (`<node>: ros__parameters: {...}`). It is found in the source tree
(`<repo>/config/nav.yaml`) or in the installed share directory (`share/geotext_ros/config/nav.yaml`).
"""
from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml

PACKAGE = "geotext_ros"
CONFIG_NAME = "nav.yaml"
ENV_CONFIG = "GEOTEXT_NAV_CONFIG"   # lets a deployment point every node at its own defaults file


def _candidate_paths() -> list[Path]:
    paths = []
    if os.environ.get(ENV_CONFIG):
        paths.append(Path(os.environ[ENV_CONFIG]))
    paths.append(Path(__file__).resolve().parents[1] / "config" / CONFIG_NAME)   # source tree
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


def config_values(cls: type, params: Mapping[str, Any], prefix: str,
                  names: Iterable[str] | None = None) -> dict[str, Any]:
    """The `prefix`-named parameters of a config dataclass `cls` (flattened names), converted to the type of the
    field's default (ROS hands 5 for 5.0). A name under `prefix` that is not a field is an error naming the
    known ones, so a typo in nav.yaml or an override fails at start-up instead of being ignored."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    allowed = set(fields) if names is None else set(names)
    values: dict[str, Any] = {}
    for key, value in params.items():
        if not key.startswith(prefix):
            continue
        name = key[len(prefix):]
        if name not in allowed:
            raise ValueError(f"unknown parameter {key!r}: known {prefix}* names are {sorted(allowed)}; "
                             f"fix the name in the parameter file or the override")
        values[name] = _as_type_of(fields[name].default, value, key)
    return values


def _as_type_of(default: Any, value: Any, key: str) -> Any:
    try:
        if isinstance(default, bool):
            if not isinstance(value, bool):
                raise ValueError("expected true or false")
            return value
        if isinstance(default, float):
            return float(value)
        if isinstance(default, int):
            if float(value) != int(value):
                raise ValueError("expected an integer")
            return int(value)
    except (TypeError, ValueError) as e:
        raise ValueError(f"parameter {key} = {value!r}: {e} (default {default!r})") from e
    return value


def parse_override(text: str, defaults: Mapping[str, Any]) -> tuple[str, Any]:
    """`NAME=VALUE` (a benchmark's --param) as (name, value) typed like the parameter's default in `defaults`."""
    name, sep, value = text.partition("=")
    if not sep or name not in defaults:
        raise ValueError(f"--param {text!r}: use NAME=VALUE with a navigator parameter of config/nav.yaml "
                         f"(e.g. mission.min_confidence=0.3)")
    kind = type(defaults[name])
    return name, (value.lower() in ("1", "true", "yes")) if kind is bool else kind(value)
