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


# ---- session 2: the classes a 24-minute campaign still found (seed 2906736666) ----------------

def _same_exception_as_numpy(chain):
    """The types numpy.linalg.multi_dot and chainplan.multi_dot raise for ``chain``, and
    chainplan's message."""
    with pytest.raises(Exception) as numpy_error:
        np.linalg.multi_dot(chain)
    with pytest.raises(Exception) as ours:
        chainplan.multi_dot(chain)
    return type(numpy_error.value), type(ours.value), str(ours.value)


@pytest.mark.parametrize("chain", [
    [10**30, A, B],
    [10**30, "abc"],
    [np.ones((1, 3)).astype("timedelta64[s]"), 10**30],
])
def test_a_huge_python_int_raises_numpys_overflowerror(chain):
    # The drop-in's contract is numpy's behaviour: the same exception type for the same input
    # (the fuzzer's oracle runs numpy on each input that raises a type outside the documented
    # ones), with a bounded message.
    theirs, ours, message = _same_exception_as_numpy(chain)
    assert ours is theirs, (ours, theirs, message)
    assert "\n" not in message and len(message) < 200, message


@pytest.mark.parametrize("bad", [1e308, np.inf, -np.inf])
def test_float_beyond_timedelta_range_raises_what_numpy_raises(bad):
    # numpy's own dot of float64 with timedelta64 raises SystemError when a value does not fit
    # an int64 (an OverflowError set and then overwritten in numpy's C loop); numpy's
    # multi_dot raises it too, and the drop-in raises the same: no error of chainplan's own.
    a = np.ones((5, 2))
    a[0, 0] = bad
    t = np.ones((2, 3)).astype("timedelta64[s]")
    for chain in ([a, t], [t.T, a.T]):
        theirs, ours, message = _same_exception_as_numpy(chain)
        assert ours is theirs, (ours, theirs, message)
        assert "\n" not in message and len(message) < 200, message


def test_the_missing_operand_message_is_bounded():
    # eval_expr's "missing:" list named a 1,000-character operand whole (1,069 characters).
    name = "Z" * 1000
    for ops in ({"A": "4x1:fullrank", "X": (6, 2), name: "3x3"},
                {f"N{i}": "2x2" for i in range(400)}):
        with pytest.raises(TypeError) as e:
            chainplan.eval_expr("A' * A" if "A" in ops else "N0", ops)
        message = str(e.value)
        assert "\n" not in message and len(message) <= 400, message
        assert not echoes(message, name), message


def _public_callables():
    """Every public function and method of the package's public modules: the functions in
    each ``__all__``, and the methods (``__init__`` and ``__call__`` included, properties not:
    they read what was computed) of the classes there that the package defines."""
    import importlib
    import inspect

    modules = [chainplan, importlib.import_module("chainplan.dask")]
    # chainplan.jax and chainplan.torch are not decorated: their functions run under jax.jit
    # and torch.compile's tracer, and their messages name types and counts only.
    try:
        modules.append(importlib.import_module("chainplan.einsum"))
    except ImportError:  # opt_einsum not installed
        pass
    seen = {}
    for module in modules:
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isfunction(obj):
                seen[f"{module.__name__}.{name}"] = obj
            elif inspect.isclass(obj) and obj.__module__.startswith("chainplan") \
                    and not issubclass(obj, (tuple, BaseException)):
                for cls in obj.__mro__:
                    if not cls.__module__.startswith("chainplan"):
                        continue
                    for attr, value in vars(cls).items():
                        if attr.startswith("_") and attr not in ("__init__", "__call__"):
                            continue
                        if isinstance(value, (classmethod, staticmethod)):
                            value = value.__func__
                        if inspect.isfunction(value):
                            seen[f"{cls.__module__}.{cls.__qualname__}.{attr}"] = value
    return seen


def test_every_public_callable_bounds_its_messages():
    # One bounding helper (chainplan._text.one_line, the library's text::one_line and a
    # length cap) under every message the Python layer raises: each public entry point is
    # decorated with chainplan._text.bounded.
    found = _public_callables()
    assert "chainplan.eval_expr" in found and "chainplan._expr.ExprPlan.evaluate" in found
    missing = sorted(name for name, f in found.items()
                     if not getattr(f, "__chainplan_bounded__", False))
    assert not missing, missing


def test_the_bounding_helper():
    from chainplan import _text

    assert _text.one_line("a\nb") == "a b"
    long = ", ".join(f"name{i}" for i in range(500))
    cut = _text.one_line(f"missing: {long}")
    assert len(cut) <= _text.MAX_MESSAGE + 30 and cut.endswith(" characters)"), cut
    word = "y" * 1000
    assert not echoes(_text.one_line(f"operand {word} is not declared"), word)
    # Only the package's own exceptions are rewritten: another's message stays whole.
    e = ValueError("x" * 1000)
    try:
        raise e
    except ValueError:
        _text.rebound(e)
    assert str(e) == "x" * 1000


def test_the_fuzzers_calibrate_time_limit():
    # Session 2, item 5: two false hangs came from `calibrate --seconds-per-shape` values that
    # legitimately ask for minutes. The fuzzer (scripts/fuzz/fuzz.py) adds the time a case
    # asks for to its limit, and keeps generated cases under CALIBRATE_MAX_SECONDS; its grid
    # is the library's (CalibrateOptions::grid's documented examples).
    import random

    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "scripts", "fuzz"))
    try:
        import fuzz
    finally:
        sys.path.pop(0)
    assert sorted(fuzz.calibrate_grid(2000)) == [1, 2, 3, 4, 6, 8, 16, 31, 125, 500, 2000]
    assert sorted(fuzz.calibrate_grid(256)) == [1, 2, 3, 4, 6, 8, 16, 64, 256]
    assert sorted(fuzz.calibrate_grid(8)) == [1, 2, 3, 4, 6, 8]
    args = ["calibrate", "--max-dim", "8", "--rounds", "1", "--seconds-per-shape", "1",
            "--validation", "4", "--profile", "p.json"]
    assert fuzz.calibrate_seconds(args) == 2 * (6 ** 3 + 4)
    assert fuzz.calibrate_seconds(args + ["--quick"]) == 0.002 * 2 * (6 ** 3 + 4)
    assert fuzz.calibrate_seconds(args[:6] + ["61"] + args[7:]) == 0  # refused at once
    rng = random.Random(7)
    for _ in range(2000):
        assert fuzz.calibrate_seconds(fuzz.gen_calibrate(rng)) <= fuzz.CALIBRATE_MAX_SECONDS
