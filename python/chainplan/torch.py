"""chainplan for PyTorch: batched matrix chains in the exact cheapest order, Jacobians of
layer compositions by the library's mixed forward/reverse plan (``torch.func`` jvp and vjp),
and an FX pass that reorders the chains of matrix products in a graph.

Needs PyTorch (``pip install 'chainplan[torch]'``); ``import chainplan`` does not import it.

- :func:`multi_dot` is ``torch.linalg.multi_dot`` for stacks with broadcasting and vectors at
  the ends;
- :func:`jacobian` computes full Jacobians, J·V and Wᵀ·J by the library's matrix-free plan;
- :func:`reassociate` rewrites the ``mm``/``matmul``/``@`` chains of a ``torch.fx.GraphModule``
  in the planned order, and :func:`backend` does so as a ``torch.compile`` backend.
"""

from __future__ import annotations

import math
import operator
from typing import Callable, Optional, Sequence

try:
    import torch
    import torch.fx
    import torch.utils._pytree as _pytree
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError(
        "chainplan.torch needs PyTorch; install it with: pip install 'chainplan[torch]'"
    ) from e

from . import _ml
from ._ml import JacobianPlan, JacobianStep

__all__ = [
    "Jacobian",
    "JacobianPlan",
    "JacobianStep",
    "backend",
    "jacobian",
    "make_backend",
    "multi_dot",
    "reassociate",
]


@torch.compiler.assume_constant_result
def _steps(dims: tuple):
    # Under torch.compile the shapes are static (a chain with a dynamic dimension falls back
    # to a graph break here), so the library's plan is a constant of the graph.
    return _ml.chain_steps(dims)


def multi_dot(tensors: Sequence[torch.Tensor]) -> torch.Tensor:
    """The product of ``tensors`` in the exact cheapest order (the library's plan for their
    shapes). Unlike ``torch.linalg.multi_dot``, operands may be stacks ``(..., m, k)`` whose
    leading dimensions broadcast as ``torch.matmul`` broadcasts them; a 1-D first operand is
    a row vector and a 1-D last one a column, removed from the result as numpy's rules say.

    Every step is ``torch.matmul``: autograd, devices, dtypes and ``torch.compile`` work as
    for ``matmul``.
    """
    tensors = list(tensors)
    for i, t in enumerate(tensors):
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"operand {i} is a {type(t).__name__}, not a torch.Tensor")
    shapes = [tuple(t.shape) for t in tensors]
    dims, first_vec, last_vec = _ml.chain_dims(shapes)
    if first_vec:
        tensors[0] = tensors[0].unsqueeze(0)
    if last_vec:
        tensors[-1] = tensors[-1].unsqueeze(-1)
    out = _ml.run_chain(tensors, _steps(tuple(dims)), torch.matmul)
    if last_vec:
        out = out.squeeze(-1)
    if first_vec:
        out = out.squeeze(-1 if last_vec else -2)
    return out


# ---------------------------------------------------------------------------------------------
# Jacobians


def _flops_of(fn) -> int:
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        fn()
    return counter.get_total_flops()


def _measured(f, x):
    """(tangent, adjoint) multiplications of one jvp and one vjp of ``f`` (on flat vectors)
    at ``x``: the flops PyTorch's flop counter sees in each (matrix products and
    convolutions), less those of ``f`` itself, halved. They are counted over a ``vmap`` of two
    copies, because the counter does not see matrix-vector products, which ``vmap`` turns
    into matrix products. Where it sees none (a layer of elementwise operations, which it
    does not count), the larger of the input and output sizes."""
    vmap, jvp, vjp = torch.func.vmap, torch.func.jvp, torch.func.vjp
    with torch.no_grad():
        xx = torch.stack([x, x])
        yy = vmap(f)(xx)
        base = _flops_of(lambda: vmap(f)(xx))
        tan = _flops_of(lambda: vmap(lambda a, t: jvp(f, (a,), (t,)))(xx, torch.ones_like(xx)))
        adj = _flops_of(lambda: vmap(lambda a, w: vjp(f, a)[1](w))(xx, torch.ones_like(yy)))
    elementwise = max(x.numel(), yy[0].numel(), 1)
    return tuple(math.ceil((c - base) / 4) if c > base else elementwise for c in (tan, adj))


def _ops(layers, xs):
    """The executor's operations in PyTorch (``torch.func``)."""
    return _ml.Ops(
        layers, xs,
        jvp=lambda f, x, t: torch.func.jvp(f, (x,), (t,))[1],
        vjp=lambda f, x: (lambda w, g=torch.func.vjp(f, x)[1]: g(w)[0]),
        vmap=torch.func.vmap,
        eye=lambda a: torch.eye(a.numel(), dtype=a.dtype, device=a.device),
        matmul=torch.matmul, transpose=lambda a: a.T,
    )


def _leaves(value, what):
    """The tensors of ``value`` (a tensor, or nested tuples, lists and dicts of tensors) in
    ``torch.utils._pytree``'s order, which ``torch.func`` uses, and the function that
    rebuilds ``value`` from them."""
    leaves, spec = _pytree.tree_flatten(value)
    for leaf in leaves:
        if not isinstance(leaf, torch.Tensor):
            raise TypeError(f"{what} holds a {type(leaf).__name__}; layers map tensors (or "
                            "tuples, lists and dicts of tensors) to tensors")
    if not leaves:
        raise TypeError(f"{what} holds no tensor")
    return leaves, lambda ls: _pytree.tree_unflatten(list(ls), spec)


def _tree(value, what) -> _ml.Tree:
    leaves, unflatten = _leaves(value, what)
    return _ml.Tree([tuple(t.shape) for t in leaves], unflatten)


def _flat(value):
    leaves, _ = _pytree.tree_flatten(value)
    return leaves[0].reshape(-1) if len(leaves) == 1 else torch.cat([t.reshape(-1) for t in leaves])


def _flat_layer(f, tree: _ml.Tree):
    """``f`` on flat vectors: the input split into ``tree``'s tensors, the output's tensors
    concatenated."""
    def flat(v):
        leaves = [v[a:b].reshape(shape) for a, b, shape in tree.spans()]
        return _flat(f(tree.unflatten(leaves)))
    return flat


class Jacobian(_ml.JacobianBase):
    """The Jacobian of ``f_L ∘ … ∘ f_1`` by the library's matrix-free plan; see
    :func:`jacobian`. ``(x)``, ``.jvp_matrix(x, V)``, ``.vjp_matrix(x, W)`` and
    ``.project(x, W, V)`` give the full Jacobian, J·V, Wᵀ·J and Wᵀ·J·V."""

    def _flatten(self, value):
        return _leaves(value, "the seed")

    def _concat(self, arrays, axis):
        return torch.cat(arrays, axis)

    def _primals(self, x):
        xs = [x]
        _leaves(x, "the input")
        with torch.no_grad():
            for i, f in enumerate(self.layers):
                y = f(xs[-1])
                _leaves(y, f"layer {i}'s output")
                xs.append(y)
        return xs

    def plan(self, x, *, right: Optional[int] = None, left: Optional[int] = None
             ) -> JacobianPlan:
        """The plan at ``x`` (a tensor or a pytree of tensors), with ``right`` columns of V
        or ``left`` rows of Wᵀ where given."""
        xs = self._primals(x)
        return self._plan(xs, self._flat_layers(xs), right, left)

    def _flat_layers(self, xs):
        return [_flat_layer(f, _tree(v, "a layer's input")) for f, v in zip(self.layers, xs)]

    def _plan(self, xs, layers, right, left):
        flat = [_flat(v) for v in xs]
        widths = [t.numel() for t in flat]
        return self._plan_for(widths, lambda i: _measured(layers[i], flat[i]), right, left)

    def _run(self, x, v=None, w=None):
        xs = self._primals(x)
        layers = self._flat_layers(xs)
        xt, yt = _tree(xs[0], "the input"), _tree(xs[-1], "the output")
        vm = None if v is None else v(xt)
        wm = None if w is None else w(yt).T
        plan = self._plan(xs, layers, None if vm is None else vm.shape[1],
                          None if wm is None else wm.shape[0])
        # Primals again, now recorded by autograd where x requires grad.
        if any(t.requires_grad for t in _leaves(x, "the input")[0]):
            xs = [x]
            for f in self.layers:
                xs.append(f(xs[-1]))
        out = _ml.run_jacobian(plan, _ops(layers, [_flat(v) for v in xs]), vm, wm)
        return xt, yt, out


def jacobian(layers: Sequence[Callable], x: Optional[torch.Tensor] = None, *,
             tangent_costs: Optional[Sequence[int]] = None,
             adjoint_costs: Optional[Sequence[int]] = None,
             tapes: Optional[Sequence[int]] = None, memory: Optional[int] = None,
             plan: str = "optimal"):
    """The Jacobian of ``f_L ∘ … ∘ f_1`` (``layers`` in evaluation order, each mapping a
    tensor, or a tuple, list or dict of tensors, to the same) by the plan of chainplan's
    matrix-free planner, run with ``torch.func.jvp``/``vjp``/``vmap``. With ``x``, the full
    Jacobian at ``x``, structured as ``torch.func.jacfwd`` structures it (for tensors,
    shaped ``f(x).shape + x.shape``); without, a :class:`Jacobian` whose ``(x)``,
    ``.jvp_matrix(x, V)``, ``.vjp_matrix(x, W)``, ``.project(x, W, V)`` and ``.plan(x)`` give
    the full Jacobian, J·V, Wᵀ·J, Wᵀ·J·V and the plan. Structured values are flattened into
    one vector per layer boundary for the planner (their tensors concatenated), so its
    widths are total sizes.

    ``tangent_costs`` and ``adjoint_costs`` are measured with PyTorch's flop counter when not
    given (the larger of in and out size where it counts nothing: elementwise layers);
    ``memory`` limits the tapes a
    pull holds at once, a layer's tape being ``tapes[i]`` or by default its input's size;
    ``plan`` is ``"optimal"``, ``"tangent"`` or ``"adjoint"``.
    """
    jac = Jacobian(layers, tangent_costs, adjoint_costs, tapes, memory, plan)
    return jac if x is None else jac(x)


# ---------------------------------------------------------------------------------------------
# The FX pass

_MATMUL_FUNCTIONS = {torch.matmul, torch.mm, operator.matmul, torch.Tensor.matmul,
                     torch.Tensor.mm}
_MATMUL_METHODS = {"matmul", "mm", "__matmul__"}


def _aten_matmuls():
    out = set()
    for name in ("mm", "matmul"):
        packet = getattr(torch.ops.aten, name, None)
        if packet is not None:
            out.add(packet.default)
    return out


_MATMUL_FUNCTIONS |= _aten_matmuls()


def _is_matmul(node: torch.fx.Node) -> bool:
    if len(node.args) != 2 or node.kwargs:
        return False
    if node.op == "call_function":
        return node.target in _MATMUL_FUNCTIONS
    return node.op == "call_method" and node.target in _MATMUL_METHODS


def _shape(node) -> Optional[tuple]:
    """The static shape of a node's value, from the metadata of dynamo (``example_value``),
    of fake tracing (``val``) or of ``ShapeProp`` (``tensor_meta``); ``None`` when unknown or
    dynamic."""
    if not isinstance(node, torch.fx.Node):
        return None
    meta = node.meta
    value = meta.get("val", meta.get("example_value"))
    shape = getattr(value, "shape", None)
    if shape is None and meta.get("tensor_meta") is not None:
        shape = getattr(meta["tensor_meta"], "shape", None)
    if shape is None:
        return None
    if any(not isinstance(d, int) for d in shape):
        return None  # a dynamic (symbolic) dimension
    return tuple(shape)


def _interior(node, user) -> bool:
    """Whether ``node`` is a product that only ``user`` (a product) uses, once: it belongs to
    ``user``'s chain. Any other user makes it a fixed operand."""
    return (
        isinstance(node, torch.fx.Node)
        and _is_matmul(node)
        and _is_matmul(user)
        and len(node.users) == 1
        and user in node.users
        and list(user.args).count(node) == 1
    )


def _flatten(root):
    """(leaves, tree, interior nodes parent first) of the chain ending at ``root``; ``tree``
    is a leaf index or a (left, right) pair."""
    leaves, interior = [], []

    def walk(node):
        # Iterative enough: chains in graphs are short; recursion depth is the chain length.
        parts = []
        for arg in node.args:
            if _interior(arg, node):
                interior.append(arg)
                parts.append(walk(arg))
            else:
                leaves.append(arg)
                parts.append(len(leaves) - 1)
        return tuple(parts)

    tree = walk(root)
    return leaves, tree, interior


def _tree_cost(tree, dims):
    """(cost, first leaf, last leaf) of the order ``tree`` over the chain ``dims``."""
    if isinstance(tree, int):
        return 0, tree, tree
    lc, li, lk = _tree_cost(tree[0], dims)
    rc, _ri, rj = _tree_cost(tree[1], dims)
    return lc + rc + dims[li] * dims[lk + 1] * dims[rj + 1], li, rj


def reassociate(gm: torch.fx.GraphModule, *example_inputs) -> torch.fx.GraphModule:
    """Rewrites every chain of matrix products (``torch.mm``, ``torch.matmul``, ``@``,
    ``Tensor.mm``/``matmul``, ``aten.mm``) in ``gm`` in the library's exact order, in place,
    and returns ``gm``.

    A product whose value has any other user is kept: it ends its own chain and is a fixed
    operand of the chain that uses it, so nothing is computed twice. A chain is planned
    when its operands' shapes are known and static: from dynamo's or fake tensors' metadata,
    or from ``example_inputs`` (run through ``ShapeProp``). The first operand may be a stack
    ``(..., m, k)`` (its leading dimensions count as rows, as ``matmul`` folds them); the
    others must be matrices. Chains with a dynamic dimension, a vector, or a batched operand
    past the first are left alone, as are those already in an optimal order. The rewritten
    products are ``torch.matmul`` calls.
    """
    if example_inputs:
        from torch.fx.passes.shape_prop import ShapeProp

        ShapeProp(gm).propagate(*example_inputs)
    graph = gm.graph
    rewritten = 0
    for root in list(graph.nodes):
        if root.graph is not graph or not _is_matmul(root):
            continue
        users = list(root.users)
        if len(users) == 1 and _interior(root, users[0]):
            continue  # part of a longer chain; its root handles it
        leaves, tree, interior = _flatten(root)
        if len(leaves) < 3:
            continue
        maybe = [_shape(n) for n in leaves]
        shapes = [s for s in maybe if s is not None]
        if len(shapes) != len(maybe):
            continue
        if len(shapes[0]) < 2 or any(len(s) != 2 for s in shapes[1:]):
            continue
        dims = [math.prod(shapes[0][:-1])] + [s[-1] for s in shapes]
        if any(shapes[i][0] != dims[i] for i in range(1, len(shapes))):
            continue
        if 0 in dims:
            continue
        steps = _ml.chain_steps(dims)
        planned = _ml.chain_cost(dims)
        if _tree_cost(tree, dims)[0] <= planned:
            continue
        values = list(leaves)
        with graph.inserting_before(root):
            for lhs, rhs in steps:
                values.append(graph.call_function(torch.matmul, (values[lhs], values[rhs])))
        root.replace_all_uses_with(values[-1])
        graph.erase_node(root)
        for node in interior:
            graph.erase_node(node)
        rewritten += 1
    if rewritten:
        graph.lint()
        gm.recompile()
    return gm


def backend(gm: torch.fx.GraphModule, example_inputs):
    """A ``torch.compile`` backend: :func:`reassociate` on dynamo's graph, which then runs
    eagerly (``torch.compile(model, backend=chainplan.torch.backend)``). Chains with a
    dynamic dimension are left alone: dynamo marks a dimension dynamic after it sees it
    change, and those graphs keep their products as written."""
    reassociate(gm)
    return gm.forward


def make_backend(inner="inductor") -> Callable:
    """A ``torch.compile`` backend that applies :func:`reassociate` and hands the graph to
    ``inner`` (a backend name or callable), by default ``"inductor"``."""
    from torch._dynamo import lookup_backend

    compiler = lookup_backend(inner) if isinstance(inner, str) else inner

    def compile_with_chainplan(gm, example_inputs):
        reassociate(gm)
        return compiler(gm, example_inputs)

    return compile_with_chainplan
