"""Jacobian chains: :func:`jacobian` and its report, :class:`JacobianReport`."""

from __future__ import annotations

import json
import operator
from typing import Any, Dict, Optional, Sequence, Tuple

from . import _native
from ._plan import _dims
from ._text import bounded

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


class JacobianReport:
    """The plan of a Jacobian chain, as ``chainplan jacobian --json`` reports it: what
    :func:`jacobian` returns.

    Read-only attributes: ``widths``, ``layers``, ``seed`` (``None``, ``"input"`` or
    ``"output"``) and ``seed_size``, ``chain_dims`` and ``factors`` (the chain planned, seed
    first), the exact costs ``forward``, ``reverse`` and ``optimal``, ``mode`` (``forward``,
    ``reverse`` or ``mixed``), ``order`` (over ``A1 … An``) and ``named_order``,
    ``forward_order``, ``reverse_order`` (over the factors), ``pure_over_optimal`` (the
    cheaper pure mode ÷ the optimum) and ``matrix_free`` (the matrix-free plan as a dict, or
    ``None`` without tangent and adjoint costs). :meth:`to_json` and :meth:`to_dict` give the
    report itself.
    """

    __slots__ = ("_json", "_data")

    @bounded
    def __init__(self, report_json: str):
        if not isinstance(report_json, str):
            raise TypeError("JacobianReport objects come from chainplan.jacobian()")
        self._json = report_json
        self._data: Dict[str, Any] = json.loads(report_json)

    @property
    def widths(self) -> Tuple[int, ...]:
        """The layer widths n0 … nL."""
        return tuple(self._data["widths"])

    @property
    def layers(self) -> Tuple[str, ...]:
        """The kind of each layer (``dense``, ``elementwise``, …)."""
        return tuple(self._data["layers"])

    @property
    def seed(self) -> Optional[str]:
        """``"input"`` or ``"output"`` when a seed matrix closes the chain, else ``None``."""
        kind = self._data["seed"]["kind"]
        return None if kind == "none" else kind

    @property
    def seed_size(self) -> int:
        """Directions in the seed (0 without a seed)."""
        return int(self._data["seed"].get("size", 0))

    @property
    def chain_dims(self) -> Tuple[int, ...]:
        """Dimensions of the chain planned (seed first when there is one)."""
        return tuple(self._data["chain_dims"])

    @property
    def factors(self) -> Tuple[str, ...]:
        """The chain's factors in multiplication order: ``S``, ``J3``, ``J2``, ``J1``."""
        return tuple(self._data["factors"])

    @property
    def forward(self) -> int:
        """Exact cost of forward mode (tangents from the input)."""
        return int(self._data["forward"])

    @property
    def reverse(self) -> int:
        """Exact cost of reverse mode (adjoints from the output)."""
        return int(self._data["reverse"])

    @property
    def optimal(self) -> int:
        """Exact cost of the optimal order."""
        return int(self._data["optimal"])

    @property
    def mode(self) -> str:
        """``forward``, ``reverse`` or ``mixed``: what the optimal order is."""
        return str(self._data["mode"])

    @property
    def order(self) -> str:
        """The optimal order over ``A1 … An``."""
        return str(self._data["order"])

    @property
    def named_order(self) -> str:
        """The optimal order over the factors: ``((S·J3)·J2)·J1``."""
        return str(self._data["named_order"])

    @property
    def forward_order(self) -> str:
        """Forward mode's order over the factors."""
        return str(self._data["forward_order"])

    @property
    def reverse_order(self) -> str:
        """Reverse mode's order over the factors."""
        return str(self._data["reverse_order"])

    @property
    def pure_over_optimal(self) -> float:
        """The cheaper pure mode's cost ÷ the optimal cost."""
        return float(self._data["pure_over_optimal"])

    @property
    def matrix_free(self) -> Optional[Dict[str, Any]]:
        """The matrix-free plan (costs, mode, order, plan tree) as a dict, or ``None``."""
        mf = self._data.get("matrix_free")
        return None if mf is None else json.loads(json.dumps(mf))

    @bounded
    def to_json(self) -> str:
        """The report as JSON text, exactly as ``chainplan jacobian --json`` prints it."""
        return self._json

    @bounded
    def to_dict(self) -> Dict[str, Any]:
        """The report as a dict (a new one each call; costs are exact ints)."""
        return json.loads(self._json)

    def __reduce__(self):
        return (JacobianReport, (self._json,))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, JacobianReport):
            return NotImplemented
        return self._data == other._data

    def __hash__(self) -> int:
        return hash(self._json)

    def __repr__(self) -> str:
        widths = "x".join(str(w) for w in self.widths)
        return (
            f"<chainplan.JacobianReport: widths {widths}, {self.mode} mode, "
            f"optimal {self.optimal:,} (forward {self.forward:,}, reverse {self.reverse:,})>"
        )


@bounded
def jacobian(widths: Sequence[int], *, layers: Optional[str] = None, seed: Optional[str] = None,
             seed_size: int = 1, tangent_costs: Optional[Sequence[int]] = None,
             adjoint_costs: Optional[Sequence[int]] = None, tapes: Optional[Sequence[int]] = None,
             memory: Optional[int] = None) -> JacobianReport:
    """Plans the Jacobian chain of a network with layer widths ``n0 … nL`` and returns its
    :class:`JacobianReport`, the report of ``chainplan jacobian --json``: the mode (forward,
    reverse, mixed), the exact costs of forward, reverse and the optimal order, and the order
    itself.

    ``layers`` is the CLI's ``--layers`` text (``dense,elementwise,…``); ``seed`` is
    ``"input"`` or ``"output"`` with ``seed_size`` directions; ``tangent_costs`` and
    ``adjoint_costs`` (both or neither) add the matrix-free plan, and ``tapes`` with
    ``memory`` its memory limit. Errors: ``TypeError`` for wrong types, ``ValueError`` with
    the library's message for bad values.
    """
    ints = _dims(widths, "widths")
    if layers is not None and not isinstance(layers, str):
        raise TypeError(f"layers is a string such as 'dense,elementwise', not {type(layers).__name__}")
    if seed not in _SEEDS:
        raise ValueError(f"seed is {seed!r}; it must be None, 'input' or 'output'")
    (seed_size,) = _counts([seed_size], "seed_size")
    mem = None if memory is None else _counts([memory], "memory")[0]
    report = _native.jacobian(
        ints,
        layers,
        seed or "none",
        seed_size,
        _counts(tangent_costs, "tangent_costs"),
        _counts(adjoint_costs, "adjoint_costs"),
        _counts(tapes, "tapes"),
        mem,
    )
    return JacobianReport(report)

