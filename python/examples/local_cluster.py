"""A matrix chain on a local Dask cluster: chainplan's order against Dask's own.

    pip install "./python[distributed]"          # builds the extension; no binary needed
    python python/examples/local_cluster.py                       # 4000 2000 6000 2000 4000
    python python/examples/local_cluster.py 1000 50 2000 50 1000 --repeat 3

Both products are built lazily from the same random inputs, which are generated and held on
the workers before any clock starts. Each timing is one ``persist`` of the product, waited
for, so the result stays on the cluster and no transfer to this process is timed. The two
orders run alternately in one process, and their results are compared at the end.
"""

import argparse
import functools
import operator
import os
import platform
import time

import dask
import dask.array as da
import numpy as np
from distributed import Client, LocalCluster, wait

import chainplan
from chainplan.dask import multi_dot


def timed_persist(client, product):
    start = time.perf_counter()
    result = client.persist(product)
    wait(result)
    return time.perf_counter() - start, result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dims", nargs="*", type=int, default=[4000, 2000, 6000, 2000, 4000],
                        help="dimensions p0 ... pn (default: 4000 2000 6000 2000 4000)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--threads", type=int, default=1, help="threads per worker (default 1)")
    parser.add_argument("--chunk", type=int, default=1000, help="chunk edge in elements (default 1000)")
    parser.add_argument("--repeat", type=int, default=1, help="timings of each order (default 1)")
    args = parser.parse_args()
    dims = args.dims
    if len(dims) < 3:
        parser.error("give at least three dimensions (two matrices)")

    plan = chainplan.plan(dims)
    ltr_cost = plan.left_to_right.cost  # ((A1A2)A3)...: what a @ b @ c @ ... does
    print(f"chain {' '.join(map(str, dims))}: {len(dims) - 1} matrices")
    print(f"chainplan {chainplan.__version__}: planned in-process ({plan.algorithm})")
    print(f"  planned order   {plan.order}  {plan.cost:.3e} scalar multiplications")
    print(f"  Dask's own order (left to right)  {ltr_cost:.3e}  ({ltr_cost / plan.cost:.2f}x the plan)")

    with LocalCluster(n_workers=args.workers, threads_per_worker=args.threads,
                      processes=True, dashboard_address=None) as cluster, Client(cluster) as client:
        blas_threads = client.run(lambda: os.environ.get("OPENBLAS_NUM_THREADS", "unset"))
        print(f"cluster: {args.workers} workers x {args.threads} thread(s); "
              f"OPENBLAS_NUM_THREADS on workers: {sorted(set(blas_threads.values()))}; "
              f"CPU: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
              f"dask {dask.__version__}, numpy {np.__version__}")

        rng = da.random.default_rng(42)
        inputs = [rng.standard_normal((dims[i], dims[i + 1]), chunks=args.chunk)
                  for i in range(len(dims) - 1)]
        inputs = client.persist(inputs)
        wait(inputs)

        planned = multi_dot(inputs)
        dasks_own = functools.reduce(operator.matmul, inputs)  # a @ b @ c @ d
        times = {"planned": [], "dask": []}
        results = {}
        for _ in range(args.repeat):
            for name, product in [("dask", dasks_own), ("planned", planned)]:
                seconds, results[name] = timed_persist(client, product)
                times[name].append(seconds)
                if len(times[name]) < args.repeat:
                    del results[name]

        difference = da.max(abs(results["planned"] - results["dask"])) / da.max(abs(results["dask"]))
        rel = float(difference.compute())
        for name, label in [("planned", f"planned {plan.order}"), ("dask", "Dask's a @ b @ c @ ...")]:
            ts = times[name]
            print(f"  {label:<40} {min(ts):7.2f} s best of {len(ts)}  "
                  f"(all: {', '.join(f'{t:.2f}' for t in ts)})")
        print(f"  speedup of the plan: {min(times['dask']) / min(times['planned']):.2f}x; "
              f"results agree to {rel:.1e} relative")


if __name__ == "__main__":
    main()
