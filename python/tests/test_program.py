"""Programs through chainplan.plan_expr / eval_expr (issue 22, deliverable 5): the 25 Linnea
applications at test sizes agree with their naive numpy versions (an independent oracle:
explicit inverses, products left to right) to 1e-8 relative under every model; plans carry
their exact cost, outputs, steps and JSON; hostile programs raise ValueError with one bounded
line; plain expressions keep their ExprPlan."""

import json
import pickle
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

import chainplan
from chainplan import ExprPlan, ProgramPlan, ProgramStep, eval_expr, plan_expr
from chainplan._text import MAX_MESSAGE

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "python" / "benchmarks"))

from linnea_apps import APPS, make_all  # noqa: E402

TOL = 1e-8
IDS = [app.key for app in APPS]


def rel_err(out, ref):
    return float(np.linalg.norm(np.reshape(out, np.shape(ref)) - ref)
                 / max(np.linalg.norm(ref), 1e-300))


def app_inputs(app, seed):
    values = make_all(app, app.test_sizes, seed=seed)
    scalars = {s.name: values.pop(s.name) for s in app.scalars}
    return values, scalars


@pytest.mark.parametrize("model", ["planned", "expert", "naive"])
@pytest.mark.parametrize("app", APPS, ids=IDS)
def test_applications_match_naive_numpy(app, model):
    values, scalars = app_inputs(app, seed=3)
    ref = app.naive(**values, **scalars)
    ops = dict(zip([op.name for op in app.operands], app.declarations(app.test_sizes)))
    ops = {name: decl.split("=", 1)[1] for name, decl in ops.items()}
    # Signs declared at planning, values given at run time.
    plan = plan_expr(app.program, ops, model=model,
                     scalars={s.name: s.sign for s in app.scalars})
    assert isinstance(plan, ProgramPlan)
    assert plan.model == model and plan.outputs == tuple(app.outputs)
    out = plan.evaluate(values, scalars)
    assert list(out) == app.outputs
    for name, r in ref.items():
        assert np.shape(out[name]) == np.shape(r), name  # 1-D where numpy's is 1-D
        assert rel_err(out[name], r) < TOL, (name, rel_err(out[name], r))


@pytest.mark.parametrize("app", APPS, ids=IDS)
def test_eval_expr_with_arrays_and_scalar_values(app):
    values, scalars = app_inputs(app, seed=4)
    ref = app.naive(**values, **scalars)
    props = {op.name: decl.split("=", 1)[1].partition(":")[2]
             for op, decl in zip(app.operands, app.declarations(app.test_sizes))}
    ops = {n: (values[n], props[n]) if props[n] else values[n] for n in values}
    out = eval_expr(app.program, ops, scalars=scalars)
    assert set(out) == set(ref)
    for name, r in ref.items():
        assert rel_err(out[name], r) < TOL, name


def kalman():
    ops = {"P": "6x6:spd", "H": "4x6:fullrank", "R": "4x4:spd", "xb": "6", "z": "4"}
    text = "K = P * H' * inv(H * P * H' + R)\nxa = xb + K * (z - H * xb)\nPa = (I - K * H) * P"
    return text, ops


def test_plan_attributes_are_the_library_report():
    text, ops = kalman()
    planned, naive = plan_expr(text, ops), plan_expr(text, ops, model="naive")
    assert planned.outputs == ("K", "xa", "Pa")
    assert planned.program == text
    assert isinstance(planned.cost, (int, Fraction)) and planned.cost == Fraction(planned.thirds, 3)
    assert planned.cost == sum(s.flops for s in planned.steps)
    assert planned.cost < naive.cost
    assert not planned.has_explicit_inverse and naive.has_explicit_inverse
    assert all(isinstance(s, ProgramStep) and s.text for s in planned.steps)
    for out in planned.outputs:
        idx = planned.steps_for(out)
        assert idx and all(0 <= i < len(planned.steps) for i in idx)
    d = planned.to_dict()
    assert d == json.loads(planned.to_json())
    assert d["thirds"] == planned.thirds and [o["name"] for o in d["outputs"]] == ["K", "xa", "Pa"]
    assert planned.operands["H"] == (4, 6) and planned.scalars == ()
    assert "K" in str(planned) and "ProgramPlan" in repr(planned)
    with pytest.raises(ValueError):
        planned.steps_for("nope")


def test_program_with_numeric_and_named_scalars_and_identity():
    rng = np.random.default_rng(0)
    A, B = rng.standard_normal((5, 5)), rng.standard_normal((5, 5))
    out = eval_expr("C = 2 * A - lam * B + I; D = C' * A", {"A": A, "B": B},
                    scalars={"lam": 0.25})
    C = 2 * A - 0.25 * B + np.eye(5)
    assert rel_err(out["C"], C) < TOL and rel_err(out["D"], C.T @ A) < TOL
    plan = plan_expr("C = lam * A", {"A": A}, scalars=["lam:negative"])
    assert plan.scalars == ("lam",)
    assert rel_err(plan.evaluate(scalars={"lam": -3.0})["C"], -3 * A) < TOL


def test_pickle_plans_again():
    text, ops = kalman()
    plan = plan_expr(text, ops, scalars=None)
    again = pickle.loads(pickle.dumps(plan))
    assert again.to_json() == plan.to_json()


def test_plain_expressions_keep_their_plan():
    plan = plan_expr("inv(X' * X) * X' * y", {"X": "50x30:fullrank", "y": "50"})
    assert isinstance(plan, ExprPlan)
    with pytest.raises(ValueError, match="scalars are for programs"):
        plan_expr("X' * y", {"X": "5x3", "y": "5"}, scalars={"lam": 1.0})


def one_bounded_line(e):
    msg = str(e.value)
    assert "\n" not in msg and 0 < len(msg) <= MAX_MESSAGE + 30, msg
    return msg


HOSTILE = [
    ("unbalanced", "x = inv(A * (B + A)", {}),
    ("unknown name", "x = A * Q", {}),
    ("I of unknown size", "x = I", {}),
    ("sum of incompatible shapes", "x = A + v", {}),
    ("assigned twice", "x = A; x = B", {}),
    ("assign an operand", "A = B", {}),
    ("inverse of non-square", "x = inv(v)", {}),
    ("bad scalar sign", "x = s * A", {"s": "sideways"}),
    ("scalar not finite", "x = s * A", ["s=nan"]),
    ("long name", "x = " + "Z" * 5000, {}),
    ("empty", ";", {}),
]


@pytest.mark.parametrize("text,scalars", [(t, s) for _, t, s in HOSTILE],
                         ids=[h[0] for h in HOSTILE])
def test_hostile_programs_raise_one_bounded_line(text, scalars):
    ops = {"A": "4x4", "B": "4x4:nonsingular", "v": "4"}
    with pytest.raises(ValueError) as e:
        plan_expr(text, ops, scalars=scalars)
    one_bounded_line(e)


def test_scalar_missing_at_run_time():
    plan = plan_expr("x = s * A", {"A": "3x3"}, scalars={"s": "positive"})
    with pytest.raises(ValueError) as e:
        plan.evaluate({"A": np.eye(3)})
    assert "s" in one_bounded_line(e)
    with pytest.raises(ValueError) as e:
        plan.evaluate({"A": np.eye(3)}, {"s": -1.0})  # against its declared sign
    one_bounded_line(e)


def test_hostile_run_time_inputs():
    plan = plan_expr("x = A * v", {"A": "3x3", "v": "3"})
    with pytest.raises(ValueError) as e:
        plan.evaluate({"A": np.eye(3)})  # v not bound
    one_bounded_line(e)
    with pytest.raises(ValueError) as e:
        plan.evaluate({"A": np.eye(4), "v": np.ones(3)})  # wrong shape
    one_bounded_line(e)
    with pytest.raises(ValueError):
        plan.evaluate({"A": np.eye(3), "v": np.ones(3), "w": np.ones(3)})  # not an operand
    with pytest.raises(TypeError):
        plan.evaluate({"A": np.eye(3), "v": np.array(["a", "b", "c"])})
    with pytest.raises(TypeError):
        plan.evaluate({"A": np.eye(3), "v": np.ones(3)}, {"s": "1"})
    with pytest.raises(TypeError):
        plan_expr("x = A", {"A": "3x3"}, scalars={"s": [1.0]})
    with pytest.raises(TypeError):
        plan_expr("x = A", {"A": "3x3"}, scalars=3)


def test_a_scalar_name_cannot_smuggle_a_declaration():
    with pytest.raises(ValueError):
        plan_expr("x = s * A", {"A": "3x3"}, scalars={"s=2": None})


def test_exports():
    assert chainplan.ProgramPlan is ProgramPlan and "ProgramPlan" in chainplan.__all__


def test_the_runner_times_the_chainplan_column(capsys, tmp_path):
    from linnea_apps import run

    out = tmp_path / "run.json"
    run.main(["--size", "test", "--rounds", "1", "--threads", "1", "--apps", "kalman,10",
              "--columns", "naive,recommended,chainplan", "--baseline", "chainplan",
              "--json", str(out)])
    text = capsys.readouterr().out
    assert "recommended / chainplan" in text
    assert "geometric mean of recommended / chainplan, 1 thread(s), 2 applications" in text
    rows = json.loads(out.read_text())["results"]
    assert all(r["max_rel_err"] < TOL and set(r["seconds"]) == {"naive", "recommended", "chainplan"}
               for r in rows)
