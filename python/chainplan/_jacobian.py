"""Jacobian chains: :func:`jacobian`, the library's report as ``chainplan jacobian --json``."""

from __future__ import annotations

import json
import operator
from typing import Optional, Sequence

from . import _native
from ._plan import _dims_text

_SEEDS = (None, "input", "output")


def _counts(values, what: str):
    if values is None:
        return None
    if isinstance(values, (str, bytes)):
        raise TypeError(f"{what} is a sequence of whole numbers, not {type(values).__name__}")
    out = []
    for i, v in enumerate(values):
        if isinstance(v, bool) or not hasattr(type(v), "__index__"):
            raise TypeError(f"{what}[{i}] is a {type(v).__name__}; it must be a whole number")
        v = operator.index(v)
        if not 0 <= v < 2**64:
            raise ValueError(f"{what}[{i}] is {v}; it must be between 0 and 2^64 - 1")
        out.append(v)
    return out


def jacobian(widths: Sequence[int], *, layers: Optional[str] = None, seed: Optional[str] = None,
             seed_size: int = 1, tangent_costs: Optional[Sequence[int]] = None,
             adjoint_costs: Optional[Sequence[int]] = None, tapes: Optional[Sequence[int]] = None,
             memory: Optional[int] = None) -> dict:
    """Plans the Jacobian chain of a network with layer widths ``n0 … nL`` and returns the
    report of ``chainplan jacobian --json``: the mode (forward, reverse, mixed), the exact
    costs of forward, reverse and the optimal order, and the order itself.

    ``layers`` is the CLI's ``--layers`` text (``dense,elementwise,…``); ``seed`` is
    ``"input"`` or ``"output"`` with ``seed_size`` directions; ``tangent_costs`` and
    ``adjoint_costs`` (both or neither) add the matrix-free plan, and ``tapes`` with
    ``memory`` its memory limit. Errors: ``TypeError`` for wrong types, ``ValueError`` with
    the library's message for bad values.
    """
    text = _dims_text(widths, "widths")
    if layers is not None and not isinstance(layers, str):
        raise TypeError(f"layers is a string such as 'dense,elementwise', not {type(layers).__name__}")
    if seed not in _SEEDS:
        raise ValueError(f"seed is {seed!r}; it must be None, 'input' or 'output'")
    (seed_size,) = _counts([seed_size], "seed_size")
    mem = None if memory is None else _counts([memory], "memory")[0]
    report = _native.jacobian(
        text,
        layers,
        seed or "none",
        seed_size,
        _counts(tangent_costs, "tangent_costs"),
        _counts(adjoint_costs, "adjoint_costs"),
        _counts(tapes, "tapes"),
        mem,
    )
    return json.loads(report)
