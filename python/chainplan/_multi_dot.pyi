from typing import Any, Optional, Sequence

import numpy as np
import numpy.typing as npt

def clear_workspace() -> None: ...
def multi_dot(
    arrays: Sequence[npt.ArrayLike],
    *,
    out: Optional[npt.NDArray[Any]] = ...,
    algorithm: str = ...,
) -> npt.NDArray[Any]: ...

def _schedule(dims: tuple[int, ...], algorithm: str) -> Any: ...
