"""launch/nav.launch.py and geotext-nav (graph.py) start the same nodes with the same parameters.

The launch file is read as code (ast): its Node(...) calls, their package/executable/name, parameter files,
override dictionaries and sim conditions. launch/launch_ros are not installed here and are not faked.
"""
import ast
from pathlib import Path

import pytest

from geotext_ros.nodes import node_graph as graph
from geotext_ros.param_file import default_config_path, load_node_params

LAUNCH = Path(__file__).resolve().parents[1] / "launch" / "nav.launch.py"


def _launch_config_name(node: ast.AST) -> str:
    """'x' from LaunchConfiguration("x") or ParameterValue(LaunchConfiguration("x"), ...)."""
    assert isinstance(node, ast.Call), ast.dump(node)
    name = node.func.id if isinstance(node.func, ast.Name) else node.func.attr
    if name == "ParameterValue":
        return _launch_config_name(node.args[0])
    assert name == "LaunchConfiguration", name
    return node.args[0].value


def _resolve(node: ast.AST, assigns: dict[str, ast.AST]) -> ast.AST:
    while isinstance(node, ast.Name) and node.id in assigns:
        node = assigns[node.id]
    return node


def launch_nodes() -> list[dict]:
    tree = ast.parse(LAUNCH.read_text())
    func = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "generate_launch_description")
    assigns = {t.id: a.value for a in ast.walk(func) if isinstance(a, ast.Assign)
               for t in a.targets if isinstance(t, ast.Name)}
    nodes = []
    for call in ast.walk(func):
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "Node"):
            continue
        kw = {k.arg: k.value for k in call.keywords}
        files, overrides = [], {}
        for item in kw["parameters"].elts:
            item = _resolve(item, assigns)
            if isinstance(item, ast.Dict):
                overrides.update({k.value: _launch_config_name(v) for k, v in zip(item.keys, item.values)})
            else:
                files.append(_launch_config_name(item))
        when = "always"
        if "condition" in kw:
            cond = kw["condition"]
            arg = _launch_config_name(_resolve(cond.args[0], assigns))
            assert arg in ("sim", "ui"), arg
            when = "ui" if arg == "ui" else {"IfCondition": "sim", "UnlessCondition": "real"}[cond.func.id]
        nodes.append({"package": kw["package"].value, "executable": kw["executable"].value,
                      "name": kw["name"].value, "files": files, "overrides": overrides, "when": when})
    return nodes


def _declared_arguments() -> dict[str, ast.AST]:
    tree = ast.parse(LAUNCH.read_text())
    return {c.args[0].value: c for c in ast.walk(tree)
            if isinstance(c, ast.Call) and isinstance(c.func, ast.Name) and c.func.id == "DeclareLaunchArgument"}


def test_launch_file_imports_launch_only_inside_the_function() -> None:
    tree = ast.parse(LAUNCH.read_text())
    top_imports = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert top_imports == [], "launch/launch_ros must be imported inside generate_launch_description"


@pytest.mark.parametrize("ui", [False, True])
@pytest.mark.parametrize("sim", [True, False])
def test_launch_and_graph_start_the_same_nodes(sim: bool, ui: bool) -> None:
    want = {"always", "sim" if sim else "real"} | ({"ui"} if ui else set())
    from_launch = sorted((n["package"], n["executable"], n["name"]) for n in launch_nodes()
                         if n["when"] in want)
    from_graph = sorted((s.package, s.executable, s.name) for s in graph.graph_spec(sim, ui))
    assert from_launch == from_graph
    names = {n for _, _, n in from_graph}
    assert ("sim_world" in names) == sim and ("px4_bridge" in names) == (not sim)
    assert ("ground_station" in names) == ui


def test_launch_and_graph_pass_the_same_parameters() -> None:
    by_name = {n["name"]: n for n in launch_nodes()}
    for spec in graph.GRAPH:
        node = by_name[spec.name]
        assert node["files"] == ["config"], f"{spec.name} must get the config parameter file"
        assert node["overrides"] == dict(spec.overrides), spec.name
        assert node["when"] == spec.when, spec.name


def test_every_launch_argument_used_exists_in_graph_cli() -> None:
    declared = set(_declared_arguments())
    used = {arg for n in launch_nodes() for arg in n["overrides"].values()} | {"config", "sim", "ui"}
    assert used <= declared
    assert declared == set(graph.launch_defaults())
    opts = {a.dest for a in graph._parser()._actions}
    assert {a for a in declared} <= opts | {"sim", "ui"}


def test_graph_parameters_come_from_the_config_and_the_overrides(tmp_path: Path) -> None:
    cfg = tmp_path / "nav.yaml"
    cfg.write_text("navigator:\n  ros__parameters:\n    process_rate_hz: 2.5\n    engine_dir: ''\n")
    args = {**graph.launch_defaults(), "config": str(cfg), "engine_dir": "/e", "camera_topic": "/cam"}
    nav = next(s for s in graph.GRAPH if s.name == "navigator")
    params = graph.node_parameters(nav, args)
    assert params["process_rate_hz"] == 2.5
    assert params["engine_dir"] == "/e" and params["camera_topic"] == "/cam"
    sim = next(s for s in graph.GRAPH if s.name == "sim_world")
    default = graph.node_parameters(sim, graph.launch_defaults())
    assert default == load_node_params("sim_world")


def test_config_declares_every_node_of_the_graph() -> None:
    import yaml
    doc = yaml.safe_load(default_config_path().read_text())
    for spec in graph.GRAPH:
        assert "ros__parameters" in doc[spec.name], spec.name
