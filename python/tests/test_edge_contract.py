"""The edge contract under fuzzing (issue 25, items 7-11): the exception types numpy raises,
messages of one bounded line, load_plan's single exception type, and opt_einsum's
``optimize="chainplan"`` in a fresh interpreter. One test per class the fuzzer
(scripts/fuzz/pycases.py) found."""

import os
import subprocess
import sys

import numpy as np
import pytest

import chainplan

CUT = 40
#: A cut excerpt shows CUT characters of the input; the message's own characters around it
#: (a space, a quote) may happen to continue the input, so a window of SPAN is an echo.
SPAN = CUT + 3


def echoes(message, text):
    """Whether ``message`` shows more than CUT characters in a row of ``text`` (a window of
    SPAN characters)."""
    return any(text[i:i + SPAN] in message for i in range(len(text) - SPAN + 1))


A = np.ones((2, 3))
B = np.ones((3, 4))


@pytest.mark.parametrize("chain", [
    [np.float64(1.5), A, B],
    "abc",
    [None, A, B],
    [A, B, np.float64(2.0)],
    [np.ones(()), A, B],
])
def test_scalars_and_strings_raise_numpys_linalgerror(chain):
    # Item 7: numpy's multi_dot raises LinAlgError; the oracle is numpy itself.
    with pytest.raises(np.linalg.LinAlgError) as numpy_error:
        np.linalg.multi_dot(chain)
    with pytest.raises(np.linalg.LinAlgError) as ours:
        chainplan.multi_dot(chain)
    assert str(ours.value) == str(numpy_error.value)


def test_datetime_operands_raise_a_short_typeerror():
    # Item 11: numpy raises a TypeError of one short line; ours is a TypeError too, bounded.
    d = np.ones((2, 2)).astype("datetime64[s]")
    for chain in ([d, np.ones((2, 2)), np.ones((2, 2))], [np.ones((2, 2)), np.ones((2, 2)), d]):
        with pytest.raises(TypeError):
            np.linalg.multi_dot(chain)
        with pytest.raises(TypeError) as ours:
            chainplan.multi_dot(chain)
        assert len(str(ours.value)) <= 120, str(ours.value)
        assert "\n" not in str(ours.value)


@pytest.mark.parametrize("path", [".", "", "/nonexistent/plan.json", "x" * 300,
                                  "d/" * 200 + "p.json", "/", "bad\x00name"])
def test_load_plan_raises_planformaterror_for_any_path(path, tmp_path):
    # Item 8: the docstring promises PlanFormatError for any failure.
    with pytest.raises(chainplan.PlanFormatError) as e:
        chainplan.load_plan(path)
    message = str(e.value)
    assert "\n" not in message and len(message) < 200, message
    assert not echoes(message, path), message


def test_load_plan_of_a_directory_and_an_unreadable_file(tmp_path):
    with pytest.raises(chainplan.PlanFormatError, match="cannot read"):
        chainplan.load_plan(tmp_path)
    with pytest.raises(chainplan.PlanFormatError, match="cannot read"):
        chainplan.load_plan(os.fspath(tmp_path))


@pytest.mark.parametrize("expr, ops", [
    ("x" * 1000, {"A": "3x3"}),
    ("A", {"y" * 1000: "3x3"}),
    ("A * " + "B" * 1000, {"A": "3x3"}),
])
def test_expression_messages_are_bounded(expr, ops):
    # Item 9: the 1,048-character messages.
    with pytest.raises(ValueError) as e:
        chainplan.plan_expr(expr, ops)
    message = str(e.value)
    assert len(message) < 300, message
    for text in [expr, *ops]:
        assert not echoes(message, text), message


def test_chainplan_is_an_opt_einsum_optimizer_once_imported():
    # Item 10: in a fresh interpreter, the documented name works without touching
    # chainplan.einsum_path first. Its path is the one einsum_path gives.
    pytest.importorskip("opt_einsum")
    code = (
        "import numpy as np, opt_einsum, chainplan\n"
        "ops = [np.ones((10, 100)), np.ones((100, 5)), np.ones((5, 50))]\n"
        "path, _ = opt_einsum.contract_path('ab,bc,cd->ad', *ops, optimize='chainplan')\n"
        "print(path)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    import opt_einsum
    ops = [np.ones((10, 100)), np.ones((100, 5)), np.ones((5, 50))]
    expected, _ = opt_einsum.contract_path("ab,bc,cd->ad", *ops,
                                           optimize=chainplan.einsum_path)
    assert out.stdout.strip() == str(expected)
