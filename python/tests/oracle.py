"""An independent planner for small chains: every parenthesization, by brute force."""

import functools


def all_orders(dims):
    """{order string: (cost, largest intermediate)} for every parenthesization of the chain."""

    @functools.lru_cache(maxsize=None)
    def orders(i, j):
        if i == j:
            return [(f"A{i + 1}", 0, 0)]
        out = []
        for k in range(i, j):
            for lo, lc, lm in orders(i, k):
                for ro, rc, rm in orders(k + 1, j):
                    here = dims[i] * dims[k + 1] * dims[j + 1]
                    size = dims[i] * dims[j + 1] if (i, j) != (0, len(dims) - 2) else 0
                    out.append((f"({lo}{ro})", lc + rc + here, max(lm, rm, size)))
        return out

    return {o: (c, m) for o, c, m in orders(0, len(dims) - 2)}


def compose(layers):
    """f_L ∘ … ∘ f_1 as one function: what jacfwd/jacrev differentiate as the reference for
    the planned Jacobians of test_jax.py and test_torch.py."""

    def f(x):
        for layer in layers:
            x = layer(x)
        return x

    return f


def dense_network(widths, rand, act):
    """Layers x ↦ act(W·x + b) of random weights (``rand(*shape)``, any framework), scaled by
    1/sqrt(fan-in), for widths w0 … wL."""
    layers = []
    for i in range(len(widths) - 1):
        w = rand(widths[i + 1], widths[i]) / widths[i] ** 0.5
        b = rand(widths[i + 1])
        layers.append(lambda x, w=w, b=b: act(w @ x + b))
    return layers


def random_cost_chains(rng, count):
    """``count`` (widths, tangent costs, adjoint costs) of 1-5 layers of widths 1-8 and costs
    1-199, from a numpy Generator: costs unrelated to the widths, so that the matrix-free
    planner's plans use every operation (multiply, push, pull) across them."""
    for _ in range(count):
        widths = [int(w) for w in rng.integers(1, 9, int(rng.integers(2, 7)))]
        tan = [int(c) for c in rng.integers(1, 200, len(widths) - 1)]
        adj = [int(c) for c in rng.integers(1, 200, len(widths) - 1)]
        yield widths, tan, adj


def dp_cost(dims):
    """The optimal cost of the chain by the textbook O(n³) dynamic program, written here
    independently of the library (for chains too long for :func:`all_orders`)."""
    n = len(dims) - 1
    cost = [[0] * n for _ in range(n)]
    for length in range(2, n + 1):
        for i in range(n - length + 1):
            j = i + length - 1
            cost[i][j] = min(cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                             for k in range(i, j))
    return cost[0][n - 1]
