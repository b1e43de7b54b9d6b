"""chainplan.plan_expr from Python: the planned evaluation against the expert's and the naive
hand forms, all run by the extension on the same operands and the same BLAS, in one run.

    python python/benchmarks/bench_expr.py [--threads 1] [--rounds 5]

For least squares (X 2500 × 500, y 2500) and GLS (M 2500 × 2500 SPD, X, y), the sizes of
issue 16, it times ``ExprPlan.evaluate()`` under the three cost models (``planned``,
``expert``: solves in place of inverses, left to right; ``naive``: explicit inverses, left to
right) in interleaved rounds (each round runs the three in a rotated order) and prints the
median times and the time ratios beside the flop ratios. It also times ``plan_expr`` itself
and what ``evaluate`` spends copying numpy's C-ordered operands into the library's
column-major layout (the same plan on Fortran-ordered copies, which are copied as they are).

Every evaluation runs on the system OpenBLAS the extension links, so all sides use one kernel
type; numpy/scipy's own code is compared in python/benchmarks/generalized_numpy.py.
"""

import argparse
import statistics

import numpy as np

import chainplan
from _machine import cpu_model
from _timing import interleaved, timed
from chainplan import _native

try:
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover
    raise SystemExit("this benchmark needs threadpoolctl: pip install threadpoolctl")

LS = "inv(X' * X) * X' * y"
GLS = "inv(X' * inv(M) * X) * X' * inv(M) * y"


def operands(rng, m=2500, n=500):
    """Well-conditioned operands: X full column rank, M SPD."""
    X = rng.standard_normal((m, n))
    A = rng.standard_normal((m, m)) / np.sqrt(m)
    M = A @ A.T + np.eye(m)
    return X, M, rng.standard_normal(m)


def ms(s):
    return f"{s * 1e3:.1f} ms" if s >= 1e-3 else f"{s * 1e6:.0f} µs"


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads (default 1)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    args = parser.parse_args()

    rng = np.random.default_rng(16)
    X, M, y = operands(rng)
    ops = {
        "least squares": (LS, {"X": (X, "fullrank"), "y": y}),
        "GLS": (GLS, {"X": (X, "fullrank"), "M": (M, "spd"), "y": y}),
    }
    extra = []
    with threadpool_limits(limits=args.threads):
        blas, threads = _native.blas_info()
        print(f"CPU {cpu_model()}; the extension's BLAS: {blas}, {threads} thread(s); "
              f"{args.rounds} interleaved rounds, medians; numpy {np.__version__}")
        print()
        print("| problem | planned | expert | naive | time expert / planned "
              "| flops expert / planned | time naive / planned | flops naive / planned |")
        print("|---|---|---|---|---|---|---|---|")
        for name, (expr, declared) in ops.items():
            plans = [chainplan.plan_expr(expr, declared, model=m) for m in chainplan.MODELS]
            planned, expert, naive = interleaved([p.evaluate for p in plans], args.rounds)
            p = plans[0]
            print(f"| {name} | {ms(planned)} | {ms(expert)} | {ms(naive)} "
                  f"| {expert / planned:.2f} | {p.expert_ratio:.2f} "
                  f"| {naive / planned:.2f} | {p.naive_ratio:.2f} |")
            fortran = {k: np.asfortranarray(v[0] if isinstance(v, tuple) else v)
                       for k, v in declared.items()}
            c_order, f_order = interleaved([p.evaluate, lambda: p.evaluate(**fortran)], args.rounds)
            plan_time = statistics.median(
                timed(lambda: chainplan.plan_expr(expr, declared)) for _ in range(21))
            extra.append((name, plan_time, c_order, f_order))
    print()
    print("| problem | plan_expr | evaluate, C-ordered operands | evaluate, Fortran-ordered | difference |")
    print("|---|---|---|---|---|")
    for name, plan_time, c_order, f_order in extra:
        print(f"| {name} | {ms(plan_time)} | {ms(c_order)} | {ms(f_order)} | {ms(c_order - f_order)} |")


if __name__ == "__main__":
    main()
