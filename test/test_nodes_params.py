"""Parameter defaults come from config/nav.yaml only, and nodes declare exactly those."""
from pathlib import Path

import pytest
import yaml

from geotext_ros import param_file
from geotext_ros.nodes import params


def test_default_config_is_the_source_tree_file() -> None:
    path = param_file.default_config_path()
    assert path == Path(__file__).resolve().parents[1] / "config" / "nav.yaml"
    assert (param_file.share_dir() / "config" / "nav.yaml") == path


def test_env_variable_points_at_another_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "mine.yaml"
    cfg.write_text("sim_world:\n  ros__parameters:\n    world_seed: 99\n    cam:\n      rate: 2.0\n")
    monkeypatch.setenv(param_file.ENV_CONFIG, str(cfg))
    assert param_file.default_config_path() == cfg
    assert param_file.load_node_params("sim_world") == {"world_seed": 99, "cam.rate": 2.0}
    assert param_file.load_node_params("navigator") == {}


def test_bad_yaml_names_the_file(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("navigator: [unclosed\n")
    with pytest.raises(ValueError, match="bad.yaml"):
        param_file.load_node_params("navigator", cfg)


def test_declare_parameters_on_a_real_node() -> None:
    import rclpy
    from rclpy.node import Node
    from rclpy.parameter import Parameter

    ctx = rclpy.Context()
    rclpy.init(context=ctx)
    try:
        node = Node("sim_world", context=ctx, parameter_overrides=[Parameter("world_seed", value=123)])
        values = params.declare_parameters(node, "sim_world")
        defaults = param_file.load_node_params("sim_world")
        assert set(values) == set(defaults)
        assert values["world_seed"] == 123, "an override wins over the nav.yaml default"
        assert values["max_speed"] == defaults["max_speed"]
        node.destroy_node()
    finally:
        rclpy.shutdown(context=ctx)


def test_every_node_section_has_typed_defaults() -> None:
    doc = yaml.safe_load(param_file.default_config_path().read_text())
    for name in ("navigator", "sim_world", "px4_bridge"):
        for key, value in param_file.load_node_params(name).items():
            assert value is not None, f"{name}.{key} has no default (null cannot be declared with a type)"
    assert set(doc) >= {"navigator", "sim_world", "px4_bridge"}
