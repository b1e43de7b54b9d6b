"""chainplan's Python module against numpy, ratios measured in one run.

    make python-bench                       # release build of the extension, then this script
    python python/benchmarks/bench_multi_dot.py [--threads 1] [--rounds 11] [--skip-numpy-1000]

What it measures (every ratio is chainplan's time / numpy's, so below 1 means chainplan is
faster; each is the median over rounds of interleaved runs, one round timing A then B then
A…, so both sides see the same machine load):

1. call overhead: multi_dot on three 10 × 10 matrices;
2. large and skewed chains, the chains of benches/README.md: ``1000 10 1000 10 1000``,
   ``1 512 512 512 784`` (a 1-D vector first) and a square chain of five 600 × 600 matrices;
   each timed twice: in loops of one side (each call reuses the memory its previous call
   freed), and call by call alternating with the other side (as in a program that does other
   work between its products);
3. planning in-process (``chainplan.plan``, and the DP) against numpy's planner
   ``_multi_dot_matrix_chain_order`` at 300 and 1,000 matrices (numpy's run at 1,000 takes
   minutes: it is timed once);
4. a stack of 1,000 small chains against a Python loop of ``numpy.linalg.multi_dot``;
5. the executor choice (python/README.md): numpy's matmul into planned buffers (what
   ``multi_dot`` does) against the library's BLAS executor (``chainplan._native.execute_f64``).

The header records the CPU, both BLAS builds (numpy's bundled OpenBLAS and the system one the
extension links) with their kernel type and threads, from threadpoolctl. Both sides must run
the same kernel type; the script says so when they do not (``OPENBLAS_CORETYPE`` can force
one; never set it in tests or CI).
"""

import argparse
import os
import platform
import statistics
import sys
import time

import numpy as np
from numpy.linalg._linalg import _multi_dot_matrix_chain_order

import chainplan
from _machine import cpu_model
from chainplan import _native

try:
    from threadpoolctl import threadpool_info, threadpool_limits
except ImportError:  # pragma: no cover
    sys.exit("this benchmark needs threadpoolctl: pip install threadpoolctl")


def per_call(fn, min_time=0.05):
    """Seconds per call of fn, from a loop long enough to time (at least min_time)."""
    n = 1
    while True:
        start = time.perf_counter()
        for _ in range(n):
            fn()
        elapsed = time.perf_counter() - start
        if elapsed >= min_time or n >= 1 << 24:
            return elapsed / n
        n *= 2 if elapsed == 0 else max(2, int(min_time / elapsed * 1.2))


def interleaved(a, b, rounds, min_time=0.05):
    """Median over rounds of (time of a) / (time of b), and the medians of each, timed
    alternately in one process."""
    ta, tb, ratios = [], [], []
    for r in range(rounds):
        pair = [(a, ta), (b, tb)] if r % 2 == 0 else [(b, tb), (a, ta)]
        for fn, out in pair:
            out.append(per_call(fn, min_time))
        ratios.append(ta[-1] / tb[-1])
    return statistics.median(ratios), statistics.median(ta), statistics.median(tb)


def alternating(a, b, rounds, calls=8):
    """Like :func:`interleaved`, but call by call: a, b, a, b, … each call timed on its own, so
    every call of one side follows a call of the other (a program doing other work between
    its products), where a loop of one side alone lets each call reuse the memory the
    previous one freed. Median over rounds of (a's total) / (b's total)."""
    ta, tb, ratios = [], [], []
    for _ in range(rounds):
        sa = sb = 0.0
        for _ in range(calls):
            t0 = time.perf_counter()
            a()
            t1 = time.perf_counter()
            b()
            t2 = time.perf_counter()
            sa += t1 - t0
            sb += t2 - t1
        ta.append(sa / calls)
        tb.append(sb / calls)
        ratios.append(sa / sb)
    return statistics.median(ratios), statistics.median(ta), statistics.median(tb)


def fmt_time(s):
    for unit, scale in (("s", 1), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9)):
        if s >= scale:
            return f"{s / scale:.3g} {unit}"
    return f"{s:.3g} s"


def row(name, ratio, ta, tb, note=""):
    print(f"| {name} | {fmt_time(ta)} | {fmt_time(tb)} | {ratio:.3f} | {note} |")


def header(threads):
    print(f"CPU: {cpu_model()}, {os.cpu_count()} logical cores; Python {platform.python_version()}, "
          f"numpy {np.__version__}, chainplan {chainplan.__version__}")
    blas, blas_threads = _native.blas_info()
    print(f"extension's executor BLAS (library's report): {blas}, {blas_threads} threads")
    kinds = set()
    for lib in threadpool_info():
        if lib.get("user_api") != "blas":
            continue
        owner = "numpy (bundled)" if "numpy" in lib["filepath"] else "extension (system)"
        kinds.add(lib.get("architecture"))
        print(f"  {owner}: {lib.get('internal_api')} {lib.get('version')}, kernel "
              f"{lib.get('architecture')}, {lib.get('num_threads')} threads, {lib['filepath']}")
    if len(kinds) > 1:
        print(f"WARNING: the two OpenBLAS builds run different kernel types {sorted(kinds)}; "
              "rerun with OPENBLAS_CORETYPE=<one of them> for a fair comparison")
    print(f"BLAS threads for the measurements: {threads} (threadpoolctl, both libraries); "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', 'unset')}")
    print()


def chain(rng, dims, vectors=(False, False)):
    mats = [rng.standard_normal((dims[i], dims[i + 1])) for i in range(len(dims) - 1)]
    if vectors[0]:
        mats[0] = mats[0][0]
    if vectors[1]:
        mats[-1] = mats[-1][:, 0]
    return mats


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads on both sides (default 1)")
    parser.add_argument("--rounds", type=int, default=11, help="interleaved rounds (default 11)")
    parser.add_argument("--skip-numpy-1000", action="store_true",
                        help="do not run numpy's planner at 1,000 matrices (minutes)")
    args = parser.parse_args()
    rng = np.random.default_rng(0)

    with threadpool_limits(limits=args.threads, user_api="blas"):
        header(args.threads)
        rounds = args.rounds

        print("| what | chainplan | numpy | ratio (median) | note |")
        print("| --- | --- | --- | --- | --- |")

        # 1. call overhead
        small = chain(rng, [10, 10, 10, 10])
        r, ta, tb = interleaved(lambda: chainplan.multi_dot(small), lambda: np.linalg.multi_dot(small), rounds)
        row("multi_dot, 3 × 10×10", r, ta, tb, "call overhead")

        # 2. large and skewed chains
        for dims, vectors, label in [
            ([1000, 10, 1000, 10, 1000], (False, False), "1000 10 1000 10 1000"),
            ([1, 512, 512, 512, 784], (True, False), "1 512 512 512 784 (1-D first)"),
            ([600] * 6, (False, False), "600 × 6 (five squares)"),
        ]:
            mats = chain(rng, dims, vectors)
            want = np.linalg.multi_dot(mats)
            got = chainplan.multi_dot(mats)
            err = float(np.max(np.abs(got - want)) / np.max(np.abs(want)))
            r, ta, tb = interleaved(lambda: chainplan.multi_dot(mats), lambda: np.linalg.multi_dot(mats),
                                    rounds, min_time=0.2)
            row(f"multi_dot, {label}", r, ta, tb,
                f"{chainplan.plan(dims).order}; rel. diff {err:.1e}")
            r, ta, tb = alternating(lambda: chainplan.multi_dot(mats), lambda: np.linalg.multi_dot(mats),
                                    rounds)
            row(f"multi_dot, {label}, calls alternating", r, ta, tb, "each call follows the other side's")

        # 3. planning
        for n in (300, 1000):
            dims = [int(d) for d in rng.integers(1, 1000, size=n + 1)]
            arrays = [np.broadcast_to(np.float64(0), (dims[i], dims[i + 1])) for i in range(n)]
            if n == 1000 and args.skip_numpy_1000:
                continue
            start = time.perf_counter()
            s = _multi_dot_matrix_chain_order(arrays)
            numpy_s = time.perf_counter() - start
            auto = per_call(lambda: chainplan.plan(dims), 0.2)
            dp = per_call(lambda: chainplan.plan(dims, algorithm="dp"), 0.5)
            best = chainplan.plan(dims)
            # numpy's split table gives its own optimal cost; the two exact planners agree.
            def cost(i, j):
                if i == j:
                    return 0
                k = s[i, j]
                return cost(i, k) + cost(k + 1, j) + dims[i] * dims[k + 1] * dims[j + 1]
            sys.setrecursionlimit(10_000)
            agree = "same cost" if cost(0, n - 1) == best.cost else "COSTS DIFFER"
            row(f"plan, {n} matrices (auto: {best.algorithm})", auto / numpy_s, auto, numpy_s,
                f"numpy timed once; {numpy_s / auto:,.0f}x faster; {agree}")
            row(f"plan, {n} matrices (dp)", dp / numpy_s, dp, numpy_s, f"{numpy_s / dp:,.0f}x faster")

        # 4. a stack of 1,000 small chains
        stack = [rng.standard_normal((1000, 8, 16)), rng.standard_normal((1000, 16, 4)),
                 rng.standard_normal((1000, 4, 16)), rng.standard_normal((1000, 16, 8))]
        loop = lambda: [np.linalg.multi_dot([m[i] for m in stack]) for i in range(1000)]  # noqa: E731
        got = chainplan.multi_dot(stack)
        want = np.array(loop())
        err = float(np.max(np.abs(got - want)) / np.max(np.abs(want)))
        r, ta, tb = interleaved(lambda: chainplan.multi_dot(stack), loop, rounds, min_time=0.2)
        row("stack of 1,000 chains 8 16 4 16 8 vs a loop", r, ta, tb, f"rel. diff {err:.1e}")

        # 5. executor choice: numpy's matmul into planned buffers vs the library's executor
        print()
        print("Executor choice (ratio: library's BLAS executor / numpy matmul into planned buffers;")
        print("both plan once per call and write into a preallocated out):")
        print()
        print("| chain | library executor | numpy matmul | ratio (median) |")
        print("| --- | --- | --- | --- |")
        for dims in ([10, 10, 10, 10], [1000, 10, 1000, 10, 1000], [600] * 6):
            mats = chain(rng, dims)
            out_a = np.empty((dims[0], dims[-1]))
            out_b = np.empty((dims[0], dims[-1]))

            def library():
                _native.execute_f64(chainplan.plan(dims)._native, mats, out_b)

            def numpy_path():
                chainplan.multi_dot(mats, out=out_a)

            library()
            numpy_path()
            diff = float(np.max(np.abs(out_a - out_b)) / np.max(np.abs(out_a)))
            r, ta, tb = interleaved(library, numpy_path, rounds, min_time=0.2)
            print(f"| {' '.join(map(str, dims))} | {fmt_time(ta)} | {fmt_time(tb)} | {r:.3f} (rel. diff {diff:.1e}) |")


if __name__ == "__main__":
    main()
