"""The 25 Linnea applications (python/benchmarks/linnea_apps, issue 22): at reduced sizes, each
generator gives operands with the declared shapes and properties, the naive numpy version, the
recommended numpy/scipy version and the program text (read and run by the reference evaluator)
agree to 1e-8 relative, and the exported data and docs are current."""

import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "python" / "benchmarks"))

from linnea_apps import APPS, ProgramError, evaluate, make_all, violations  # noqa: E402
from linnea_apps import export  # noqa: E402
from linnea_apps.operands import PROPERTY_WORDS, Operand, make  # noqa: E402

TOL = 1e-8
IDS = [app.key for app in APPS]


def rel_errors(out, ref):
    return {k: float(np.linalg.norm(np.reshape(out[k], np.shape(r)) - r) / np.linalg.norm(r))
            for k, r in ref.items()}


def operands_and_scalars(app, seed=0):
    values = make_all(app, app.test_sizes, seed=seed)
    scalars = {s.name: values.pop(s.name) for s in app.scalars}
    return values, scalars


def test_twenty_five_numbered_applications():
    assert [a.number for a in APPS] == list(range(1, 26))
    assert len({a.key for a in APPS}) == 25


@pytest.mark.parametrize("app", APPS, ids=IDS)
def test_generator_has_declared_shapes_and_properties(app):
    values, _ = operands_and_scalars(app)
    for op in app.operands:
        assert violations(op, values[op.name], app.test_sizes) == []


@pytest.mark.parametrize("app", APPS, ids=IDS)
def test_naive_matches_recommended(app):
    values, scalars = operands_and_scalars(app)
    ref = app.recommended(**values, **scalars)
    assert list(ref) == app.outputs
    errs = rel_errors(app.naive(**values, **scalars), ref)
    assert max(errs.values()) < TOL, errs


@pytest.mark.parametrize("app", APPS, ids=IDS)
def test_program_text_matches_recommended(app):
    values, scalars = operands_and_scalars(app, seed=1)
    ref = app.recommended(**values, **scalars)
    errs = rel_errors(evaluate(app.program, values, scalars), ref)
    assert max(errs.values()) < TOL, errs


@pytest.mark.parametrize("app", APPS, ids=IDS)
def test_declarations_are_chainplan_op_syntax(app):
    spec = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(\d+)(?:x(\d+))?(?::([a-z]+(?:,[a-z]+)*))?$")
    for sizes in (app.sizes, app.test_sizes):
        for text, op in zip(app.declarations(sizes), app.operands):
            m = spec.match(text)
            assert m, text
            assert m.group(1) not in ("I", "inv")
            assert set((m.group(4) or "").split(",")) - {""} <= PROPERTY_WORDS
            assert tuple(int(d) for d in m.group(2, 3) if d) == op.shape(sizes)
    for s in app.scalars:
        assert s.sign in ("positive", "negative", "nonzero")
        assert s.value > 0 if s.sign == "positive" else True


@pytest.mark.parametrize("app", APPS, ids=IDS)
def test_reduced_sizes_are_distinct_so_shape_checks_are_strict(app):
    sizes = list(app.test_sizes.values())
    assert len(set(sizes)) == len(sizes)
    assert app.test_sizes.keys() == app.sizes.keys()


def test_generator_is_seeded():
    app = APPS[24]
    a, b = make_all(app, app.test_sizes, seed=3), make_all(app, app.test_sizes, seed=3)
    assert all(np.array_equal(a[k], b[k]) for k in a)


def test_generator_property_kinds_are_checked_and_hold():
    rng = np.random.default_rng(5)
    for props in [("spd",), ("symmetric",), ("lower",), ("upper",), ("diagonal",),
                  ("diagonal", "spd"), ("orthogonal",), ("nonsingular",)]:
        op = Operand("Z", "n", "n", props)
        assert violations(op, make(rng, op, {"n": 17}), {"n": 17}) == []
    # the checks can fail: a general matrix is not SPD, triangular, symmetric or diagonal
    general = rng.standard_normal((6, 6))
    for props in [("spd",), ("lower",), ("upper",), ("symmetric",), ("diagonal",)]:
        assert violations(Operand("Z", "n", "n", props), general, {"n": 6})
    assert violations(Operand("Z", "n", "m", ("fullrank",)), np.ones((6, 4)), {"n": 6, "m": 4})


@pytest.mark.parametrize("text, operands, scalars, reason", [
    ("x = inv(A * B", {"A": (3, 3), "B": (3, 3)}, {}, "expected ')'"),
    ("x = A * C", {"A": (3, 3)}, {}, "unknown name 'C'"),
    ("x = I", {}, {}, "size of I"),
    ("x = A + B", {"A": (3, 3), "B": (3, 2)}, {}, "sum of 3x3 and 3x2"),
    ("x = lam * A", {"A": (3, 3)}, {}, "unknown name 'lam'"),
    ("x = inv(B)", {"B": (3, 2)}, {}, "inv of a 3x2"),
    ("x = A * B", {"A": (3, 3), "B": (2, 3)}, {}, "product of 3x3 and 2x3"),
    ("x = A + I", {"A": (3, 2)}, {}, "I added to a 3x2"),
    ("x = A\nx = A", {"A": (3, 3)}, {}, "already"),
    ("x = A +", {"A": (3, 3)}, {}, "expected an operand"),
    ("x = A $ A", {"A": (3, 3)}, {}, "unexpected character"),
    ("x = 2 + A", {"A": (3, 3)}, {"s": 1.0}, "scalar cannot be added"),
])
def test_reference_reader_rejects_bad_programs(text, operands, scalars, reason):
    ops = {k: np.ones(s) for k, s in operands.items()}
    with pytest.raises(ProgramError, match=re.escape(reason)):
        evaluate(text, ops, scalars)


def test_reference_reader_infers_i_and_chains_outputs():
    a = np.arange(9.0).reshape(3, 3) + 3 * np.eye(3)
    out = evaluate("K = 2 * I - a; L = K' * inv(K) ^T; M = -(I)*a", {"a": a})
    k = 2 * np.eye(3) - a
    assert np.allclose(out["K"], k)
    assert np.allclose(out["L"], k.T @ np.linalg.inv(k).T)
    assert np.allclose(out["M"], -a)


def test_programs_json_is_current():
    path = REPO / "python" / "benchmarks" / "linnea_apps" / "programs.json"
    assert path.read_text(encoding="utf-8") == export.to_json(), (
        "regenerate: python python/benchmarks/linnea_apps/export.py --json " + str(path))


def test_docs_show_the_current_table_and_programs():
    doc = (REPO / "docs" / "linnea-applications.md").read_text(encoding="utf-8")
    assert export.table() in doc
    assert export.programs() in doc


def test_runner_checks_and_tables_a_smoke_run(capsys, tmp_path):
    from linnea_apps import run

    out = tmp_path / "run.json"
    run.main(["--size", "test", "--rounds", "1", "--threads", "1", "--apps", "kalman,2",
              "--json", str(out)])
    text = capsys.readouterr().out
    assert "| 25 | Kalman filter |" in text and "| 2 | Generalized least squares |" in text
    assert "geometric mean of naive / recommended, 1 thread(s), 2 applications" in text
    rows = json.loads(out.read_text())["results"]
    assert [r["key"] for r in rows] == ["kalman", "gls"]
    assert all(r["max_rel_err"] < TOL and {"naive", "recommended"} <= set(r["seconds"])
               for r in rows)
