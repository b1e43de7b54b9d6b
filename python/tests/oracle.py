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
