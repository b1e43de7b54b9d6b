"""Generalized chains: :func:`plan_expr`, the :class:`ExprPlan` object and :func:`eval_expr`.

Everything that plans lives in the library (``chainplan::generalized``): it parses the operand
declarations and the expression, checks them, plans, names the steps, writes the report of
``chainplan expr --json`` and executes plans with BLAS and LAPACK. This module only turns
Python's operand forms into the library's declaration text and hands arrays over.
"""

from __future__ import annotations

import json
import operator
from fractions import Fraction
from typing import Mapping, NamedTuple, Union

import numpy as np

from . import _native
from ._text import bounded

#: Cost models :func:`plan_expr` accepts: the generalized planner, the expert's hand form
#: (solves in place of inverses, left to right) and the naive form (explicit inverses, left
#: to right), as ``chainplan expr`` compares them.
MODELS = ("planned", "expert", "naive")

#: Most steps ``repr(ExprPlan)`` lists.
_REPR_STEPS = 24


def _flops(thirds: int) -> Union[int, Fraction]:
    """A cost in ⅓-flop units as exact flops: an ``int`` when whole, else a ``Fraction``."""
    return thirds // 3 if thirds % 3 == 0 else Fraction(thirds, 3)


class ExprStep(NamedTuple):
    """One kernel call of an :class:`ExprPlan`.

    ``call`` is the report's line (``S2 = potrs(S1, X)``: step s produces ``S<s>``), ``kernel``
    the routine (``gemm``, ``symm``, ``trmm``, ``trsm``, ``syrk``, ``potrf``, ``potrs``, …),
    ``args`` its arguments as text (``Xᵀ`` is X read transposed), ``computes`` the value it
    produces (``inv(M)·X``, ``chol(M)``), ``shape`` that value's (rows, cols), ``flops`` its
    exact flop count (``int``, or ``Fraction`` for a third: potrf of n costs n³/3), ``thirds``
    the same in units of ⅓ flop, and ``explicit_inverse`` whether it forms an inverse."""

    call: str
    kernel: str
    args: tuple
    computes: str
    shape: tuple
    flops: Union[int, Fraction]
    thirds: int
    explicit_inverse: bool


class Strategy(NamedTuple):
    """One evaluation strategy of the report: ``planned``, ``expert`` (solves, left to right)
    or ``naive`` (explicit inverses, left to right); its ``order`` (``inv!`` marks an explicit
    inverse), exact ``flops`` and ``thirds``, ``ratio`` = its cost ÷ the planned cost, and the
    number of ``explicit_inverses`` it forms."""

    name: str
    order: str
    flops: Union[int, Fraction]
    thirds: int
    ratio: float
    explicit_inverses: int


def _is_array(value) -> bool:
    return isinstance(value, np.ndarray) or (
        hasattr(value, "__array__") and hasattr(value, "shape") and not isinstance(value, type)
    )


def _is_whole(x) -> bool:
    # An integer array of one element has __index__ too: not a dimension here.
    return not isinstance(x, (bool, np.bool_, np.ndarray)) and hasattr(type(x), "__index__")


def _shape(name: str, shape) -> tuple:
    """``(r, c)`` → ``(r, c)``, ``(n,)`` → ``(n, 1)`` (a column vector), as Python ints. The
    library checks the values (zero, negative, too large) and words the message."""
    if isinstance(shape, (str, bytes)) or not hasattr(shape, "__len__"):
        raise TypeError(
            f"operand {name}: a shape is a tuple (rows, cols) or (n,), not {type(shape).__name__}"
        )
    if len(shape) not in (1, 2):
        raise ValueError(
            f"operand {name}: shape {tuple(shape)} has {len(shape)} dimensions; an operand is "
            "a matrix (rows, cols) or a vector (n,)"
        )
    for d in shape:
        if not _is_whole(d):
            raise TypeError(
                f"operand {name}: shape {tuple(shape)} holds a {type(d).__name__}; "
                "dimensions are whole numbers (int)"
            )
    dims = [operator.index(d) for d in shape]
    return (dims[0], dims[1] if len(dims) == 2 else 1)


def _props(name: str, props) -> list:
    """The property names, as the library reads them (a string may hold several,
    comma-separated)."""
    if props is None:
        return []
    if isinstance(props, str):
        return [props]
    if isinstance(props, bytes) or not hasattr(props, "__iter__"):
        raise TypeError(
            f"operand {name}: properties are a string ('spd' or 'lower,fullrank') or a "
            f"sequence of strings, not {type(props).__name__}"
        )
    words = list(props)
    for w in words:
        if not isinstance(w, str):
            raise TypeError(
                f"operand {name}: properties are strings; got a {type(w).__name__} (a nested "
                "list is not an array here: pass np.asarray(...))"
            )
    return words


def _declaration(name: str, value):
    """(what the library reads: declaration text after ``NAME=``, or a record (rows, cols,
    property names); the array when one was given) for one ``ops`` entry."""
    if isinstance(value, str):
        return value, None
    if _is_array(value):
        return (*_shape(name, value.shape), []), value
    if isinstance(value, (tuple, list)):
        if len(value) == 2 and (_is_array(value[0]) or isinstance(value[0], (tuple, list))):
            first, props = value
            array = first if _is_array(first) else None
            shape = first.shape if array is not None else first
            return (*_shape(name, shape), _props(name, props)), array
        return (*_shape(name, value), []), None
    raise TypeError(
        f"operand {name}: declare it as text ('2500x500:fullrank'), a shape ((2500, 500) or "
        f"((2500, 500), 'fullrank')), or an array (X or (X, 'fullrank')); got "
        f"{type(value).__name__}"
    )


def _declarations(ops):
    """The library's (name or None, declaration) pairs and the arrays given, by name."""
    decls, arrays = [], {}
    if isinstance(ops, Mapping):
        for name, value in ops.items():
            if not isinstance(name, str):
                raise TypeError(f"operand names are strings, not {type(name).__name__}")
            text, array = _declaration(name, value)
            decls.append((name, text))
            if array is not None:
                arrays[name] = array
    elif isinstance(ops, (str, bytes)) or not hasattr(ops, "__iter__"):
        raise TypeError(
            "ops is a mapping name -> declaration, or a sequence of the CLI's --op texts "
            f"('X=2500x500:fullrank'); got {type(ops).__name__}"
        )
    else:
        for spec in ops:
            if not isinstance(spec, str):
                raise TypeError(
                    f"a sequence of ops holds --op texts ('X=2500x500:fullrank'), not "
                    f"{type(spec).__name__}"
                )
            decls.append((None, spec))
    return decls, arrays


def _operand_array(name: str, a) -> np.ndarray:
    """An operand for execution, without a copy where the data allows: float64 or float32
    as given (integer and boolean data become float64), 2-D or 1-D."""
    a = np.asarray(a)
    if a.dtype.kind not in "biuf":
        raise TypeError(
            f"operand {name} has dtype {a.dtype}; evaluate runs on real (float64 or float32) data"
        )
    if a.ndim not in (1, 2):
        raise ValueError(
            f"operand {name} has {a.ndim} dimensions; an operand is a matrix (2-D) or a vector (1-D)"
        )
    if a.dtype not in (np.float64, np.float32):
        a = a.astype(np.float64)
    return a


class ExprPlan:
    """A generalized chain planned by the library: what :func:`plan_expr` returns.

    Read-only attributes:

    - ``expression`` (as given), ``normalized`` (transposes at the operands: ``inv(Xᵀ·X)·Xᵀ·y``),
      ``shape`` of the value, ``operands`` (``{name: (shape, properties)}`` as declared);
    - ``model`` and, for that model's plan, ``steps`` (tuple of :class:`ExprStep`), ``order``,
      ``flops`` (exact: ``int``, or ``Fraction`` when the count has a third), ``thirds``
      (exact ``int``, units of ⅓ flop), ``has_explicit_inverse``, ``exact`` (False when
      too many operands to factor kept the planner from enumerating every factor-once
      choice: the library's ``GenPlan::exact``, docs/generalized.md);
    - the report's strategies: ``planned``, ``expert``, ``naive`` (:class:`Strategy`),
      ``strategies`` (a dict of the three), ``expert_ratio`` and ``naive_ratio`` (cost ÷ the
      planned cost).

    :meth:`to_dict` and :meth:`to_json` give the report ``chainplan expr --json`` prints (the
    library's serializer; the planned plan's steps whatever ``model``); :meth:`evaluate` runs
    the plan on float64 or float32 arrays.
    """

    __slots__ = ("_native", "_arrays", "_steps", "_strategies")

    @bounded
    def __init__(self, native, arrays=None):
        if not isinstance(native, _native.NativeExpr):
            raise TypeError("ExprPlan objects come from chainplan.plan_expr()")
        self._native = native
        self._arrays = dict(arrays or {})
        self._steps = None
        self._strategies = None

    # ---- the expression ---------------------------------------------------------------------

    @property
    def expression(self) -> str:
        """The expression as given."""
        return self._native.expression

    @property
    def normalized(self) -> str:
        """The expression after normalisation: transposes pushed to the operands, inverses
        distributed over square nonsingular products (``inv(Xᵀ·X)·Xᵀ·y``)."""
        return self._native.normalized

    @property
    def shape(self) -> tuple:
        """(rows, cols) of the value."""
        return tuple(self._native.shape)

    @property
    def operands(self) -> dict:
        """The declared operands: ``{name: ((rows, cols), (property, …))}``, with properties
        closed under their implications (``spd`` holds symmetric and full rank)."""
        return {
            name: ((rows, cols), tuple(props))
            for name, rows, cols, props in self._native.operands()
        }

    # ---- the plan of `model` -----------------------------------------------------------------

    @property
    def model(self) -> str:
        """The cost model of ``steps``, ``order`` and ``flops``: one of :data:`MODELS`."""
        return self._native.model

    @property
    def steps(self) -> tuple:
        """The kernel calls in execution order, as :class:`ExprStep` tuples (empty when the
        expression is a single operand, possibly transposed)."""
        if self._steps is None:
            self._steps = tuple(
                ExprStep(call, kernel, tuple(args), computes, (rows, cols), _flops(thirds),
                         thirds, explicit)
                for call, kernel, args, computes, rows, cols, thirds, _text, explicit
                in self._native.steps()
            )
        return self._steps

    @property
    def order(self) -> str:
        """The evaluation order, parenthesized (``(inv(Xᵀ·X)·(Xᵀ·y))``)."""
        return self._native.order

    @property
    def thirds(self) -> int:
        """The exact cost in units of ⅓ flop (the library's unit)."""
        return self._native.thirds

    @property
    def flops(self) -> Union[int, Fraction]:
        """The exact flop count: an ``int``, or a ``Fraction`` when it has a third."""
        return _flops(self._native.thirds)

    @property
    def has_explicit_inverse(self) -> bool:
        """Whether the plan forms an explicit inverse (for ``planned``: only when nothing
        else can produce the value)."""
        return self._native.has_explicit_inverse

    @property
    def exact(self) -> bool:
        """Whether the plan is proven optimal under its model: False when too many operands
        to factor (above the library's ``MAX_SHARED``, 10) kept the planner from enumerating
        every factor-once choice, so that it returned the best plan under an assumption."""
        return self._native.exact

    # ---- the report's strategies -------------------------------------------------------------

    @property
    def strategies(self) -> dict:
        """``{"planned": Strategy, "expert": Strategy, "naive": Strategy}``."""
        if self._strategies is None:
            self._strategies = {
                name: Strategy(name, order, _flops(thirds), thirds, ratio, inverses)
                for name, order, thirds, _text, ratio, inverses in self._native.strategies()
            }
        return dict(self._strategies)

    @property
    def planned(self) -> Strategy:
        """The generalized planner's totals."""
        return self.strategies["planned"]

    @property
    def expert(self) -> Strategy:
        """The expert's hand form: solves in place of inverses, left to right, gemm."""
        return self.strategies["expert"]

    @property
    def naive(self) -> Strategy:
        """The naive form: explicit inverses (LU each time written), left to right, gemm."""
        return self.strategies["naive"]

    @property
    def expert_ratio(self) -> float:
        """The expert form's cost ÷ the planned cost."""
        return self.expert.ratio

    @property
    def naive_ratio(self) -> float:
        """The naive form's cost ÷ the planned cost."""
        return self.naive.ratio

    # ---- exports -----------------------------------------------------------------------------

    @bounded
    def to_json(self) -> str:
        """The report as JSON text, exactly as ``chainplan expr --json`` prints it (without
        the final newline)."""
        return self._native.report_json()

    @bounded
    def to_dict(self) -> dict:
        """The report of ``chainplan expr --json`` as a dict (costs are exact ints)."""
        return json.loads(self._native.report_json())

    # ---- execution ---------------------------------------------------------------------------

    @bounded
    def evaluate(self, /, **arrays) -> np.ndarray:
        """Runs the plan on the operands with BLAS and LAPACK (the GIL released) and returns
        the value, as ``numpy.linalg.multi_dot`` does: a 2-D array of :attr:`shape`, or, when
        an operand is given as a 1-D array and the value has a dimension of 1, a 1-D array
        (a 0-d array when both dimensions are 1).

        Arrays are given by operand name; those passed to :func:`plan_expr` in ``ops`` are
        used for the names not given here. Every declared operand needs one. The arrays are
        all float64 or all float32 (the value then has that dtype; a mix is a ``ValueError``
        naming the operands of each); integer and boolean data are converted to float64.
        C- and Fortran-ordered arrays are read in place. Declared symmetry, triangularity and
        diagonality are checked first (a ``ValueError`` naming the operand and the property);
        a matrix declared ``spd`` that is not makes Cholesky fail (a ``ValueError``).
        """
        return self._run("evaluate", arrays, checked=True)

    @bounded
    def evaluate_trusted(self, /, **arrays) -> np.ndarray:
        """:meth:`evaluate` without the O(n²) checks of declared symmetry, triangularity and
        diagonality, for callers who vouch for their data (Rust's ``execute_trusted``). A
        matrix that breaks its declaration then gives a wrong value, or a failed
        factorization, instead of a ``ValueError`` naming the property. Saves one read of
        each checked operand: about 8 ms for a 2000×2000 matrix declared ``spd``."""
        return self._run("evaluate_trusted", arrays, checked=False)

    def _run(self, method: str, arrays: dict, checked: bool) -> np.ndarray:
        names = [name for name, *_ in self._native.operands()]
        unknown = [n for n in arrays if n not in names]
        if unknown:
            raise TypeError(
                f"{method}() got an array for {unknown[0]}, which is not declared; "
                f"declared: {', '.join(names)}"
            )
        given = {**self._arrays, **arrays}
        missing = [n for n in names if n not in given]
        if missing:
            raise TypeError(f"{method}() needs an array for every declared operand; missing: "
                            f"{', '.join(missing)}")
        return self._native.evaluate([(n, _operand_array(n, given[n])) for n in names], checked)

    # ---- Python protocol ---------------------------------------------------------------------

    def _request(self):
        """What :func:`plan_expr` was given, as the library reads it: the expression, each
        operand's declaration text and the model."""
        decls = [
            (name, (rows, cols, list(props)))
            for name, ((rows, cols), props) in self.operands.items()
        ]
        return self.expression, decls, self.model

    def __reduce__(self):
        # Pickled as its request (the planner is deterministic, so planning it again gives the
        # same plan) and the arrays given with it; nothing of the library's internals.
        expression, decls, model = self._request()
        return (_unpickle_expr, (expression, decls, model, self._arrays))

    def __eq__(self, other):
        if not isinstance(other, ExprPlan):
            return NotImplemented
        return self._request() == other._request() and self.to_json() == other.to_json()

    def __hash__(self):
        return hash((self.expression, self.model, self.to_json()))

    def __repr__(self) -> str:
        rows, cols = self.shape
        native = self._native
        lines = [
            f"<chainplan.ExprPlan: {self.normalized} ({rows}x{cols}), {self.model}, "
            f"{native.flops_text} flops"
        ]
        raw = native.steps()
        shown = [
            (call, computes, f"{r}x{c}", text, "  explicit inverse" if explicit else "")
            for call, _k, _a, computes, r, c, _t, text, explicit in raw[:_REPR_STEPS]
        ]
        widths = [max((len(row[i]) for row in shown), default=0) for i in range(4)]
        for call, computes, shape, text, note in shown:
            lines.append(
                f"  {call:<{widths[0]}}  {computes:<{widths[1]}}  {shape:<{widths[2]}}  "
                f"{text:>{widths[3]}} flops{note}"
            )
        if len(raw) > _REPR_STEPS:
            lines.append(f"  … {len(raw) - _REPR_STEPS} more steps")
        if not raw:
            name, transposed = native.result()
            lines.append(f"  (no step: the value is {name}{'ᵀ' if transposed else ''})")
        ratios = ", ".join(
            f"{s.name} {s.ratio:.3g}x"
            + (f" ({s.explicit_inverses} explicit inverse{'s' * (s.explicit_inverses != 1)})"
               if s.explicit_inverses else "")
            for s in (self.expert, self.naive)
        )
        lines.append(f"  flops over planned: {ratios}")
        lines[-1] += ">"
        return "\n".join(lines)


def _unpickle_expr(expression: str, decls, model: str, arrays) -> ExprPlan:
    return ExprPlan(_native.plan_expr(expression, decls, model), arrays)


def is_program(text: str) -> bool:
    """Whether ``text`` is a program (it has an assignment, a ``;`` or several lines) rather
    than a plain expression, as ``chainplan expr`` decides it."""
    return any(c in text for c in "=;\n")


class ProgramStep(NamedTuple):
    """One step of a :class:`ProgramPlan`: the value it produces (an output, or a temporary
    such as ``T1``), the step as the library writes it (a chain step lists its kernel calls,
    a combination step its sum), and its exact cost (``flops``: ``int``, or ``Fraction`` when
    it has a third; ``thirds`` in units of ⅓ flop)."""

    name: str
    text: str
    flops: Union[int, Fraction]
    thirds: int


def _is_real(value) -> bool:
    """A real number a scalar may take (not a bool, a string or an array)."""
    return not isinstance(value, (bool, np.bool_)) and isinstance(
        value, (int, float, np.integer, np.floating))


def _scalar_specs(scalars):
    """The library's (name or None, text after the name or the whole ``--scalar`` text)."""
    if scalars is None:
        return []
    specs = []
    if isinstance(scalars, Mapping):
        for name, value in scalars.items():
            if not isinstance(name, str):
                raise TypeError(f"scalar names are strings, not {type(name).__name__}")
            if value is None:
                specs.append((name, ""))
            elif isinstance(value, str):
                specs.append((name, f":{value}"))
            elif not _is_real(value):
                raise TypeError(
                    f"scalar {name}: give a value (a float), a sign ('positive', 'negative', "
                    f"'unknown') or None; got {type(value).__name__}"
                )
            else:
                specs.append((name, f"={float(value)!r}"))
    elif isinstance(scalars, (str, bytes)) or not hasattr(scalars, "__iter__"):
        raise TypeError(
            "scalars is a mapping name -> value or sign, or a sequence of the CLI's --scalar "
            f"texts ('lam=0.7', 'lam:positive'); got {type(scalars).__name__}"
        )
    else:
        for spec in scalars:
            if not isinstance(spec, str):
                raise TypeError(f"a sequence of scalars holds --scalar texts ('lam=0.7'), not "
                                f"{type(spec).__name__}")
            specs.append((None, spec))
    return specs


def _scalar_values(scalars) -> list:
    if scalars is None:
        return []
    if not isinstance(scalars, Mapping):
        raise TypeError(f"scalars is a mapping name -> value, not {type(scalars).__name__}")
    values = []
    for name, value in scalars.items():
        if not isinstance(name, str):
            raise TypeError(f"scalar names are strings, not {type(name).__name__}")
        if not _is_real(value):
            raise TypeError(f"scalar {name}: a value is a real number, not {type(value).__name__}")
        values.append((name, float(value)))
    return values


def _float64_operand(name: str, a) -> np.ndarray:
    """An operand of a program for execution: float64, 2-D, or 1-D for a vector operand."""
    a = np.asarray(a)
    if a.dtype.kind not in "biuf":
        raise TypeError(f"operand {name} has dtype {a.dtype}; evaluate runs on real (float64) data")
    if a.ndim not in (1, 2):
        raise ValueError(
            f"operand {name} has {a.ndim} dimensions; an operand is a matrix (2-D) or a vector (1-D)"
        )
    return a.astype(np.float64, copy=False)


class ProgramPlan:
    """A program planned by the library: what :func:`plan_expr` returns for a program
    (assignments ``NAME = …`` separated by ``;`` or new lines, with sums, differences, named
    scalars and the identity ``I``).

    Read-only attributes: ``program`` (as given), ``model``, ``outputs`` (names in program
    order), ``cost`` and ``flops`` (the exact flop count of the whole plan: ``int``, or
    ``Fraction`` when it has a third), ``thirds`` (units of ⅓ flop), ``steps`` (tuple of
    :class:`ProgramStep`), ``has_explicit_inverse``, ``operands`` (``{name: (rows, cols)}``),
    ``scalars`` (the declared names). ``str(plan)`` is the plan as ``chainplan expr`` writes
    it; :meth:`steps_for` names the steps an output needs; :meth:`to_dict` and :meth:`to_json`
    give the library's JSON of the plan; :meth:`evaluate` runs it and returns every output.
    """

    __slots__ = ("_native", "_request", "_arrays")

    @bounded
    def __init__(self, native, request=None, arrays=None):
        if not isinstance(native, _native.NativeProgram):
            raise TypeError("ProgramPlan objects come from chainplan.plan_expr()")
        self._native = native
        self._request = request
        self._arrays = dict(arrays or {})

    @property
    def program(self) -> str:
        """The program as given."""
        return self._request[0] if self._request else ""

    @property
    def model(self) -> str:
        """The cost model of the plan: one of :data:`MODELS`."""
        return self._native.model

    @property
    def outputs(self) -> tuple:
        """The outputs' names, in program order."""
        return tuple(self._native.outputs)

    @property
    def thirds(self) -> int:
        """The exact cost in units of ⅓ flop (the library's unit)."""
        return self._native.thirds

    @property
    def cost(self) -> Union[int, Fraction]:
        """The exact flop count of the whole plan."""
        return _flops(self._native.thirds)

    @property
    def flops(self) -> Union[int, Fraction]:
        """The exact flop count of the whole plan (as :attr:`cost`)."""
        return self.cost

    @property
    def steps(self) -> tuple:
        """The steps in execution order, as :class:`ProgramStep` tuples."""
        return tuple(ProgramStep(name, text, _flops(thirds), thirds)
                     for name, text, thirds in self._native.steps())

    @property
    def has_explicit_inverse(self) -> bool:
        """Whether a step forms an explicit inverse (for ``planned``: only an output that is
        an inverse, or an inverse standing alone as a term of a sum)."""
        return self._native.has_explicit_inverse

    @property
    def operands(self) -> dict:
        """The declared operands: ``{name: (rows, cols)}``."""
        return {name: (rows, cols) for name, rows, cols in self._native.operands()}

    @property
    def scalars(self) -> tuple:
        """The declared scalars' names."""
        return tuple(self._native.scalars()[0])

    @bounded
    def steps_for(self, output: str) -> tuple:
        """The indices into :attr:`steps` of the steps ``output`` needs, in order."""
        if not isinstance(output, str):
            raise TypeError(f"output is a name (str), not {type(output).__name__}")
        if output not in self.outputs:
            raise ValueError(f"{output[:40]!r} is not an output; outputs: {', '.join(self.outputs)}")
        return tuple(self._native.steps_for(output))

    @bounded
    def to_json(self) -> str:
        """The plan as JSON text (the library's serializer: model, program, exact cost,
        outputs with their steps, steps, operands, scalars)."""
        return self._native.to_json()

    @bounded
    def to_dict(self) -> dict:
        """The plan's JSON as a dict (costs are exact ints)."""
        return json.loads(self._native.to_json())

    @bounded
    def evaluate(self, arrays=None, scalars=None) -> dict:
        """Runs the plan with BLAS and LAPACK (the GIL released) and returns
        ``{output: value}`` in program order: a 2-D float64 array, or a 1-D one where an
        operand was given as a 1-D array and the output has a dimension of 1 (a float when
        both are 1).

        ``arrays`` maps operand names to arrays (those given to :func:`plan_expr` fill in the
        names not given); ``scalars`` maps scalar names to values (those given with the
        declarations fill in the rest). Every operand and scalar needs a value; the library
        checks names, shapes, declared structure and scalar signs (``ValueError``).
        """
        if arrays is not None and not isinstance(arrays, Mapping):
            raise TypeError(f"arrays is a mapping name -> array, not {type(arrays).__name__}")
        given = {**self._arrays, **(arrays or {})}
        bound = [(str(n), _float64_operand(str(n), a)) for n, a in given.items()]
        out = self._native.evaluate(bound, _scalar_values(scalars))
        return {name: out[name] for name in self.outputs}

    def __reduce__(self):
        # Pickled as its request (planning is deterministic) and the arrays given with it.
        return (_unpickle_program, (self._request, self._arrays))

    def __str__(self) -> str:
        return self._native.text()

    def __repr__(self) -> str:
        return (f"<chainplan.ProgramPlan: {', '.join(self.outputs)}; {self.model}, "
                f"{len(self._native.steps())} steps, {self._native.flops_text} flops>")


def _unpickle_program(request, arrays) -> ProgramPlan:
    text, decls, specs, model = request
    return ProgramPlan(_native.plan_program(text, decls, specs, model), request, arrays)


@bounded
def plan_expr(expr: str, ops, *, model: str = "planned", scalars=None):
    """Plans a generalized chain: products of named operands, transposed (``'`` or ``^T``),
    inverted (``inv(…)`` of an operand or a sub-product, nested; ``^-1``, ``^-T``).

    ``ops`` declares every operand, as a mapping name → declaration, where a declaration is

    - the CLI's ``--op`` text after ``NAME=``: ``"2500x500:fullrank"``, ``"2500x1"``,
      ``"2500"`` (a 2500 × 1 vector), properties comma-separated;
    - a shape: ``(2500, 500)`` or ``(2500,)``, or with properties:
      ``((2500, 2500), "spd")``, ``((n, n), ("lower", "nonsingular"))``;
    - a numpy array (its shape; a 1-D array is a column vector; properties ``general``), or
      ``(array, properties)``. Arrays given here are what :meth:`ExprPlan.evaluate` runs on.

    or as a sequence of the CLI's whole ``--op`` texts (``["X=2500x500:fullrank", "y=2500"]``).
    Properties: general, symmetric, spd, lower, upper, diagonal, orthogonal, fullrank,
    nonsingular.

    ``model`` picks the plan that ``steps``, ``flops`` and :meth:`ExprPlan.evaluate` use:
    ``"planned"`` (the generalized planner), ``"expert"`` (solves in place of inverses, left to
    right) or ``"naive"`` (explicit inverses, left to right). The report's comparison of the
    three is there whatever the model.

    A *program* (an assignment ``NAME = …``, ``;`` or several lines: ``K = P * H' * inv(H *
    P * H' + R); x = xb + K * (z - H * xb)``) may use sums, differences, numbers, named
    scalars and ``I``; it returns a :class:`ProgramPlan`. ``scalars`` declares the scalars,
    as a mapping name → value (a float; its sign is declared), sign (``"positive"``,
    ``"negative"``, ``"unknown"``) or None, or as a sequence of the CLI's ``--scalar`` texts
    (``["lam=0.7", "mu:positive"]``). Values given here are used by
    :meth:`ProgramPlan.evaluate` when it is not given them.

    Raises ``TypeError`` for arguments of the wrong type and ``ValueError`` with the library's
    one-line message for bad declarations or expressions: shapes that do not chain, the
    inverse of a non-square operand or of one not declared nonsingular, unknown or
    contradictory properties, unbalanced syntax, undeclared names.
    """
    if not isinstance(expr, str):
        raise TypeError(f"expr is a string such as \"inv(X' * X) * X' * y\", not {type(expr).__name__}")
    if not isinstance(model, str):
        raise TypeError(f"model is a string, one of {', '.join(MODELS)}; got {type(model).__name__}")
    decls, arrays = _declarations(ops)
    if is_program(expr):
        specs = _scalar_specs(scalars)
        request = (expr, decls, specs, model)
        return ProgramPlan(_native.plan_program(expr, decls, specs, model), request, arrays)
    if scalars:
        raise ValueError("scalars are for programs (assignments NAME = ...); a plain "
                         "expression has none")
    return ExprPlan(_native.plan_expr(expr, decls, model), arrays)


@bounded
def eval_expr(expr: str, ops, *, model: str = "planned", scalars=None):
    """Plans ``expr`` and evaluates it on the arrays in ``ops`` (see :func:`plan_expr`):
    ``eval_expr("inv(X' * X) * X' * y", {"X": (X, "fullrank"), "y": y})``. Returns the value
    as :meth:`ExprPlan.evaluate` does: float64 or float32 as the arrays are, 1-D when a 1-D
    operand leaves a dimension of 1 (a 1-D ``y`` gives a 1-D β); for a program,
    ``{output: value}`` (see :meth:`ProgramPlan.evaluate`; ``scalars`` then maps names to
    values)."""
    return plan_expr(expr, ops, model=model, scalars=scalars).evaluate()
