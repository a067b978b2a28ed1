"""`make demo INSTRUCTIONS="...;..."`: the operator's own sentences reach the demo intact (quotes included)."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from geotext_ros.demo import OperatorTask, main, operator_tasks

ROOT = Path(__file__).resolve().parents[1]


def test_sentences_are_split_on_semicolons() -> None:
    tasks = operator_tasks(" fly to the red  building ;; land next to the pool's edge;")
    assert [t.instruction for t in tasks] == ["fly to the red building", "land next to the pool's edge"]
    assert all(isinstance(t, OperatorTask) and t.target_xy is None for t in tasks)
    with pytest.raises(ValueError, match="no sentence"):
        operator_tasks(" ; ")


def test_an_empty_say_exits_with_a_reason(capsys, tmp_path) -> None:
    assert main(["--say", ";", "--out", str(tmp_path)]) == 2
    assert "separate instructions with ';'" in capsys.readouterr().err


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
@pytest.mark.parametrize("text", ["fly to the pool's edge;land next to the \"blue\" car", ""])
def test_make_demo_passes_instructions(tmp_path, text) -> None:
    fake_python = tmp_path / "py"   # stands in for the venv's python: prints the arguments make gives it
    fake_python.write_text(f"#!{sys.executable}\nimport json, sys\nprint(json.dumps(sys.argv[1:]))\n")
    fake_python.chmod(0o755)
    out = subprocess.run(["make", "-s", "-C", str(ROOT), "demo", f"INSTRUCTIONS={text}", "STAMP=",
                          f"PY={fake_python}"], capture_output=True, text=True, timeout=30, check=True).stdout
    argv = json.loads(out.strip().splitlines()[-1])
    assert argv == (["-m", "geotext_ros.demo", "--say", text] if text else ["-m", "geotext_ros.demo"])
