"""chainplan for JAX: matrix chains in the exact cheapest order, and Jacobians of layer
compositions by the library's mixed forward/reverse plan, run with JAX's own ``matmul``,
``jvp`` and ``vjp``.

Needs JAX (``pip install 'chainplan[jax]'``); ``import chainplan`` does not import it.

>>> import jax.numpy as jnp, chainplan.jax as cj
>>> a, b, c = jnp.ones((10, 100)), jnp.ones((100, 5)), jnp.ones((5, 50))
>>> cj.multi_dot([a, b, c]).shape
(10, 50)

Plans are made when the function is traced, from static shapes (under ``jax.jit`` once per
shape; the library's plans are cached by shape), so nothing returns to the host inside ``jit``
and ``grad``, ``vmap`` and devices work as for any JAX code.
"""

from __future__ import annotations

import functools
import math
from typing import Callable, Optional, Sequence

try:
    import jax
    import jax.numpy as jnp
    from jax.flatten_util import ravel_pytree
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError(
        "chainplan.jax needs JAX; install it with: pip install 'chainplan[jax]'"
    ) from e

from . import _ml
from ._ml import JacobianPlan, JacobianStep

__all__ = ["Jacobian", "JacobianPlan", "JacobianStep", "jacobian", "multi_dot"]


def multi_dot(arrays: Sequence) -> jax.Array:
    """The product of ``arrays`` in the exact cheapest order (the library's plan for their
    shapes), like ``jnp.linalg.multi_dot`` but exact for every length, and for stacks:
    each operand is ``(..., m, k)`` with leading axes broadcast as ``jnp.matmul`` broadcasts
    them; a 1-D first operand is a row vector and a 1-D last one a column, removed from the
    result as numpy's ``multi_dot`` removes them.

    The order is planned on the matrix dimensions; every step is ``jnp.matmul``, so the
    result has JAX's dtype promotion and works under ``jit``, ``grad`` and ``vmap``.
    """
    arrays = [jnp.asarray(a) for a in arrays]
    return _ml.multi_dot(
        arrays, jnp.matmul, lambda a, axis: jnp.expand_dims(a, axis),
        lambda a, axis: jnp.squeeze(a, axis),
    )


# ---------------------------------------------------------------------------------------------
# Jacobians


def _count(jaxpr) -> int:
    """Multiplications in ``jaxpr``: m·k·n-style multiply-adds for every ``dot_general``, one
    per output element for every other operation, sub-programs (``jit``, ``custom_jvp`` …)
    counted where they are called. A static count of the traced program, so measuring costs
    nothing at run time and lowers nothing."""
    total = 0
    for eqn in jaxpr.eqns:
        subs = []
        for v in eqn.params.values():
            for item in v if isinstance(v, (tuple, list)) else (v,):
                inner = getattr(item, "jaxpr", item)
                if hasattr(inner, "eqns"):
                    subs.append(inner)
        if subs:
            total += sum(_count(sub) for sub in subs)
        elif eqn.primitive.name == "dot_general":
            (contract, _), _ = eqn.params["dimension_numbers"]
            lhs = eqn.invars[0].aval.shape
            k = math.prod(int(lhs[d]) for d in contract)
            total += k * sum(math.prod(int(d) for d in o.aval.shape) for o in eqn.outvars)
        else:
            total += sum(math.prod(int(d) for d in getattr(o.aval, "shape", ()))
                         for o in eqn.outvars)
    return total


@functools.lru_cache(maxsize=256)
def _measured(f: Callable, treedef, leaves):
    """(tangent, adjoint) multiplications of one jvp and one vjp of ``f`` at an input of
    structure ``treedef`` with leaves of ``(shape, dtype)``: :func:`_count` of each traced
    program less that of ``f`` itself (at least 1)."""
    x = treedef.unflatten([jax.ShapeDtypeStruct(s, d) for s, d in leaves])
    y = jax.eval_shape(f, x)
    base = _count(jax.make_jaxpr(f)(x).jaxpr)
    tan = _count(jax.make_jaxpr(lambda x, t: jax.jvp(f, (x,), (t,)))(x, x).jaxpr)
    adj = _count(jax.make_jaxpr(lambda x, w: jax.vjp(f, x)[1](w))(x, y).jaxpr)
    return max(1, tan - base), max(1, adj - base)


def _ops(layers, xs):
    """The executor's operations in JAX."""
    return _ml.Ops(
        layers, xs,
        jvp=lambda f, x, t: jax.jvp(f, (x,), (t,))[1],
        vjp=lambda f, x: (lambda w, g=jax.vjp(f, x)[1]: g(w)[0]),
        vmap=jax.vmap, eye=lambda a: jnp.eye(a.size, dtype=a.dtype), matmul=jnp.matmul,
        transpose=lambda a: a.T,
    )


def _tree(value) -> _ml.Tree:
    leaves, treedef = jax.tree_util.tree_flatten(value)
    return _ml.Tree([jnp.shape(a) for a in leaves], treedef.unflatten)


def _flat_layer(f: Callable, unravel: Callable) -> Callable:
    """``f`` on flat vectors: the input unravelled to ``f``'s pytree, the output raveled."""
    return lambda v: ravel_pytree(f(unravel(v)))[0]


class Jacobian(_ml.JacobianBase):
    """The Jacobian of ``f_L ∘ … ∘ f_1`` by the library's matrix-free plan; see
    :func:`jacobian`. ``(x)``, ``.jvp_matrix(x, V)``, ``.vjp_matrix(x, W)`` and
    ``.project(x, W, V)`` give the full Jacobian, J·V, Wᵀ·J and Wᵀ·J·V."""

    def _flatten(self, value):
        leaves, treedef = jax.tree_util.tree_flatten(value)
        return [jnp.asarray(a) for a in leaves], treedef.unflatten

    def _concat(self, arrays, axis):
        return jnp.concatenate(arrays, axis)

    def _shapes(self, x):
        """The layers' values as pytrees of ``jax.ShapeDtypeStruct``, input first."""
        shapes = [jax.tree_util.tree_map(lambda a: jax.ShapeDtypeStruct(jnp.shape(a),
                                                                        jnp.result_type(a)), x)]
        for i, f in enumerate(self.layers):
            shapes.append(jax.eval_shape(f, shapes[-1]))
            if not jax.tree_util.tree_leaves(shapes[-1]):
                raise TypeError(f"layer {i} returns no arrays; layers map a pytree of arrays "
                                "to a pytree of arrays")
        return shapes

    def plan(self, x, *, right: Optional[int] = None, left: Optional[int] = None
             ) -> JacobianPlan:
        """The plan for an input structured like ``x`` (an array or pytree of arrays or
        ``jax.ShapeDtypeStruct``), with ``right`` columns of V or ``left`` rows of Wᵀ where
        given."""
        shapes = self._shapes(x)

        def measure(i):
            leaves, treedef = jax.tree_util.tree_flatten(shapes[i])
            key = tuple((tuple(a.shape), a.dtype) for a in leaves)
            try:
                return _measured(self.layers[i], treedef, key)
            except Exception:  # noqa: BLE001 - a layer JAX cannot trace alone (a closure
                return None  # over values traced by an enclosing jit): dense

        widths = [sum(_ml.size(a.shape) for a in jax.tree_util.tree_leaves(s)) for s in shapes]
        return self._plan_for(widths, measure, right, left)

    def _run(self, x, v=None, w=None):
        x = jax.tree_util.tree_map(jnp.asarray, x)
        values = [x]
        for f in self.layers:
            values.append(f(values[-1]))
        xt, yt = _tree(values[0]), _tree(values[-1])
        vm = None if v is None else v(xt)
        wm = None if w is None else w(yt).T
        plan = self.plan(x, right=None if vm is None else vm.shape[1],
                         left=None if wm is None else wm.shape[0])
        flat, layers = [], []
        for f, value in zip(self.layers + (None,), values):
            vec, unravel = ravel_pytree(value)
            flat.append(vec)
            if f is not None:
                layers.append(_flat_layer(f, unravel))
        out = _ml.run_jacobian(plan, _ops(layers, flat), vm, wm)
        return xt, yt, out


def jacobian(layers: Sequence[Callable], *, tangent_costs: Optional[Sequence[int]] = None,
             adjoint_costs: Optional[Sequence[int]] = None, tapes: Optional[Sequence[int]] = None,
             memory: Optional[int] = None, plan: str = "optimal") -> Jacobian:
    """The Jacobian of ``f_L ∘ … ∘ f_1`` (``layers`` in evaluation order, each mapping an
    array or a pytree of arrays to an array or a pytree of arrays) by the plan of chainplan's matrix-free planner: each layer's Jacobian
    is preaccumulated by jvps or vjps of unit vectors, pushed forward through later layers'
    jvps, pulled back through earlier layers' vjps, or multiplied as matrices, whichever
    order costs least.

    ``tangent_costs`` and ``adjoint_costs`` (multiplications per jvp and per vjp of each
    layer) are counted in the traced jvp and vjp programs when not given (multiply-adds of
    each ``dot_general``, one per element of other operations, less the layer's own; a
    layer that cannot be traced alone, such as a closure over values traced by an enclosing
    ``jit``, counts as dense: out size × in size). ``memory`` limits the tapes held at once by a pull (elements); a
    layer's tape is ``tapes[i]``, by default its input's size. ``plan`` is ``"optimal"``, or
    ``"tangent"`` / ``"adjoint"`` for pure forward / reverse mode.

    ``jacobian(layers)(x)`` is the full Jacobian (structured as ``jax.jacfwd`` structures it);
    ``.jvp_matrix(x, V)`` is J·V, ``.vjp_matrix(x, W)`` is Wᵀ·J and ``.project(x, W, V)`` is
    Wᵀ·J·V, each planned with V and W as seeds; ``.plan(x)`` is the plan
    (:class:`JacobianPlan`). Pytree values are raveled into one vector per layer boundary
    (``jax.flatten_util.ravel_pytree``, which promotes the leaves to one dtype) for the
    planner, whose widths are the total sizes. Works under ``jax.jit`` and ``jax.vmap`` (plans are made at
    trace time from shapes and cached).
    """
    return Jacobian(layers, tangent_costs, adjoint_costs, tapes, memory, plan)
