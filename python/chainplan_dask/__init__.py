"""Matrix chains on Dask in the order chainplan plans.

Dask multiplies ``a @ b @ c @ d`` from the left, whatever the shapes, and has no
``multi_dot``. This package asks the ``chainplan`` binary for the cheapest order and builds the
product lazily in that order, one ``@`` per step of the plan:

>>> import dask.array as da                                   # doctest: +SKIP
>>> from chainplan_dask import multi_dot                      # doctest: +SKIP
>>> product = multi_dot([a, b, c, d])                         # doctest: +SKIP

The binary is found through the ``CHAINPLAN_BIN`` environment variable, else on ``PATH``.
Plans exported earlier with ``chainplan plan ... --export-plan FILE`` (the format is described
in ``docs/plan-format.md``) run with :func:`execute_plan`.
"""

from ._binary import BINARY_ENV, ChainplanError, ChainplanNotFoundError, find_binary, plan_chain
from ._plan import FORMAT_NAME, FORMAT_VERSION, PlanFormatError, load_plan
from ._multiply import execute_plan, multi_dot

__all__ = [
    "BINARY_ENV",
    "ChainplanError",
    "ChainplanNotFoundError",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "PlanFormatError",
    "execute_plan",
    "find_binary",
    "load_plan",
    "multi_dot",
    "plan_chain",
]

__version__ = "0.1.0"
