import os
from typing import Any, Dict, Sequence, Union

from ._plan import Plan

def multi_dot(arrays: Sequence[Any], *, algorithm: str = ...) -> Any: ...
def execute_plan(
    plan: Union[Dict[str, Any], str, "os.PathLike[str]", Plan], arrays: Sequence[Any]
) -> Any: ...
