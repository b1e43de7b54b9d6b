"""Plans: :func:`plan`, the :class:`Plan` object and the strict hand-off reader."""

from __future__ import annotations

import gc
import json
import operator
import os
from typing import NamedTuple, Optional

from . import _native
from ._native import PlanFormatError
from ._text import bounded

#: Planner names :func:`plan` and :func:`multi_dot` accept (``chainplan plan --algorithm``).
ALGORITHMS = ("auto", "dp", "hu-shing", "approx", "left-to-right", "right-to-left")


class Step(NamedTuple):
    """One pairwise product ``lhs · rhs`` of an (m × k) by a (k × n) operand; operands are
    inputs ``A1 … An`` or results ``S1 …`` of earlier steps (step s produces ``S<s>``)."""

    lhs: str
    rhs: str
    m: int
    k: int
    n: int
    cost: int


class Comparison(NamedTuple):
    """Another order of the same chain: its exact cost, parenthesization, and cost ÷ the plan's."""

    cost: int
    order: str
    ratio: float


def _dims(dims, what: str = "dims") -> list:
    """Dimensions as Python ints for the library, which checks range and zero and words the
    message; Python types are checked here (bool and float are refused, as in the CLI), and
    an int beyond the extension's 128-bit integers is an ``OverflowError``, as numpy has it."""
    if isinstance(dims, (str, bytes)):
        raise TypeError(f"{what} is a sequence of whole numbers, not {type(dims).__name__}")
    try:
        items = list(dims)
    except TypeError:
        raise TypeError(f"{what} is a sequence of whole numbers, not {type(dims).__name__}") from None
    out = []
    for i, d in enumerate(items):
        if isinstance(d, bool) or not hasattr(type(d), "__index__"):
            raise TypeError(
                f"{what}[{i}] is a {type(d).__name__}; dimensions are whole numbers (int)"
            )
        d = operator.index(d)
        if not -(2**127) <= d < 2**127:
            raise OverflowError(
                f"{what}[{i}] has {d.bit_length()} bits; dimensions must be at most 4294967295"
            )
        out.append(d)
    return out


def _check_choice(name: str, value, choices) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} is a string, one of {', '.join(choices)}; got {type(value).__name__}")
    return value


class Plan:
    """A plan for a matrix chain, made by the library: what :func:`plan` returns.

    Attributes are read-only: ``order``, ``cost`` (exact int), ``flops`` (2 × cost),
    ``largest_intermediate`` (elements), ``dims``, ``matrices``, ``algorithm``, ``steps``
    (tuple of :class:`Step`), ``left_to_right`` and ``right_to_left`` (:class:`Comparison`).
    """

    __slots__ = ("_native", "_steps", "_comparisons", "_algorithm")

    @bounded
    def __init__(self, native, algorithm=None):
        if not isinstance(native, _native.NativePlan):
            raise TypeError("Plan objects come from chainplan.plan() or Plan.from_handoff()")
        self._native = native
        self._steps = None
        self._comparisons = None
        # Set when a plan is unpickled: the planner that made it, which the hand-off format
        # does not record.
        self._algorithm = algorithm

    # ---- what the library computed ---------------------------------------------------------

    @property
    def order(self) -> str:
        """The parenthesization, such as ``((A1(A2A3))A4)``."""
        return self._native.order

    @property
    def cost(self) -> int:
        """Scalar multiplications, Σ m·k·n over the steps (exact)."""
        return self._native.cost

    @property
    def flops(self) -> int:
        """Floating-point operations, 2 × cost."""
        return self._native.flops

    @property
    def largest_intermediate(self) -> int:
        """Elements of the largest intermediate result (0 with fewer than three matrices)."""
        return self._native.largest_intermediate

    @property
    def dims(self) -> tuple:
        """The dimensions p0 … pn: matrix i is p(i-1) × pi."""
        return tuple(self._native.dims)

    @property
    def matrices(self) -> int:
        """Number of matrices in the chain."""
        return len(self._native.dims) - 1

    @property
    def algorithm(self) -> str:
        """The planner that made the plan (``auto`` resolved: ``dp`` or ``hu-shing``;
        ``hand-off`` for a plan read from the hand-off format)."""
        return self._algorithm if self._algorithm is not None else self._native.algorithm

    @property
    def steps(self) -> tuple:
        """The pairwise products in execution order, as :class:`Step` tuples."""
        if self._steps is None:
            self._steps = tuple(Step(*s) for s in self._native.steps())
        return self._steps

    def _comparison(self, index: int) -> Comparison:
        if self._comparisons is None:
            self._comparisons = self._native.comparisons()
        cost, order = self._comparisons[index]
        mine = self.cost
        ratio = 1.0 if cost == mine else (float("inf") if mine == 0 else cost / mine)
        return Comparison(cost, order, ratio)

    @property
    def left_to_right(self) -> Comparison:
        """Multiplying from the left, ``((A1A2)A3)…``, as numpy's ``a @ b @ c`` does."""
        return self._comparison(0)

    @property
    def right_to_left(self) -> Comparison:
        """Multiplying from the right, ``…(An-1An))``."""
        return self._comparison(1)

    @property
    def comparisons(self) -> dict:
        """``{"left-to-right": Comparison, "right-to-left": Comparison}``."""
        return {"left-to-right": self.left_to_right, "right-to-left": self.right_to_left}

    # ---- the hand-off format ---------------------------------------------------------------

    @bounded
    def to_json(self) -> str:
        """The plan in the versioned hand-off format (``docs/plan-format.md``) as JSON text,
        exactly what ``chainplan plan --export-plan FILE`` writes. Every plan and report type
        of chainplan has this method (:meth:`ExprPlan.to_json`, :meth:`JacobianReport.to_json`)."""
        return self._native.handoff_json()

    @bounded
    def to_dict(self) -> dict:
        """The hand-off format as a dict: what :meth:`to_json` holds, built without the text
        (10⁶ matrices: about twice the planning's time, against 17 times for
        ``json.loads(to_json())``; python/README.md)."""
        # Millions of new dicts and lists would start the cyclic garbage collector over and
        # over (more than half the time at 10⁶ matrices); they hold no cycles, so it is off
        # while they are made.
        enabled = gc.isenabled()
        gc.disable()
        try:
            return self._native.handoff_dict()
        finally:
            if enabled:
                gc.enable()

    @bounded
    def to_handoff(self) -> dict:
        """The plan in the hand-off format as a dict: the same as :meth:`to_dict`."""
        return self.to_dict()

    @bounded
    def to_handoff_json(self) -> str:
        """The hand-off format as JSON text: the same as :meth:`to_json`."""
        return self.to_json()

    @classmethod
    @bounded
    def from_handoff(cls, plan) -> "Plan":
        """Reads a hand-off plan (a dict, JSON text, or a path to a file) and checks it with
        the library's strict reader; raises :class:`PlanFormatError` for any inconsistency."""
        return load_plan(plan)

    # ---- Python protocol -------------------------------------------------------------------

    def __reduce__(self):
        # Pickled through the hand-off format (the library's strict reader rebuilds it) and
        # the planner's name, which the format does not hold.
        return (_unpickle_plan, (self.to_json(), self.algorithm))

    def __eq__(self, other):
        if not isinstance(other, Plan):
            return NotImplemented
        return self.dims == other.dims and self.steps == other.steps

    def __hash__(self):
        return hash((self.dims, self.order))

    def __repr__(self) -> str:
        order = self.order
        if len(order) > 80:
            order = f"{order[:60]}… ({len(order)} characters)"
        lines = [
            f"<chainplan.Plan: {self.matrices} matri{'x' if self.matrices == 1 else 'ces'}, "
            f"{self.algorithm}",
            f"  order  {order}",
            f"  cost   {self.cost:,} scalar multiplications",
        ]
        if self.matrices > 1:
            ltr, rtl = self.left_to_right, self.right_to_left
            lines.append(
                f"  left-to-right {ltr.cost:,} ({ltr.ratio:.3g}x), "
                f"right-to-left {rtl.cost:,} ({rtl.ratio:.3g}x)"
            )
        lines[-1] += ">"
        return "\n".join(lines)


def _unpickle_plan(handoff_json: str, algorithm: str) -> Plan:
    return Plan(_native.from_handoff(handoff_json), algorithm)


@bounded
def plan(dims, *, algorithm: str = "auto", max_intermediate: Optional[int] = None,
         minimize: str = "cost") -> Plan:
    """Plans the chain with dimensions ``p0 … pn`` (matrix i is p(i-1) × pi).

    ``algorithm`` is one of :data:`ALGORITHMS` (``auto``, the default, is exact: the DP for
    short chains, Hu–Shing for long ones). ``max_intermediate`` caps every intermediate
    result at that many elements and ``minimize="memory"`` puts the smallest largest
    intermediate first; both need an exact planner (``auto`` or ``dp``).

    Raises ``TypeError`` for arguments of the wrong type and ``ValueError`` with the
    library's one-line message for bad values (a dimension of 0, an unknown algorithm, a cap
    no order meets, a cost beyond u128).
    """
    ints = _dims(dims)
    _check_choice("algorithm", algorithm, ALGORITHMS)
    _check_choice("minimize", minimize, ("cost", "memory"))
    if max_intermediate is not None:
        if isinstance(max_intermediate, bool) or not hasattr(type(max_intermediate), "__index__"):
            raise TypeError(
                f"max_intermediate is a whole number of elements, not {type(max_intermediate).__name__}"
            )
        max_intermediate = operator.index(max_intermediate)
        if not 0 <= max_intermediate < 2**128:
            raise ValueError(
                f"max_intermediate is {max_intermediate}; it must be between 0 and 2^128 - 1 elements"
            )
    return Plan(_native.plan(ints, algorithm, max_intermediate, minimize))


def _quoted(path: str) -> str:
    """``path`` as the library's messages echo file names (cut to 40 characters, escaped)."""
    return _native.quote_path(path.encode("utf-8", "surrogateescape").decode("utf-8", "replace"))


@bounded
def load_plan(plan) -> Plan:
    """A :class:`Plan` from a hand-off plan: a dict already parsed, JSON text, or a path to a
    file written by ``chainplan plan ... --export-plan FILE`` or :meth:`Plan.to_handoff`.

    The library's reader checks everything: format name, version (exactly the integer 1),
    input shapes, that every step multiplies two adjacent operands that exist and are used
    once, m/k/n and costs, order, last uses, and that the result is the last step's. Any
    failure raises :class:`PlanFormatError` (a ``ValueError``) with one line."""
    if isinstance(plan, dict):
        try:
            text = json.dumps(plan, allow_nan=False)
        except RecursionError:
            raise PlanFormatError("the plan is nested too deeply to be a plan") from None
        except (TypeError, ValueError) as e:
            raise PlanFormatError(f"the plan is not JSON data: {e}") from None
    elif isinstance(plan, os.PathLike) or (isinstance(plan, str) and not plan.lstrip().startswith("{")):
        path = os.fspath(plan)
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        if not path:
            raise PlanFormatError("the plan's path is empty")
        try:
            with open(path, encoding="utf-8-sig") as f:
                text = f.read()
        except UnicodeDecodeError as e:
            raise PlanFormatError(f"{_quoted(path)} is not UTF-8 text: {e.reason}") from None
        except OSError as e:  # missing, a directory, unreadable, a name too long
            reason = e.strerror or type(e).__name__
            raise PlanFormatError(f"cannot read {_quoted(path)}: {reason}") from None
        except ValueError as e:  # a NUL in the name
            raise PlanFormatError(f"cannot read {_quoted(path)}: {e}") from None
    elif isinstance(plan, str):
        text = plan
    elif isinstance(plan, Plan):
        return plan
    else:
        raise TypeError(f"a plan is a dict, JSON text or a path, not {type(plan).__name__}")
    return Plan(_native.from_handoff(text))
