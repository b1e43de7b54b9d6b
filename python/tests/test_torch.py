"""chainplan.torch: multi_dot against torch.linalg.multi_dot and naive products (values,
gradients, broadcasting, vectors, torch.compile), Jacobians against torch.func.jacfwd/jacrev,
and the FX pass on random graphs with shared intermediates, in float64."""

import itertools
import operator
import random

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import torch.fx  # noqa: E402

import chainplan.torch as ct  # noqa: E402
from chainplan import _ml  # noqa: E402
from oracle import all_orders, compose, dense_network, random_cost_chains  # noqa: E402

TOL = dict(rtol=1e-10, atol=1e-10)
F64 = torch.float64


def _rand(g, *shape, grad=False):
    return torch.randn(*shape, generator=g, dtype=F64, requires_grad=grad)


def _close(a, b):
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), **TOL)


@pytest.mark.parametrize("seed", range(6))
def test_values_and_gradients_match_torch_multi_dot(seed):
    g = torch.Generator().manual_seed(seed)
    rng = random.Random(seed)
    n = rng.randint(2, 8)
    dims = [rng.randint(1, 30) for _ in range(n + 1)]
    ours = [_rand(g, dims[i], dims[i + 1], grad=True) for i in range(n)]
    theirs = [a.detach().clone().requires_grad_() for a in ours]
    out, ref = ct.multi_dot(ours), torch.linalg.multi_dot(theirs)
    _close(out, ref)
    out.sin().sum().backward()
    ref.sin().sum().backward()
    for a, b in zip(ours, theirs):
        _close(a.grad, b.grad)


def test_planned_order_is_the_optimum():
    """multi_dot runs the steps of _ml.chain_steps (test_jax.py counts their products against
    brute force); here the plan it uses under torch.compile is the same one."""
    rng = random.Random(11)
    for _ in range(30):
        dims = tuple(rng.randint(1, 25) for _ in range(rng.randint(4, 8)))
        assert ct._steps(dims) == _ml.chain_steps(dims)
        assert _ml.chain_cost(dims) == min(c for c, _ in all_orders(list(dims)).values())


@pytest.mark.parametrize("first,last", list(itertools.product([False, True], repeat=2)))
def test_vector_ends_and_broadcast_stacks(first, last):
    g = torch.Generator().manual_seed(3)
    shapes = [(2, 1, 5, 7), (7, 3), (4, 3, 6), (6, 2)]
    if first:
        shapes[0] = (7,)
    if last:
        shapes[-1] = (6,)
    tensors = [_rand(g, *s) for s in shapes]
    a = tensors[0].unsqueeze(0) if first else tensors[0]
    d = tensors[-1].unsqueeze(-1) if last else tensors[-1]
    expected = ((a @ tensors[1]) @ tensors[2]) @ d
    if last:
        expected = expected.squeeze(-1)
    if first:
        expected = expected.squeeze(-1 if last else -2)
    got = ct.multi_dot(tensors)
    assert got.shape == expected.shape
    _close(got, expected)


def test_refusals():
    with pytest.raises(ValueError, match="do not chain"):
        ct.multi_dot([torch.ones(2, 3), torch.ones(4, 5), torch.ones(5, 1)])
    with pytest.raises(TypeError, match="torch.Tensor"):
        ct.multi_dot([torch.ones(2, 3), np.ones((3, 2))])


def test_torch_compile():
    g = torch.Generator().manual_seed(4)
    tensors = [_rand(g, 8, 50), _rand(g, 50, 3), _rand(g, 3, 40), _rand(g, 40, 5)]
    compiled = torch.compile(lambda *ts: ct.multi_dot(list(ts)), backend="eager", fullgraph=True)
    _close(compiled(*tensors), torch.linalg.multi_dot(tensors))


# ---------------------------------------------------------------------------------------------
# Jacobians


def _network(g, widths):
    return dense_network(widths, lambda *shape: _rand(g, *shape), torch.tanh)


_compose = compose


@pytest.mark.parametrize("widths", [[30, 20, 1, 20, 20, 5], [5, 40, 40, 3], [3, 50, 2]])
def test_jacobian_equals_jacfwd_and_jacrev(widths):
    g = torch.Generator().manual_seed(len(widths))
    layers = _network(g, widths)
    x = _rand(g, widths[0])
    got = ct.jacobian(layers, x)
    _close(got, torch.func.jacfwd(_compose(layers))(x))
    _close(got, torch.func.jacrev(_compose(layers))(x))


def test_random_costs_cover_every_operation():
    g = torch.Generator().manual_seed(6)
    rng = np.random.default_rng(6)
    seen = set()
    for widths, tan, adj in random_cost_chains(rng, 25):
        layers = _network(g, widths)
        x = _rand(g, widths[0])
        jac = ct.jacobian(layers, tangent_costs=tan, adjoint_costs=adj)
        seen.update(s.op for s in jac.plan(x).steps)
        _close(jac(x), torch.func.jacrev(_compose(layers))(x))
    assert {"multiply", "push", "pull"} <= seen


def test_bottleneck_plan_is_mixed_with_measured_costs():
    g = torch.Generator().manual_seed(0)
    layers = _network(g, [78, 51, 1, 51, 51, 10])
    plan = ct.jacobian(layers).plan(torch.zeros(78, dtype=F64))
    assert plan.mode == "mixed"
    assert plan.cost < min(plan.forward_cost, plan.reverse_cost)


def test_jvp_vjp_matrices_and_memory():
    g = torch.Generator().manual_seed(7)
    layers = _network(g, [10, 30, 2, 30, 8])
    x = _rand(g, 10)
    full = torch.func.jacfwd(_compose(layers))(x)
    v, w = _rand(g, 10, 3), _rand(g, 8, 2)
    jac = ct.jacobian(layers, tapes=[10, 30, 2, 30], memory=40)
    _close(jac.jvp_matrix(x, v), full @ v)
    _close(jac.vjp_matrix(x, w), w.T @ full)
    _close(jac(x), full)
    assert jac.plan(x).reverse_cost is None


def test_jacobian_is_differentiable():
    g = torch.Generator().manual_seed(8)
    layers = _network(g, [4, 6, 3])
    x = _rand(g, 4, grad=True)
    ours = torch.autograd.grad(ct.jacobian(layers, x).sum(), x)[0]
    y = x.detach().clone().requires_grad_()
    theirs = torch.autograd.grad(torch.func.jacrev(_compose(layers))(y).sum(), y)[0]
    _close(ours, theirs)


# ---------------------------------------------------------------------------------------------
# The FX pass


def _count_matmuls(gm):
    return sum(1 for n in gm.graph.nodes if ct._is_matmul(n))


def _random_graph(rng):
    """A graph multiplying a chain in a random order with random product functions, where
    random products also feed other outputs (shared intermediates), and its inputs."""
    n = rng.randint(3, 8)
    dims = [rng.randint(1, 40) for _ in range(n + 1)]
    lead = rng.choice([(), (3,)])
    graph = torch.fx.Graph()
    leaves = [graph.placeholder(f"m{i}") for i in range(n)]
    extras = []

    def build(i, j):
        if i == j:
            return leaves[i]
        k = rng.randint(i, j - 1)
        left, right = build(i, k), build(k + 1, j)
        batched = i == 0 and lead
        fn = rng.choice([operator.matmul, torch.matmul] + ([] if batched else [torch.mm]))
        node = graph.call_function(fn, (left, right))
        if rng.random() < 0.3 and (i, j) != (0, n - 1):
            extras.append(graph.call_function(operator.mul, (node, 2.0)))
        return node

    root = build(0, n - 1)
    graph.output((root, *extras))
    shapes = [(dims[i], dims[i + 1]) for i in range(n)]
    shapes[0] = lead + shapes[0]
    g = torch.Generator().manual_seed(rng.randint(0, 1 << 30))
    return torch.fx.GraphModule(torch.nn.Module(), graph), [_rand(g, *s) for s in shapes]


def test_fx_pass_keeps_outputs_on_random_graphs_with_shared_products():
    changed = 0
    for seed in range(40):
        rng = random.Random(seed)
        gm, inputs = _random_graph(rng)
        expected = gm(*inputs)
        code = gm.code
        products = _count_matmuls(gm)
        shared = sum(1 for n in gm.graph.nodes if ct._is_matmul(n) and len(n.users) > 1)
        ct.reassociate(gm, *inputs)
        changed += gm.code != code
        got = gm(*inputs)
        assert len(got) == len(expected)
        for a, b in zip(got, expected):
            _close(a, b)
        # Nothing is computed twice: as many products as before, as many of them shared.
        assert _count_matmuls(gm) == products
        assert sum(1 for n in gm.graph.nodes if ct._is_matmul(n) and len(n.users) > 1) == shared
    assert changed >= 10, changed


def test_fx_pass_reorders_a_low_rank_adapter():
    class Lora(torch.nn.Module):
        def __init__(self):
            super().__init__()
            g = torch.Generator().manual_seed(0)
            self.a = torch.nn.Parameter(_rand(g, 256, 4))
            self.b = torch.nn.Parameter(_rand(g, 4, 256))

        def forward(self, x):
            return x @ self.a @ self.b @ self.b.T

    model = Lora()
    x = _rand(torch.Generator().manual_seed(1), 64, 256)
    gm = torch.fx.symbolic_trace(model)
    before = gm.code
    ct.reassociate(gm, x)
    assert gm.code != before
    _close(gm(x), model(x))
    # Already optimal: left alone.
    again = gm.code
    ct.reassociate(gm, x)
    assert gm.code == again


def test_fx_pass_leaves_unknown_shapes_alone():
    def f(a, b, c):
        return a @ b @ c

    gm = torch.fx.symbolic_trace(f)
    code = gm.code
    ct.reassociate(gm)  # no shapes: nothing to plan
    assert gm.code == code


def test_compile_backend_reorders_and_keeps_values():
    g = torch.Generator().manual_seed(2)
    a, b, c = _rand(g, 300, 300), _rand(g, 300, 2), _rand(g, 2, 300)
    seen = []

    def spy(gm, example_inputs):
        out = ct.backend(gm, example_inputs)
        seen.append(gm.code)
        return out

    def f(a, b, c):
        return (a @ b) @ c @ b

    torch._dynamo.reset()
    compiled = torch.compile(f, backend=spy, dynamic=False)
    _close(compiled(a, b, c), f(a, b, c))
    assert seen and "matmul" in seen[0]


def test_measured_costs_of_products_and_elementwise_layers():
    """A product layer's vjp costs its multiply-adds (the flop counter's, halved), its jvp at
    least that (torch.func.jvp also recomputes the product for its primal output); an
    elementwise layer, which the counter does not see, costs its width."""
    g = torch.Generator().manual_seed(9)
    w1, w2 = _rand(g, 40, 5), _rand(g, 3, 40)
    layers = [lambda x: w1 @ x, torch.tanh, lambda x: w2 @ x]
    x = _rand(g, 5)
    plan = ct.jacobian(layers).plan(x)
    assert plan.adjoint_costs == (200, 40, 120)
    assert plan.tangent_costs[1] == 40
    assert plan.tangent_costs[0] >= 200 and plan.tangent_costs[2] >= 120
    _close(ct.jacobian(layers, x), torch.func.jacrev(_compose(layers))(x))
