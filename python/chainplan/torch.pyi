from typing import Any, Callable, Optional, Sequence, overload

import torch
import torch.fx

from ._ml import JacobianBase, JacobianPlan as JacobianPlan, JacobianStep as JacobianStep

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

def multi_dot(tensors: Sequence[torch.Tensor]) -> torch.Tensor: ...

class Jacobian(JacobianBase):
    def plan(
        self, x: Any, *, right: Optional[int] = ..., left: Optional[int] = ...
    ) -> JacobianPlan: ...

@overload
def jacobian(
    layers: Sequence[Callable[[Any], Any]],
    x: None = ...,
    *,
    tangent_costs: Optional[Sequence[int]] = ...,
    adjoint_costs: Optional[Sequence[int]] = ...,
    tapes: Optional[Sequence[int]] = ...,
    memory: Optional[int] = ...,
    plan: str = ...,
) -> Jacobian: ...
@overload
def jacobian(
    layers: Sequence[Callable[[Any], Any]],
    x: Any,
    *,
    tangent_costs: Optional[Sequence[int]] = ...,
    adjoint_costs: Optional[Sequence[int]] = ...,
    tapes: Optional[Sequence[int]] = ...,
    memory: Optional[int] = ...,
    plan: str = ...,
) -> Any: ...
def reassociate(gm: torch.fx.GraphModule, *example_inputs: Any) -> torch.fx.GraphModule: ...
def backend(gm: torch.fx.GraphModule, example_inputs: Any) -> Callable[..., Any]: ...
def make_backend(inner: Any = ...) -> Callable[..., Any]: ...
