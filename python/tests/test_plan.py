"""chainplan.plan and the Plan object, against a brute-force oracle."""

import json

import numpy as np
import pytest

import chainplan
from oracle import all_orders

TEXTBOOK = [30, 35, 15, 5, 10, 20, 25]


@pytest.mark.parametrize("seed", range(60))
def test_cost_is_the_brute_force_minimum(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 8))
    dims = [int(d) for d in rng.integers(1, 60, size=n + 1)]
    orders = all_orders(dims)
    best = min(c for c, _ in orders.values())
    for algorithm in ("auto", "dp", "hu-shing"):
        p = chainplan.plan(dims, algorithm=algorithm)
        assert p.cost == best
        assert orders[p.order][0] == best if n > 1 else p.order == "A1"
        assert sum(s.cost for s in p.steps) == p.cost
        assert p.flops == 2 * p.cost
        assert p.dims == tuple(dims)
        assert p.matrices == n


@pytest.mark.parametrize("seed", range(30))
def test_comparisons_are_the_left_and_right_orders(seed):
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(2, 8))
    dims = [int(d) for d in rng.integers(1, 60, size=n + 1)]
    orders = all_orders(dims)
    p = chainplan.plan(dims)
    ltr = "(" * (n - 1) + "A1" + "".join(f"A{i})" for i in range(2, n + 1))
    rtl = "".join(f"(A{i}" for i in range(1, n)) + f"A{n}" + ")" * (n - 1)
    assert p.left_to_right.order == ltr and p.left_to_right.cost == orders[ltr][0]
    assert p.right_to_left.order == rtl and p.right_to_left.cost == orders[rtl][0]
    assert p.left_to_right.ratio == pytest.approx(orders[ltr][0] / p.cost)
    assert set(p.comparisons) == {"left-to-right", "right-to-left"}


@pytest.mark.parametrize("seed", range(30))
def test_max_intermediate_and_minimize_memory(seed):
    rng = np.random.default_rng(200 + seed)
    n = int(rng.integers(3, 7))
    dims = [int(d) for d in rng.integers(1, 40, size=n + 1)]
    orders = all_orders(dims)
    sizes = sorted({m for _, m in orders.values()})
    cap = sizes[len(sizes) // 2]
    capped = chainplan.plan(dims, max_intermediate=cap)
    assert capped.cost == min(c for c, m in orders.values() if m <= cap)
    assert capped.largest_intermediate <= cap
    lean = chainplan.plan(dims, minimize="memory")
    least = min(m for _, m in orders.values())
    assert lean.largest_intermediate == least
    assert lean.cost == min(c for c, m in orders.values() if m == least)
    if sizes[0] > 0:
        with pytest.raises(ValueError, match="smallest cap that some order meets"):
            chainplan.plan(dims, max_intermediate=sizes[0] - 1)


def test_cost_is_an_exact_python_int_beyond_64_bits():
    dims = [4294967295] * 6
    p = chainplan.plan(dims)
    assert isinstance(p.cost, int)
    assert p.cost == 4 * 4294967295**3
    assert p.cost > 2**64


def test_textbook_repr_reads_well():
    text = repr(chainplan.plan(TEXTBOOK))
    assert text.splitlines() == [
        "<chainplan.Plan: 6 matrices, dp",
        "  order  ((A1(A2A3))((A4A5)A6))",
        "  cost   15,125 scalar multiplications",
        "  left-to-right 40,500 (2.68x), right-to-left 47,500 (3.14x)>",
    ]
    long = repr(chainplan.plan([2, 3] * 200))
    assert "characters)" in long and len(long.splitlines()[1]) < 120


def test_handoff_round_trip(tmp_path):
    p = chainplan.plan(TEXTBOOK)
    h = p.to_handoff()
    assert h["format"] == chainplan.FORMAT_NAME and h["version"] == chainplan.FORMAT_VERSION
    assert h["order"] == p.order and h["cost"] == p.cost
    assert [(s["lhs"], s["rhs"], s["m"], s["k"], s["n"]) for s in h["steps"]] == [s[:5] for s in p.steps]
    assert chainplan.Plan.from_handoff(h) == p
    assert chainplan.Plan.from_handoff(json.dumps(h)) == p
    path = tmp_path / "plan.json"
    path.write_text(p.to_handoff_json())
    assert chainplan.Plan.from_handoff(path) == p
    assert chainplan.load_plan(str(path)) == p


@pytest.mark.parametrize(
    "dims, message",
    [
        ([3, 0, 4], "dimension 2 is 0; every dimension must be at least 1"),
        ([3, -4, 4], "dimension 2 is -4"),
        ([3], "at least 2 dimensions"),
        ([], "at least 2 dimensions"),
        ([3, 2**32], "dimension 2 is 4294967296; dimensions must be at most 4294967295"),
    ],
)
def test_bad_dimensions_raise_the_library_message(dims, message):
    with pytest.raises(ValueError, match=message) as e:
        chainplan.plan(dims)
    assert "\n" not in str(e.value)


@pytest.mark.parametrize(
    "kwargs, exc, message",
    [
        (dict(dims=[3.0, 4]), TypeError, r"dims\[0\] is a float"),
        (dict(dims=[True, 4]), TypeError, r"dims\[0\] is a bool"),
        (dict(dims="3 4 5"), TypeError, "not str"),
        (dict(dims=5), TypeError, "not int"),
        (dict(dims=[3, 4], algorithm="fastest"), ValueError, "unknown algorithm 'fastest'"),
        (dict(dims=[3, 4], algorithm=None), TypeError, "algorithm is a string"),
        (dict(dims=[3, 4, 5], minimize="speed"), ValueError, "minimize is 'speed'"),
        (dict(dims=[3, 4, 5], max_intermediate=1.5), TypeError, "max_intermediate"),
        (dict(dims=[3, 4, 5], max_intermediate=-1), ValueError, "max_intermediate is -1"),
        (dict(dims=[3, 4, 5], max_intermediate=10, algorithm="hu-shing"), ValueError, "need the exact planner dp"),
    ],
)
def test_bad_arguments(kwargs, exc, message):
    with pytest.raises(exc, match=message):
        chainplan.plan(**kwargs)


def test_numpy_integers_are_dimensions():
    assert chainplan.plan(np.array(TEXTBOOK)).cost == 15125


def test_long_chains_plan_in_process():
    rng = np.random.default_rng(5)
    dims = [int(d) for d in rng.integers(1, 1000, size=100_001)]
    p = chainplan.plan(dims)
    assert p.algorithm == "hu-shing"
    assert p.matrices == 100_000
    assert p.cost <= p.left_to_right.cost and p.cost <= p.right_to_left.cost
