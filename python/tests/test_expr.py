"""chainplan.plan_expr / eval_expr: generalized chains (transposes, inverses as solves,
structured operands), against numpy (np.linalg.inv and @), the documented flop formulas, and
the CLI's `chainplan expr --json`."""

import json
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

import chainplan

LS = "inv(X' * X) * X' * y"
GLS = "inv(X' * inv(M) * X) * X' * inv(M) * y"
REPO = Path(__file__).resolve().parents[2]


# ---- operands with declared properties, well conditioned (test-side generator) --------------


def make(rng, shape, props=()):
    """A random float64 matrix with the given properties, singular values about in [1, 4]."""
    m, n = shape
    props = set(props)
    if "orthogonal" in props:
        q, _ = np.linalg.qr(rng.standard_normal((n, n)))
        return q
    if "diagonal" in props:
        return np.diag(rng.uniform(1.0, 2.0, n) * rng.choice([-1.0, 1.0], n))
    a = rng.standard_normal((m, n)) / np.sqrt(max(m, n))
    if "spd" in props:
        return a @ a.T + np.eye(n)
    if "symmetric" in props:
        return (a + a.T) / 2 + 3 * np.eye(n)
    if "lower" in props:
        return np.tril(a) + 3 * np.eye(n)
    if "upper" in props:
        return np.triu(a) + 3 * np.eye(n)
    if m == n:
        return a + 3 * np.eye(n)
    return a


def close(got, want, inner):
    """|got - want| within a tolerance scaled by the inner dimensions and the value's size."""
    assert got.shape == want.shape
    scale = max(1.0, float(np.max(np.abs(want))))
    assert np.max(np.abs(got - want)) <= 1e-12 * 50 * inner * scale


# Properties a random square factor may carry (and whether it may be inverted).
SQUARE = [
    ("general", ()),
    ("nonsingular", ("nonsingular",)),
    ("symmetric", ("symmetric", "nonsingular")),
    ("spd", ("spd",)),
    ("lower", ("lower", "nonsingular")),
    ("upper", ("upper", "nonsingular")),
    ("diagonal", ("diagonal", "nonsingular")),
    ("orthogonal", ("orthogonal",)),
]


def random_case(seed):
    """A random chain of 2-6 factors with structured square operands, transposes, inverses
    and inverted sub-chains; returns (expression text, ops for plan_expr, numpy value, inner size)."""
    rng = np.random.default_rng(seed)
    k = int(rng.integers(2, 7))
    sizes = [int(x) for x in rng.choice([1, 3, 5, 8], size=k + 1)]
    # Make squares likely: copy a neighbour's size.
    for i in range(1, k + 1):
        if rng.random() < 0.5:
            sizes[i] = sizes[i - 1]
    ops, texts, value = {}, [], None
    for i in range(k):
        r, c = sizes[i], sizes[i + 1]
        name = f"A{i}"
        if r == c and r > 1 and rng.random() < 0.2:
            # An inverted sub-chain: inv(Bᵀ·B) with B tall of full column rank (not
            # distributable), or inv(B·C) with B, C square nonsingular (distributed).
            if rng.random() < 0.5:
                b = make(rng, (r + 2, r), ("fullrank",))
                ops[f"B{i}"] = (b, "fullrank")
                factor, text = np.linalg.inv(b.T @ b), f"inv(B{i}' * B{i})"
            else:
                b, cc = make(rng, (r, r)), make(rng, (r, r))
                ops[f"B{i}"], ops[f"C{i}"] = (b, "nonsingular"), (cc, "nonsingular")
                factor, text = np.linalg.inv(b @ cc), f"inv(B{i} * C{i})"
            texts.append(text)
            value = factor if value is None else value @ factor
            continue
        transposed = bool(rng.random() < 0.3)
        inverted = False
        if r == c and r > 1:
            label, props = SQUARE[int(rng.integers(len(SQUARE)))]
            inverted = label != "general" and bool(rng.random() < 0.6)
        else:
            props = ("fullrank",) if rng.random() < 0.5 else ()
        shape = (c, r) if transposed else (r, c)
        a = make(rng, shape, props)
        ops[name] = (a, props)
        factor = a.T if transposed else a
        text = name + (rng.choice(["'", "^T"]) if transposed else "")
        if inverted:
            factor = np.linalg.inv(factor)
            text = str(rng.choice([f"inv({text})", f"{name}^-1" if not transposed else f"{name}^-T"]))
        texts.append(text)
        value = factor if value is None else value @ factor
    return " * ".join(texts), ops, value, max(sizes)


# ---- least squares and GLS --------------------------------------------------------------


def test_least_squares_against_numpy():
    rng = np.random.default_rng(1)
    X, y = make(rng, (300, 40), ("fullrank",)), rng.standard_normal(300)
    got = chainplan.eval_expr(LS, {"X": (X, "fullrank"), "y": y})
    want = np.linalg.inv(X.T @ X) @ X.T @ y
    # A 1-D y gives a 1-D β, as numpy's multi_dot and solve return it.
    assert got.shape == (40,)
    close(got, want, 300)
    close(got, np.linalg.lstsq(X, y, rcond=None)[0], 300)
    # A column y (2-D) gives a column.
    col = chainplan.eval_expr(LS, {"X": (X, "fullrank"), "y": y.reshape(-1, 1)})
    assert col.shape == (40, 1)
    close(col[:, 0], want, 300)


def test_a_row_and_a_column_vector_give_a_scalar():
    rng = np.random.default_rng(11)
    M, u = make(rng, (6, 6), ("spd",)), rng.standard_normal(6)
    got = chainplan.eval_expr("u' * inv(M) * u", {"u": u, "M": (M, "spd")})
    assert got.shape == () and got.dtype == np.float64
    assert abs(float(got) - u @ np.linalg.solve(M, u)) <= 1e-12 * 50 * 6 * max(1.0, abs(float(got)))


def test_float32_operands_give_float32():
    rng = np.random.default_rng(12)
    X = make(rng, (200, 20), ("fullrank",))
    M = make(rng, (200, 200), ("spd",))
    y = rng.standard_normal(200)
    want = np.linalg.solve(X.T @ np.linalg.solve(M, X), X.T @ np.linalg.solve(M, y))
    ops32 = {"X": (X.astype(np.float32), "fullrank"), "M": (M.astype(np.float32), "spd"),
             "y": y.astype(np.float32)}
    got = chainplan.eval_expr(GLS, ops32)
    assert got.dtype == np.float32 and got.shape == (20,)
    # f32's epsilon, scaled by the inner dimension and the conditioning of the two solves.
    cond = np.linalg.cond(M) * np.linalg.cond(X.T @ np.linalg.solve(M, X))
    scale = max(1.0, float(np.max(np.abs(want))))
    assert np.max(np.abs(got - want)) <= 8 * np.finfo(np.float32).eps * 200 * cond * scale
    # The same plan in either memory order gives the same float32 numbers.
    fortran = {**ops32, "X": (np.asfortranarray(ops32["X"][0]), "fullrank")}
    np.testing.assert_allclose(chainplan.eval_expr(GLS, fortran), got, rtol=1e-5, atol=1e-6)


def test_mixed_element_types_are_a_value_error_naming_the_operands():
    rng = np.random.default_rng(13)
    X = make(rng, (30, 4), ("fullrank",))
    with pytest.raises(ValueError, match="operands must all be f64 in this call: y is f32 but X is f64"):
        chainplan.eval_expr(LS, {"X": (X, "fullrank"), "y": np.ones(30, dtype=np.float32)})


def test_gls_against_numpy():
    rng = np.random.default_rng(2)
    X, M, y = make(rng, (200, 30)), make(rng, (200, 200), ("spd",)), rng.standard_normal((200, 1))
    p = chainplan.plan_expr(GLS, {"X": (X, "fullrank"), "M": (M, "spd"), "y": y})
    Mi = np.linalg.inv(M)
    want = np.linalg.inv(X.T @ Mi @ X) @ X.T @ Mi @ y
    close(p.evaluate(), want, 200)
    kernels = [s.kernel for s in p.steps]
    assert kernels.count("potrf") == 2  # M once (shared by both solves) and XᵀM⁻¹X
    assert "getri" not in kernels and not p.has_explicit_inverse


@pytest.mark.parametrize("seed", range(60))
def test_random_chains_against_numpy_under_every_model(seed):
    text, ops, want, inner = random_case(seed)
    for model in chainplan.MODELS:
        p = chainplan.plan_expr(text, ops, model=model)
        assert p.model == model and p.shape == want.shape
        close(p.evaluate(), want, inner)
    planned = chainplan.plan_expr(text, ops)
    assert planned.thirds == planned.planned.thirds
    assert planned.expert_ratio >= 1.0 and planned.naive_ratio >= 1.0
    assert planned.expert.thirds >= planned.thirds and planned.naive.thirds >= planned.thirds
    assert sum(s.thirds for s in planned.steps) == planned.thirds


def test_structured_kernels_and_inferred_properties():
    rng = np.random.default_rng(3)
    L, B, U = make(rng, (6, 6), ("lower",)), make(rng, (6, 4)), make(rng, (4, 4), ("upper",))
    p = chainplan.plan_expr("inv(L) * B * inv(U)^T",
                            {"L": (L, ("lower", "nonsingular")), "B": B, "U": (U, "upper,nonsingular")})
    assert {s.kernel for s in p.steps} == {"trsm"}
    close(p.evaluate(), np.linalg.inv(L) @ B @ np.linalg.inv(U).T, 6)
    # Q⁻¹ is Qᵀ: no factorization, no solve.
    Q = make(rng, (5, 5), ("orthogonal",))
    C = rng.standard_normal((5, 3))
    q = chainplan.plan_expr("inv(Q) * C", {"Q": (Q, "orthogonal"), "C": C})
    assert [s.kernel for s in q.steps] == ["gemm"] and q.steps[0].args == ("Qᵀ", "C")
    close(q.evaluate(), Q.T @ C, 5)


def test_explicit_inverse_only_when_nothing_else_produces_the_value():
    rng = np.random.default_rng(4)
    A = make(rng, (7, 7))
    p = chainplan.plan_expr("inv(A)", {"A": (A, "nonsingular")})
    assert p.has_explicit_inverse and p.to_dict()["explicit_inverse"]
    assert any(s.explicit_inverse for s in p.steps)
    close(p.evaluate(), np.linalg.inv(A), 7)
    assert not chainplan.plan_expr("inv(A) * A", {"A": (A, "nonsingular")}).has_explicit_inverse


def test_exact_is_false_above_ten_operands_to_factor_and_the_plan_still_runs():
    rng = np.random.default_rng(8)
    for k, exact in ((10, True), (11, False)):
        mats = {f"A{i}": make(rng, (3, 3)) for i in range(k)}
        p = chainplan.plan_expr(" * ".join(f"inv(A{i})" for i in range(k)),
                                {n: (a, "nonsingular") for n, a in mats.items()})
        assert p.exact is exact and p.to_dict()["exact"] is exact
        want = np.eye(3)
        for a in mats.values():
            want = want @ np.linalg.inv(a)
        close(p.evaluate(), want, 3 * k)


def test_a_single_operand_has_no_step():
    A = np.arange(6.0).reshape(2, 3)
    p = chainplan.plan_expr("A'", {"A": A})
    assert p.steps == () and p.flops == 0 and p.shape == (3, 2)
    assert np.array_equal(p.evaluate(), A.T)
    assert "no step: the value is Aᵀ" in repr(p)


# ---- costs: the documented formulas, exact ---------------------------------------------------


def test_least_squares_costs_are_the_documented_formulas():
    n, k = 500, 2500
    p = chainplan.plan_expr(LS, {"X": "2500x500:fullrank", "y": "2500x1"})
    # syrk n(n+1)k, gemv 2nk, potrf n³/3, potrs 2n²·1 (docs/generalized.md's table).
    steps = {s.kernel: s for s in p.steps}
    assert [s.kernel for s in p.steps] == ["syrk", "gemv", "potrf", "potrs"]
    assert steps["syrk"].flops == n * (n + 1) * k
    assert steps["gemv"].flops == 2 * n * k
    assert steps["potrf"].flops == Fraction(n**3, 3) and steps["potrf"].thirds == n**3
    assert steps["potrs"].flops == 2 * n * n
    planned = n * (n + 1) * k + 2 * n * k + Fraction(n**3, 3) + 2 * n * n
    assert p.flops == planned and p.thirds == 3 * planned
    # Expert: gemm XᵀX, potrf, potrs with Xᵀ (k columns), gemv; naive: gemm, getrf+getri
    # (2n³), gemm, gemv.
    expert = 2 * n * k * n + Fraction(n**3, 3) + 2 * n * n * k + 2 * n * k
    naive = 2 * n * k * n + 2 * n**3 + 2 * n * n * k + 2 * n * k
    assert p.expert.flops == expert and p.naive.flops == naive
    assert p.naive_ratio == pytest.approx(float(naive / planned))
    assert p.expert_ratio == pytest.approx(float(expert / planned))
    assert p.naive.explicit_inverses == 1 and p.expert.explicit_inverses == 0
    assert p.exact and not p.has_explicit_inverse
    assert isinstance(p.steps[0].flops, int) and isinstance(p.steps[0].thirds, int)


def test_costs_beyond_64_bits_are_exact_ints():
    n, k = 2_000_000_000, 2_100_000_000
    p = chainplan.plan_expr("X' * X", {"X": ((k, n), "fullrank")})
    assert [s.kernel for s in p.steps] == ["syrk"]
    assert p.flops == n * (n + 1) * k and p.flops > 2**64 and isinstance(p.flops, int)


# ---- the report: the library's serializer, as the CLI prints it ------------------------------


def test_to_dict_is_the_json_report():
    p = chainplan.plan_expr(GLS, {"X": "2500x500:fullrank", "M": ((2500, 2500), ("spd",)), "y": (2500,)})
    d = p.to_dict()
    assert d == json.loads(p.to_json())
    assert [s["call"] for s in d["steps"]] == [s.call for s in p.steps]
    assert [s["thirds"] for s in d["steps"]] == [s.thirds for s in p.steps]
    assert [s["name"] for s in d["strategies"]] == list(p.strategies)
    assert d["naive_ratio"] == p.naive_ratio and d["exact"] == p.exact
    assert d["plan"]["thirds"] == p.thirds


def _cli():
    """The chainplan binary built from this checkout, if it is newer than every library and
    CLI source (`make test` builds it with `cargo test` before the Python tests)."""
    sources = [p for d in ("src", "cli/src") for p in (REPO / d).rglob("*.rs")]
    newest = max((p.stat().st_mtime for p in sources), default=0.0)
    for path in (REPO / "target" / "debug" / "chainplan", REPO / "target" / "release" / "chainplan"):
        if path.exists() and path.stat().st_mtime >= newest:
            return str(path)
    return None


@pytest.mark.skipif(_cli() is None, reason="no chainplan binary built from these sources (cargo build)")
@pytest.mark.parametrize(
    "expr, ops",
    [
        (LS, ["X=2500x500:fullrank", "y=2500x1"]),
        (GLS, ["X=2500x500:fullrank", "M=2500x2500:spd", "y=2500"]),
        ("inv(L) * B * inv(U)^T", ["L=60x60:lower,nonsingular", "B=60x40", "U=40x40:upper:nonsingular"]),
        ("inv(A)", ["A=30x30:nonsingular"]),
    ],
)
def test_to_json_equals_the_cli(expr, ops):
    out = subprocess.run([_cli(), "expr", expr, "--json", *[a for o in ops for a in ("--op", o)]],
                         capture_output=True, text=True, check=True, env={**os.environ, "NO_COLOR": "1"})
    by_text = chainplan.plan_expr(expr, ops)
    as_mapping = chainplan.plan_expr(expr, dict(o.split("=", 1) for o in ops))
    assert by_text.to_json() + "\n" == out.stdout
    assert as_mapping.to_dict() == json.loads(out.stdout)


def test_model_picks_the_plan_and_the_report_stays_the_clis():
    ops = {"X": "2500x500:fullrank", "y": "2500"}
    planned = chainplan.plan_expr(LS, ops)
    for model in ("expert", "naive"):
        p = chainplan.plan_expr(LS, ops, model=model)
        assert p.thirds == p.strategies[model].thirds == planned.strategies[model].thirds
        assert p.order == planned.strategies[model].order
        assert p.to_dict() == planned.to_dict()
    naive = chainplan.plan_expr(LS, ops, model="naive")
    assert naive.has_explicit_inverse and "getri" in [s.kernel for s in naive.steps]


def test_repr_lists_the_steps():
    p = chainplan.plan_expr(GLS, {"X": "2500x500:fullrank", "M": "2500x2500:spd", "y": "2500"})
    lines = repr(p).splitlines()
    assert lines[0].startswith("<chainplan.ExprPlan: inv(Xᵀ·inv(M)·X)·Xᵀ·inv(M)·y (500x1), planned, ")
    assert len(lines) == len(p.steps) + 2
    for line, s in zip(lines[1:], p.steps):
        assert line.strip().startswith(s.call) and s.computes in line
    assert lines[1].strip().startswith("S1 = potrf(M)")
    assert lines[-1].startswith("  flops over planned: expert ") and lines[-1].endswith(">")
    assert "(3 explicit inverses)" in lines[-1]


def test_operands_are_reported_as_declared():
    p = chainplan.plan_expr("L * y", {"L": ((4, 4), ["lower"]), "y": np.ones(4)})
    assert p.operands == {"L": ((4, 4), ("lower",)), "y": ((4, 1), ("general",))}


# ---- evaluate: arrays, names, dtypes ----------------------------------------------------------


def test_evaluate_takes_arrays_by_name_and_overrides_those_of_ops():
    rng = np.random.default_rng(5)
    X, y, y2 = make(rng, (50, 6)), rng.standard_normal(50), rng.standard_normal(50)
    p = chainplan.plan_expr(LS, {"X": (X, "fullrank"), "y": y})
    want = np.linalg.solve(X.T @ X, X.T @ y2)
    close(p.evaluate(y=y2), want, 50)
    q = chainplan.plan_expr(LS, {"X": ((50, 6), "fullrank"), "y": (50,)})
    close(q.evaluate(X=X, y=y2), want, 50)
    # Integer data is converted; non-contiguous views are read as they are.
    Xi = rng.integers(-5, 6, (50, 6))
    big = np.zeros((100, 12))
    big[::2, ::2] = Xi
    close(q.evaluate(X=big[::2, ::2], y=y2), q.evaluate(X=Xi, y=y2), 50)
    close(q.evaluate(X=np.asfortranarray(Xi.astype(float)), y=y2), q.evaluate(X=Xi, y=y2), 50)


def test_concurrent_evaluations_agree():
    rng = np.random.default_rng(6)
    X, M = make(rng, (120, 20)), make(rng, (120, 120), ("spd",))
    p = chainplan.plan_expr(GLS, {"X": (X, "fullrank"), "M": (M, "spd"), "y": (120,)})
    ys = [rng.standard_normal(120) for _ in range(8)]
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda y: p.evaluate(y=y), ys))
    Mi = np.linalg.inv(M)
    for y, g in zip(ys, got):
        close(g, np.linalg.inv(X.T @ Mi @ X) @ X.T @ Mi @ y, 120)


GOOD = {"X": np.ones((50, 6)), "y": np.ones(50)}


@pytest.mark.parametrize(
    "arrays, error, message",
    [
        ({**GOOD, "X": np.ones((50, 7))}, ValueError, "operand X is 50x7; the expression declares it 50x6"),
        ({**GOOD, "y": np.ones((50, 2))}, ValueError, "operand y is 50x2; the expression declares it 50x1"),
        ({**GOOD, "X": np.ones((50, 6), dtype=complex)}, TypeError, "operand X has dtype complex128"),
        ({**GOOD, "X": np.ones((2, 50, 6))}, ValueError, "operand X has 3 dimensions"),
        ({**GOOD, "Z": np.ones(3)}, TypeError, "evaluate() got an array for Z, which is not declared; declared: X, y"),
        ({}, TypeError, "missing: X, y"),
        ({"X": np.ones((50, 6))}, TypeError, "missing: y"),
    ],
)
def test_evaluate_refuses_bad_arrays(arrays, error, message):
    p = chainplan.plan_expr(LS, {"X": ((50, 6), "fullrank"), "y": "50"})
    with pytest.raises(error) as e:
        p.evaluate(**arrays)
    assert message in str(e.value)
    assert "\n" not in str(e.value)


def test_evaluate_trusted_skips_the_checks_of_declared_structure():
    rng = np.random.default_rng(20)
    A = rng.standard_normal((6, 6))
    M = A @ A.T + 6 * np.eye(6)
    b = rng.standard_normal(6)
    p = chainplan.plan_expr("inv(M) * b", {"M": (M, "spd"), "b": b})
    want = np.linalg.solve(M, b)
    np.testing.assert_allclose(p.evaluate(), want, rtol=1e-12)
    np.testing.assert_allclose(p.evaluate_trusted(), want, rtol=1e-12)
    # One entry breaks the symmetry: evaluate refuses it, evaluate_trusted runs Cholesky on
    # the triangle it reads, which is still that of an SPD matrix, and returns a value.
    bad = M.copy()
    bad[0, 5] += 0.5
    with pytest.raises(ValueError, match=r"^operand M is declared spd but is not: entry"):
        p.evaluate(M=bad)
    got = p.evaluate_trusted(M=bad)
    assert got.shape == (6,) and np.all(np.isfinite(got))
    upper, lower = np.triu(bad) + np.triu(bad, 1).T, np.tril(bad) + np.tril(bad, -1).T
    assert any(np.allclose(got, np.linalg.solve(s, b), rtol=1e-10) for s in (upper, lower))
    with pytest.raises(TypeError, match=r"^evaluate_trusted\(\) got an array for Z"):
        p.evaluate_trusted(Z=np.ones(3))


def test_a_matrix_declared_spd_that_is_not_fails_in_cholesky():
    M = -np.eye(4)
    with pytest.raises(ValueError, match=r"^potrf failed on M \(info 1\)"):
        chainplan.eval_expr("inv(M) * b", {"M": (M, "spd"), "b": np.ones(4)})


# ---- bad input: every class the CLI tests, one line each ------------------------------------


@pytest.mark.parametrize(
    "expr, ops, message",
    [
        ("A * B", {"A": "3x4", "B": "5x2"}, "shapes do not chain: A is 3x4 but B is 5x2"),
        ("inv(A) * B", {"A": "3x4:fullrank", "B": "4x2"}, "cannot invert A: it is 3x4, not square"),
        ("inv(A)", {"A": "3x3"}, "cannot invert A"),
        ("inv(X' * Y)", {"X": "5x3", "Y": "5x3"}, "cannot invert"),
        ("A * (B", {"A": "2x2", "B": "2x2"}, "syntax error at column"),
        ("inv(A", {"A": "2x2:nonsingular"}, "unbalanced '('"),
        ("A)", {"A": "2x2"}, "unbalanced ')'"),
        ("A * C", {"A": "2x2"}, "operand C (column 5) is not declared; declared: A"),
        ("A", {"A": "3x3:lower,upper"}, "operand A: contradictory properties: lower and upper"),
        ("Q", {"Q": ((3, 4), "orthogonal")}, "operand Q: contradictory properties"),
        ("A", {"A": ((3, 3), ("spd", "orthogonal"))}, "contradictory properties"),
        ("A", {"A": "3x3:shiny"}, "operand A: unknown property 'shiny'; the properties are:"),
        ("A", {"A": ((3, 3), ["spd", "shiny"])}, "unknown property 'shiny'"),
        ("A", {"A": "3x"}, "not a whole number"),
        ("A", {"A": (3, -2)}, "dimension '-2' of A is not a whole number"),
        ("A", {"A": (0, 2)}, "shape 0x2 is empty"),
        ("A", {"A": "99999999999x2"}, "at most"),
        ("A", {"A": (2**64, 2)}, "too large"),
        ("A", {"A=B": "2x2"}, "an operand name is a letter"),
        ("inv", {"inv": "2x2"}, "an operand name is a letter"),
        ("A", {"A": "2x2:general,spd"}, "general with a structural property"),
        ("A", ["A=2x2", "A=3x3"], "operand A is declared more than once"),
        ("A", ["A2x2"], "expected NAME=ROWSxCOLS[:PROPERTIES]"),
        ("", {"A": "2x2"}, "syntax error"),
    ],
)
def test_bad_input_is_one_value_error_line(expr, ops, message):
    with pytest.raises(ValueError) as e:
        chainplan.plan_expr(expr, ops)
    assert message in str(e.value)
    assert "\n" not in str(e.value)


def test_bad_model_is_a_value_error():
    with pytest.raises(ValueError, match="model is 'fast'; it must be 'planned', 'expert' or 'naive'"):
        chainplan.plan_expr("A", {"A": "2x2"}, model="fast")


@pytest.mark.parametrize(
    "expr, ops, kwargs, message",
    [
        (3, {"A": "2x2"}, {}, "expr is a string"),
        ("A", "A=2x2", {}, "ops is a mapping"),
        ("A", 5, {}, "ops is a mapping"),
        ("A", [("A", "2x2")], {}, "--op texts"),
        ("A", {1: "2x2"}, {}, "operand names are strings"),
        ("A", {"A": 2.5}, {}, "operand A: declare it as text"),
        ("A", {"A": (2.0, 2)}, {}, "dimensions are whole numbers"),
        ("A", {"A": (True, 2)}, {}, "dimensions are whole numbers"),
        ("A", {"A": ((2, 2), 5)}, {}, "properties are a string"),
        ("A", {"A": ((2, 2), ["spd", 5])}, {}, "properties are strings"),
        ("A", {"A": [[1, 2], [3, 4]]}, {}, "a nested list is not an array here"),
        ("A", {"A": "2x2"}, {"model": None}, "model is a string"),
    ],
)
def test_wrong_types_are_type_errors(expr, ops, kwargs, message):
    with pytest.raises(TypeError, match=message.replace("(", r"\(")):
        chainplan.plan_expr(expr, ops, **kwargs)


def test_an_array_of_three_dimensions_is_refused():
    with pytest.raises(ValueError, match="shape \\(2, 2, 2\\) has 3 dimensions"):
        chainplan.plan_expr("A", {"A": np.ones((2, 2, 2))})


def test_a_bad_model_is_echoed_short_and_escaped():
    with pytest.raises(ValueError) as e:
        chainplan.plan_expr("A", {"A": "3x3"}, model="x" * 100 + "\x1b[31m")
    msg = str(e.value)
    assert "\x1b" not in msg and "(105 characters)" in msg and len(msg) < 120
