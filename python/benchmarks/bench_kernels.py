"""The installed extension's BLAS/LAPACK kernels against scipy's, one thread, in one run.

    OPENBLAS_CORETYPE=SkylakeX python python/benchmarks/bench_kernels.py [--n 2000] [--rounds 7]

Each row times one kernel three ways, in interleaved rounds, on the same Fortran-ordered
float64 operands (medians; ratios below 1: faster than scipy):

- "wheel's kernel": the routine of the library the extension runs on
  (``chainplan._openblas.library``, the scipy-openblas32 package's OpenBLAS), called through
  ctypes (CBLAS, LAPACKE) the way scipy's wrapper calls its own: a copy of an input it must
  not overwrite, a new output;
- "scipy": ``scipy.linalg.blas``/``lapack``'s wrapper of the same routine, on scipy's OpenBLAS;
- "plan_expr": the whole ``ExprPlan.evaluate()`` of a plan of that one step (checked by its
  step list): the kernel plus the extension's conversions and checks.

Then GLS (M n×n SPD, X n×300, y), as ``plan_expr`` plans it, against the
same plan written by hand with scipy (``cholesky``, ``solve_triangular``, ``W.T @ W``,
``cho_solve``) and against the expert's ``cho_solve`` form.

Every OpenBLAS in the process (numpy's, scipy's, the extension's) is limited to one thread with
threadpoolctl; OPENBLAS_CORETYPE, if set, applies to all of them. The script prints each
library's version and kernel type (threadpoolctl) so that the kernel types can be checked.
"""

import argparse
import ctypes

import numpy as np
import scipy
import scipy.linalg as sla
from scipy.linalg import blas, lapack
from threadpoolctl import threadpool_info, threadpool_limits

import chainplan
from _machine import cpu_model
from _timing import interleaved
from chainplan import _native

GLS = "inv(X' * inv(M) * X) * X' * inv(M) * y"


def ms(s):
    return f"{s * 1e3:.1f} ms"


def spd(rng, n):
    a = rng.standard_normal((n, n)) / np.sqrt(n)
    return np.asfortranarray(a @ a.T + np.eye(n))


ROW, COL, UPPER, LOWER, NO, TRANS, NONUNIT, LEFT = 101, 102, 121, 122, 111, 112, 131, 141
LAPACK_COL = 102


def wheel_kernels():
    """gemm, syrk, trsm, potrf+potrs of the extension's own OpenBLAS, through ctypes."""
    lib = chainplan._openblas.library
    d, i, p = ctypes.c_double, ctypes.c_int, ctypes.c_void_p

    def ptr(a):
        return a.ctypes.data_as(p)

    def gemm(a, b):
        m, k = a.shape
        n = b.shape[1]
        c = np.empty((m, n), order="F")
        lib.scipy_cblas_dgemm(COL, NO, NO, m, n, k, d(1.0), ptr(a), m, ptr(b), k, d(0.0), ptr(c), m)
        return c

    def syrk(x):  # xᵀx, upper triangle
        k, n = x.shape
        c = np.zeros((n, n), order="F")  # as scipy's: the lower triangle stays zero
        lib.scipy_cblas_dsyrk(COL, UPPER, TRANS, n, k, d(1.0), ptr(x), k, d(0.0), ptr(c), n)
        return c

    def trsm(l, b):  # l⁻¹b, l lower
        m, n = b.shape
        x = np.array(b, order="F")
        lib.scipy_cblas_dtrsm(COL, LEFT, LOWER, NO, NONUNIT, m, n, d(1.0), ptr(l), m, ptr(x), m)
        return x

    def potrf_potrs(a, b):
        n = a.shape[0]
        u = np.array(a, order="F")
        x = np.array(b, order="F").reshape(n, -1, order="F")
        assert lib.scipy_LAPACKE_dpotrf(LAPACK_COL, ctypes.c_char(b"U"), n, ptr(u), n) == 0
        nrhs = x.shape[1]
        assert lib.scipy_LAPACKE_dpotrs(LAPACK_COL, ctypes.c_char(b"U"), n, nrhs, ptr(u), n,
                                        ptr(x), n) == 0
        return x

    for f in (lib.scipy_cblas_dgemm, lib.scipy_cblas_dsyrk, lib.scipy_cblas_dtrsm):
        f.restype = None
    lib.scipy_LAPACKE_dpotrf.restype = i
    lib.scipy_LAPACKE_dpotrs.restype = i
    return gemm, syrk, trsm, potrf_potrs


def one_step(expr, ops, kernel):
    """The plan of expr, checked to be the one kernel named (plus potrs for the solve)."""
    p = chainplan.plan_expr(expr, ops)
    kernels = [s.kernel for s in p.steps]
    assert kernels[0] == kernel, (expr, kernels)
    return p


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=2000, help="matrix order (default 2000)")
    parser.add_argument("--k", type=int, default=300, help="X's columns (default 300)")
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds (default 7)")
    args = parser.parse_args()
    n, k = args.n, args.k
    rng = np.random.default_rng(24)
    M = spd(rng, n)
    L = np.asfortranarray(np.tril(rng.standard_normal((n, n))) + n * np.eye(n))
    A = np.asfortranarray(rng.standard_normal((n, n)))
    B = np.asfortranarray(rng.standard_normal((n, n)))
    X = np.asfortranarray(rng.standard_normal((n, k)))
    b = rng.standard_normal(n)
    y = rng.standard_normal(n)

    with threadpool_limits(limits=1):
        blas_name, threads = _native.blas_info()
        print(f"CPU {cpu_model()}; chainplan {chainplan.__file__}; numpy {np.__version__}, "
              f"scipy {scipy.__version__}; {args.rounds} interleaved rounds, medians")
        print(f"the extension's BLAS: {blas_name}, {threads} thread(s)")
        for lib in threadpool_info():
            print(f"  {lib['internal_api']} {lib.get('version')} {lib.get('architecture')} "
                  f"threads={lib['num_threads']} {lib['filepath']}")
        print()
        gemm, syrk, trsm, potrf_potrs = wheel_kernels()
        lower = (L, ("lower", "nonsingular"))
        rows = [
            ("gemm", f"A·B, {n}×{n}", one_step("A * B", {"A": A, "B": B}, "gemm"),
             lambda: gemm(A, B), lambda: blas.dgemm(1.0, A, B)),
            ("syrk", f"Xᵀ·X, X {n}×{k}", one_step("X' * X", {"X": X}, "syrk"),
             lambda: syrk(X), lambda: blas.dsyrk(1.0, X, trans=1)),
            ("trsm", f"L⁻¹·B, L {n}×{n} lower", one_step("inv(L) * B", {"L": lower, "B": B}, "trsm"),
             lambda: trsm(L, B), lambda: blas.dtrsm(1.0, L, B, lower=1)),
            ("potrf", f"M⁻¹·b (potrf + potrs), M {n}×{n} SPD",
             one_step("inv(M) * b", {"M": (M, "spd"), "b": b}, "potrf"),
             lambda: potrf_potrs(M, b), lambda: lapack.dpotrs(lapack.dpotrf(M)[0], b)[0]),
        ]
        print("| kernel | what | wheel's kernel | scipy | ratio | plan_expr | ratio |")
        print("|---|---|---|---|---|---|---|")
        for kernel, what, plan, wheel, ref in rows:
            np.testing.assert_allclose(wheel().ravel(), np.asarray(ref()).ravel(), rtol=1e-8,
                                       atol=1e-8 * n)
            w, theirs, mine = interleaved([wheel, ref, plan.evaluate], args.rounds)
            print(f"| {kernel} | {what} | {ms(w)} | {ms(theirs)} | {w / theirs:.3f} "
                  f"| {ms(mine)} | {mine / theirs:.3f} |")

        gls = chainplan.plan_expr(GLS, {"X": (X, "fullrank"), "M": (M, "spd"), "y": y})

        def by_hand():  # the plan above, written with scipy
            u = sla.cholesky(M)  # M = UᵀU
            w = sla.solve_triangular(u, X, trans="T")  # U⁻ᵀX
            z = sla.solve_triangular(u, y, trans="T")  # U⁻ᵀy
            return sla.cho_solve(sla.cho_factor(w.T @ w), w.T @ z)

        def expert():
            c = sla.cho_factor(M)
            a = X.T @ sla.cho_solve(c, X)
            return sla.cho_solve(sla.cho_factor(a), X.T @ sla.cho_solve(c, y))

        ref = expert()
        assert np.allclose(gls.evaluate().ravel(), ref) and np.allclose(by_hand(), ref)
        mine, hand, cho = interleaved([gls.evaluate, by_hand, expert], args.rounds)
        print()
        print(f"| GLS, M {n}×{n}, X {n}×{k} | chainplan | scipy, the same plan by hand "
              "| ratio | scipy, cho_solve form | ratio |")
        print("|---|---|---|---|---|---|")
        print(f"| | {ms(mine)} | {ms(hand)} | {mine / hand:.3f} | {ms(cho)} | {mine / cho:.3f} |")


if __name__ == "__main__":
    main()
