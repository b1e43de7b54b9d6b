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


def _flops(lowered) -> Optional[float]:
    analysis = lowered.cost_analysis()
    if isinstance(analysis, (list, tuple)):  # older JAX: one dict per device
        analysis = analysis[0] if analysis else None
    if not analysis:
        return None
    return float(analysis.get("flops", 0.0))


@functools.lru_cache(maxsize=256)
def _measured(f: Callable, shape, dtype):
    """(tangent, adjoint) multiplications of one jvp and one vjp of ``f`` at an input of
    ``shape`` and ``dtype``: XLA's flop count of each, less that of ``f`` itself, halved
    (one multiply-add per multiplication). ``None`` where XLA cannot count them."""
    x = jax.ShapeDtypeStruct(shape, dtype)
    y = jax.eval_shape(f, x)
    base = _flops(jax.jit(f).lower(x))
    tan = _flops(jax.jit(lambda x, t: jax.jvp(f, (x,), (t,))).lower(x, x))
    adj = _flops(jax.jit(lambda x, w: jax.vjp(f, x)[1](w)).lower(x, y))
    if base is None or tan is None or adj is None:
        return None
    return max(1, math.ceil((tan - base) / 2)), max(1, math.ceil((adj - base) / 2))


class _JaxOps(_ml.Ops):
    """Jacobian operations of the layers at their inputs ``xs`` (flattened matrices)."""

    transpose = staticmethod(lambda a: a.T)
    matmul = staticmethod(jnp.matmul)

    def __init__(self, layers, xs):
        self.layers, self.xs = layers, xs

    def _jvp(self, i):
        f, x = self.layers[i], self.xs[i]
        return lambda t: jax.jvp(f, (x,), (t.reshape(x.shape),))[1].reshape(-1)

    def tangents(self, i):
        x = self.xs[i]
        eye = jnp.eye(x.size, dtype=x.dtype)
        return jax.vmap(self._jvp(i))(eye).T

    def adjoints(self, i):
        x, y = self.xs[i], self.xs[i + 1]
        _, vjp = jax.vjp(self.layers[i], x)
        eye = jnp.eye(y.size, dtype=y.dtype)
        return jax.vmap(lambda w: vjp(w.reshape(y.shape))[0].reshape(-1))(eye)

    def push(self, cols, i):
        return jax.vmap(self._jvp(i))(cols)

    def pull(self, rows, layers):
        # The tapes of all of ``layers`` exist together here, as the plan's memory model says.
        vjps = [jax.vjp(self.layers[i], self.xs[i])[1] for i in layers]
        for i, vjp in zip(reversed(layers), reversed(vjps)):
            y = self.xs[i + 1]
            rows = jax.vmap(lambda w, vjp=vjp, y=y: vjp(w.reshape(y.shape))[0].reshape(-1))(rows)
        return rows


class Jacobian:
    """The Jacobian of ``f_L ∘ … ∘ f_1`` by the library's matrix-free plan; see
    :func:`jacobian`."""

    def __init__(self, layers, tangent_costs=None, adjoint_costs=None, tapes=None, memory=None,
                 plan="optimal"):
        self.layers = tuple(layers)
        if not self.layers:
            raise ValueError("jacobian needs at least one layer")
        for i, f in enumerate(self.layers):
            if not callable(f):
                raise TypeError(f"layer {i} is a {type(f).__name__}, not a callable")
        if (tangent_costs is None) != (adjoint_costs is None):
            raise ValueError("tangent_costs and adjoint_costs go together: give both or neither")
        self.tangent_costs = tangent_costs
        self.adjoint_costs = adjoint_costs
        self.tapes = tapes
        self.memory = memory
        self.which = plan

    def _shapes(self, x):
        shapes = [jax.ShapeDtypeStruct(x.shape, x.dtype)]
        for f in self.layers:
            shapes.append(jax.eval_shape(f, shapes[-1]))
        for i, s in enumerate(shapes):
            if not hasattr(s, "shape"):
                raise TypeError(f"layer {i} returns {type(s).__name__}; layers map one array "
                                "to one array")
        return shapes

    def _costs(self, shapes):
        widths = [_ml.size(s.shape) for s in shapes]
        if self.tangent_costs is not None:
            return widths, list(self.tangent_costs), list(self.adjoint_costs)
        tan, adj = [], []
        for i, f in enumerate(self.layers):
            try:
                got = _measured(f, tuple(shapes[i].shape), shapes[i].dtype)
            except Exception:  # noqa: BLE001 - a layer XLA cannot lower alone (closures
                got = None  # over traced values): the dense estimate below
            if got is None:
                got = (widths[i] * widths[i + 1],) * 2
            tan.append(got[0])
            adj.append(got[1])
        return widths, tan, adj

    def _tapes(self, widths):
        if self.memory is None:
            return None
        if self.tapes is not None:
            return list(self.tapes)
        return widths[:-1]

    def plan(self, x, *, right: Optional[int] = None, left: Optional[int] = None
             ) -> JacobianPlan:
        """The plan for an input shaped like ``x`` (an array or ``jax.ShapeDtypeStruct``),
        with ``right`` columns of V or ``left`` rows of Wᵀ where given."""
        shapes = self._shapes(x)
        widths, tan, adj = self._costs(shapes)
        return _ml.jacobian_plan(widths, tan, adj, tapes=self._tapes(widths), memory=self.memory,
                                 right=right, left=left, which=self.which)

    def _run(self, x, v=None, w=None):
        x = jnp.asarray(x)
        xs = [x]
        for f in self.layers:
            xs.append(f(xs[-1]))
        n, m = x.size, xs[-1].size
        vm = None if v is None else jnp.asarray(v).reshape(n, -1)
        wm = None if w is None else jnp.asarray(w).reshape(m, -1).T
        plan = self.plan(x, right=None if vm is None else vm.shape[1],
                         left=None if wm is None else wm.shape[0])
        out = _ml.run_jacobian(plan, _JaxOps(self.layers, xs), vm, wm)
        return xs, out

    def __call__(self, x) -> jax.Array:
        """The full Jacobian at ``x``, shaped ``f(x).shape + x.shape`` as ``jax.jacfwd``
        shapes it."""
        xs, out = self._run(x)
        return out.reshape(xs[-1].shape + xs[0].shape)

    def jvp_matrix(self, x, v) -> jax.Array:
        """J·V at ``x`` for ``v`` shaped ``x.shape + (k,)``: shaped ``f(x).shape + (k,)``."""
        xs, out = self._run(x, v=v)
        return out.reshape(xs[-1].shape + out.shape[-1:])

    def vjp_matrix(self, x, w) -> jax.Array:
        """Wᵀ·J at ``x`` for ``w`` shaped ``f(x).shape + (k,)``: shaped ``(k,) + x.shape``."""
        xs, out = self._run(x, w=w)
        return out.reshape(out.shape[:1] + xs[0].shape)


def jacobian(layers: Sequence[Callable], *, tangent_costs: Optional[Sequence[int]] = None,
             adjoint_costs: Optional[Sequence[int]] = None, tapes: Optional[Sequence[int]] = None,
             memory: Optional[int] = None, plan: str = "optimal") -> Jacobian:
    """The Jacobian of ``f_L ∘ … ∘ f_1`` (``layers`` in evaluation order, each mapping one
    array to one array) by the plan of chainplan's matrix-free planner: each layer's Jacobian
    is preaccumulated by jvps or vjps of unit vectors, pushed forward through later layers'
    jvps, pulled back through earlier layers' vjps, or multiplied as matrices, whichever
    order costs least.

    ``tangent_costs`` and ``adjoint_costs`` (multiplications per jvp and per vjp of each
    layer) are measured from XLA's flop counts when not given (a layer that cannot be lowered
    alone, such as a closure over values traced by an enclosing ``jit``, counts as dense:
    out size × in size). ``memory`` limits the tapes held at once by a pull (elements); a
    layer's tape is ``tapes[i]``, by default its input's size. ``plan`` is ``"optimal"``, or
    ``"tangent"`` / ``"adjoint"`` for pure forward / reverse mode.

    ``jacobian(layers)(x)`` is the full Jacobian; ``.jvp_matrix(x, V)`` is J·V and
    ``.vjp_matrix(x, W)`` is Wᵀ·J, each planned with V or W as a seed; ``.plan(x)`` is the
    plan (:class:`JacobianPlan`). Works under ``jax.jit`` and ``jax.vmap`` (plans are made at
    trace time from shapes and cached).
    """
    return Jacobian(layers, tangent_costs, adjoint_costs, tapes, memory, plan)
