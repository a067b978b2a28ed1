"""Where the test-only px4_msgs build (test/px4_msgs_pkg, `make px4-msgs`) lives, and how a test process uses it.

`make px4-msgs` builds the five PX4 message types into .build/px4_msgs/install (GEOTEXT_PX4_MSGS overrides the
folder). Tests that need them call `require_px4_msgs()`: it skips, with the build's own reason, only when the build
could not run (no cmake / g++ and no root+apt to install them); `make test` sets GEOTEXT_REQUIRE_PX4_MSGS=1 so that a
missing build fails there instead of skipping silently.
"""
from __future__ import annotations

import contextlib
import ctypes
import glob
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Iterator

ROOT = Path(__file__).resolve().parents[1]


def build_dir() -> Path:
    return Path(os.environ.get("GEOTEXT_PX4_MSGS") or ROOT / ".build" / "px4_msgs")


def _site_packages() -> Path | None:
    found = sorted(glob.glob(str(build_dir() / "install" / "lib" / "python3*" / "site-packages")))
    return Path(found[0]) if found and (Path(found[0]) / "px4_msgs" / "msg" / "__init__.py").is_file() else None


def missing_reason() -> str | None:
    """None when the types are built; else why not (the build's own reason when it could not run)."""
    if _site_packages() is not None:
        return None
    skipped = build_dir() / "SKIPPED"
    if skipped.is_file():
        return skipped.read_text().strip()
    return f"px4_msgs test types are not built in {build_dir()}: run `make px4-msgs`"


def require_px4_msgs() -> None:
    """Skip (or, under `make test`, fail) the calling test when the PX4 message types are not built."""
    import pytest

    reason = missing_reason()
    if reason is None:
        return
    if os.environ.get("GEOTEXT_REQUIRE_PX4_MSGS") == "1" and not (build_dir() / "SKIPPED").is_file():
        pytest.fail(reason)
    pytest.skip(reason)


def subprocess_env(**extra: str) -> dict[str, str]:
    """Environment for a child process that imports px4_msgs (and this tree's geotext_ros)."""
    site = _site_packages()
    env = dict(os.environ)
    paths = [str(site), str(ROOT)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    lib = str(build_dir() / "install" / "lib")
    env["LD_LIBRARY_PATH"] = os.pathsep.join([lib] + [p for p in env.get("LD_LIBRARY_PATH", "").split(os.pathsep) if p])
    env["ROS_PYTHON_CHECK_FIELDS"] = "1"   # without it generated setters accept wrong field types silently
    env.update(extra)
    return env


def import_px4_msgs() -> ModuleType:
    """px4_msgs.msg from the build, importable in this process.

    rmw loads a message's typesupport library by file name with dlopen, which searches LD_LIBRARY_PATH as it was
    when the process started; loading the build's libraries first (RTLD_GLOBAL) makes those look-ups find them.
    """
    site = _site_packages()
    if site is None:
        raise ImportError(missing_reason())
    os.environ.setdefault("ROS_PYTHON_CHECK_FIELDS", "1")   # read when the generated modules are imported
    if str(site) not in sys.path:
        sys.path.insert(0, str(site))
    for lib in sorted(glob.glob(str(build_dir() / "install" / "lib" / "*.so"))):
        ctypes.CDLL(lib, mode=ctypes.RTLD_GLOBAL)
    import px4_msgs.msg

    return px4_msgs.msg


@contextlib.contextmanager
def px4_msgs_imported() -> Iterator[ModuleType]:
    """import_px4_msgs() for a test module's duration; afterwards px4_msgs is unimportable again, so the tests of the
    bridge without px4_msgs (test_px4_bridge_node.py) see the machine as it is, whatever ran before them."""
    site = str(_site_packages())
    try:
        yield import_px4_msgs()
    finally:
        for name in [n for n in sys.modules if n == "px4_msgs" or n.startswith("px4_msgs.")]:
            del sys.modules[name]
        while site in sys.path:
            sys.path.remove(site)
