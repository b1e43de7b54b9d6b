"""Operand declarations and a seeded generator of operands that have the declared properties.

A declaration is what ``chainplan expr --op NAME=ROWSxCOLS[:PROPERTIES]`` takes, with the
dimensions written as symbols (``n``, ``m``, ``n - 1``) that each application sizes twice: at
the paper's sizes and at reduced sizes for tests. The property words are the ones chainplan's
operand parser accepts (general, symmetric, spd, lower, upper, diagonal, orthogonal, fullrank,
nonsingular); a vector is declared with no column dimension and no properties.

Generated matrices are well conditioned (singular values about in [0.5, 5]) so that the naive
forms, explicit inverses included, agree with the recommended ones to 1e-8 at reduced sizes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

#: The property words chainplan's ``--op`` parser accepts.
PROPERTY_WORDS = frozenset(
    "general symmetric spd lower upper diagonal orthogonal fullrank nonsingular".split()
)

#: Properties that need a square matrix.
SQUARE_ONLY = frozenset("symmetric spd lower upper diagonal orthogonal nonsingular".split())


@dataclass(frozen=True)
class Operand:
    """One input of an application.

    ``rows`` and ``cols`` are dimension expressions over the application's size symbols;
    ``cols`` is None for a column vector. ``props`` are chainplan property words. ``band``
    only shapes the generated values (``"tridiagonal"``, ``"upper-bidiagonal"``), for
    operands the source problem has banded but chainplan sees as dense.
    """

    name: str
    rows: str
    cols: str | None = None
    props: tuple = ()
    band: str | None = None

    def __post_init__(self):
        unknown = set(self.props) - PROPERTY_WORDS
        if unknown:
            raise ValueError(f"{self.name}: unknown property {sorted(unknown)}")
        if self.cols is None and self.props:
            raise ValueError(f"{self.name}: a vector takes no properties")

    @property
    def is_vector(self):
        return self.cols is None

    def shape(self, sizes):
        """(rows, cols), or (rows,) for a vector, at the given resolved sizes."""
        rows = resolve(self.rows, sizes)
        return (rows,) if self.is_vector else (rows, resolve(self.cols, sizes))

    def declaration(self, sizes):
        """The ``--op`` text: ``X=1500x1000:fullrank``, ``y=1500``."""
        shape = self.shape(sizes)
        text = f"{self.name}={'x'.join(str(d) for d in shape)}"
        return text + (":" + ",".join(self.props) if self.props else "")


_DIM = re.compile(r"^\s*([A-Za-z_]\w*)\s*(?:([-+])\s*(\d+))?\s*$")


def resolve(expr, sizes):
    """A dimension expression, a size symbol with an optional offset (``"n"``,
    ``"n - 1"``), at the given sizes."""
    m = _DIM.match(expr)
    if not m or m.group(1) not in sizes:
        raise ValueError(f"dimension {expr!r}: expected SYMBOL or SYMBOL - K over {sorted(sizes)}")
    value = sizes[m.group(1)]
    if m.group(2):
        value += int(m.group(3)) if m.group(2) == "+" else -int(m.group(3))
    if value < 1:
        raise ValueError(f"dimension {expr!r} is {value} at {sizes}")
    return value


def scaled(sizes, factor):
    """The sizes with every base size multiplied by ``factor`` (at least 2)."""
    return {k: max(2, round(v * factor)) for k, v in sizes.items()}


def make(rng, op, sizes):
    """A random operand with the declared shape and properties."""
    shape = op.shape(sizes)
    if op.is_vector:
        return rng.uniform(-1.0, 1.0, shape[0])
    r, c = shape
    props = set(op.props)
    if props & SQUARE_ONLY and r != c:
        raise ValueError(f"{op.name} is {r}x{c} but declared {sorted(props & SQUARE_ONLY)}")
    if op.band == "tridiagonal":
        # Diagonally dominant tridiagonal: nonsingular with singular values in [1, 3].
        return (np.diag(rng.uniform(2.0, 2.5, r) * rng.choice([-1.0, 1.0], r))
                + np.diag(rng.uniform(-0.5, 0.5, r - 1), 1)
                + np.diag(rng.uniform(-0.5, 0.5, r - 1), -1))
    if op.band == "upper-bidiagonal":
        # A first-difference-like operator, full row rank.
        a = np.zeros((r, c))
        a[np.arange(r), np.arange(r)] = rng.uniform(1.0, 2.0, r)
        a[np.arange(r), np.arange(r) + 1] = -rng.uniform(0.0, 0.5, r)
        return a
    if "diagonal" in props:
        sign = 1.0 if "spd" in props else rng.choice([-1.0, 1.0], r)
        return np.diag(rng.uniform(0.5, 2.0, r) * sign)
    if "orthogonal" in props:
        q, _ = np.linalg.qr(rng.standard_normal((r, r)))
        return q
    g = rng.uniform(-1.0, 1.0, (r, c)) * np.sqrt(3.0 / max(r, c))  # unit-variance entries
    if "spd" in props:
        a = g @ g.T + np.eye(r)  # eigenvalues in about [1, 5]
        return (a + a.T) / 2
    if "symmetric" in props:
        # Symmetric indefinite and nonsingular: eigenvalues ±[1, 2] in a random basis.
        q, _ = np.linalg.qr(rng.standard_normal((r, r)))
        lam = rng.uniform(1.0, 2.0, r) * rng.choice([-1.0, 1.0], r)
        a = (q * lam) @ q.T
        return (a + a.T) / 2
    if "lower" in props or "upper" in props:
        t = np.tril(g, -1) * 0.5 + np.diag(rng.uniform(2.0, 3.0, r))
        return t if "lower" in props else t.T
    if props & {"fullrank", "nonsingular"}:
        a = 0.5 * g
        k = min(r, c)
        a[np.arange(k), np.arange(k)] += 2.0  # singular values about in [0.5, 3.5]
        return a
    return g  # general


def make_all(app, sizes, seed):
    """Every operand and scalar of ``app`` at ``sizes``, seeded: a dict name -> value."""
    rng = np.random.default_rng(seed)
    values = {op.name: make(rng, op, sizes) for op in app.operands}
    values.update({s.name: s.value for s in app.scalars})
    return values


def violations(op, value, sizes):
    """Why ``value`` does not have ``op``'s declared shape and properties ([] when it does)."""
    out = []
    if value.shape != op.shape(sizes):
        return [f"{op.name}: shape {value.shape}, declared {op.shape(sizes)}"]
    if op.is_vector:
        return out
    props = set(op.props)
    r, c = value.shape
    if props & {"symmetric", "spd", "diagonal"} and not np.array_equal(value, value.T):
        out.append(f"{op.name} is not exactly symmetric")
    if "spd" in props:
        try:
            np.linalg.cholesky(value)
        except np.linalg.LinAlgError:
            out.append(f"{op.name}: Cholesky fails, not SPD")
    if props & {"lower", "diagonal"} and np.any(np.triu(value, 1)):
        out.append(f"{op.name} has nonzeros above the diagonal")
    if props & {"upper", "diagonal"} and np.any(np.tril(value, -1)):
        out.append(f"{op.name} has nonzeros below the diagonal")
    if "orthogonal" in props and not np.allclose(value.T @ value, np.eye(c), atol=1e-12):
        out.append(f"{op.name} is not orthogonal")
    if props & {"fullrank", "nonsingular", "spd", "orthogonal"}:
        s = np.linalg.svd(value, compute_uv=False)
        if s[-1] <= 0 or s[0] / s[-1] > 1e3 or len(s) != min(r, c):
            out.append(f"{op.name}: condition number {s[0] / s[-1]:.3g}, not safely full rank")
    return out
