from typing import Any, Callable, List, Optional, Sequence, Tuple

def chain_dims(shapes: Sequence[Tuple[int, ...]]) -> Tuple[List[int], bool, bool]: ...
def chain_steps(dims: Sequence[int]) -> Optional[List[Tuple[int, int]]]: ...
def run_chain(
    operands: Sequence[Any], steps: Optional[Sequence[Tuple[int, int]]], matmul: Callable[[Any, Any], Any]
) -> Any: ...
def multi_dot(
    arrays: Sequence[Any],
    matmul: Callable[[Any, Any], Any],
    expand: Callable[[Any, int], Any],
    squeeze: Callable[[Any, int], Any],
) -> Any: ...
def chain_cost(dims: Sequence[int]) -> int: ...

class JacobianStep:
    op: str
    layers: Optional[range]
    through: Optional[range]
    rows: int
    cols: int
    cost: int
    total: int
    inputs: Tuple[int, ...]
    span: Tuple[int, int]
    through_span: Optional[Tuple[int, int]]
    def __init__(
        self,
        op: str,
        layers: Optional[range],
        through: Optional[range],
        rows: int,
        cols: int,
        cost: int,
        total: int,
        inputs: Tuple[int, ...],
        span: Tuple[int, int],
        through_span: Optional[Tuple[int, int]],
    ) -> None: ...

class JacobianPlan:
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
    def __init__(
        self,
        steps: Tuple[JacobianStep, ...],
        order: str,
        cost: int,
        forward_cost: int,
        reverse_cost: Optional[int],
        widths: Tuple[int, ...],
        tangent_costs: Tuple[int, ...],
        adjoint_costs: Tuple[int, ...],
        names: Tuple[str, ...],
        right: Optional[int],
        left: Optional[int],
    ) -> None: ...
    @property
    def forward_layers(self) -> Tuple[int, ...]: ...
    @property
    def reverse_layers(self) -> Tuple[int, ...]: ...
    @property
    def mode(self) -> str: ...

def jacobian_plan(
    widths: Sequence[int],
    tangent: Sequence[int],
    adjoint: Sequence[int],
    *,
    tapes: Optional[Sequence[int]] = ...,
    memory: Optional[int] = ...,
    right: Optional[int] = ...,
    left: Optional[int] = ...,
    which: str = ...,
) -> JacobianPlan: ...

class Ops:
    layers: Sequence[Callable[[Any], Any]]
    xs: Sequence[Any]
    def __init__(
        self,
        layers: Sequence[Callable[[Any], Any]],
        xs: Sequence[Any],
        *,
        jvp: Callable[[Callable[[Any], Any], Any, Any], Any],
        vjp: Callable[[Callable[[Any], Any], Any], Callable[[Any], Any]],
        vmap: Callable[[Callable[[Any], Any]], Callable[[Any], Any]],
        eye: Callable[[Any], Any],
        matmul: Callable[[Any, Any], Any],
        transpose: Callable[[Any], Any],
    ) -> None: ...
    def tangents(self, i: int) -> Any: ...
    def adjoints(self, i: int) -> Any: ...
    def push(self, cols: Any, i: int) -> Any: ...
    def pull(self, rows: Any, layers: Sequence[int]) -> Any: ...

def run_jacobian(
    plan: JacobianPlan, ops: Ops, seed_right: Any = ..., seed_left: Any = ...
) -> Any: ...

class Tree:
    shapes: List[Tuple[int, ...]]
    unflatten: Callable[[Sequence[Any]], Any]
    sizes: List[int]
    offsets: List[int]
    def __init__(
        self, shapes: Sequence[Sequence[int]], unflatten: Callable[[Sequence[Any]], Any]
    ) -> None: ...
    @property
    def size(self) -> int: ...
    def spans(self) -> List[Tuple[int, int, Tuple[int, ...]]]: ...
    def stack(
        self, leaves: Sequence[Any], what: str, concat: Callable[[List[Any], int], Any]
    ) -> Any: ...

class JacobianBase:
    layers: Tuple[Callable[[Any], Any], ...]
    tangent_costs: Optional[Sequence[int]]
    adjoint_costs: Optional[Sequence[int]]
    tapes: Optional[Sequence[int]]
    memory: Optional[int]
    which: str
    def __init__(
        self,
        layers: Sequence[Callable[[Any], Any]],
        tangent_costs: Optional[Sequence[int]] = ...,
        adjoint_costs: Optional[Sequence[int]] = ...,
        tapes: Optional[Sequence[int]] = ...,
        memory: Optional[int] = ...,
        plan: str = ...,
    ) -> None: ...
    def __call__(self, x: Any) -> Any: ...
    def jvp_matrix(self, x: Any, v: Any) -> Any: ...
    def vjp_matrix(self, x: Any, w: Any) -> Any: ...
    def project(self, x: Any, w: Any, v: Any) -> Any: ...

def size(shape: Sequence[int]) -> int: ...
def dense_costs(widths: Sequence[int]) -> Tuple[List[int], List[int]]: ...
