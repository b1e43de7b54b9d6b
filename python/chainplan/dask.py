"""Matrix chains on Dask in the order the library plans, in-process.

Dask multiplies ``a @ b @ c @ d`` from the left, whatever the shapes, and has no
``multi_dot``. :func:`multi_dot` plans the chain with chainplan's library and builds the
product lazily in that order, one ``@`` per step; :func:`execute_plan` follows a hand-off plan
(``chainplan plan ... --export-plan FILE``, or :meth:`chainplan.Plan.to_handoff`), checked
strictly first.

>>> import dask.array as da                                   # doctest: +SKIP
>>> from chainplan.dask import multi_dot                      # doctest: +SKIP
>>> product = multi_dot([a, b, c, d])                         # doctest: +SKIP
"""

from __future__ import annotations

import functools
import operator
from typing import Sequence

import dask.array as da
import numpy as np

from ._native import PlanFormatError
from ._plan import ALGORITHMS, Plan, _check_choice, load_plan, plan as _plan
from ._text import bounded

__all__ = ["PlanFormatError", "execute_plan", "load_plan", "multi_dot"]


def _matrices(arrays: Sequence) -> tuple:
    """The inputs as 2-D dask arrays (numpy arrays and array-likes are wrapped), and which ends
    were vectors: as in ``numpy.linalg.multi_dot``, a 1-D first array is a row vector and a
    1-D last array a column vector; every other array must be 2-D."""
    arrays = list(arrays)
    if len(arrays) < 2:
        raise ValueError(f"multi_dot needs at least two arrays, got {len(arrays)}")
    arrays = [a if isinstance(a, da.Array) else da.from_array(np.asarray(a)) for a in arrays]
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


def _operand(name: str, n: int) -> int:
    """``A3`` → 2, ``S1`` → n: inputs first, then step results (names the library checked)."""
    index = int(name[1:]) - 1
    return index if name[0] == "A" else n + index


def _run(plan: Plan, mats: list):
    """Builds the product lazily, one ``@`` per step of a checked plan; every operand is
    dropped after its one use, so the scheduler may release it."""
    n = len(mats)
    live = list(mats)
    for step in plan.steps:
        i, j = _operand(step.lhs, n), _operand(step.rhs, n)
        live.append(live[i] @ live[j])
        live[i] = live[j] = None
    return live[-1]


@bounded
def multi_dot(arrays: Sequence, *, algorithm: str = "auto"):
    """The product of a chain of dask arrays (numpy arrays and array-likes may be mixed in;
    they are wrapped with ``dask.array.from_array``), multiplied in the order the library
    plans. Like ``numpy.linalg.multi_dot``, the first array may be a 1-D row vector and the
    last a 1-D column vector. The result is lazy; nothing is computed here.

    Raises ``ValueError`` for shapes that do not chain and for a bad ``algorithm``."""
    _check_choice("algorithm", algorithm, ALGORITHMS)
    mats, row_vector, col_vector = _matrices(arrays)
    dims = [mats[0].shape[0]] + [a.shape[1] for a in mats]
    if 0 in dims:
        # Every order costs nothing; the library's dimensions start at 1.
        return _unshape(functools.reduce(operator.matmul, mats), row_vector, col_vector)
    return _unshape(_run(_plan(dims, algorithm=algorithm), mats), row_vector, col_vector)


@bounded
def execute_plan(plan, arrays: Sequence):
    """The product of ``arrays`` in the order of ``plan``: a path to a file written by
    ``chainplan plan ... --export-plan FILE``, that plan parsed into a dict, JSON text, or a
    :class:`chainplan.Plan`.

    The plan is checked by the library's strict reader first (:class:`PlanFormatError`).
    ``arrays`` follow the plan's inputs in order and must have their shapes (1-D vectors at
    the ends stand for 1 x n and n x 1); otherwise ``ValueError``."""
    plan = load_plan(plan)
    mats, row_vector, col_vector = _matrices(arrays)
    dims = plan.dims
    if len(dims) - 1 != len(mats):
        raise ValueError(
            f"the plan multiplies {len(dims) - 1} matrices but {len(mats)} arrays were given"
        )
    for i, a in enumerate(mats):
        if a.shape != (dims[i], dims[i + 1]):
            raise ValueError(
                f"arrays[{i}] is {a.shape[0]} x {a.shape[1]} but the plan's A{i + 1} is "
                f"{dims[i]} x {dims[i + 1]}"
            )
    return _unshape(_run(plan, mats), row_vector, col_vector)
