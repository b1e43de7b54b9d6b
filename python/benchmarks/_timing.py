"""Timing shared by the benchmark scripts: one call, and interleaved rounds."""

import statistics
import time


def timed(fn):
    """Seconds one call of fn takes."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def interleaved(fns, rounds):
    """Median seconds of each function over rounds, after one warm-up call each; round r runs
    them in an order rotated by r, so that no function always runs first or last."""
    times = [[] for _ in fns]
    for fn in fns:  # warm-up
        fn()
    for r in range(rounds):
        order = list(range(len(fns)))
        order = order[r % len(fns):] + order[: r % len(fns)]
        for i in order:
            times[i].append(timed(fns[i]))
    return [statistics.median(t) for t in times]
