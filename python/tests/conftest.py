import json

import pytest

import chainplan


@pytest.fixture()
def export_plan(tmp_path):
    """Writes a hand-off plan file, as `chainplan plan --export-plan FILE` would, with the
    in-process planner: export_plan(dims, algorithm) -> path."""

    def run(dims, algorithm="dp"):
        path = tmp_path / f"plan-{algorithm}.json"
        path.write_text(chainplan.plan(dims, algorithm=algorithm).to_handoff_json() + "\n")
        return path

    return run


@pytest.fixture()
def textbook_handoff():
    """The textbook chain's hand-off plan as a dict (fresh for each test)."""
    return json.loads(chainplan.plan([30, 35, 15, 5, 10, 20, 25]).to_handoff_json())
