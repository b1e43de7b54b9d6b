"""The hand-off plan format (``docs/plan-format.md``): reading and checking plans."""

from __future__ import annotations

import json
import os
from typing import Union

#: The ``format`` field of every plan.
FORMAT_NAME = "chainplan-plan"
#: The plan format version this package reads.
FORMAT_VERSION = 1


class PlanFormatError(ValueError):
    """A plan that is not in the hand-off format, or in a version this package cannot read."""


def _require(obj, key, kind, where):
    if not isinstance(obj, dict) or key not in obj:
        raise PlanFormatError(f"{where} has no {key!r} field")
    value = obj[key]
    # bool is an int in Python; a plan never means True by 1.
    if not isinstance(value, kind) or isinstance(value, bool):
        raise PlanFormatError(f"{where}: {key!r} is {value!r}, expected {kind.__name__}")
    return value


def validate_plan(plan: dict) -> dict:
    """Checks the envelope and the fields a driver needs; returns the plan unchanged.

    Consistency between steps (shapes, operands) is checked while executing, where the actual
    arrays are known."""
    if not isinstance(plan, dict):
        raise PlanFormatError(f"a plan is a JSON object, got {type(plan).__name__}")
    fmt = plan.get("format")
    if fmt != FORMAT_NAME:
        raise PlanFormatError(f"format is {fmt!r}, expected {FORMAT_NAME!r}")
    version = plan.get("version")
    if version != FORMAT_VERSION:
        raise PlanFormatError(
            f"plan format version {version!r} is not supported; "
            f"chainplan_dask reads version {FORMAT_VERSION}"
        )
    inputs = _require(plan, "inputs", list, "the plan")
    if not inputs:
        raise PlanFormatError("the plan has no inputs")
    for i, item in enumerate(inputs):
        where = f"inputs[{i}]"
        _require(item, "name", str, where)
        _require(item, "rows", int, where)
        _require(item, "cols", int, where)
    for i, step in enumerate(_require(plan, "steps", list, "the plan")):
        where = f"steps[{i}]"
        for key in ("out", "lhs", "rhs"):
            _require(step, key, str, where)
        for key in ("m", "k", "n"):
            _require(step, key, int, where)
        free_after = step.get("free_after", [])
        if not isinstance(free_after, list) or not all(isinstance(x, str) for x in free_after):
            raise PlanFormatError(f"{where}: 'free_after' must be a list of operand names")
    _require(plan, "result", str, "the plan")
    return plan


def load_plan(plan: Union[str, "os.PathLike[str]", dict]) -> dict:
    """A plan from a file written by ``chainplan plan --export-plan FILE``, or a dict already
    parsed; checked with the same rules either way."""
    if isinstance(plan, dict):
        return validate_plan(plan)
    if isinstance(plan, (str, os.PathLike)):
        with open(plan, encoding="utf-8") as f:
            try:
                parsed = json.load(f)
            except ValueError as e:
                raise PlanFormatError(f"{os.fspath(plan)} is not JSON: {e}") from e
        return validate_plan(parsed)
    raise TypeError(f"a plan is a path or a dict, got {type(plan).__name__}")
