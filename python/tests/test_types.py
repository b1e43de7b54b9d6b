"""The package is typed: mypy --strict passes on the README's Python examples, and the stubs
(``*.pyi``) agree with the modules at run time (mypy's stubtest)."""

import pathlib
import re
import subprocess
import sys

import pytest

import chainplan

REPO = pathlib.Path(__file__).resolve().parents[2]
PACKAGE = pathlib.Path(chainplan.__file__).resolve().parent


def examples():
    """Every ```python block of README.md and python/README.md, with where it came from."""
    found = []
    for doc in (REPO / "README.md", REPO / "python" / "README.md"):
        for i, block in enumerate(re.findall(r"```python\n(.*?)```", doc.read_text(), re.S)):
            found.append((f"{doc.parent.name}-{doc.stem}-{i}", block))
    return found


@pytest.fixture(scope="module")
def mypy(tmp_path_factory):
    """Runs mypy --strict on one file; the runs share one cache (numpy's types load once)."""
    pytest.importorskip("mypy")
    cache = tmp_path_factory.mktemp("mypy-cache")

    def run(path):
        return subprocess.run(
            [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(cache), str(path)],
            capture_output=True, text=True,
        )

    return run


def test_the_package_says_it_is_typed():
    assert (PACKAGE / "py.typed").is_file()
    for module in ("__init__", "_native", "_plan", "_multi_dot", "_jacobian", "_expr", "dask",
                   "einsum"):
        assert (PACKAGE / f"{module}.pyi").is_file(), module


@pytest.mark.parametrize("name, code", examples(), ids=[n for n, _ in examples()])
def test_mypy_strict_passes_on_the_readme_examples(name, code, tmp_path, mypy):
    for framework in ("jax", "torch"):  # optional: their examples need them installed
        if re.search(rf"^\s*(import|from) {framework}\b", code, re.M):
            pytest.importorskip(framework)
    path = tmp_path / f"{name.replace('-', '_')}.py"
    path.write_text(code)
    done = mypy(path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_sees_chainplan_types_not_any(tmp_path, mypy):
    path = tmp_path / "reveal.py"
    path.write_text(
        "import chainplan\n"
        "reveal_type(chainplan.plan([3, 4, 5]).cost)\n"
        "reveal_type(chainplan.jacobian([3, 4]))\n"
        "reveal_type(chainplan.dask.multi_dot)\n"
        "chainplan.plan('345')\n"
    )
    done = mypy(path)
    out = done.stdout
    # mypy names builtins with or without their module, depending on its version.
    assert re.search(r'reveal.py:2: note: Revealed type is "(builtins\.)?int"', out), out
    assert 'Revealed type is "chainplan._jacobian.JacobianReport"' in out, out
    assert re.search(r"reveal.py:4: note: Revealed type is \"def \(arrays: (typing\.)?Sequence", out), out
    # A str is a Sequence[str], not Sequence[int]: the stubs reject it.
    assert 'Argument 1 to "plan" has incompatible type "str"' in out, out
    assert "import-untyped" not in out, out


def test_stubs_agree_with_the_modules():
    pytest.importorskip("mypy")
    pytest.importorskip("dask.array")
    pytest.importorskip("opt_einsum")
    # stubtest type-checks chainplan.jax and chainplan.torch, which import the frameworks.
    pytest.importorskip("jax")
    pytest.importorskip("torch")
    done = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "chainplan", "--ignore-missing-stub",
         "--allowlist", str(REPO / "python" / "tests" / "stubtest-allowlist.txt")],
        capture_output=True, text=True, cwd=REPO,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
