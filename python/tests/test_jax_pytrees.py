"""chainplan.jax on layers that map pytrees to pytrees, and Wᵀ·J·V in one planned call:
results against jax.jacfwd/jacrev and jvp/vjp stacked with vmap, in float64."""

import numpy as np
import pytest

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402

import chainplan.jax as cj  # noqa: E402
from oracle import compose as _compose  # noqa: E402

TOL = dict(rtol=1e-10, atol=1e-10)


def _rand(rng, *shape):
    return jnp.asarray(rng.standard_normal(shape))


def _tree_close(got, want):
    assert jax.tree_util.tree_structure(got) == jax.tree_util.tree_structure(want)
    for a, b in zip(jax.tree_util.tree_leaves(got), jax.tree_util.tree_leaves(want)):
        assert a.shape == b.shape
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), **TOL)


def _structured_network(rng):
    """dict {'u': (4, 3), 'v': (5,)} -> tuple ((6,), (2, 2)) -> (7,) -> {'out': (3,), 'aux': (2,)}."""
    a, b = _rand(rng, 6, 12), _rand(rng, 6, 5)
    c = _rand(rng, 4, 18)
    d = _rand(rng, 7, 10)
    e, f = _rand(rng, 3, 7), _rand(rng, 2, 7)

    def f1(x):
        h = jnp.tanh(a @ x["u"].reshape(-1) + b @ x["v"])
        m = jnp.sin(c @ jnp.concatenate([h, x["u"].reshape(-1)])).reshape(2, 2)
        return (h, m + x["v"][:4].reshape(2, 2))

    def f2(hs):
        h, m = hs
        return jnp.tanh(d @ jnp.concatenate([h, m.reshape(-1)]))

    def f3(y):
        return {"out": e @ y, "aux": jnp.cos(f @ y)}

    x = {"u": _rand(rng, 4, 3), "v": _rand(rng, 5)}
    return [f1, f2, f3], x



@pytest.mark.parametrize("plan", ["optimal", "tangent", "adjoint"])
def test_pytree_jacobian_equals_jacfwd_and_jacrev(plan):
    layers, x = _structured_network(np.random.default_rng(1))
    got = cj.jacobian(layers, plan=plan)(x)
    f = _compose(layers)
    _tree_close(got, jax.jacfwd(f)(x))
    _tree_close(got, jax.jacrev(f)(x))


def test_pytree_jacobian_under_jit_and_given_costs():
    layers, x = _structured_network(np.random.default_rng(2))
    jac = cj.jacobian(layers, tangent_costs=[50, 1, 900], adjoint_costs=[900, 1, 50])
    _tree_close(jax.jit(jac)(x), jax.jacrev(_compose(layers))(x))
    plan = jac.plan(x)
    assert plan.widths == (17, 10, 7, 5)


def _jv_oracle(f, x, v):
    """J·V by one jax.jvp per tangent (the trailing axis of v's leaves)."""
    push = jax.vmap(lambda t: jax.jvp(f, (x,), (t,))[1], in_axes=-1, out_axes=-1)
    return push(v)


def _wj_oracle(f, x, w):
    """Wᵀ·J by one jax.vjp per cotangent."""
    pull = jax.vmap(lambda c: jax.vjp(f, x)[1](c)[0], in_axes=-1, out_axes=0)
    return pull(w)


def test_pytree_jvp_and_vjp_matrices():
    rng = np.random.default_rng(3)
    layers, x = _structured_network(rng)
    f = _compose(layers)
    jac = cj.jacobian(layers)
    v = jax.tree_util.tree_map(lambda a: _rand(rng, *a.shape, 4), x)
    w = jax.tree_util.tree_map(lambda a: _rand(rng, *a.shape, 3), f(x))
    _tree_close(jac.jvp_matrix(x, v), _jv_oracle(f, x, v))
    _tree_close(jac.vjp_matrix(x, w), _wj_oracle(f, x, w))


def _dense(f, x):
    """The Jacobian of f at x as one matrix over the raveled input and output."""
    from jax.flatten_util import ravel_pytree
    flat, unravel = ravel_pytree(x)
    return jax.jacfwd(lambda v: ravel_pytree(f(unravel(v)))[0])(flat)


@pytest.mark.parametrize("plan", ["optimal", "tangent", "adjoint"])
@pytest.mark.parametrize("kw,kv", [(1, 1), (2, 9), (8, 1)])
def test_project_is_w_j_v_with_both_seeds_planned(plan, kw, kv):
    rng = np.random.default_rng(4 + kw + kv)
    layers, x = _structured_network(rng)
    f = _compose(layers)
    jac = cj.jacobian(layers, plan=plan)
    v = jax.tree_util.tree_map(lambda a: _rand(rng, *a.shape, kv), x)
    w = jax.tree_util.tree_map(lambda a: _rand(rng, *a.shape, kw), f(x))
    from jax.flatten_util import ravel_pytree
    vm = jnp.concatenate([a.reshape(-1, kv) for a in jax.tree_util.tree_leaves(v)])
    wm = jnp.concatenate([a.reshape(-1, kw) for a in jax.tree_util.tree_leaves(w)])
    assert vm.shape[0] == ravel_pytree(x)[0].size
    want = wm.T @ _dense(f, x) @ vm
    got = jac.project(x, w, v)
    assert got.shape == (kw, kv)
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), **TOL)
    np.testing.assert_allclose(np.asarray(jax.jit(jac.project)(x, w, v)), np.asarray(want), **TOL)


def test_project_on_arrays_plans_with_both_seeds():
    rng = np.random.default_rng(5)
    ws = [_rand(rng, 20, 30), _rand(rng, 1, 20), _rand(rng, 20, 1), _rand(rng, 40, 20)]
    layers = [lambda h, m=m: jnp.tanh(m @ h) for m in ws]
    x = _rand(rng, 30)
    v, w = _rand(rng, 30, 5), _rand(rng, 40, 6)
    jac = cj.jacobian(layers)
    plan = jac.plan(x, right=5, left=6)
    assert (plan.right, plan.left) == (5, 6)
    full = jax.jacfwd(_compose(layers))(x)
    np.testing.assert_allclose(np.asarray(jac.project(x, w, v)), np.asarray(w.T @ full @ v), **TOL)


def test_bare_arrays_keep_their_shapes():
    rng = np.random.default_rng(6)
    m = _rand(rng, 6, 12)
    layers = [lambda a: jnp.tanh(m @ a.reshape(-1)).reshape(2, 3)]
    x = _rand(rng, 3, 4)
    got = cj.jacobian(layers)(x)
    assert got.shape == (2, 3, 3, 4)
    np.testing.assert_allclose(np.asarray(got), np.asarray(jax.jacfwd(layers[0])(x)), **TOL)


def test_seeds_of_the_wrong_structure_are_refused():
    layers, x = _structured_network(np.random.default_rng(7))
    jac = cj.jacobian(layers)
    with pytest.raises(ValueError, match=r"must be \(4, 3\) \+ \(k,\)"):
        jac.jvp_matrix(x, {"u": jnp.ones((4, 2, 1)), "v": jnp.ones((5, 1))})
    with pytest.raises(ValueError, match="has 1 arrays"):
        jac.vjp_matrix(x, jnp.ones((5, 1)))
