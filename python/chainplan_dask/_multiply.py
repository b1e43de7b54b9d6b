"""Building the product of a chain of dask arrays, one ``@`` per step of a plan.

Only the graph is built here: nothing is computed until the caller asks (``compute``,
``persist``). Each intermediate is referenced only until the step that consumes it, as the
plan's ``free_after`` lists say, so the scheduler may release it as soon as it is used.
"""

from __future__ import annotations

import functools
import operator
from typing import Optional, Sequence

import dask.array as da

from ._binary import plan_chain
from ._plan import PlanFormatError, load_plan


def _matrices(arrays: Sequence) -> tuple:
    """Checks the inputs and returns them as 2-D arrays, with which ends were vectors.

    As in ``numpy.linalg.multi_dot``, a 1-D first array is a row vector and a 1-D last array is
    a column vector; every other array must be 2-D."""
    arrays = list(arrays)
    if len(arrays) < 2:
        raise ValueError(f"multi_dot needs at least two arrays, got {len(arrays)}")
    for i, a in enumerate(arrays):
        if not isinstance(a, da.Array):
            raise TypeError(
                f"arrays[{i}] is a {type(a).__module__}.{type(a).__name__}, not a dask array; "
                "wrap it with dask.array.from_array"
            )
    last = len(arrays) - 1
    row_vector = arrays[0].ndim == 1
    col_vector = arrays[last].ndim == 1
    mats = []
    for i, a in enumerate(arrays):
        for axis, size in enumerate(a.shape):
            if size != size:  # NaN: unknown chunk sizes
                raise ValueError(
                    f"arrays[{i}] has an unknown size along axis {axis}; "
                    "call compute_chunk_sizes() on it first"
                )
        if a.ndim == 1 and i == 0:
            a = a.reshape((1, a.shape[0]))
        elif a.ndim == 1 and i == last:
            a = a.reshape((a.shape[0], 1))
        elif a.ndim != 2:
            allowed = "1-D or 2-D" if i in (0, last) else "2-D (only the first and last may be 1-D)"
            raise ValueError(f"arrays[{i}] has {a.ndim} dimensions; it must be {allowed}")
        mats.append(a)
    for i in range(last):
        (r1, c1), (r2, c2) = mats[i].shape, mats[i + 1].shape
        if c1 != r2:
            raise ValueError(
                f"cannot multiply arrays[{i}] ({r1} x {c1}) by arrays[{i + 1}] ({r2} x {c2}): "
                f"inner dimensions {c1} and {r2} differ"
            )
    return mats, row_vector, col_vector


def _unshape(result, row_vector: bool, col_vector: bool):
    if row_vector and col_vector:
        return result[0, 0]
    if row_vector:
        return result[0, :]
    if col_vector:
        return result[:, 0]
    return result


def _run(plan: dict, mats: list):
    """Executes the steps of a checked plan on 2-D dask arrays of the right shapes."""
    live = {item["name"]: a for item, a in zip(plan["inputs"], mats)}
    for step in plan["steps"]:
        where = f"step {step.get('step', step['out'])}"
        try:
            lhs, rhs = live[step["lhs"]], live[step["rhs"]]
        except KeyError as e:
            raise PlanFormatError(
                f"{where} uses {e.args[0]!r}, which is not an input or a live earlier result"
            ) from None
        want = ((step["m"], step["k"]), (step["k"], step["n"]))
        if (lhs.shape, rhs.shape) != want:
            raise PlanFormatError(
                f"{where} multiplies {step['lhs']} {lhs.shape} by {step['rhs']} {rhs.shape}, "
                f"but the plan says {want[0]} by {want[1]}"
            )
        if step["out"] in live:
            raise PlanFormatError(f"{where} produces {step['out']!r}, which already exists")
        live[step["out"]] = lhs @ rhs
        for name in step.get("free_after", []):
            live.pop(name, None)
    if plan["result"] not in live:
        raise PlanFormatError(f"the result {plan['result']!r} is not produced by the steps")
    return live[plan["result"]]


def multi_dot(arrays: Sequence, *, algorithm: str = "dp", binary: Optional[str] = None):
    """The product of a chain of dask arrays, multiplied in the order chainplan plans.

    Like ``numpy.linalg.multi_dot``: ``arrays`` are 2-D, except that the first may be a 1-D row
    vector and the last a 1-D column vector (the result then loses that axis; with both, it is
    0-d). The result is a lazy dask array; nothing is computed here.

    ``algorithm`` is any planner ``chainplan plan --algorithm`` accepts (``dp``, the exact one,
    by default); ``binary`` overrides where the ``chainplan`` binary is looked for.

    Raises ``TypeError`` for inputs that are not dask arrays, ``ValueError`` for shapes that do
    not chain, :class:`ChainplanNotFoundError` when the binary cannot be found and
    :class:`ChainplanError` when it refuses the chain.
    """
    mats, row_vector, col_vector = _matrices(arrays)
    dims = [mats[0].shape[0]] + [a.shape[1] for a in mats]
    if 0 in dims:
        # Every order costs nothing; chainplan's dimensions start at 1.
        return _unshape(functools.reduce(operator.matmul, mats), row_vector, col_vector)
    plan = plan_chain(dims, algorithm=algorithm, binary=binary)
    return _unshape(_run(plan, mats), row_vector, col_vector)


def execute_plan(plan, arrays: Sequence):
    """The product of ``arrays`` in the order of ``plan``: a path to a file written by
    ``chainplan plan ... --export-plan FILE``, or that plan already parsed into a dict.

    ``arrays`` follow the plan's ``inputs`` in order and must have their shapes (1-D vectors at
    the ends stand for 1 x n and n x 1). Raises :class:`PlanFormatError` for a plan this
    package cannot read, and ``ValueError`` or ``TypeError`` for arrays that do not fit it.
    """
    plan = load_plan(plan)
    mats, row_vector, col_vector = _matrices(arrays)
    inputs = plan["inputs"]
    if len(inputs) != len(mats):
        raise ValueError(f"the plan multiplies {len(inputs)} matrices but {len(mats)} arrays were given")
    for i, (item, a) in enumerate(zip(inputs, mats)):
        if a.shape != (item["rows"], item["cols"]):
            raise ValueError(
                f"arrays[{i}] is {a.shape[0]} x {a.shape[1]} but the plan's {item['name']} is "
                f"{item['rows']} x {item['cols']}"
            )
    return _unshape(_run(plan, mats), row_vector, col_vector)
