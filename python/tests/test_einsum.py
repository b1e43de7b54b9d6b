"""The opt_einsum path optimizer: exact on chains (checked by brute force), opt_einsum's own
elsewhere."""

import numpy as np
import pytest

opt_einsum = pytest.importorskip("opt_einsum")

import chainplan  # noqa: E402
from chainplan.einsum import chain_order  # noqa: E402
from oracle import all_orders  # noqa: E402

LETTERS = "abcdefghijklmnopqrstuvwxyz"


def chain_expression(dims, rng, vectors=(False, False)):
    """A shuffled chain-shaped expression for dims, its operands, and the chain's order."""
    n = len(dims) - 1
    terms = [LETTERS[i] + LETTERS[i + 1] for i in range(n)]
    shapes = [(dims[i], dims[i + 1]) for i in range(n)]
    if vectors[0]:
        terms[0], shapes[0] = terms[0][1:], shapes[0][1:]
    if vectors[1]:
        terms[-1], shapes[-1] = terms[-1][:1], shapes[-1][:1]
    out = ("" if vectors[0] else LETTERS[0]) + ("" if vectors[1] else LETTERS[n])
    perm = rng.permutation(n)
    expr = ",".join(terms[p] for p in perm) + "->" + out
    ops = [rng.standard_normal(shapes[p]) for p in perm]
    return expr, ops


def path_cost(expr, ops, path):
    info = opt_einsum.contract_path(expr, *ops, optimize=path)[1]
    return int(info.opt_cost)


@pytest.mark.parametrize("seed", range(25))
def test_chain_paths_are_optimal(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 8))
    dims = [int(d) for d in rng.integers(2, 50, size=n + 1)]
    vectors = (seed % 3 == 0, seed % 5 == 0)
    if vectors[0]:
        dims[0] = 1
    if vectors[1]:
        dims[-1] = 1
    expr, ops = chain_expression(dims, rng, vectors)
    path, _ = opt_einsum.contract_path(expr, *ops, optimize=chainplan.einsum_path)
    best = min(c for c, _ in all_orders(dims).values())
    # opt_einsum counts a pairwise contraction m·k·n as 2·m·k·n flops (multiply and add).
    assert path_cost(expr, ops, path) == 2 * best
    got = opt_einsum.contract(expr, *ops, optimize="chainplan")
    want = opt_einsum.contract(expr, *ops, optimize="greedy")
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10 * np.abs(want).max())


def test_the_known_expression():
    rng = np.random.default_rng(1)
    ops = [rng.standard_normal(s) for s in [(40, 2), (2, 50), (50, 3), (3, 60)]]
    path, _ = opt_einsum.contract_path("ab,bc,cd,de->ae", *ops, optimize=chainplan.einsum_path)
    assert path == [(1, 2), (1, 2), (0, 1)]  # (A1((A2A3)A4))


@pytest.mark.parametrize(
    "expr",
    [
        "abc,cd,de->abe",  # a 3-index input
        "ab,bc,cd->abd",  # a shared index kept (batch-like)
        "ab,bc,ca->",  # a cycle
        "ab,bc,bd->acd",  # a hyperedge
        "ab,bc,cd->a",  # an end index summed away
        "ab,cd->abcd",  # no shared index
    ],
)
def test_other_networks_fall_back_to_opt_einsum(expr):
    inputs, output = expr.split("->")
    inputs = inputs.split(",")
    sizes = {c: 3 + i for i, c in enumerate(sorted(set("".join(inputs))))}
    assert chain_order(inputs, output, sizes) is None
    ops = [np.ones(tuple(sizes[c] for c in term)) for term in inputs]
    ours = opt_einsum.contract_path(expr, *ops, optimize=chainplan.einsum_path)[0]
    theirs = opt_einsum.contract_path(expr, *ops, optimize="auto")[0]
    assert ours == theirs
