"""Plans, expression plans and Jacobian reports pickle to equal objects (Dask and
multiprocessing ship them between processes), and share one JSON method name."""

import json
import pickle
import subprocess
import sys

import numpy as np
import pytest

import chainplan
from oracle import all_orders


@pytest.mark.parametrize("algorithm", ["dp", "hu-shing", "left-to-right", "approx"])
@pytest.mark.parametrize("dims", [[3, 4], [3, 4, 5], [30, 35, 15, 5, 10, 20, 25]])
def test_plans_round_trip(dims, algorithm):
    p = chainplan.plan(dims, algorithm=algorithm)
    for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
        q = pickle.loads(pickle.dumps(p, protocol=protocol))
        assert q == p and hash(q) == hash(p)
        assert (q.order, q.cost, q.steps, q.dims, q.algorithm) == (
            p.order, p.cost, p.steps, p.dims, p.algorithm
        )
        assert q.to_json() == p.to_json()


def test_an_unpickled_plan_is_still_the_optimum():
    dims = [10, 30, 5, 60, 8]
    q = pickle.loads(pickle.dumps(chainplan.plan(dims)))
    assert q.cost == min(c for c, _ in all_orders(dims).values())


def test_expr_plans_round_trip_with_their_arrays():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((40, 6))
    y = rng.standard_normal(40)
    for model in chainplan.MODELS:
        p = chainplan.plan_expr("inv(X' * X) * X' * y", {"X": (X, "fullrank"), "y": y},
                                model=model)
        q = pickle.loads(pickle.dumps(p))
        assert q == p and hash(q) == hash(p)
        assert (q.steps, q.flops, q.model, q.operands) == (p.steps, p.flops, p.model, p.operands)
        # The arrays travel with it: evaluate needs none, and gives the least-squares answer.
        expected = np.linalg.lstsq(X, y, rcond=None)[0]
        assert np.allclose(q.evaluate(), expected, rtol=1e-10, atol=1e-12)


def test_expr_plans_of_declared_shapes_round_trip():
    p = chainplan.plan_expr("inv(M) * B * C'", {"M": ((50, 50), "spd"), "B": (50, 7), "C": "9x7"})
    assert pickle.loads(pickle.dumps(p)) == p
    other = chainplan.plan_expr("inv(M) * B * C'",
                                {"M": ((50, 50), "nonsingular"), "B": (50, 7), "C": "9x7"})
    assert other != p


def test_jacobian_reports_round_trip():
    for kwargs in (
        dict(widths=[784, 512, 512, 10]),
        dict(widths=[8, 4, 4, 2], seed="input", seed_size=3),
        dict(widths=[8, 4, 4, 2], tangent_costs=[32, 16, 8], adjoint_costs=[96, 48, 24]),
    ):
        r = chainplan.jacobian(**kwargs)
        q = pickle.loads(pickle.dumps(r))
        assert q == r and q.to_json() == r.to_json()
        assert (q.mode, q.optimal, q.matrix_free) == (r.mode, r.optimal, r.matrix_free)


def test_plans_cross_a_process_boundary(tmp_path):
    # What multiprocessing does: pickle here, unpickle in another interpreter.
    p = chainplan.plan([30, 35, 15, 5, 10, 20, 25], algorithm="dp")
    path = tmp_path / "plan.pickle"
    path.write_bytes(pickle.dumps(p))
    code = (
        "import pickle, sys; p = pickle.load(open(sys.argv[1], 'rb')); "
        "print(p.order, p.cost, p.algorithm)"
    )
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                         text=True, check=True).stdout.split()
    assert out == [p.order, str(p.cost), "dp"]


def test_one_json_method_name():
    p = chainplan.plan([3, 4, 5])
    e = chainplan.plan_expr("X' * y", {"X": (20, 3), "y": (20,)})
    j = chainplan.jacobian([8, 4, 2])
    for obj in (p, e, j):
        assert json.loads(obj.to_json()) == obj.to_dict()
    assert p.to_dict() == p.to_handoff() and p.to_json() == p.to_handoff_json()
    assert p.to_dict()["format"] == chainplan.FORMAT_NAME


def test_jacobian_is_an_object_with_attributes():
    r = chainplan.jacobian([784, 512, 512, 10], seed="output")
    d = r.to_dict()
    assert isinstance(r, chainplan.JacobianReport) and not isinstance(r, dict)
    assert (r.forward, r.reverse, r.optimal, r.mode) == (
        d["forward"], d["reverse"], d["optimal"], d["mode"]
    )
    assert (r.seed, r.seed_size, r.factors) == ("output", 1, tuple(d["factors"]))
    assert "reverse mode" in repr(r)


def test_repr_counts_one_matrix():
    assert "1 matrix," in repr(chainplan.plan([3, 4]))
    assert "2 matrices," in repr(chainplan.plan([3, 4, 5]))


def test_dask_is_an_attribute():
    pytest.importorskip("dask.array")
    code = "import chainplan; print(chainplan.dask.multi_dot.__module__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "chainplan.dask"


@pytest.mark.parametrize("algorithm", ["dp", "hu-shing", "approx", "right-to-left"])
@pytest.mark.parametrize("n", [1, 2, 3, 40, 300])
def test_the_handoff_dict_is_the_json_parsed(algorithm, n):
    # Built in Rust without the text: it must be exactly json.loads of the library's JSON,
    # key order included (json.dump of it then writes the same document).
    rng = np.random.default_rng(n)
    dims = [int(d) for d in rng.integers(1, 10**6, size=n + 1)]
    p = chainplan.plan(dims, algorithm=algorithm)
    built, parsed = p.to_dict(), json.loads(p.to_json())
    assert built == parsed
    assert json.dumps(built) == json.dumps(parsed)
    assert chainplan.load_plan(built) == p


def test_the_handoff_dict_shares_no_state_between_calls():
    p = chainplan.plan([30, 35, 15, 5, 10, 20, 25])
    d = p.to_dict()
    d["steps"][0]["free_after"].append("A9")
    d["inputs"][0]["rows"] = 1
    assert p.to_dict() == json.loads(p.to_json())
