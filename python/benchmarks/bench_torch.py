"""chainplan.torch on CPU (python/README.md, "JAX and PyTorch").

    python python/benchmarks/bench_torch.py [--rounds 7] [--threads 1]

(b) Stacks of 1,000 chains (one stack per operand): the small chain 8 16 4 16 8 and six
    matrices of random dimensions 2-60; ``chainplan.torch.multi_dot`` on the stacks against a
    Python loop of ``torch.linalg.multi_dot`` over the 1,000 chains.
(d) The FX pass on two models with real chains, float32: a low-rank adapter written
    ``x @ (A @ B)`` beside a frozen ``x @ W`` (x a batch of 8,192 rows of 1,024), and a stack
    of four linear maps without activations ending in a narrow head (1,024 → 1,024 → 1,024 →
    1,024 → 8). Each model eager, and compiled with ``torch.compile`` through
    ``chainplan.torch.backend`` (the reassociated graph run eagerly) and through the plain
    ``eager`` backend; outputs compared.

Each time is the median of ``--rounds`` rounds that run every side once in turn.
"""

import argparse
import os
import platform
import statistics
import time

import torch

import chainplan.torch as ct
from _machine import cpu_model


def timed(fns, rounds):
    for f in fns:
        f()
    times = [[] for _ in fns]
    for _ in range(rounds):
        for i, f in enumerate(fns):
            reps, start = 0, time.perf_counter()
            while True:
                f()
                reps += 1
                if time.perf_counter() - start > 0.1:
                    break
            times[i].append((time.perf_counter() - start) / reps)
    return [statistics.median(t) for t in times]


def bench_stacks(rounds):
    g = torch.Generator().manual_seed(0)
    medium = torch.randint(2, 61, (7,), generator=g).tolist()
    print("(b) stacks of 1,000 chains, float64: chainplan.torch.multi_dot on the stacks against "
          "a Python loop of torch.linalg.multi_dot")
    for dims in ([8, 16, 4, 16, 8], medium):
        stacks = [torch.randn(1000, dims[i], dims[i + 1], generator=g, dtype=torch.float64)
                  for i in range(len(dims) - 1)]
        loop = lambda: [torch.linalg.multi_dot([s[j] for s in stacks])  # noqa: E731
                        for j in range(1000)]
        ours = lambda: ct.multi_dot(stacks)  # noqa: E731
        err = (torch.stack(loop()) - ours()).abs().max().item()
        t_loop, t_ours = timed([loop, ours], rounds)
        print(f"    dims {dims}: loop {t_loop * 1e3:8.2f} ms, chainplan {t_ours * 1e3:8.2f} ms, "
              f"ratio loop/chainplan {t_loop / t_ours:.2f}; max difference {err:.1e}")


class Adapter(torch.nn.Module):
    def __init__(self, d=1024, r=16):
        super().__init__()
        g = torch.Generator().manual_seed(1)
        self.w = torch.nn.Parameter(torch.randn(d, d, generator=g) / d**0.5)
        self.a = torch.nn.Parameter(torch.randn(d, r, generator=g) / d**0.5)
        self.b = torch.nn.Parameter(torch.randn(r, d, generator=g) / r**0.5)

    def forward(self, x):
        return x @ self.w + x @ (self.a @ self.b)


class LinearStack(torch.nn.Module):
    def __init__(self, d=1024, head=8):
        super().__init__()
        g = torch.Generator().manual_seed(2)
        self.ws = torch.nn.ParameterList(
            [torch.nn.Parameter(torch.randn(d, d, generator=g) / d**0.5) for _ in range(3)]
            + [torch.nn.Parameter(torch.randn(d, head, generator=g) / d**0.5)])

    def forward(self, x):
        for w in self.ws:
            x = x @ w
        return x


def bench_fx(rounds):
    print("(d) the FX pass (torch.compile backend), float32, batch 8,192 x 1,024")
    x = torch.randn(8192, 1024, generator=torch.Generator().manual_seed(3))
    for name, model in [("low-rank adapter x@W + x@(A@B)", Adapter()),
                        ("linear stack 1024-1024-1024-1024-8", LinearStack())]:
        model.requires_grad_(False)
        torch._dynamo.reset()
        planned = torch.compile(model, backend=ct.backend, dynamic=False)
        plain = torch.compile(model, backend="eager", dynamic=False)
        with torch.no_grad():
            ref = model(x)
            got = planned(x)
            plain(x)
        rel = ((got - ref).abs().max() / ref.abs().max()).item()
        t_eager, t_plain, t_planned = timed(
            [lambda: model(x), lambda: plain(x), lambda: planned(x)], rounds)
        print(f"    {name}: eager {t_eager * 1e3:8.2f} ms, compiled (eager backend) "
              f"{t_plain * 1e3:8.2f} ms, compiled (chainplan backend) {t_planned * 1e3:8.2f} ms: "
              f"{t_plain / t_planned:.1f}x; max relative difference {rel:.1e}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--threads", type=int, default=1,
                        help="torch.set_num_threads (OpenMP threads spin badly on a loaded VM)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"CPU {cpu_model()}, {os.cpu_count()} cores, load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}; PyTorch {torch.__version__}, "
          f"{torch.get_num_threads()} threads, BLAS: "
          f"{'MKL' if torch.backends.mkl.is_available() else 'OpenBLAS/other'}; "
          f"Python {platform.python_version()}")
    with torch.inference_mode(False):
        bench_stacks(args.rounds)
        bench_fx(args.rounds)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
