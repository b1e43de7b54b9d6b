"""The strict hand-off reader (issue 14, item 8): every tampering is a PlanFormatError,
checked by the library's reader, so chainplan.dask.execute_plan never runs a tampered plan."""

import copy
import json

import numpy as np
import pytest

import chainplan
from chainplan import PlanFormatError
from chainplan.dask import execute_plan


def four_square():
    """A chain of four square matrices (where swapped operands still have fitting shapes)."""
    return json.loads(chainplan.plan([3, 3, 3, 3, 3], algorithm="left-to-right").to_handoff_json())


def two_square():
    return json.loads(chainplan.plan([3, 3, 3]).to_handoff_json())


def tamper(make, edit):
    plan = make()
    edit(plan)
    return plan


def set_step(i, **fields):
    return lambda p: p["steps"][i].update(fields)


TAMPERED = {
    # The list.
    "a step A1·A1 that skips A2": (two_square, set_step(0, rhs="A1")),
    "result A2 with no steps": (two_square, lambda p: p.update(steps=[], result="A2")),
    "two inputs named A1": (four_square, lambda p: p["inputs"][1].update(name="A1")),
    "swapped lhs/rhs on square inputs": (four_square, set_step(0, lhs="A2", rhs="A1")),
    "no steps, result A1, four matrices": (four_square, lambda p: p.update(steps=[], result="A1")),
    "version 1.0": (four_square, lambda p: p.update(version=1.0)),
    "version true": (four_square, lambda p: p.update(version=True)),
    "version 2": (four_square, lambda p: p.update(version=2)),
    "version \"1\"": (four_square, lambda p: p.update(version="1")),
    "wrong cost": (four_square, lambda p: p.update(cost=p["cost"] + 1)),
    "wrong order": (four_square, lambda p: p.update(order="(A1(A2(A3A4)))")),
    # More of the same kind.
    "an operand used twice": (four_square, set_step(2, lhs="S1")),
    "an operand before it exists": (four_square, set_step(0, lhs="S2")),
    "result not the last step": (four_square, lambda p: p.update(result="S2")),
    "a step's m": (four_square, set_step(1, m=4)),
    "a step's k": (four_square, set_step(1, k=2)),
    "a step's cost": (four_square, set_step(1, cost=1)),
    "an input's shape": (four_square, lambda p: p["inputs"][2].update(rows=4)),
    "a missing input": (four_square, lambda p: p["inputs"].pop()),
    "free_after": (four_square, set_step(0, free_after=[])),
    "steps out of order": (four_square, lambda p: p["steps"].reverse()),
    "format": (four_square, lambda p: p.update(format="other")),
    "no format": (four_square, lambda p: p.pop("format")),
    "negative rows": (four_square, lambda p: p["inputs"][0].update(rows=-3)),
    "rows as float": (four_square, lambda p: p["inputs"][0].update(rows=3.0)),
    "operand name A01": (four_square, set_step(0, lhs="A01")),
}


@pytest.mark.parametrize("name", sorted(TAMPERED))
def test_every_tampering_is_refused(name):
    make, edit = TAMPERED[name]
    good = make()
    assert chainplan.load_plan(copy.deepcopy(good))  # the untampered plan reads
    bad = tamper(make, edit)
    with pytest.raises(PlanFormatError) as e:
        chainplan.load_plan(bad)
    assert "\n" not in str(e.value)
    with pytest.raises(PlanFormatError):
        chainplan.load_plan(json.dumps(bad))
    # And the executor never runs it.
    mats = [np.eye(3) * (i + 2) for i in range(len(good["inputs"]))]
    with pytest.raises(PlanFormatError):
        execute_plan(bad, mats)


@pytest.mark.parametrize("depth", [200, 100_000])
def test_deep_nesting_is_a_plan_format_error_not_recursion(depth, tmp_path):
    text = '{"format": "chainplan-plan", "version": 1, "x": ' + "[" * depth + "]" * depth + "}"
    path = tmp_path / "deep.json"
    path.write_text(text)
    for source in (text, path):
        with pytest.raises(PlanFormatError):
            chainplan.load_plan(source)
    nested = []
    for _ in range(depth):
        nested = [nested]
    with pytest.raises(PlanFormatError):
        chainplan.load_plan({"format": "chainplan-plan", "version": 1, "x": nested})


def test_non_json_values_are_refused():
    good = four_square()
    for value in (float("nan"), object()):
        with pytest.raises(PlanFormatError):
            chainplan.load_plan(dict(good, cost=value))


def test_a_utf8_bom_is_accepted(tmp_path):
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + chainplan.plan([3, 4, 5]).to_handoff_json().encode())
    assert chainplan.load_plan(path).order == "(A1A2)"
