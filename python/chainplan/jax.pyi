from typing import Any, Callable, Optional, Sequence

import jax

from ._ml import JacobianBase, JacobianPlan as JacobianPlan, JacobianStep as JacobianStep

__all__ = ["Jacobian", "JacobianPlan", "JacobianStep", "jacobian", "multi_dot"]

def multi_dot(arrays: Sequence[Any]) -> jax.Array: ...

class Jacobian(JacobianBase):
    def plan(
        self, x: Any, *, right: Optional[int] = ..., left: Optional[int] = ...
    ) -> JacobianPlan: ...

def jacobian(
    layers: Sequence[Callable[[Any], Any]],
    *,
    tangent_costs: Optional[Sequence[int]] = ...,
    adjoint_costs: Optional[Sequence[int]] = ...,
    tapes: Optional[Sequence[int]] = ...,
    memory: Optional[int] = ...,
    plan: str = ...,
) -> Jacobian: ...
