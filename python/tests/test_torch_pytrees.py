"""chainplan.torch on layers that map tuples and dicts of tensors, and Wᵀ·J·V in one planned
call: results against torch.func.jacfwd/jacrev and jvp/vjp stacked with vmap, in float64."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch.utils import _pytree  # noqa: E402

import chainplan.torch as ct  # noqa: E402
from oracle import compose as _compose  # noqa: E402

TOL = dict(rtol=1e-10, atol=1e-10)
F64 = torch.float64


def _rand(g, *shape):
    return torch.randn(*shape, generator=g, dtype=F64)


def _tree_close(got, want):
    g_leaves, g_spec = _pytree.tree_flatten(got)
    w_leaves, w_spec = _pytree.tree_flatten(want)
    assert g_spec == w_spec
    for a, b in zip(g_leaves, w_leaves):
        assert a.shape == b.shape
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), **TOL)


def _structured_network(g):
    """(u (4, 3), v (5,)) -> {'h': (6,), 'm': (2, 2)} -> (7,) -> ((3,), (2,))."""
    a, b, c = _rand(g, 6, 12), _rand(g, 6, 5), _rand(g, 4, 18)
    d, e, f = _rand(g, 7, 10), _rand(g, 3, 7), _rand(g, 2, 7)

    def f1(x):
        u, v = x
        h = torch.tanh(a @ u.reshape(-1) + b @ v)
        m = torch.sin(c @ torch.cat([h, u.reshape(-1)])).reshape(2, 2)
        return {"h": h, "m": m + v[:4].reshape(2, 2)}

    def f2(hm):
        return torch.tanh(d @ torch.cat([hm["h"], hm["m"].reshape(-1)]))

    def f3(y):
        return (e @ y, torch.cos(f @ y))

    return [f1, f2, f3], (_rand(g, 4, 3), _rand(g, 5))



@pytest.mark.parametrize("plan", ["optimal", "tangent", "adjoint"])
def test_structured_jacobian_equals_jacfwd_and_jacrev(plan):
    layers, x = _structured_network(torch.Generator().manual_seed(1))
    got = ct.jacobian(layers, x, plan=plan)
    f = _compose(layers)
    _tree_close(got, torch.func.jacfwd(f)(x))
    _tree_close(got, torch.func.jacrev(f)(x))


def test_structured_jvp_and_vjp_matrices():
    g = torch.Generator().manual_seed(2)
    layers, x = _structured_network(g)
    f = _compose(layers)
    jac = ct.jacobian(layers)
    v = tuple(_rand(g, *t.shape, 4) for t in x)
    y = f(x)
    w = tuple(_rand(g, *t.shape, 3) for t in y)
    push = torch.func.vmap(lambda t: torch.func.jvp(f, (x,), (t,))[1], in_dims=-1, out_dims=-1)
    pull = torch.func.vmap(lambda c: torch.func.vjp(f, x)[1](c)[0], in_dims=-1, out_dims=0)
    _tree_close(jac.jvp_matrix(x, v), push(v))
    _tree_close(jac.vjp_matrix(x, w), pull(w))


def _flat(tree):
    return torch.cat([t.reshape(-1) for t in _pytree.tree_leaves(tree)])


@pytest.mark.parametrize("plan", ["optimal", "tangent", "adjoint"])
@pytest.mark.parametrize("kw,kv", [(1, 1), (2, 9), (8, 1)])
def test_project_is_w_j_v_with_both_seeds_planned(plan, kw, kv):
    g = torch.Generator().manual_seed(3 + kw + kv)
    layers, x = _structured_network(g)
    f = _compose(layers)
    leaves, spec = _pytree.tree_flatten(x)

    def unflatten(flat):
        parts = torch.split(flat, [t.numel() for t in leaves])
        return _pytree.tree_unflatten([p.reshape(t.shape) for p, t in zip(parts, leaves)], spec)

    dense = torch.func.jacfwd(lambda flat: _flat(f(unflatten(flat))))(_flat(x))
    v = tuple(_rand(g, *t.shape, kv) for t in x)
    w = tuple(_rand(g, *t.shape, kw) for t in f(x))
    vm = torch.cat([t.reshape(-1, kv) for t in v])
    wm = torch.cat([t.reshape(-1, kw) for t in w])
    jac = ct.jacobian(layers, plan=plan)
    got = jac.project(x, w, v)
    assert got.shape == (kw, kv)
    np.testing.assert_allclose(got.numpy(), (wm.T @ dense @ vm).numpy(), **TOL)


def test_project_on_tensors_plans_with_both_seeds():
    g = torch.Generator().manual_seed(5)
    ms = [_rand(g, 20, 30), _rand(g, 1, 20), _rand(g, 20, 1), _rand(g, 40, 20)]
    layers = [lambda h, m=m: torch.tanh(m @ h) for m in ms]
    x, v, w = _rand(g, 30), _rand(g, 30, 5), _rand(g, 40, 6)
    jac = ct.jacobian(layers)
    plan = jac.plan(x, right=5, left=6)
    assert (plan.right, plan.left) == (5, 6)
    full = torch.func.jacfwd(_compose(layers))(x)
    np.testing.assert_allclose(jac.project(x, w, v).numpy(), (w.T @ full @ v).numpy(), **TOL)


def test_structured_jacobian_is_differentiable():
    g = torch.Generator().manual_seed(6)
    layers, x = _structured_network(g)
    x = tuple(t.clone().requires_grad_() for t in x)
    got = ct.jacobian(layers, x)
    total = sum(t.sum() for t in _pytree.tree_leaves(got))
    ours = torch.autograd.grad(total, x)
    y = tuple(t.detach().clone().requires_grad_() for t in x)
    want = torch.func.jacrev(_compose(layers))(y)
    theirs = torch.autograd.grad(sum(t.sum() for t in _pytree.tree_leaves(want)), y)
    _tree_close(ours, theirs)


def test_non_tensor_values_and_bad_seeds_are_refused():
    g = torch.Generator().manual_seed(7)
    layers, x = _structured_network(g)
    with pytest.raises(TypeError, match="holds a str"):
        ct.jacobian([lambda t: "no"], torch.ones(3, dtype=F64))
    with pytest.raises(ValueError, match=r"must be \(5,\) \+ \(k,\)"):
        ct.jacobian(layers).jvp_matrix(x, (torch.ones(4, 3, 1, dtype=F64),
                                           torch.ones(5, dtype=F64)))
