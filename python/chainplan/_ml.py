"""What ``chainplan.jax`` and ``chainplan.torch`` share: running the library's chain plans and
matrix-free Jacobian plans with a framework's own operations.

Nothing here plans. Chain orders come from the extension's cached schedules
(``_multi_dot._schedule``, the library's planner keyed by dimensions); Jacobian plans come from
the library's matrix-free dynamic program (``_native.matrix_free_plan``, ``python/src/
matrix_free.rs``). This module checks shapes, applies numpy's rules for vectors at the ends of a
chain, and walks the plans, calling back into the framework for every product, tangent and
adjoint, so that autograd, ``jit``, ``vmap``, devices and dtypes are the framework's.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Optional, Sequence, Tuple

from . import _native
from ._jacobian import _counts
from ._multi_dot import _schedule

# ---------------------------------------------------------------------------------------------
# Chains


def chain_dims(shapes: Sequence[Tuple[int, ...]]):
    """(dims p0 … pn, first is a vector, last is a vector) for operand shapes under numpy's
    ``multi_dot`` rules: a 1-D first operand is a row, a 1-D last operand a column, every
    other operand has at least two axes, ``(..., m, k)``, whose leading axes broadcast as
    ``matmul``'s do. Raises ``ValueError`` naming the first mismatch."""
    n = len(shapes)
    if n < 2:
        raise ValueError(f"multi_dot needs at least two operands, got {n}")
    for i, s in enumerate(shapes):
        if len(s) == 0 or (len(s) == 1 and 0 < i < n - 1):
            raise ValueError(
                f"operand {i} has {len(s)} axes; only the first and last operand may be "
                "vectors, the others need at least two axes"
            )
    first_vec = len(shapes[0]) == 1
    last_vec = len(shapes[-1]) == 1
    mats = [tuple(int(d) for d in s) for s in shapes]
    if first_vec:
        mats[0] = (1,) + mats[0]
    if last_vec:
        mats[-1] = mats[-1] + (1,)
    dims = [mats[0][-2]]
    for i, s in enumerate(mats):
        if s[-2] != dims[-1]:
            raise ValueError(
                f"operands {i - 1} and {i} do not chain: {dims[-1]} columns against {s[-2]} rows "
                f"(shapes {tuple(shapes[i - 1])} and {tuple(shapes[i])})"
            )
        dims.append(s[-1])
    return dims, first_vec, last_vec


def chain_steps(dims):
    """The library's exact plan for ``dims`` as (lhs, rhs) operand indices per step (inputs
    first, then step results), from the extension's plan cache; ``None`` when a dimension is
    zero (the product is then empty or zero whatever the order)."""
    key = tuple(dims)
    if 0 in key:
        return None
    steps, _slots = _schedule(key, "auto")
    return [(s[0], s[1]) for s in steps]


def run_chain(operands, steps, matmul):
    """Multiplies ``operands`` (at least two axes each) in the order ``steps`` with
    ``matmul``; left to right when ``steps`` is ``None``."""
    if steps is None:
        return functools.reduce(matmul, operands)
    values = list(operands)
    for lhs, rhs in steps:
        values.append(matmul(values[lhs], values[rhs]))
    return values[-1]


def multi_dot(arrays, matmul, expand, squeeze):
    """The chain product of ``arrays`` in the library's order. ``expand(a, axis)`` adds a unit
    axis and ``squeeze(a, axis)`` removes one: the framework's, for 1-D ends."""
    arrays = list(arrays)
    dims, first_vec, last_vec = chain_dims([tuple(a.shape) for a in arrays])
    if first_vec:
        arrays[0] = expand(arrays[0], 0)
    if last_vec:
        arrays[-1] = expand(arrays[-1], -1)
    out = run_chain(arrays, chain_steps(dims), matmul)
    if last_vec:
        out = squeeze(out, -1)
    if first_vec:
        out = squeeze(out, -1 if last_vec else -2)
    return out


def chain_cost(dims) -> int:
    """Scalar multiplications of the plan ``multi_dot`` runs for ``dims`` (for tests and
    benchmarks: the plan's own count, summed over its steps)."""
    steps, _ = _schedule(tuple(dims), "auto")
    n = len(dims) - 1
    shape = [(dims[i], dims[i + 1]) for i in range(n)]
    total = 0
    for lhs, rhs, _slot, m, cols in steps:
        total += shape[lhs][0] * shape[lhs][1] * shape[rhs][1]
        shape.append((m, cols))
    return total


# ---------------------------------------------------------------------------------------------
# Jacobians


@dataclass(frozen=True)
class JacobianStep:
    """One operation of a Jacobian plan.

    ``op`` is ``"given"`` (a seed V or Wᵀ), ``"tangents"`` or ``"adjoints"`` (one layer's
    Jacobian preaccumulated by jvps of its input's unit vectors, or by vjps of its output's),
    ``"multiply"`` (two Jacobians multiplied as matrices), ``"push"`` (the columns of a
    Jacobian pushed forward through the jvps of ``through``) or ``"pull"`` (its rows pulled
    back through the vjps of ``through``, last layer first). ``layers`` and ``through`` are
    ranges of layer indices (0 for f_1); a seed has ``layers`` ``None``. ``rows`` × ``cols``
    is the shape of the Jacobian it produces; ``cost`` is the library's count for this step,
    ``total`` with its inputs; ``inputs`` are indices of earlier steps.
    """

    op: str
    layers: Optional[range]
    through: Optional[range]
    rows: int
    cols: int
    cost: int
    total: int
    inputs: Tuple[int, ...]
    #: The library's elemental indices (seeds included), as the executor reads them.
    span: Tuple[int, int]
    through_span: Optional[Tuple[int, int]]


@dataclass(frozen=True)
class JacobianPlan:
    """The library's matrix-free plan for a Jacobian of ``f_L ∘ … ∘ f_1``.

    ``steps`` run in order, each using earlier ones; the last gives the result. ``order`` is
    the plan in one line (``tan[F2..F3]·Jtan(F1)`` pushes the tangents of F2 … F3 through a
    Jacobian of F1 accumulated by tangents; ``Y·adj[F1..F2]`` pulls rows back; ``T`` and ``S``
    are the seeds V and Wᵀ). ``cost`` is its exact count of scalar multiplications (layer costs
    as given or measured), ``forward_cost`` and ``reverse_cost`` those of pure forward and
    pure reverse mode (``None`` where the tape does not fit the memory limit).
    """

    steps: Tuple[JacobianStep, ...]
    order: str
    cost: int
    forward_cost: int
    reverse_cost: Optional[int]
    widths: Tuple[int, ...]
    tangent_costs: Tuple[int, ...]
    adjoint_costs: Tuple[int, ...]
    names: Tuple[str, ...]
    right: Optional[int]
    left: Optional[int]

    @property
    def forward_layers(self) -> Tuple[int, ...]:
        """Layers (0 for f_1) whose jvp the plan calls: preaccumulated by tangents or pushed
        through."""
        return self._layers(("tangents", "push"))

    @property
    def reverse_layers(self) -> Tuple[int, ...]:
        """Layers whose vjp the plan calls: preaccumulated by adjoints or pulled through."""
        return self._layers(("adjoints", "pull"))

    def _layers(self, ops) -> Tuple[int, ...]:
        out: set[int] = set()
        for s in self.steps:
            if s.op == ops[0] and s.layers is not None:
                out.update(s.layers)
            elif s.op == ops[1] and s.through is not None:
                out.update(s.through)
        return tuple(sorted(out))

    @property
    def mode(self) -> str:
        """``"forward"``, ``"reverse"`` or ``"mixed"``: which programs the plan calls."""
        fwd, rev = self.forward_layers, self.reverse_layers
        if not rev:
            return "forward"
        if not fwd:
            return "reverse"
        return "mixed"

    def __str__(self) -> str:
        rev = "n/a" if self.reverse_cost is None else f"{self.reverse_cost:,}"
        return (
            f"{self.mode} plan {self.order}: {self.cost:,} multiplications "
            f"(forward mode {self.forward_cost:,}, reverse mode {rev})"
        )


@functools.lru_cache(maxsize=1024)
def _plan_cached(widths, tangent, adjoint, tapes, memory, right, left, which):
    nodes, order, fwd, rev, names = _native.matrix_free_plan(
        list(widths), list(tangent), list(adjoint),
        None if tapes is None else list(tapes), memory, right, left, which,
    )
    off = 1 if right is not None else 0
    layers = len(widths) - 1

    def to_layers(span):
        lo, hi = span
        lo, hi = max(lo - off, 0), min(hi - off, layers)
        return range(lo, hi) if lo < hi else None

    steps = tuple(
        JacobianStep(
            op=op, layers=None if op == "given" else to_layers((a, b)),
            through=None if through is None else to_layers(through),
            rows=rows, cols=cols, cost=cost, total=total, inputs=tuple(children),
            span=(a, b), through_span=through,
        )
        for op, a, b, through, rows, cols, cost, total, children in nodes
    )
    return JacobianPlan(
        steps=steps, order=order, cost=steps[-1].total, forward_cost=fwd, reverse_cost=rev,
        widths=tuple(widths), tangent_costs=tuple(tangent), adjoint_costs=tuple(adjoint),
        names=tuple(names), right=right, left=left,
    )


def jacobian_plan(widths, tangent, adjoint, *, tapes=None, memory=None, right=None, left=None,
                  which="optimal") -> JacobianPlan:
    """The library's plan (cached by all its arguments) for layer widths ``widths`` with the
    given per-layer costs, optional tapes and memory limit, and seeds of ``right`` columns
    (J·V) and ``left`` rows (Wᵀ·J)."""
    tangent = _counts(tangent, "tangent_costs")
    adjoint = _counts(adjoint, "adjoint_costs")
    tapes = _counts(tapes, "tapes")
    if (tapes is None) != (memory is None):
        raise ValueError("tapes and memory go together: give both or neither")
    return _plan_cached(tuple(int(w) for w in widths), tuple(tangent), tuple(adjoint),
                        None if tapes is None else tuple(tapes),
                        None if memory is None else int(memory), right, left, which)


class Ops:
    """A framework's Jacobian operations on the layers at their inputs ``xs`` (``xs[i]`` is
    layer i's input, ``xs[-1]`` the output). Matrices are 2-D (rows × cols) with the layers'
    values flattened. The framework gives ``jvp(f, x, t)`` (the tangent out), ``vjp(f, x)``
    (a function of a cotangent returning the input's cotangent), ``vmap``, ``eye(n, like)``,
    ``matmul`` and ``transpose``."""

    def __init__(self, layers, xs, *, jvp, vjp, vmap, eye, matmul, transpose):
        self.layers, self.xs = layers, xs
        self.jvp, self.vjp, self.vmap, self.eye = jvp, vjp, vmap, eye
        self.matmul, self.transpose = matmul, transpose

    def _pushed(self, i):
        f, x = self.layers[i], self.xs[i]
        return lambda t: self.jvp(f, x, t.reshape(x.shape)).reshape(-1)

    def _pulled(self, vjp, i):
        y = self.xs[i + 1]
        return lambda w: vjp(w.reshape(y.shape)).reshape(-1)

    def tangents(self, i):
        """Layer i's Jacobian by jvps of unit vectors, (out size × in size)."""
        return self.transpose(self.vmap(self._pushed(i))(self.eye(self.xs[i])))

    def adjoints(self, i):
        """Layer i's Jacobian by vjps of unit vectors, (out size × in size)."""
        vjp = self.vjp(self.layers[i], self.xs[i])
        return self.vmap(self._pulled(vjp, i))(self.eye(self.xs[i + 1]))

    def push(self, cols, i):
        """Rows of ``cols`` (k × in size of layer i) pushed through its jvp: k × out size."""
        return self.vmap(self._pushed(i))(cols)

    def pull(self, rows, layers: Sequence[int]):
        """Rows of ``rows`` (k × out size of ``layers[-1]``) pulled back through the vjps of
        ``layers``, last first: k × in size of ``layers[0]``. The tapes of all of ``layers``
        exist together only during this call, as the planner's memory model counts them."""
        vjps = [self.vjp(self.layers[i], self.xs[i]) for i in layers]
        for i, vjp in zip(reversed(layers), reversed(vjps)):
            rows = self.vmap(self._pulled(vjp, i))(rows)
        return rows


def run_jacobian(plan: JacobianPlan, ops: Ops, seed_right=None, seed_left=None):
    """Walks ``plan``'s steps with ``ops``; ``seed_right`` is V (in size × k) and
    ``seed_left`` Wᵀ (k × out size) as matrices. Returns the plan's result as a matrix."""
    off = 1 if plan.right is not None else 0
    last = len(plan.widths) - 1 + off  # elemental index of a left seed
    values = []
    for step in plan.steps:
        a, _b = step.span
        if step.op == "given":
            values.append(seed_right if (plan.right is not None and a == 0) else seed_left)
        elif step.op == "tangents":
            values.append(ops.tangents(a - off))
        elif step.op == "adjoints":
            values.append(ops.adjoints(a - off))
        elif step.op == "multiply":
            left, right = step.inputs
            values.append(ops.matmul(values[left], values[right]))
        elif step.op == "push":
            cols = ops.transpose(values[step.inputs[0]])
            lo, hi = step.through_span  # type: ignore[misc]  # set on every push step
            for e in range(lo, hi):
                if e == last and plan.left is not None:
                    cols = ops.matmul(cols, ops.transpose(seed_left))
                else:
                    cols = ops.push(cols, e - off)
            values.append(ops.transpose(cols))
        elif step.op == "pull":
            rows = values[step.inputs[0]]
            lo, hi = step.through_span  # type: ignore[misc]  # set on every pull step
            if off and lo == 0:
                # The input seed is the first elemental: pull through the layers, then V.
                if hi > 1:
                    rows = ops.pull(rows, list(range(0, hi - 1)))
                rows = ops.matmul(rows, seed_right)
            else:
                rows = ops.pull(rows, list(range(lo - off, hi - off)))
            values.append(rows)
        else:  # pragma: no cover - the library's ops are the six above
            raise RuntimeError(f"unknown plan step {step.op!r}")
    return values[-1]


class Tree:
    """The structure of a value that layers pass on: its leaves' shapes (in the framework's
    flattening order) and ``unflatten(leaves)``, which rebuilds the value from leaves. A bare
    array is a tree of one leaf."""

    def __init__(self, shapes, unflatten):
        self.shapes = [tuple(int(d) for d in s) for s in shapes]
        self.unflatten = unflatten
        self.sizes = [size(s) for s in self.shapes]
        self.offsets = [sum(self.sizes[:i]) for i in range(len(self.sizes) + 1)]

    @property
    def size(self) -> int:
        """Elements of all leaves together: the layer width the planner sees."""
        return self.offsets[-1]

    def spans(self):
        """(start, end, shape) of each leaf within the flattened vector."""
        return [(self.offsets[i], self.offsets[i + 1], s) for i, s in enumerate(self.shapes)]

    def stack(self, leaves, what, concat):
        """``leaves`` (each shaped ``leaf shape + (k,)``, in this tree's order) as one
        (size × k) matrix, the leaves' rows one after another."""
        if len(leaves) != len(self.shapes):
            raise ValueError(f"{what} has {len(leaves)} arrays; the value it goes with has "
                             f"{len(self.shapes)}")
        rows = []
        for i, (leaf, shape) in enumerate(zip(leaves, self.shapes)):
            got = tuple(leaf.shape)
            if got[:len(shape)] != shape or len(got) != len(shape) + 1:
                where = "" if len(self.shapes) == 1 else f" (array {i})"
                raise ValueError(f"{what}{where} is shaped {got}; it must be {shape} + (k,)")
            rows.append(leaf.reshape(self.sizes[i], -1))
        return rows[0] if len(rows) == 1 else concat(rows, 0)


class JacobianBase:
    """What :class:`chainplan.jax.Jacobian` and :class:`chainplan.torch.Jacobian` share: the
    arguments' checks, the plan request and the shapes of the results, for layers that map
    arrays or pytrees (nested tuples, lists, dicts) of arrays. A subclass gives
    ``_run(x, v, w)`` -> (input tree, output tree, result matrix), ``_flatten(value)`` ->
    (leaves, unflatten) and ``_concat(arrays, axis)``."""

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
        self.tangent_costs, self.adjoint_costs = tangent_costs, adjoint_costs
        self.tapes, self.memory, self.which = tapes, memory, plan

    def _plan_for(self, widths, measure, right, left) -> JacobianPlan:
        """The library's plan for layer widths ``widths``; ``measure(i)`` gives layer i's
        (tangent, adjoint) costs or ``None`` (then dense) when they are not given."""
        if self.tangent_costs is not None:
            tan, adj = list(self.tangent_costs), list(self.adjoint_costs)
        else:
            tan, adj = [], []
            for i in range(len(self.layers)):
                got = measure(i) or (widths[i] * widths[i + 1],) * 2
                tan.append(got[0])
                adj.append(got[1])
        tapes = None
        if self.memory is not None:
            tapes = list(self.tapes) if self.tapes is not None else list(widths[:-1])
        return jacobian_plan(widths, tan, adj, tapes=tapes, memory=self.memory, right=right,
                             left=left, which=self.which)

    def _run(self, x, v=None, w=None):  # pragma: no cover - interface
        raise NotImplementedError

    def _flatten(self, value):  # pragma: no cover - interface
        raise NotImplementedError

    def _concat(self, arrays, axis):  # pragma: no cover - interface
        raise NotImplementedError

    def _seed(self, seed, what):
        leaves, _ = self._flatten(seed)
        return lambda tree: tree.stack(leaves, what, self._concat)

    def __call__(self, x):
        """The full Jacobian at ``x``, structured as ``jacfwd`` structures it: for an array
        input and output shaped ``f(x).shape + x.shape``; for pytrees, the output's tree
        whose every leaf is the input's tree of blocks shaped ``out leaf shape + in leaf
        shape``."""
        xt, yt, out = self._run(x)
        return yt.unflatten([
            xt.unflatten([out[r0:r1, c0:c1].reshape(ys + xs) for c0, c1, xs in xt.spans()])
            for r0, r1, ys in yt.spans()
        ])

    def jvp_matrix(self, x, v):
        """J·V at ``x`` for ``v`` structured as ``x`` with each array shaped ``shape + (k,)``
        (k tangents): structured as ``f(x)``, each array shaped ``shape + (k,)``."""
        xt, yt, out = self._run(x, v=self._seed(v, "v"))
        k = out.shape[-1]
        return yt.unflatten([out[r0:r1].reshape(ys + (k,)) for r0, r1, ys in yt.spans()])

    def vjp_matrix(self, x, w):
        """Wᵀ·J at ``x`` for ``w`` structured as ``f(x)`` with each array shaped
        ``shape + (k,)`` (k cotangents): structured as ``x``, each array shaped
        ``(k,) + shape``."""
        xt, yt, out = self._run(x, w=self._seed(w, "w"))
        k = out.shape[0]
        return xt.unflatten([out[:, c0:c1].reshape((k,) + xs) for c0, c1, xs in xt.spans()])

    def project(self, x, w, v):
        """Wᵀ·J·V at ``x``, a (k_w × k_v) matrix, for ``w`` structured as ``f(x)`` and ``v``
        as ``x``, each array with a trailing axis of k_w cotangents or k_v tangents: planned
        with both seeds, so the planner may pull W back, push V forward, or meet in the
        middle, whichever costs least."""
        return self._run(x, v=self._seed(v, "v"), w=self._seed(w, "w"))[2]


def size(shape) -> int:
    """Elements of an array of ``shape``."""
    return int(math.prod(shape))


def dense_costs(widths):
    """Tangent and adjoint costs of dense layers, m·n each: the fallback where measuring is
    not possible."""
    c = [max(1, widths[i] * widths[i + 1]) for i in range(len(widths) - 1)]
    return c, list(c)
