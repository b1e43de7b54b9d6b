#!/usr/bin/env python3
"""Times the 25 Linnea applications: naive numpy, recommended numpy/scipy and chainplan's
planned evaluation (and any column added to COLUMNS), interleaved round by round, with 1 and
2 BLAS threads.

    python python/benchmarks/linnea_apps/run.py --scale 0.25 --threads 1,2 --rounds 5
    python python/benchmarks/linnea_apps/run.py --apps kalman,gls --size paper

Before timing, every column's outputs are checked against the recommended ones (relative
Frobenius error, reported as "max rel err"). Each round runs the columns in an order rotated
by one, after one warm-up call each; the table shows medians, the ratio of each column to the
baseline one (--baseline, default recommended), the geometric mean of those ratios per thread
count, and which applications are ties (a ratio within 1.1x of 1) or below 1/1.1.

Kernel type: numpy's and scipy's wheels each ship an OpenBLAS (and chainplan links the
scipy-openblas32 wheel's). The header lists every BLAS that threadpoolctl sees, with its kernel type
("architecture"); compare only runs where they agree. Where the machine sets
OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE (for old OpenBLAS builds), unset both in the benchmark
command alone, or set OPENBLAS_CORETYPE to one kernel for every library, e.g.::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python python/benchmarks/linnea_apps/run.py
    OPENBLAS_CORETYPE=SkylakeX python python/benchmarks/linnea_apps/run.py

The ``chainplan`` column is chainplan's planned evaluation through the Python binding:
``chainplan.plan_expr(program, declarations, scalars=...)`` is called once per application
and size, outside the timed region (as a user caches a plan), and each timed call is
``plan.evaluate(arrays, scalars)``, which includes the library's O(n²) checks of the declared
structure. It links the scipy-openblas32 wheel's OpenBLAS; threadpoolctl limits its threads
with numpy's and scipy's.

To add a column, register a function that takes an Application and its sizes and returns a
callable from the operand dict to the dict of outputs (anything done before returning the
callable, such as planning, is not timed)::

    COLUMNS["mine"] = lambda app, sizes: lambda values: my_eval(app, values)
"""

import argparse
import json
import math
import os
import platform
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import numpy as np  # noqa: E402
import scipy  # noqa: E402
from threadpoolctl import threadpool_info, threadpool_limits  # noqa: E402

from _machine import cpu_model  # noqa: E402
from _timing import interleaved  # noqa: E402
from linnea_apps import APPS, by_key, make_all, scaled  # noqa: E402
from linnea_apps.export import write_atomically  # noqa: E402

def chainplan_column(app, sizes):
    """Plans ``app`` at ``sizes`` once (not timed) and returns the timed call: the planned
    evaluation of the program on the operand and scalar values."""
    import chainplan  # here: the naive and recommended columns run without the extension

    plan = chainplan.plan_expr(app.program, app.declarations(sizes),
                               scalars=app.scalar_declarations())
    names = {s.name for s in app.scalars}

    def run(values):
        arrays = {k: v for k, v in values.items() if k not in names}
        return plan.evaluate(arrays, {k: values[k] for k in names})

    return run


def _has_chainplan():
    try:
        import chainplan  # noqa: F401
    except ImportError:
        return False
    return True


#: The columns a run can time: name -> ((Application, sizes) -> (values -> {output: array})).
COLUMNS = {
    "naive": lambda app, sizes: lambda v: app.naive(**v),
    "recommended": lambda app, sizes: lambda v: app.recommended(**v),
    "chainplan": chainplan_column,
}

#: The columns timed unless --columns names others: chainplan's where the extension is built.
DEFAULT_COLUMNS = [c for c in COLUMNS if c != "chainplan" or _has_chainplan()]

#: The column the others are compared with unless --baseline names another.
BASELINE = "recommended"

#: A ratio within this factor of 1 is reported as a tie (the machines these run on are
#: shared and noisy; medians of a few rounds move by several percent between runs).
TIE = 1.10


def rel_err(out, ref):
    """Largest relative Frobenius error over the outputs."""
    worst = 0.0
    for name, r in ref.items():
        o = np.asarray(out[name]).reshape(np.shape(r))
        worst = max(worst, float(np.linalg.norm(o - r) / max(np.linalg.norm(r), 1e-300)))
    return worst


def blas_libraries():
    """(library file, kernel type, version) of every BLAS loaded in this process."""
    return [(Path(i["filepath"]).name, i.get("architecture"), i.get("version"))
            for i in threadpool_info() if i.get("user_api") == "blas"]


def header(args, sizes_label):
    load = os.getloadavg()
    libs = blas_libraries()
    lines = [
        f"CPU: {cpu_model()} ({os.cpu_count()} logical CPUs); Python {platform.python_version()}, "
        f"numpy {np.__version__}, scipy {scipy.__version__}",
        "BLAS: " + "; ".join(f"{f} {arch} {ver}" for f, arch, ver in libs),
        f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')} "
        f"OPENBLAS_L2_SIZE={os.environ.get('OPENBLAS_L2_SIZE', '(unset)')}",
        f"load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; sizes: "
        f"{sizes_label}; rounds: {args.rounds}; threads: {args.threads}",
    ]
    if len({arch for _, arch, _ in libs}) > 1:
        lines.append("WARNING: the BLAS libraries run different kernel types; see --help")
    return lines


def ms(s):
    return f"{s * 1e3:.1f}" if s >= 1e-3 else f"{s * 1e3:.3f}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--apps", default="all",
                        help="comma-separated keys or numbers (default: all 25)")
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--size", choices=["paper", "test"], default=None,
                      help="the paper's sizes or the tests' reduced ones")
    size.add_argument("--scale", type=float, default=None,
                      help="the paper's sizes times this factor (default 0.25)")
    parser.add_argument("--threads", default="1,2", help="BLAS thread counts (default 1,2)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    parser.add_argument("--columns", default=",".join(DEFAULT_COLUMNS),
                        help=f"columns to time, among {','.join(COLUMNS)} (default "
                        f"{','.join(DEFAULT_COLUMNS)})")
    parser.add_argument("--baseline", default=BASELINE,
                        help=f"the column the others are divided by (default {BASELINE})")
    parser.add_argument("--seed", type=int, default=22, help="operand seed (default 22)")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    args = parser.parse_args(argv)

    apps = APPS if args.apps == "all" else [by_key(k.strip()) for k in args.apps.split(",")]
    threads = [int(t) for t in args.threads.split(",")]
    columns = [c.strip() for c in args.columns.split(",")]
    unknown = [c for c in columns if c not in COLUMNS]
    baseline = args.baseline
    if unknown or baseline not in columns:
        parser.error(f"columns must include {baseline!r} and be among {sorted(COLUMNS)}")
    if args.size == "paper":
        sizes_of, label = (lambda a: a.sizes), "paper"
    elif args.size == "test":
        sizes_of, label = (lambda a: a.test_sizes), "test (reduced)"
    else:
        factor = 0.25 if args.scale is None else args.scale
        sizes_of, label = (lambda a: scaled(a.sizes, factor)), f"paper x {factor:g}"

    for line in header(args, label):
        print(line)
    others = [c for c in columns if c != baseline]
    head = ["#", "application", "sizes", "threads"] + [f"{c} ms" for c in columns]
    head += [f"{c} / {baseline}" for c in others] + ["max rel err"]
    print()
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))

    results, ratios = [], {(c, t): [] for c in others for t in threads}
    for app in apps:
        sizes = sizes_of(app)
        values = make_all(app, sizes, seed=args.seed + app.number)
        fns = [(lambda f=COLUMNS[c](app, sizes): f(values)) for c in columns]
        ref = fns[columns.index(BASELINE if BASELINE in columns else baseline)]()
        err = max(rel_err(fn(), ref) for fn in fns)
        for t in threads:
            with threadpool_limits(limits=t, user_api="blas"):
                med = interleaved(fns, args.rounds)
            base = med[columns.index(baseline)]
            row = {"number": app.number, "key": app.key, "sizes": sizes, "threads": t,
                   "seconds": dict(zip(columns, med)), "max_rel_err": err}
            results.append(row)
            cells = [str(app.number), app.title, ", ".join(f"{k}={v}" for k, v in sizes.items()),
                     str(t)] + [ms(s) for s in med]
            for c in others:
                r = med[columns.index(c)] / base
                ratios[(c, t)].append(r)
                cells.append(f"{r:.2f}")
            cells.append(f"{err:.1e}")
            print("| " + " | ".join(cells) + " |", flush=True)

    print()
    for (c, t), rs in ratios.items():
        if rs:
            gm = math.exp(sum(math.log(r) for r in rs) / len(rs))
            print(f"geometric mean of {c} / {baseline}, {t} thread(s), {len(rs)} applications: "
                  f"{gm:.2f}")
            ties = [a.number for a, r in zip(apps, rs) if 1 / TIE <= r <= TIE]
            below = [a.number for a, r in zip(apps, rs) if r < 1 / TIE]
            above = [a.number for a, r in zip(apps, rs) if r > TIE]
            print(f"  {c} / {baseline}, {t} thread(s): ties (within {TIE:g}x of 1): "
                  f"{ties or 'none'}; above {TIE:g} ({c} slower): {above or 'none'}; "
                  f"below 1/{TIE:g} ({baseline} slower): {below or 'none'}")
    load = os.getloadavg()
    print(f"load average at end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    if args.json:
        write_atomically(args.json, json.dumps({"header": header(args, label),
                                                "results": results}, indent=1) + "\n")


if __name__ == "__main__":
    main()
