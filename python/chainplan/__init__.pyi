from typing import Tuple

from . import dask as dask
from ._expr import MODELS as MODELS
from ._expr import ExprPlan as ExprPlan
from ._expr import ExprStep as ExprStep
from ._expr import ProgramPlan as ProgramPlan
from ._expr import ProgramStep as ProgramStep
from ._expr import Strategy as Strategy
from ._expr import eval_expr as eval_expr
from ._expr import plan_expr as plan_expr
from ._jacobian import JacobianReport as JacobianReport
from ._jacobian import jacobian as jacobian
from ._multi_dot import clear_workspace as clear_workspace
from ._multi_dot import multi_dot as multi_dot
from ._native import PlanFormatError as PlanFormatError
from ._plan import ALGORITHMS as ALGORITHMS
from ._plan import Comparison as Comparison
from ._plan import Plan as Plan
from ._plan import Step as Step
from ._plan import load_plan as load_plan
from ._plan import plan as plan
from .einsum import ChainPathOptimizer

FORMAT_NAME: str
FORMAT_VERSION: int
__version__: str
__all__: list[str]

# Imported on first use (opt_einsum is optional).
einsum_path: ChainPathOptimizer
