"""chainplan.jax: exact chain orders against a brute-force oracle, values and gradients
against jnp.linalg.multi_dot and naive products, Jacobians against jax.jacfwd/jacrev, under
jit, grad and vmap, in float64."""

import itertools
import random
import subprocess
import sys

import numpy as np
import pytest

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402

import chainplan.jax as cj  # noqa: E402
from chainplan import _ml  # noqa: E402
from oracle import all_orders, compose, dense_network, dp_cost, random_cost_chains  # noqa: E402

TOL = dict(rtol=1e-10, atol=1e-10)


def _rand(rng, *shape):
    return jnp.asarray(rng.standard_normal(shape))


def test_importing_chainplan_imports_no_framework():
    code = "import chainplan, sys; print('jax' in sys.modules, 'torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


@pytest.mark.parametrize("framework", ["jax", "torch"])
def test_missing_framework_names_the_extra(framework):
    code = (f"import sys; sys.modules[{framework!r}] = None\n"
            f"try:\n    import chainplan.{framework}\n"
            "except ImportError as e:\n    print(e)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert f"pip install 'chainplan[{framework}]'" in out.stdout


def test_plan_cost_is_the_brute_force_optimum_on_random_chains():
    rng = random.Random(7)
    for _ in range(60):
        n = rng.randint(2, 7)
        dims = [rng.randint(1, 40) for _ in range(n + 1)]
        best = min(c for c, _ in all_orders(dims).values())
        assert _ml.chain_cost(dims) == best, dims


def test_long_chains_cost_the_dp_optimum():
    """Chains of 8-30 matrices, dimensions 2-120 (the benchmark's): the plan multi_dot runs
    costs exactly the textbook DP's optimum (the library takes Hu-Shing above 8 matrices)."""
    rng = random.Random(23)
    for _ in range(150):
        dims = [rng.randint(2, 120) for _ in range(rng.randint(9, 31))]
        assert _ml.chain_cost(dims) == dp_cost(dims), dims


def test_executed_steps_cost_the_optimum():
    """The products multi_dot actually runs, counted as they run, cost the brute-force
    optimum."""
    rng = random.Random(3)
    for _ in range(30):
        n = rng.randint(3, 7)
        dims = [rng.randint(1, 25) for _ in range(n + 1)]
        counted = []

        def counting(a, b):
            counted.append(a.shape[-2] * a.shape[-1] * b.shape[-1])
            return np.matmul(a, b)

        # The executor chainplan.jax.multi_dot runs, with numpy's products (shapes only).
        arrays = [np.ones((dims[i], dims[i + 1])) for i in range(n)]
        _ml.multi_dot(arrays, counting, np.expand_dims, np.squeeze)
        assert sum(counted) == min(c for c, _ in all_orders(dims).values())


@pytest.mark.parametrize("seed", range(8))
def test_values_match_jnp_multi_dot(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 9))
    dims = [int(d) for d in rng.integers(1, 30, n + 1)]
    arrays = [_rand(rng, dims[i], dims[i + 1]) for i in range(n)]
    np.testing.assert_allclose(cj.multi_dot(arrays), jnp.linalg.multi_dot(arrays), **TOL)


@pytest.mark.parametrize("first,last", list(itertools.product([False, True], repeat=2)))
def test_vector_ends_follow_numpy(first, last):
    rng = np.random.default_rng(1)
    shapes = [(5, 7), (7, 3), (3, 4), (4, 6)]
    if first:
        shapes[0] = (7,)
    if last:
        shapes[-1] = (4,)
    arrays = [_rand(rng, *s) for s in shapes]
    expected = np.linalg.multi_dot([np.asarray(a) for a in arrays])
    got = cj.multi_dot(arrays)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, **TOL)


def test_batched_and_broadcast_chains():
    rng = np.random.default_rng(2)
    a = _rand(rng, 4, 1, 6, 30)
    b = _rand(rng, 30, 2)
    c = _rand(rng, 3, 2, 40)
    d = _rand(rng, 40,)
    got = cj.multi_dot([a, b, c, d])
    expected = ((a @ b) @ c) @ d
    assert got.shape == expected.shape == (4, 3, 6)
    np.testing.assert_allclose(got, expected, **TOL)


def test_mismatch_and_short_chains_are_refused():
    with pytest.raises(ValueError, match="do not chain"):
        cj.multi_dot([jnp.ones((2, 3)), jnp.ones((4, 5)), jnp.ones((5, 1))])
    with pytest.raises(ValueError, match="at least two"):
        cj.multi_dot([jnp.ones((2, 3))])
    with pytest.raises(ValueError, match="axes"):
        cj.multi_dot([jnp.ones((2, 3)), jnp.ones(3), jnp.ones((3, 1))])


def test_zero_dimension_gives_numpy_result():
    arrays = [jnp.ones((3, 0)), jnp.ones((0, 4)), jnp.ones((4, 2))]
    np.testing.assert_array_equal(cj.multi_dot(arrays), np.zeros((3, 2)))


def test_jit_grad_vmap():
    rng = np.random.default_rng(4)
    arrays = [_rand(rng, 8, 50), _rand(rng, 50, 3), _rand(rng, 3, 40), _rand(rng, 40, 5)]

    def loss(f):
        return lambda *xs: jnp.sum(jnp.sin(f(list(xs))))

    ours = jax.jit(jax.grad(loss(cj.multi_dot), argnums=(0, 1, 2, 3)))(*arrays)
    theirs = jax.grad(loss(jnp.linalg.multi_dot), argnums=(0, 1, 2, 3))(*arrays)
    for g, h in zip(ours, theirs):
        np.testing.assert_allclose(g, h, **TOL)
    stack = _rand(rng, 6, 8, 50)
    got = jax.vmap(lambda a: cj.multi_dot([a] + arrays[1:]))(stack)
    np.testing.assert_allclose(got, jnp.matmul(stack, jnp.linalg.multi_dot(arrays[1:])), **TOL)


def test_no_host_round_trip_under_jit():
    arrays = [jnp.ones((3, 40)), jnp.ones((40, 2)), jnp.ones((2, 30))]
    with jax.transfer_guard("disallow"):
        jax.jit(cj.multi_dot)(arrays).block_until_ready()


# ---------------------------------------------------------------------------------------------
# Jacobians


def _network(rng, widths):
    return dense_network(widths, lambda *shape: _rand(rng, *shape), jnp.tanh)


_compose = compose


@pytest.mark.parametrize("widths", [[30, 20, 1, 20, 20, 5], [5, 40, 40, 3], [12, 12], [3, 50, 2]])
def test_jacobian_equals_jacfwd_and_jacrev(widths):
    rng = np.random.default_rng(len(widths))
    layers = _network(rng, widths)
    x = _rand(rng, widths[0])
    jac = cj.jacobian(layers)
    got = jac(x)
    np.testing.assert_allclose(got, jax.jacfwd(_compose(layers))(x), **TOL)
    np.testing.assert_allclose(got, jax.jacrev(_compose(layers))(x), **TOL)
    np.testing.assert_allclose(jax.jit(jac)(x), got, **TOL)


def test_bottleneck_plan_is_mixed_and_cheaper_than_both_modes():
    rng = np.random.default_rng(0)
    layers = _network(rng, [78, 51, 1, 51, 51, 10])
    plan = cj.jacobian(layers).plan(jnp.zeros(78))
    assert plan.mode == "mixed"
    assert plan.cost < min(plan.forward_cost, plan.reverse_cost)
    assert set(plan.forward_layers) | set(plan.reverse_layers) <= set(range(5))
    assert str(plan).startswith("mixed plan ")


@pytest.mark.parametrize("which", ["optimal", "tangent", "adjoint"])
def test_every_plan_kind_gives_the_same_jacobian(which):
    rng = np.random.default_rng(5)
    layers = _network(rng, [6, 9, 2, 9, 4])
    x = _rand(rng, 6)
    got = cj.jacobian(layers, plan=which)(x)
    np.testing.assert_allclose(got, jax.jacrev(_compose(layers))(x), **TOL)


def test_random_costs_give_every_operation_and_the_right_jacobian():
    """With random given costs the planner uses multiply, push and pull in varied trees; each
    must give the same Jacobian."""
    rng = np.random.default_rng(6)
    seen = set()
    for widths, tan, adj in random_cost_chains(rng, 12):
        layers = _network(rng, widths)
        x = _rand(rng, widths[0])
        jac = cj.jacobian(layers, tangent_costs=tan, adjoint_costs=adj)
        seen.update(s.op for s in jac.plan(x).steps)
        np.testing.assert_allclose(jax.jit(jac)(x), jax.jacfwd(_compose(layers))(x), **TOL)
    assert {"multiply", "push", "pull"} <= seen


def test_jvp_and_vjp_matrices():
    rng = np.random.default_rng(7)
    layers = _network(rng, [10, 30, 2, 30, 8])
    x = _rand(rng, 10)
    full = jax.jacfwd(_compose(layers))(x)
    v = _rand(rng, 10, 3)
    w = _rand(rng, 8, 2)
    jac = cj.jacobian(layers)
    np.testing.assert_allclose(jac.jvp_matrix(x, v), full @ v, **TOL)
    np.testing.assert_allclose(jac.vjp_matrix(x, w), w.T @ full, **TOL)
    assert jac.plan(x, left=1).steps[-1].rows == 1


def test_memory_limit_bounds_pulls_and_keeps_the_result():
    rng = np.random.default_rng(8)
    widths = [6, 6, 6, 6, 6]
    layers = _network(rng, widths)
    x = _rand(rng, 6)
    cost = dict(tangent_costs=[100] * 4, adjoint_costs=[1] * 4)
    free = cj.jacobian(layers, **cost).plan(x)
    tight = cj.jacobian(layers, **cost, tapes=[5] * 4, memory=5).plan(x)
    for s in tight.steps:
        if s.op == "pull":
            assert len(s.through) * 5 <= 5
    assert tight.cost >= free.cost
    assert tight.reverse_cost is None
    np.testing.assert_allclose(cj.jacobian(layers, **cost, tapes=[5] * 4, memory=5)(x),
                               jax.jacrev(_compose(layers))(x), **TOL)


def test_jacobian_of_matrix_shaped_layers_and_vmap():
    rng = np.random.default_rng(9)
    w = _rand(rng, 4, 3)
    layers = [lambda x: jnp.sin(x @ w), lambda y: (y ** 2).reshape(-1), lambda z: z[:5] * 2.0]
    x = _rand(rng, 2, 4)
    got = cj.jacobian(layers)(x)
    expected = jax.jacfwd(_compose(layers))(x)
    assert got.shape == expected.shape == (5, 2, 4)
    np.testing.assert_allclose(got, expected, **TOL)
    xs = _rand(rng, 3, 2, 4)
    np.testing.assert_allclose(jax.vmap(cj.jacobian(layers))(xs),
                               jax.vmap(jax.jacfwd(_compose(layers)))(xs), **TOL)


def test_jit_with_weights_as_traced_arguments():
    """Layers that close over values traced by jit cannot be measured alone: the dense
    estimate plans them, and the Jacobian is still right."""
    rng = np.random.default_rng(10)
    ws = [_rand(rng, 7, 5), _rand(rng, 1, 7), _rand(rng, 6, 1)]

    @jax.jit
    def both(ws, x):
        layers = [lambda x, w=w: jnp.tanh(w @ x) for w in ws]
        return cj.jacobian(layers)(x), jax.jacrev(_compose(layers))(x)

    got, expected = both(ws, _rand(rng, 5))
    np.testing.assert_allclose(got, expected, **TOL)


def test_bad_arguments():
    with pytest.raises(ValueError, match="at least one layer"):
        cj.jacobian([])
    with pytest.raises(TypeError, match="not a callable"):
        cj.jacobian([1])
    with pytest.raises(ValueError, match="go together"):
        cj.jacobian([jnp.sin], tangent_costs=[1])
    with pytest.raises(ValueError):
        cj.jacobian([jnp.sin], tangent_costs=[1, 2], adjoint_costs=[1, 2])(jnp.ones(3))
    with pytest.raises(ValueError, match="go together"):
        _ml.jacobian_plan([3, 3], [1], [1], memory=3)


def test_planner_refusals_are_the_librarys():
    with pytest.raises(ValueError, match="optimal"):
        _ml.jacobian_plan([3, 3], [1], [1], which="sideways")
    with pytest.raises(ValueError, match="tape"):
        _ml.jacobian_plan([3, 3, 3], [1, 1], [1, 1], tapes=[5, 5], memory=1)
    with pytest.raises(ValueError, match="adjoint"):
        _ml.jacobian_plan([3, 3, 3], [1, 1], [1, 1], tapes=[5, 5], memory=5, which="adjoint")
    with pytest.raises(ValueError, match="tangent costs"):
        _ml.jacobian_plan([3, 3, 3], [1], [1, 1])
