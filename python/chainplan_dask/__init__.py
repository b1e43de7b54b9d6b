"""The former name of :mod:`chainplan.dask`, kept as a thin alias.

``chainplan_dask.multi_dot`` and ``chainplan_dask.execute_plan`` are
``chainplan.dask.multi_dot`` and ``chainplan.dask.execute_plan``: planned in-process by the
library, with no ``chainplan`` binary involved.
"""

from chainplan import FORMAT_NAME, FORMAT_VERSION, PlanFormatError, load_plan
from chainplan.dask import execute_plan, multi_dot

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "PlanFormatError", "execute_plan", "load_plan", "multi_dot"]

__version__ = "0.1.0"
