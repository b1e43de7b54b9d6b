"""chainplan for Python: matrix chains multiplied in the cheapest order.

The planning is chainplan's Rust library, linked in-process as ``chainplan._native``; this
package converts Python arguments, calls the library and executes the steps with numpy.

>>> import numpy as np, chainplan
>>> p = chainplan.plan([30, 35, 15, 5, 10, 20, 25])
>>> p.order, p.cost
('((A1(A2A3))((A4A5)A6))', 15125)
>>> a, b, c = np.ones((10, 100)), np.ones((100, 5)), np.ones((5, 50))
>>> chainplan.multi_dot([a, b, c]).shape       # like numpy.linalg.multi_dot
(10, 50)

- :func:`plan` returns a :class:`Plan` (order, exact cost, steps, comparisons, hand-off format);
- :func:`multi_dot` is a drop-in for ``numpy.linalg.multi_dot`` that also takes stacks of chains;
- :func:`jacobian` plans Jacobian chains as ``chainplan jacobian --json`` reports them
  (a :class:`JacobianReport`);
- :func:`plan_expr` plans expressions with transposes, inverses (as solves) and structured
  operands, as ``chainplan expr`` does; :func:`eval_expr` evaluates them on numpy arrays;
- :func:`load_plan` reads a hand-off plan strictly (:class:`PlanFormatError`);
- ``chainplan.dask`` multiplies dask arrays; :data:`einsum_path` is an opt_einsum path optimizer;
  both are imported on first use.
- ``chainplan.jax`` and ``chainplan.torch`` (extras ``[jax]``, ``[torch]``; not imported here)
  bring exact chains, planned Jacobians and, for PyTorch, an FX pass to those frameworks.

Plans, expression plans and Jacobian reports pickle, and each has ``to_json()`` (and
``to_dict()``) for its JSON form.
"""

from . import _openblas  # noqa: F401  (first: the extension links its library)
from ._native import PlanFormatError
from ._plan import ALGORITHMS, Comparison, Plan, Step, load_plan, plan
from ._multi_dot import clear_workspace, multi_dot
from ._jacobian import JacobianReport, jacobian
from ._expr import MODELS, ExprPlan, ExprStep, ProgramPlan, ProgramStep, Strategy, eval_expr, plan_expr

#: The ``format`` field of every hand-off plan.
FORMAT_NAME = "chainplan-plan"
#: The hand-off plan format version this package reads and writes.
FORMAT_VERSION = 1

__all__ = [
    "ALGORITHMS",
    "Comparison",
    "ExprPlan",
    "ExprStep",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "JacobianReport",
    "MODELS",
    "Plan",
    "PlanFormatError",
    "ProgramPlan",
    "ProgramStep",
    "Step",
    "Strategy",
    "clear_workspace",
    "einsum_path",
    "eval_expr",
    "jacobian",
    "load_plan",
    "multi_dot",
    "plan",
    "plan_expr",
]

__version__ = "0.1.0"


def _register_with_opt_einsum():
    """Registers ``optimize="chainplan"`` with opt_einsum when opt_einsum is installed, so that
    the documented name works in a fresh interpreter without touching ``einsum_path`` first.
    opt_einsum stays optional: without it nothing is imported."""
    import importlib.util

    if importlib.util.find_spec("opt_einsum") is not None:
        from . import einsum  # noqa: F401  (importing it registers the name)


_register_with_opt_einsum()


def __getattr__(name):
    # opt_einsum and dask are optional: import them only when asked for.
    if name == "einsum_path":
        from .einsum import einsum_path

        return einsum_path
    if name == "dask":
        import importlib

        return importlib.import_module(".dask", __name__)
    raise AttributeError(f"module 'chainplan' has no attribute {name!r}")
