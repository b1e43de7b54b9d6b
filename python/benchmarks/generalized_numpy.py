#!/usr/bin/env python3
"""Least squares and GLS: chainplan's planned evaluation against numpy/scipy, in one run.

Times, side by side and interleaved round by round:

- chainplan: the planned, expert (solves, left to right) and naive (explicit inverses, left
  to right) evaluations, each round one `chainplan expr ... --bench --reps 1 --json` call
  (timed inside the process, after a warm-up run, on its own random operands);
- numpy/scipy written naively: ``inv(X.T @ X) @ X.T @ y`` and
  ``inv(X.T @ inv(M) @ X) @ X.T @ inv(M) @ y``;
- numpy/scipy written as an expert writes them: ``cho_solve(cho_factor(X.T @ X), X.T @ y)``
  and, for GLS, one ``cho_factor(M)`` used for both ``cho_solve(c, X)`` and
  ``cho_solve(c, y)``, then a Cholesky solve of the small system;
- for GLS also the evaluation chainplan plans, written by hand with scipy (``cholesky``,
  ``solve_triangular`` for U^-T X, ``W.T @ W``): the "numpy split" column.

Reports medians over the rounds and the ratios to chainplan's planned time, for each
thread count asked for. numpy's wheel ships its own OpenBLAS (and scipy another); the script
prints each library's version and kernel type (threadpoolctl), and chainplan's. Force the
same kernel type on both sides with OPENBLAS_CORETYPE, e.g.::

    python3 -m venv /tmp/genvenv && /tmp/genvenv/bin/pip install numpy scipy threadpoolctl
    cargo build --release -p chainplan-cli
    OPENBLAS_CORETYPE=SkylakeX /tmp/genvenv/bin/python python/benchmarks/generalized_numpy.py \\
        --chainplan target/release/chainplan --reps 9 --threads 1,2 --libraries
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np
import scipy.linalg as sla
from threadpoolctl import threadpool_info, threadpool_limits

LS = ("inv(X' * X) * X' * y", ["X=2500x500:fullrank", "y=2500"])
GLS = (
    "inv(X' * inv(M) * X) * X' * inv(M) * y",
    ["X=2500x500:fullrank", "M=2500x2500:spd", "y=2500"],
)


def operands(rng, m=2500, n=500):
    """Well-conditioned operands like chainplan's: X full rank (2 added on its diagonal),
    M SPD (symmetric, entries ±1/sqrt(m), 2 added on the diagonal)."""
    s = 1.0 / np.sqrt(m)
    X = rng.uniform(-1, 1, (m, n)) * s
    X[np.arange(n), np.arange(n)] += 2.0
    A = rng.uniform(-1, 1, (m, m)) * s
    M = 0.5 * (A + A.T)
    M[np.arange(m), np.arange(m)] += 2.0
    y = rng.uniform(-1, 1, m)
    return X, M, y


def ls_naive(X, M, y):
    inv = np.linalg.inv
    return inv(X.T @ X) @ X.T @ y


def ls_expert(X, M, y):
    return sla.cho_solve(sla.cho_factor(X.T @ X), X.T @ y)


def gls_naive(X, M, y):
    inv = np.linalg.inv
    return inv(X.T @ inv(M) @ X) @ X.T @ inv(M) @ y


def gls_expert(X, M, y):
    c = sla.cho_factor(M)
    A = X.T @ sla.cho_solve(c, X)
    b = X.T @ sla.cho_solve(c, y)
    return sla.cho_solve(sla.cho_factor(A), b)


def gls_split(X, M, y):
    """The evaluation chainplan plans for GLS, written by hand: M = U'U, W = U^-T X by one
    triangular solve, X' inv(M) X = W'W (numpy's matmul calls syrk for ``W.T @ W``)."""
    U = sla.cholesky(M, lower=False, check_finite=False)
    W = sla.solve_triangular(U, X, trans="T", lower=False, check_finite=False)
    A = W.T @ W
    b = X.T @ sla.cho_solve((U, False), y, check_finite=False)
    return sla.cho_solve(sla.cho_factor(A), b)


def timed(f, *args):
    t = time.perf_counter()
    f(*args)
    return time.perf_counter() - t


def chainplan_round(binary, expr, ops, threads, seed):
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads))
    cmd = [binary, "expr", expr, "--bench", "--reps", "1", "--seed", str(seed), "--json"]
    for o in ops:
        cmd += ["--op", o]
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
    report = json.loads(out)
    times = {s["name"]: s["seconds"] for s in report["strategies"]}
    flops = {s["name"]: s["thirds"] / 3 for s in report["strategies"]}
    return times, flops, report["bench"]


def compare_libraries(reps, system_lib="/usr/lib/x86_64-linux-gnu/libopenblas.so.0"):
    """potrf and potrs of GLS's M (2500, SPD) with 500 right-hand sides, one thread, from the
    system OpenBLAS (chainplan's) and from scipy's wheel, interleaved: how much of a gap is
    the library rather than the plan."""
    import ctypes

    import scipy.linalg.lapack as lapack

    lib = ctypes.CDLL(system_lib)
    lib.openblas_set_num_threads(1)
    rng = np.random.default_rng(1)
    n, k = 2500, 500
    _, M, _ = operands(rng, n, k)
    M = np.asfortranarray(M)
    X = np.asfortranarray(rng.uniform(-1, 1, (n, k)))
    ref = ctypes.byref

    def system():
        a, b = M.copy(order="F"), X.copy(order="F")
        nn, kk, info = ctypes.c_int(n), ctypes.c_int(k), ctypes.c_int(0)
        pa, pb = a.ctypes.data_as(ctypes.c_void_p), b.ctypes.data_as(ctypes.c_void_p)
        t0 = time.perf_counter()
        lib.dpotrf_(b"U", ref(nn), pa, ref(nn), ref(info), ctypes.c_size_t(1))
        t1 = time.perf_counter()
        lib.dpotrs_(b"U", ref(nn), ref(kk), pa, ref(nn), pb, ref(nn), ref(info), ctypes.c_size_t(1))
        return t1 - t0, time.perf_counter() - t1

    def wheel():
        a, b = M.copy(order="F"), X.copy(order="F")
        t0 = time.perf_counter()
        c, _ = lapack.dpotrf(a, lower=0, overwrite_a=1, clean=0)
        t1 = time.perf_counter()
        lapack.dpotrs(c, b, lower=0, overwrite_b=1)
        return t1 - t0, time.perf_counter() - t1

    out = {"system OpenBLAS (chainplan)": [], "scipy wheel OpenBLAS": []}
    with threadpool_limits(limits=1, user_api="blas"):
        for _ in range(reps):
            out["system OpenBLAS (chainplan)"].append(system())
            out["scipy wheel OpenBLAS"].append(wheel())
    print("\n| library, 1 thread | potrf 2500 | potrs 2500, 500 columns |")
    print("|---|---|---|")
    for name, v in out.items():
        f = statistics.median(x[0] for x in v)
        s = statistics.median(x[1] for x in v)
        print(f"| {name} | {f*1e3:.1f} ms | {s*1e3:.1f} ms |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--chainplan", default="target/release/chainplan")
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--threads", default="2,1", help="comma-separated thread counts")
    ap.add_argument("--seed", type=int, default=16)
    ap.add_argument("--libraries", action="store_true",
                    help="also time potrf/potrs from both OpenBLAS builds (1 thread)")
    args = ap.parse_args()

    rng = np.random.default_rng(args.seed)
    X, M, y = operands(rng)
    # The numpy forms agree with each other (and are checked against chainplan's own oracle
    # comparison, which the JSON reports as max_rel_diff).
    for naive, expert in [(ls_naive, ls_expert), (gls_naive, gls_expert), (gls_split, gls_expert)]:
        a, b = naive(X, M, y), expert(X, M, y)
        assert np.max(np.abs(a - b)) <= 1e-9 * np.max(np.abs(b)), "numpy forms disagree"

    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, scipy {sla.__name__} "
          f"{__import__('scipy').__version__}; OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}")
    for lib in threadpool_info():
        print(f"  numpy/scipy BLAS: {lib['filepath'].split('/')[-1]} {lib.get('version')} "
              f"kernel {lib.get('architecture')}")

    rows = []
    for threads in [int(t) for t in args.threads.split(",")]:
        for name, (expr, ops), naive, expert, split in [
            ("least squares", LS, ls_naive, ls_expert, None),
            ("GLS", GLS, gls_naive, gls_expert, gls_split),
        ]:
            samples = {k: [] for k in ["planned", "expert", "naive", "numpy naive", "numpy expert", "numpy split"]}
            flops = bench = None
            with threadpool_limits(limits=threads, user_api="blas"):
                naive(X, M, y)  # warm-up
                expert(X, M, y)
                if split:
                    split(X, M, y)
                for r in range(args.reps):
                    times, flops, bench = chainplan_round(args.chainplan, expr, ops, threads, args.seed + r)
                    for k, v in times.items():
                        samples[k].append(v)
                    samples["numpy naive"].append(timed(naive, X, M, y))
                    samples["numpy expert"].append(timed(expert, X, M, y))
                    if split:
                        samples["numpy split"].append(timed(split, X, M, y))
            med = {k: statistics.median(v) for k, v in samples.items() if v}
            rows.append((name, threads, med, flops, bench))

    print(f"\nchainplan BLAS: {rows[0][4]['blas']}; CPU: {rows[0][4]['cpu']}")
    print(f"medians of {args.reps} interleaved rounds; ratios are time / chainplan planned time\n")
    print("| problem | threads | chainplan planned | chainplan expert | chainplan naive | numpy expert | numpy naive "
          "| numpy split | numpy expert / planned | numpy naive / planned | numpy split / planned "
          "| chainplan naive / planned | flop ratio naive / planned |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name, threads, med, flops, _ in rows:
        p = med["planned"]
        split_ms = f"{med['numpy split']*1e3:.1f} ms" if "numpy split" in med else "—"
        split_ratio = f"{med['numpy split']/p:.2f}" if "numpy split" in med else "—"
        print(
            f"| {name} | {threads} | {p*1e3:.1f} ms | {med['expert']*1e3:.1f} ms | {med['naive']*1e3:.1f} ms "
            f"| {med['numpy expert']*1e3:.1f} ms | {med['numpy naive']*1e3:.1f} ms | {split_ms} "
            f"| {med['numpy expert']/p:.2f} | {med['numpy naive']/p:.2f} | {split_ratio} | {med['naive']/p:.2f} "
            f"| {flops['naive']/flops['planned']:.2f} |"
        )
    if args.libraries:
        compare_libraries(args.reps)


if __name__ == "__main__":
    main()
