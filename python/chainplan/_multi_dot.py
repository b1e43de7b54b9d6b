"""``multi_dot``: numpy's ``multi_dot`` in the library's order, and stacks of chains.

Execution is numpy's own products in the library's order. The common case (ndarrays of one
dtype with small intermediates) runs inside the extension (``python/src/fast.rs``), which calls
the C routine behind ``numpy.dot`` once per step. Everything else runs here: every large
intermediate goes into a slot of a workspace kept between calls, planned by the library
(``chainplan::exec::BufferPlan``), and the last product into the result (or ``out``).
python/README.md ("Execution") records why this beats calling the library's BLAS executor.
"""

from __future__ import annotations

import functools
import operator
import threading

import numpy as np

from . import _native
from ._plan import ALGORITHMS, _check_choice
from ._text import bounded, rebound

_dot_chain = _native.dot_chain

#: Schedules by (dims, algorithm), so that a loop over same-shaped chains plans once. Planning
#: is the library's; this only remembers its answers.
_SCHEDULES: dict = {}
_SCHEDULES_MAX = 1024
#: Intermediates of at most this many elements are allocated per step (as numpy's multi_dot
#: does), not placed in the planned workspace: below this, slicing a slot costs more.
_SMALL = 4096
#: Intermediate buffers kept between calls, per thread, up to this many bytes (_Workspace).
_KEEP_BYTES = 64 << 20
_KEPT = threading.local()
#: The planner names, for a quick membership test.
_ALGORITHM_SET = frozenset(ALGORITHMS)

_NDARRAY_ARRAY_FUNCTION = np.ndarray.__array_function__


def _overridden(arrays, out) -> bool:
    """Whether an operand (or ``out``) overrides numpy's functions (``__array_function__``
    other than ndarray's: CuPy, pint, dask, …). numpy then hands ``multi_dot`` to that type
    instead of converting it, and so does :func:`multi_dot`."""
    for a in arrays:
        method = getattr(type(a), "__array_function__", _NDARRAY_ARRAY_FUNCTION)
        if method is not _NDARRAY_ARRAY_FUNCTION:
            return True
    if out is None:
        return False
    return getattr(type(out), "__array_function__", _NDARRAY_ARRAY_FUNCTION) is not _NDARRAY_ARRAY_FUNCTION


def _schedule(dims: tuple, algorithm: str):
    key = (dims, algorithm)
    found = _SCHEDULES.get(key)
    if found is None:
        found = _native.schedule(list(dims), algorithm)
        if len(_SCHEDULES) >= _SCHEDULES_MAX:
            _SCHEDULES.clear()
        _SCHEDULES[key] = found
    return found


def _common_dtype(mats):
    """The dtype numpy promotes the operands to; a ``TypeError`` of one short line (numpy's
    own promotion error lists every dtype class, hundreds of characters) when there is none,
    as numpy's ``multi_dot`` raises a ``TypeError`` for operands it cannot multiply."""
    try:
        return np.result_type(*mats)
    except TypeError:  # numpy.exceptions.DTypePromotionError
        names = sorted({str(a.dtype)[:20] for a in mats})
        shown = ", ".join(names[:4]) + (", …" if len(names) > 4 else "")
        raise TypeError(f"unsupported operand dtypes for multi_dot: {shown}") from None


def _assert_2d(arrays):
    for a in arrays:
        if a.ndim != 2:
            raise np.linalg.LinAlgError(
                f"{a.ndim}-dimensional array given. Array must be two-dimensional"
            )


class _Workspace:
    """The slot buffers of one call. Buffers are kept between calls, per thread, while they
    total at most ``_KEEP_BYTES``: a chain multiplied again (the usual loop) then reuses memory
    that is already mapped, where fresh buffers would cost page faults on every call (about 5 %
    of five 600 x 600 products). A call whose workspace would exceed the bound, or that starts
    while this thread's kept buffers are in use (a product of object arrays calling back into
    ``multi_dot``), gets buffers of its own."""

    __slots__ = ("dtype", "buffers", "kept")

    def __init__(self, dtype, slots, count):
        self.dtype = dtype
        need = sum(int(x) for x in slots) * count * dtype.itemsize
        kept = getattr(_KEPT, "buffers", None)
        if need <= _KEEP_BYTES and not getattr(_KEPT, "busy", False):
            if kept is None or _KEPT.dtype != dtype:
                kept = _KEPT.buffers = {}
                _KEPT.dtype = dtype
            _KEPT.busy = True
            self.kept = True
        else:
            kept = {}
            self.kept = False
        self.buffers = kept

    def slot(self, slot, size, shape):
        """A view of ``shape`` (``size`` elements) on the buffer of ``slot``."""
        buf = self.buffers.get(slot)
        if buf is None or buf.size < size:
            if self.kept:
                # New or grown buffers must still fit the bound (the kept set may hold slots
                # of earlier calls); else the kept set starts again.
                old = 0 if buf is None else buf.size
                total = sum(b.size for b in self.buffers.values()) - old + size
                if total * self.dtype.itemsize > _KEEP_BYTES:
                    self.buffers.clear()
            buf = self.buffers[slot] = np.empty(size, dtype=self.dtype)
        return buf[:size].reshape(shape)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.kept:
            _KEPT.busy = False


@bounded
def clear_workspace():
    """Frees the intermediate buffers that :func:`multi_dot` keeps for this thread between
    calls (at most 64 MiB; see python/README.md, "Execution")."""
    _KEPT.__dict__.clear()


def _run(mats, dims, algorithm, batch, dtype, out, use_dot):
    """Multiplies the (stacked) matrices ``mats`` in the library's order; the last step
    writes into ``out`` (or a new array)."""
    steps, slots = _schedule(dims, algorithm)
    count = 1
    for b in batch:
        count *= b
    # 2-D chains of one dtype go through dot (less call overhead than the matmul ufunc, and
    # numpy's multi_dot's own rules for the final out=); stacks and mixed dtypes through matmul.
    product = np.dot if use_dot else np.matmul
    operands = list(mats)
    last = len(steps) - 1
    with _Workspace(dtype, slots, count) as workspace:
        for s, (lhs, rhs, slot, m, n) in enumerate(steps):
            a, b = operands[lhs], operands[rhs]
            if s == last:
                result = np.matmul(a, b, out=out) if batch else np.dot(a, b, out=out)
            elif count * m * n <= _SMALL:
                # Results this small are cheaper to allocate than to carve out of a slot.
                result = product(a, b)
            else:
                result = product(a, b, workspace.slot(slot, count * m * n, batch + (m, n)))
            operands.append(result)
            # Each operand is used once: drop the reference so its slot can be reused.
            operands[lhs] = operands[rhs] = None
    return result


def _run_2d(mats, steps, slots, dtype, out):
    """:func:`_run` for 2-D operands of one dtype (no stack, no vector end): the same steps and
    workspace, with less per-step work."""
    dot = np.dot
    with _Workspace(dtype, slots, 1) as workspace:
        for lhs, rhs, slot, m, n in steps[:-1]:
            if m * n <= _SMALL:
                result = dot(mats[lhs], mats[rhs])
            else:
                result = dot(mats[lhs], mats[rhs], workspace.slot(slot, m * n, (m, n)))
            mats.append(result)
            # Each operand is used once: drop the reference so its slot can be reused.
            mats[lhs] = mats[rhs] = None
        lhs, rhs = steps[-1][0], steps[-1][1]
        return dot(mats[lhs], mats[rhs], out=out)


def multi_dot(arrays, *, out=None, algorithm: str = "auto"):
    """The product of a chain of arrays, multiplied in the cheapest order that chainplan's
    library finds: a drop-in for ``numpy.linalg.multi_dot``.

    As in numpy, the arrays are array-likes; the first may be 1-D (a row vector) and the last
    1-D (a column vector), and the result loses those axes. ``out`` follows numpy's rules: it
    must have the dtype, shape and C-contiguity of the (2-D) product, else numpy's
    ``ValueError``. float32/float64/complex64/complex128 run through numpy's BLAS; any other
    dtype follows numpy's promotion.

    Beyond numpy: operands of more than two dimensions are **stacks** ``(..., m, k)`` whose
    leading dimensions broadcast as in ``matmul``; one plan serves the whole stack, and the
    result equals a loop of ``numpy.linalg.multi_dot`` over it. ``algorithm`` names the
    planner (``auto``: exact). Bad chains raise numpy's errors (``ValueError``,
    ``LinAlgError``); a bad ``algorithm`` raises the library's ``ValueError``.

    Operands (or ``out``) that override numpy's functions with ``__array_function__`` (dask,
    CuPy, pint, …) are not converted: the call goes to their implementation of
    ``numpy.linalg.multi_dot``, through numpy's own dispatch, as numpy would.
    """
    # The messages are bounded here, not by the `bounded` wrapper: the short path costs
    # about two `dot`s, and a wrapper's call would add a tenth of that. `try` costs nothing
    # until something is raised.
    try:
        if algorithm.__class__ is not str or algorithm not in _ALGORITHM_SET:
            _check_choice("algorithm", algorithm, ALGORITHMS)
            _native.schedule([1, 1], algorithm)  # raises the library's message
        n = len(arrays)
        if n < 2:
            raise ValueError("Expecting at least two arrays.")
        if n > 2:
            # The common case, ndarrays of one dtype with small intermediates, runs inside the
            # extension (python/src/fast.rs): numpy's multi_dot is a few microseconds on small
            # chains, so every Python step here would show in the timing. None: not that case.
            found = _dot_chain(arrays, algorithm, out)
            if found is not None:
                return found
        if _overridden(arrays, out):
            # numpy's own dispatch (NEP 18), exactly as numpy.linalg.multi_dot does it: the
            # overriding types' __array_function__ get numpy.linalg.multi_dot and the arguments.
            return np.linalg.multi_dot(arrays, out=out)
        mats = [np.asanyarray(a) for a in arrays]
        if n > 2 and mats[0].ndim == 2:
            # 2-D operands of one dtype with large intermediates (or array-likes): a short path
            # in Python, whose intermediates go into the planned workspace.
            dtype = mats[0].dtype
            dims = [mats[0].shape[0]]
            for a in mats:
                if a.ndim != 2 or a.dtype != dtype:
                    break
                dims.append(a.shape[1])
            else:
                if 0 not in dims:
                    dims = tuple(dims)
                    found = _SCHEDULES.get((dims, algorithm)) or _schedule(dims, algorithm)
                    return _run_2d(mats, found[0], found[1], dtype, out)
        stacked = False
        same = mats[0].dtype
        for a in mats:
            if a.ndim > 2:
                stacked = True
            if a.dtype != same:
                same = None
        if n == 2 and not stacked:
            return np.dot(mats[0], mats[1], out=out)
        first, last = mats[0].ndim, mats[-1].ndim
        if first == 1:
            mats[0] = mats[0][np.newaxis, :]
        if last == 1:
            mats[-1] = mats[-1][:, np.newaxis]
        if stacked:
            for i, a in enumerate(mats):
                if a.ndim < 2:
                    raise ValueError(
                        f"arrays[{i}] has {a.ndim} dimensions; in a stacked chain every operand is "
                        "(..., m, k), except that the first and last may be 1-D"
                    )
            batch = np.broadcast_shapes(*(a.shape[:-2] for a in mats))
            for i in range(n - 1):
                k1, k2 = mats[i].shape[-1], mats[i + 1].shape[-2]
                if k1 != k2:
                    raise ValueError(
                        f"shapes {mats[i].shape} and {mats[i + 1].shape} not aligned: "
                        f"{k1} (dim {mats[i].ndim - 1}) != {k2} (dim {mats[i + 1].ndim - 2}) "
                        f"(arrays[{i}] and arrays[{i + 1}])"
                    )
        else:
            _assert_2d(mats)
            batch = ()
            # Inner dimensions that differ are left to dot, which raises numpy's own error (the
            # plan made for the wrong dimensions is never completed).
        dims = (mats[0].shape[-2],) + tuple(a.shape[-1] for a in mats)
        if 0 in dims:
            # Every order costs nothing; the library's dimensions start at 1.
            result = functools.reduce(operator.matmul, mats[:-1])
            product = np.matmul if batch else np.dot
            result = product(result, mats[-1], out=out)
        else:
            dtype = same if same is not None else _common_dtype(mats)
            result = _run(mats, dims, algorithm, batch, dtype, out,
                          not batch and same is not None)
        if first == 1 and last == 1:
            return result[..., 0, 0] if batch else result[0, 0]
        if first == 1:
            return result[..., 0, :] if batch else result.ravel()
        if last == 1:
            return result[..., :, 0] if batch else result.ravel()
        return result
    except Exception as e:
        rebound(e)
        raise


multi_dot.__chainplan_bounded__ = True  # type: ignore[attr-defined]
