"""chainplan.jax against JAX's own choices, on CPU (python/README.md, "JAX and PyTorch").

    python python/benchmarks/bench_jax.py [--chains 1000] [--rounds 7] [--scale 8] [--skip-large]
                                          [--skip-jacobians]

(a) Random chains of 8-30 matrices (dimensions 2-120): the cost of chainplan's plan against
    the cost of the path ``jnp.linalg.multi_dot`` takes (opt_einsum ``auto``, through
    ``jnp.einsum_path``), counted in scalar multiplications; then the ten chains where JAX's
    path is worst, both jitted, timed in float32, as they are and with every dimension
    multiplied by ``--scale`` (8), where arithmetic outweighs the per-product dispatch. Beside
    each, the fixed cost of a call: a jitted ``chainplan.jax.multi_dot`` of a trivial chain of
    the same length (every dimension 2), whose time is dispatch and per-product overhead with
    no arithmetic to speak of; the time ratio is given raw and with that time subtracted from
    both sides.
(c) Full Jacobians of tanh networks with a bottleneck, 784-512-1-512-512-10 and
    4096-2048-1-2048-4096-64: chainplan's plan against ``jax.jacfwd`` and ``jax.jacrev``, all
    three jitted (float32), with XLA's memory analysis of each compiled function (temporaries
    plus output: the peak it plans for).

Each time is the median of ``--rounds`` rounds that run every side once in turn, so all
sides see the same machine load; ratios are within one run.
"""

import argparse
import os
import platform
import statistics
import string
import time

import numpy as np

import jax
import jax.numpy as jnp

import chainplan.jax as cj
from _machine import cpu_model
from chainplan import _ml


def path_cost(dims, path):
    """Scalar multiplications of an einsum ``path`` over the chain ``dims``: each contraction
    costs the product of the sizes of every index its operands carry (m·k·n for a product of
    adjacent matrices; an outer product of non-adjacent ones costs its size)."""
    ops = [((i, i + 1)) for i in range(len(dims) - 1)]
    ops = [frozenset(o) for o in ops]
    total = 0
    for contraction in path:
        taken = [ops[i] for i in contraction]
        for i in sorted(contraction, reverse=True):
            del ops[i]
        indices = frozenset().union(*taken)
        total += int(np.prod([dims[i] for i in indices], dtype=object))
        # Indices that remain: those appearing in other operands or in the output (0 and n).
        rest = frozenset().union(*ops) if ops else frozenset()
        keep = frozenset(i for i in indices if i in rest or i in (0, len(dims) - 1))
        ops.append(keep)
    return total


def jax_path(dims):
    letters = string.ascii_letters
    n = len(dims) - 1
    subs = ",".join(letters[i] + letters[i + 1] for i in range(n))
    eq = f"{subs}->{letters[0]}{letters[n]}"
    shapes = [np.broadcast_to(np.float32(0), (dims[i], dims[i + 1])) for i in range(n)]
    path, _ = jnp.einsum_path(eq, *shapes, optimize="auto")
    return [tuple(p) for p in path[1:]] if path and path[0] == "einsum_path" else path


def timed(fns, args, rounds):
    """Median seconds per call of each of ``fns`` (jitted and warmed), interleaved."""
    for f in fns:
        jax.block_until_ready(f(*args))
    times = [[] for _ in fns]
    for _ in range(rounds):
        for i, f in enumerate(fns):
            reps, start = 0, time.perf_counter()
            while True:
                jax.block_until_ready(f(*args))
                reps += 1
                if time.perf_counter() - start > 0.05:
                    break
            times[i].append((time.perf_counter() - start) / reps)
    return [statistics.median(t) for t in times]


def bench_chains(count, rounds, scale_up):
    rng = np.random.default_rng(2026)
    rows = []
    for _ in range(count):
        n = int(rng.integers(8, 31))
        dims = [int(d) for d in rng.integers(2, 121, n + 1)]
        ours = _ml.chain_cost(dims)
        theirs = path_cost(dims, jax_path(dims))
        assert theirs >= ours, (dims, theirs, ours)
        rows.append((theirs / ours, dims, ours, theirs))
    ratios = np.array([r[0] for r in rows])
    worse = ratios > 1
    print(f"(a) {count} random chains of 8-30 matrices, dimensions 2-120")
    print(f"    JAX's path costs more than chainplan's on {worse.sum()} ({worse.mean():.0%}); "
          f"ratio median {np.median(ratios):.2f}x, 90th percentile "
          f"{np.percentile(ratios, 90):.2f}x, max {ratios.max():.2f}x")
    print("    ten worst, jitted, float32 (time ratio = jnp.linalg.multi_dot / chainplan; "
          "fixed = a trivial chain of the same length, all dimensions 2, by chainplan; "
          "net = the ratio with the fixed time subtracted from both):")
    header = (f"    {'matrices':>8} {'flop ratio':>10} {'jnp ms':>9} {'chainplan ms':>12} "
              f"{'fixed ms':>9} {'time ratio':>10} {'net ratio':>9}")
    print(header)
    worst = sorted(rows, key=lambda r: -r[0])[:10]
    key = np.random.default_rng(0)
    for scale in (1, scale_up):
        if scale != 1:
            print(f"    the same ten chains with every dimension times {scale} (arithmetic "
                  "outweighs dispatch):")
            print(header)
        for _ratio, dims, _ours, _theirs in worst:
            dims = [d * scale for d in dims]
            ratio = path_cost(dims, jax_path(dims)) / _ml.chain_cost(dims)
            arrays = [jnp.asarray(key.standard_normal((dims[i], dims[i + 1])), jnp.float32)
                      for i in range(len(dims) - 1)]
            trivial = [jnp.ones((2, 2), jnp.float32) for _ in arrays]
            ref = jax.jit(jnp.linalg.multi_dot)
            ours = jax.jit(cj.multi_dot)
            fixed = jax.jit(lambda a, _t=trivial: cj.multi_dot(_t))
            t_ref, t_ours, t_fixed = timed([ref, ours, fixed], (arrays,),
                                           rounds if scale == 1 else 3)
            net = "n/a"
            if t_ours > t_fixed:
                net = f"{(t_ref - t_fixed) / (t_ours - t_fixed):.2f}"
            print(f"    {len(dims) - 1:>8} {ratio:>10.2f} {t_ref * 1e3:>9.3f} "
                  f"{t_ours * 1e3:>12.3f} {t_fixed * 1e3:>9.3f} {t_ref / t_ours:>10.2f} "
                  f"{net:>9}")


def network(widths, seed=0):
    rng = np.random.default_rng(seed)
    params = []
    for i in range(len(widths) - 1):
        w = jnp.asarray(rng.standard_normal((widths[i + 1], widths[i])) / np.sqrt(widths[i]),
                        jnp.float32)
        b = jnp.asarray(rng.standard_normal(widths[i + 1]), jnp.float32)
        params.append((w, b))
    layers = [lambda x, w=w, b=b: jnp.tanh(w @ x + b) for w, b in params]
    return layers


def peak_bytes(f, x):
    m = jax.jit(f).lower(x).compile().memory_analysis()
    if m is None:
        return float("nan")
    return m.temp_size_in_bytes + m.output_size_in_bytes


def bench_jacobians(rounds, skip_large):
    nets = [[784, 512, 1, 512, 512, 10]]
    if not skip_large:
        nets.append([4096, 2048, 1, 2048, 4096, 64])
    print("(c) full Jacobians of tanh networks, jitted, float32")
    for widths in nets:
        layers = network(widths)

        def composed(x):
            for f in layers:
                x = f(x)
            return x

        jac = cj.jacobian(layers)
        x = jnp.asarray(np.random.default_rng(1).standard_normal(widths[0]), jnp.float32)
        plan = jac.plan(x)
        fns = {"chainplan": jax.jit(jac), "jacfwd": jax.jit(jax.jacfwd(composed)),
               "jacrev": jax.jit(jax.jacrev(composed))}
        ref = np.asarray(fns["jacrev"](x))
        err = float(np.max(np.abs(np.asarray(fns["chainplan"](x)) - ref)))
        times = timed(list(fns.values()), (x,), rounds)
        mems = [peak_bytes(f, x) for f in [jac, jax.jacfwd(composed), jax.jacrev(composed)]]
        print(f"    {'-'.join(map(str, widths))}: plan {plan.order}, "
              f"{plan.cost:,} multiplications (forward {plan.forward_cost:,}, reverse "
              f"{plan.reverse_cost:,}); max |chainplan - jacrev| {err:.1e}")
        for (name, _), t, mem in zip(fns.items(), times, mems):
            print(f"      {name:>9}: {t * 1e3:9.3f} ms  {times[0] and t / times[0]:6.2f}x "
                  f"chainplan's time   XLA peak {mem / 2**10:10,.0f} KiB")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chains", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--skip-large", action="store_true")
    parser.add_argument("--skip-jacobians", action="store_true",
                        help="part (a) only")
    parser.add_argument("--scale", type=int, default=8,
                        help="the ten worst chains again with dimensions times this")
    args = parser.parse_args()
    print(f"CPU {cpu_model()}, {os.cpu_count()} cores, load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}; JAX {jax.__version__} on "
          f"{jax.devices()[0].platform}, XLA's own CPU kernels (Eigen threads: all cores); "
          f"Python {platform.python_version()}")
    bench_chains(args.chains, args.rounds, args.scale)
    if not args.skip_jacobians:
        bench_jacobians(args.rounds, args.skip_large)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
