from typing import Any, Dict, FrozenSet, List, Optional, Sequence, Tuple, Union

# opt_einsum ships no types: its optimizer base class is Any here.
from opt_einsum.paths import PathOptimizer  # type: ignore[import-untyped]

_Inputs = Sequence[Union[str, FrozenSet[str], Sequence[str]]]

def chain_order(
    inputs: _Inputs, output: Any, size_dict: Dict[str, int]
) -> Optional[Tuple[List[int], List[int]]]: ...

class ChainPathOptimizer(PathOptimizer):  # type: ignore[misc]
    def __init__(self, fallback: str = ..., algorithm: str = ...) -> None: ...
    def __call__(
        self,
        inputs: _Inputs,
        output: Any,
        size_dict: Dict[str, int],
        memory_limit: Optional[int] = ...,
    ) -> List[Tuple[int, ...]]: ...

einsum_path: ChainPathOptimizer
