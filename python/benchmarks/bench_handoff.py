"""Plan.to_dict() / to_handoff() against planning, for 10⁶ random dimensions (python/README.md).

Each call is timed by this process's CPU time (user and system: building the dict faults in
hundreds of megabytes) and its minor page faults. The dict of the first call is freed before
the second, so the second reuses what the allocator kept.

    python python/benchmarks/bench_handoff.py [MATRICES]
"""
import random
import resource
import sys
import time

import chainplan


def timed(f):
    start = time.process_time()
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    result = f()
    return (result, time.process_time() - start,
            resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10**6
    rng = random.Random(7)
    dims = [rng.randint(1, 999) for _ in range(n + 1)]
    plan, t_plan, f_plan = timed(lambda: chainplan.plan(dims))
    d, t_dict, f_dict = timed(plan.to_dict)
    del d
    d, t_handoff, f_handoff = timed(plan.to_handoff)
    del d
    print(f"{n} matrices: plan {t_plan:.2f} s ({f_plan} faults), to_dict {t_dict:.2f} s "
          f"({f_dict} faults), to_handoff {t_handoff:.2f} s ({f_handoff} faults); "
          f"to_dict / plan {t_dict / t_plan:.2f}, to_handoff / plan {t_handoff / t_plan:.2f}")


if __name__ == "__main__":
    main()
