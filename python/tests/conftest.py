import subprocess

import pytest

import chainplan_dask


@pytest.fixture(scope="session")
def binary():
    """The chainplan binary under test (CHAINPLAN_BIN or PATH; `make python-test` sets it)."""
    try:
        return chainplan_dask.find_binary()
    except chainplan_dask.ChainplanNotFoundError as e:
        pytest.fail(f"these tests need the chainplan binary: {e}")


@pytest.fixture()
def export_plan(binary, tmp_path):
    """Writes a plan file with the real binary: export_plan(dims, algorithm) -> path."""

    def run(dims, algorithm="dp"):
        path = tmp_path / f"plan-{algorithm}.json"
        subprocess.run(
            [binary, "plan", "-a", algorithm, "--export-plan", str(path), *map(str, dims)],
            check=True,
            capture_output=True,
        )
        return path

    return run
