"""An opt_einsum path optimizer that is exact on matrix chains.

``optimize=chainplan.einsum_path`` (or the registered name ``"chainplan"``) makes
``opt_einsum.contract`` and ``contract_path`` -- and the libraries that call them with a
user-given ``optimize``, such as ``jax.numpy.einsum`` -- contract chain-shaped expressions
like ``'ab,bc,cd,de->ae'`` in the order chainplan's library finds cheapest. Any other network
(a batch index, a hyperedge, an index summed away at an end, a memory limit) goes to
opt_einsum's own optimizer (``fallback``, ``"auto"`` by default).

>>> import opt_einsum, chainplan                                     # doctest: +SKIP
>>> opt_einsum.contract('ab,bc,cd,de->ae', *ops, optimize=chainplan.einsum_path)  # doctest: +SKIP
"""

from __future__ import annotations

from opt_einsum.paths import PathOptimizer, get_path_fn, register_path_fn

from ._plan import plan
from ._text import bounded

__all__ = ["ChainPathOptimizer", "chain_order", "einsum_path"]


@bounded
def chain_order(inputs, output, size_dict):
    """If the network is a matrix chain, its inputs in chain order and the chain's dimensions
    p0 … pn; otherwise None.

    A chain: every input has one or two distinct indices; every index shared by inputs is
    shared by exactly two and not kept in the output; the inputs linked by shared indices form
    one path; the output is exactly the free indices of the two ends (an end with a single
    index is a vector)."""
    inputs = [frozenset(x) for x in inputs]
    output = frozenset(output)
    n = len(inputs)
    if n < 2 or any(not 1 <= len(x) <= 2 for x in inputs):
        return None
    holders = {}
    for pos, x in enumerate(inputs):
        for ix in x:
            holders.setdefault(ix, []).append(pos)
    links = {pos: [] for pos in range(n)}
    free = set()
    for ix, where in holders.items():
        if len(where) == 1:
            free.add(ix)
        elif len(where) == 2 and ix not in output:
            a, b = where
            links[a].append((b, ix))
            links[b].append((a, ix))
        else:
            return None
    if free != output:
        return None
    ends = [pos for pos in range(n) if len(links[pos]) == 1]
    if len(ends) != 2 or any(len(v) > 2 for v in links.values()):
        return None
    order, dims = [ends[0]], []
    first_free = inputs[ends[0]] - {links[ends[0]][0][1]}
    dims.append(size_dict[next(iter(first_free))] if first_free else 1)
    previous = None
    while True:
        here = order[-1]
        nxt = [(b, ix) for b, ix in links[here] if b != previous]
        if not nxt:
            break
        b, ix = nxt[0]
        if b in order:
            return None  # a cycle
        dims.append(size_dict[ix])
        previous = here
        order.append(b)
    if len(order) != n:
        return None
    last_free = inputs[order[-1]] - {links[order[-1]][0][1]}
    dims.append(size_dict[next(iter(last_free))] if last_free else 1)
    if 0 in dims:
        return None
    return order, dims


class ChainPathOptimizer(PathOptimizer):
    """Exact contraction paths for matrix chains, from chainplan's library; other networks
    go to opt_einsum's ``fallback`` optimizer (a name such as ``"auto"`` or ``"greedy"``)."""

    @bounded
    def __init__(self, fallback: str = "auto", algorithm: str = "auto"):
        self.fallback = fallback
        self.algorithm = algorithm

    @bounded
    def __call__(self, inputs, output, size_dict, memory_limit=None):
        found = None if memory_limit not in (None, -1) else chain_order(inputs, output, size_dict)
        if found is None:
            return get_path_fn(self.fallback)(inputs, output, size_dict, memory_limit)
        order, dims = found
        p = plan(dims, algorithm=self.algorithm)
        # opt_einsum's path: each pair is positions in the current operand list; the pair is
        # removed and its contraction appended at the end. Operand ids: input positions, then
        # len(inputs) + s for the result of step s.
        base = len(inputs)
        current = list(range(base))
        path = []
        for s, step in enumerate(p.steps):
            pair = []
            for name in (step.lhs, step.rhs):
                k = int(name[1:]) - 1
                pair.append(order[k] if name[0] == "A" else base + k)
            i, j = sorted((current.index(pair[0]), current.index(pair[1])))
            path.append((i, j))
            current.pop(j)
            current.pop(i)
            current.append(base + s)
        return path


#: The path optimizer to pass as ``optimize=``; also registered with opt_einsum as
#: ``"chainplan"``.
einsum_path = ChainPathOptimizer()


def _registered(inputs, output, size_dict, memory_limit=None):
    return einsum_path(inputs, output, size_dict, memory_limit)


register_path_fn("chainplan", _registered)
