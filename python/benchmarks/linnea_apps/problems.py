"""The 25 application problems of Linnea's evaluation (Barthels, Psarras, Bientinesi, ACM TOMS
2021), restated: each as a program in the language of issue 22 with its ``--op`` and scalar
declarations, its sizes, a *naive* numpy version and a *recommended* numpy/scipy version.

Conventions, the same for every application:

- **naive** is the program as written: every ``inv(...)`` an ``np.linalg.inv`` (computed again
  wherever it is written again), products left to right as Python's ``@`` groups them, each
  term evaluated separately, ``I`` as ``np.eye``; an assignment may use an earlier output, as
  the program does.
- **recommended** is what a careful numpy/scipy user writes with the *declared* properties
  only: solves and factorizations instead of inverses (Cholesky where SPD, triangular solves
  where triangular, LU otherwise), ``syrk``-friendly ``B @ B.T`` forms, a sensible order
  (matrix-vector products first), the rewrites a user does by hand (``(I - K H) P`` as
  ``P - K (H P)``, low-rank updates applied through their factors), and reuse of every factor
  and product that appears twice, transposes included. It exploits no structure the
  declarations do not state (the signal-processing operands are banded in the source problem
  but declared dense, so neither side uses band solvers), and it forms an explicit inverse only
  where the program adds one to something (``inv(B) + ...``: via ``potri``) or outputs one.
- Vectors are 1-D arrays; outputs come back as a dict keyed by the program's output names.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla
from scipy.linalg import lapack

from .operands import Operand as Op
from .program import features as program_features
from .program import outputs as program_outputs

inv = np.linalg.inv


@dataclass(frozen=True)
class Scalar:
    """A named scalar: its declared sign (``positive``, ``negative``, ``nonzero``) and the value
    the tests and the runner give it."""

    name: str
    sign: str
    value: float

    def declaration(self):
        """The declared-sign form, ``lam:positive``."""
        return f"{self.name}:{self.sign}"


@dataclass(frozen=True)
class Application:
    """One application problem. ``sizes`` are the paper's, ``test_sizes`` reduced ones."""

    number: int
    key: str
    title: str
    source: str
    statement: str
    program: str
    operands: tuple
    sizes: dict
    test_sizes: dict
    naive: object
    recommended: object
    scalars: tuple = ()
    sharing: str = ""
    notes: str = ""

    @property
    def outputs(self):
        return program_outputs(self.program)

    @property
    def features(self):
        return program_features(self.program, [s.name for s in self.scalars])

    def declarations(self, sizes=None):
        """The ``--op`` texts at ``sizes`` (the paper's by default)."""
        sizes = self.sizes if sizes is None else sizes
        return [op.declaration(sizes) for op in self.operands]

    def scalar_declarations(self):
        return [s.declaration() for s in self.scalars]


# ---- helpers a careful user would write once ---------------------------------------------------

cho_factor = sla.cho_factor


def cho_solve(c, b):
    return sla.cho_solve(c, b, check_finite=False)


def chol(a):
    """Cholesky factor of an SPD matrix, for cho_solve."""
    return sla.cho_factor(a, lower=True, check_finite=False)


def lower_solve(low, b):
    """L^{-1} b for lower triangular L."""
    return sla.solve_triangular(low, b, lower=True, check_finite=False)


def spd_inverse(a):
    """The inverse of an SPD matrix by potrf + potri (n^3 flops), for the programs that add an
    inverse to something."""
    c, info = lapack.dpotrf(a, lower=1, clean=1)
    if info:
        raise np.linalg.LinAlgError(f"potrf info {info}")
    x, info = lapack.dpotri(c, lower=1)
    if info:
        raise np.linalg.LinAlgError(f"potri info {info}")
    return np.tril(x) + np.tril(x, -1).T


def add_diagonal(a, s):
    """a + s I, in place (a is a temporary)."""
    a[np.diag_indices_from(a)] += s
    return a


def gram(a):
    """a' a, which numpy hands to syrk."""
    t = a.T
    return t @ a


APPS = []

#: The paper's sizes of most problems (n observations or states, m unknowns or observations),
#: and the reduced ones of the tests.
NM_SIZES, NM_TEST_SIZES = {"n": 1500, "m": 1000}, {"n": 50, "m": 30}


def application(**kw):
    """Registers an application."""
    APPS.append(Application(**kw))


# ---- 1-2: least squares ------------------------------------------------------------------------

application(
    number=1, key="least-squares", title="Least squares",
    source="normal equations of min ||X b - y||",
    statement="b := (XᵀX)⁻¹ Xᵀ y",
    program="b = inv(X' * X) * X' * y",
    operands=(Op("X", "n", "m", ("fullrank",)), Op("y", "n")),
    sizes=NM_SIZES, test_sizes=NM_TEST_SIZES,
    naive=lambda X, y: {"b": inv(X.T @ X) @ X.T @ y},
    recommended=lambda X, y: {"b": cho_solve(chol(gram(X)), X.T @ y)},
)

def _gls(M, X, y):
    # Whitening: M = L Lᵀ, W = L⁻¹X, v = L⁻¹y, then least squares on (W, v).
    low = np.linalg.cholesky(M)
    w, v = lower_solve(low, X), lower_solve(low, y)
    return {"z": cho_solve(chol(gram(w)), w.T @ v)}


application(
    number=2, key="gls", title="Generalized least squares",
    source="BLUE with correlated errors of covariance M",
    statement="z := (Xᵀ M⁻¹ X)⁻¹ Xᵀ M⁻¹ y",
    program="z = inv(X' * inv(M) * X) * X' * inv(M) * y",
    operands=(Op("M", "n", "n", ("spd",)), Op("X", "n", "m", ("fullrank",)), Op("y", "n")),
    sizes=NM_SIZES, test_sizes=NM_TEST_SIZES,
    sharing="M is factored once; X' inv(M) appears twice",
    naive=lambda M, X, y: {"z": inv(X.T @ inv(M) @ X) @ X.T @ inv(M) @ y},
    recommended=_gls,
)


# ---- 3-4: optimization (Straszak & Vishnoi: IRLS-type steps) ------------------------------------

OPT_OPS = (Op("A", "m", "n", ("fullrank",)), Op("W", "n", "n", ("diagonal", "spd")),
           Op("b", "m"), Op("c", "n"))


def _opt_core(A, W):
    w = np.diag(W).copy()  # a careful user keeps a diagonal as a vector
    aw = A * np.sqrt(w)
    return w, chol(aw @ aw.T)  # A W Aᵀ by syrk, SPD


def _opt1(A, W, b, c):
    w, f = _opt_core(A, W)
    return {"x": w * (A.T @ cho_solve(f, b) - c)}


application(
    number=3, key="optimization-1", title="Optimization problem 1",
    source="Straszak & Vishnoi, IRLS for flows / linear programs",
    statement="x := W (Aᵀ (A W Aᵀ)⁻¹ b − c)",
    program="x = W * (A' * inv(A * W * A') * b - c)",
    operands=OPT_OPS,
    sizes=NM_SIZES, test_sizes=NM_TEST_SIZES,
    naive=lambda A, W, b, c: {"x": W @ (A.T @ inv(A @ W @ A.T) @ b - c)},
    recommended=_opt1,
)


def _opt2(A, W, b, c, x):
    w, f = _opt_core(A, W)
    ax = A @ x
    t = A.T @ cho_solve(f, np.column_stack([b - ax, ax]))  # one solve, two right-hand sides
    return {"xf": w * t[:, 0], "xo": w * (t[:, 1] - c)}


application(
    number=4, key="optimization-2", title="Optimization problem 2",
    source="Straszak & Vishnoi, feasibility and optimality steps",
    statement="x_f := W Aᵀ (A W Aᵀ)⁻¹ (b − A x);  x_o := W (Aᵀ (A W Aᵀ)⁻¹ A x − c)",
    program="xf = W * A' * inv(A * W * A') * (b - A * x)\n"
            "xo = W * (A' * inv(A * W * A') * A * x - c)",
    operands=OPT_OPS + (Op("x", "n"),),
    sizes=NM_SIZES, test_sizes=NM_TEST_SIZES,
    sharing="A W A' factored once for both outputs; A x computed once",
    naive=lambda A, W, b, c, x: {
        "xf": W @ A.T @ inv(A @ W @ A.T) @ (b - A @ x),
        "xo": W @ (A.T @ inv(A @ W @ A.T) @ A @ x - c),
    },
    recommended=_opt2,
)


# ---- 5: signal processing (Ding & Selesnick, sparsity-assisted denoising) -----------------------

def _sp_naive(A, B, R, L, y):
    return {"x": inv(inv(A).T @ B.T @ B @ inv(A) + R.T @ L @ R)
            @ inv(A).T @ B.T @ B @ inv(A) @ y}


def _sp(A, B, R, L, y):
    lu = sla.lu_factor(A, check_finite=False)
    c = sla.lu_solve(lu, B.T, trans=1, check_finite=False).T  # C = B A⁻¹ (from A⁻ᵀ Bᵀ)
    rl = R * np.sqrt(np.diag(L))[:, None]  # L^{1/2} R, L diagonal positive
    g = gram(c) + gram(rl)
    return {"x": cho_solve(chol(g), c.T @ (c @ y))}


application(
    number=5, key="signal-processing", title="Signal processing",
    source="Ding & Selesnick, sparsity-based signal denoising (one iteration)",
    statement="x := (A⁻ᵀBᵀBA⁻¹ + RᵀLR)⁻¹ A⁻ᵀBᵀBA⁻¹ y",
    program="x = inv(inv(A)' * B' * B * inv(A) + R' * L * R) * inv(A)' * B' * B * inv(A) * y",
    operands=(Op("A", "n", "n", ("nonsingular",), band="tridiagonal"),
              Op("B", "n", "n", ("nonsingular",), band="tridiagonal"),
              Op("R", "n - 1", "n", ("fullrank",), band="upper-bidiagonal"),
              Op("L", "n - 1", "n - 1", ("diagonal", "spd")), Op("y", "n")),
    sizes={"n": 1000}, test_sizes={"n": 40},
    sharing="B * inv(A) (and its transpose) appears twice; A is factored once",
    notes="A and B are tridiagonal and R upper bidiagonal in the source; chainplan has no band "
          "property, so they are declared dense (nonsingular, fullrank) and the recommended "
          "version uses dense LU, not band solvers.",
    naive=_sp_naive, recommended=_sp,
)


# ---- 6: blocked lower triangular inversion (one step of a blocked algorithm) ------------------

def _lti_naive(L00, L11, L22, L10, L20, L21):
    return {
        "X10": L10 @ inv(L00),
        "X20": L20 + inv(L22) @ L21 @ inv(L11) @ L10,
        "X11": inv(L11),
        "X21": -inv(L22) @ L21,
    }


def _lti(L00, L11, L22, L10, L20, L21):
    x11, info = lapack.dtrtri(L11, lower=1)  # an output: the explicit inverse is wanted
    if info:
        raise np.linalg.LinAlgError(f"trtri info {info}")
    x21 = -lower_solve(L22, L21)
    x10 = sla.solve_triangular(L00, L10.T, trans="T", lower=True, check_finite=False).T
    x20 = L20 - x21 @ lower_solve(L11, L10)
    return {"X10": x10, "X20": x20, "X11": x11, "X21": x21}


application(
    number=6, key="triangular-inversion", title="Blocked lower triangular inversion",
    source="one step of a blocked algorithm for L⁻¹ (FLAME-style derivation)",
    statement="X₁₀ := L₁₀L₀₀⁻¹;  X₂₀ := L₂₀ + L₂₂⁻¹L₂₁L₁₁⁻¹L₁₀;  X₁₁ := L₁₁⁻¹;  X₂₁ := −L₂₂⁻¹L₂₁",
    program="X10 = L10 * inv(L00)\n"
            "X20 = L20 + inv(L22) * L21 * inv(L11) * L10\n"
            "X11 = inv(L11)\n"
            "X21 = -inv(L22) * L21",
    operands=(Op("L00", "n", "n", ("lower", "nonsingular")),
              Op("L11", "m", "m", ("lower", "nonsingular")),
              Op("L22", "k", "k", ("lower", "nonsingular")),
              Op("L10", "m", "n"), Op("L20", "k", "n"), Op("L21", "k", "m")),
    sizes={"n": 1000, "m": 1000, "k": 1000}, test_sizes={"n": 30, "m": 25, "k": 20},
    sharing="inv(L22) * L21 is X21 up to sign and reused in X20; inv(L11) is an output",
    notes="X11 is itself an inverse, so forming it (trtri) is allowed; nothing else is.",
    naive=_lti_naive, recommended=_lti,
)


# ---- 7-9: local analysis of an ensemble Kalman filter (Nino-Ruiz et al., modified Cholesky) ---

ENKF_OPS = (Op("B", "n", "n", ("spd",)), Op("R", "m", "m", ("spd",)), Op("Y", "m", "N"),
            Op("Xb", "n", "N"))


def _whiten(R, *mats):
    low = np.linalg.cholesky(R)
    return [lower_solve(low, a) for a in mats]


def _enkf1(B, H, R, Y, Xb):
    (hw,) = _whiten(R, H)
    g = spd_inverse(B) + gram(hw)
    return {"Xa": Xb + cho_solve(chol(g), Y - H @ Xb)}


application(
    number=7, key="enkf-1", title="Ensemble Kalman filter, local analysis 1",
    source="Nino-Ruiz, Sandu & Deng, local assimilation with a modified Cholesky "
           "estimate of B⁻¹",
    statement="X_a := X_b + (B⁻¹ + HᵀR⁻¹H)⁻¹ (Y − H X_b)",
    program="Xa = Xb + inv(inv(B) + H' * inv(R) * H) * (Y - H * Xb)",
    operands=(Op("B", "n", "n", ("spd",)), Op("R", "n", "n", ("spd",)),
              Op("H", "n", "n", ("nonsingular",)), Op("Y", "n", "N"), Op("Xb", "n", "N")),
    sizes={"n": 1000, "N": 1000}, test_sizes={"n": 40, "N": 15},
    notes="As the paper states it, the increment lacks Hᵀ R⁻¹ and type-checks only with as "
          "many observations as state variables (m = n); it is kept so, with H square. "
          "Problem 8 is the dimensionally general form.",
    naive=lambda B, H, R, Y, Xb: {
        "Xa": Xb + inv(inv(B) + H.T @ inv(R) @ H) @ (Y - H @ Xb)},
    recommended=_enkf1,
)


def _enkf2(B, H, R, Y, Xb):
    hw, dw = _whiten(R, H, Y - H @ Xb)
    g = spd_inverse(B) + gram(hw)
    return {"dX": cho_solve(chol(g), hw.T @ dw)}


application(
    number=8, key="enkf-2", title="Ensemble Kalman filter, local analysis 2",
    source="Nino-Ruiz, Sandu & Deng (the increment in state space)",
    statement="ΔX := (B⁻¹ + HᵀR⁻¹H)⁻¹ HᵀR⁻¹ (Y − H X_b)",
    program="dX = inv(inv(B) + H' * inv(R) * H) * H' * inv(R) * (Y - H * Xb)",
    operands=ENKF_OPS[:2] + (Op("H", "m", "n", ("fullrank",)),) + ENKF_OPS[2:],
    sizes={"n": 1000, "m": 1000, "N": 1000}, test_sizes={"n": 40, "m": 30, "N": 15},
    sharing="H' * inv(R) appears twice: R is factored once",
    naive=lambda B, H, R, Y, Xb: {
        "dX": inv(inv(B) + H.T @ inv(R) @ H) @ H.T @ inv(R) @ (Y - H @ Xb)},
    recommended=_enkf2,
)


def _enkf3(X, H, R, Y, Xb):
    hx = H @ X
    s = hx @ hx.T + R  # SPD
    return {"dX": X @ (hx.T @ cho_solve(chol(s), Y - H @ Xb))}


application(
    number=9, key="enkf-3", title="Ensemble Kalman filter, local analysis 3",
    source="Nino-Ruiz, Sandu & Deng (the increment in ensemble space)",
    statement="ΔX := X (HX)ᵀ (R + HX(HX)ᵀ)⁻¹ (Y − H X_b)",
    program="dX = X * (H * X)' * inv(R + H * X * (H * X)') * (Y - H * Xb)",
    operands=(Op("X", "n", "N", ("fullrank",)), Op("H", "m", "n", ("fullrank",)),
              Op("R", "m", "m", ("spd",)), Op("Y", "m", "N"), Op("Xb", "n", "N")),
    sizes={"n": 1000, "m": 1000, "N": 1000}, test_sizes={"n": 40, "m": 30, "N": 12},
    sharing="H * X appears three times, twice transposed",
    naive=lambda X, H, R, Y, Xb: {
        "dX": X @ (H @ X).T @ inv(R + H @ X @ (H @ X).T) @ (Y - H @ Xb)},
    recommended=_enkf3,
)


# ---- 10-11: image restoration (Tirer & Giryes, iterative denoising and backward projections) --

IR_SCALARS = (Scalar("lam", "positive", 0.7), Scalar("sigma2", "positive", 0.5))


def _ir1(H, y, v, u, lam, sigma2):
    s = lam * sigma2
    g = add_diagonal(gram(H), s)
    return {"x": cho_solve(chol(g), H.T @ y + s * (v - u))}


application(
    number=10, key="image-restoration-1", title="Image restoration 1",
    source="Tirer & Giryes, image restoration by iterative denoising (the least-squares step)",
    statement="x_k := (HᵀH + λσ² I)⁻¹ (Hᵀy + λσ² (v_{k−1} − u_{k−1}))",
    program="x = inv(H' * H + lam * sigma2 * I) * (H' * y + lam * sigma2 * (v - u))",
    operands=(Op("H", "m", "n", ("fullrank",)), Op("y", "m"), Op("v", "n"), Op("u", "n")),
    scalars=IR_SCALARS,
    sizes=NM_SIZES, test_sizes=NM_TEST_SIZES,
    sharing="lam * sigma2 appears twice",
    notes="H has fewer rows than columns, so H'H is singular and only the shift makes the "
          "sum SPD: SPD needs lam * sigma2 > 0, which the declared signs give.",
    naive=lambda H, y, v, u, lam, sigma2: {
        "x": inv(H.T @ H + lam * sigma2 * np.eye(H.shape[1]))
        @ (H.T @ y + lam * sigma2 * (v - u))},
    recommended=_ir1,
)


def _ir2(H, y, x):
    hd = cho_solve(chol(H @ H.T), H).T  # H'(HH')⁻¹, an output
    return {"Hd": hd, "yk": x + hd @ (y - H @ x)}


application(
    number=11, key="image-restoration-2", title="Image restoration 2",
    source="Tirer & Giryes, backward projection with the pseudo-inverse of H",
    statement="H† := Hᵀ(HHᵀ)⁻¹;  y_k := H† y + (I − H† H) x_k",
    program="Hd = H' * inv(H * H')\n"
            "yk = Hd * y + (I - Hd * H) * x",
    operands=(Op("H", "m", "n", ("fullrank",)), Op("y", "m"), Op("x", "n")),
    sizes=NM_SIZES, test_sizes=NM_TEST_SIZES,
    sharing="Hd is an output used by the second assignment; (I - Hd H) x is best "
            "x - Hd (H x), and with Hd y it is x + Hd (y - H x)",
    naive=lambda H, y, x: (lambda hd: {
        "Hd": hd, "yk": hd @ y + (np.eye(H.shape[1]) - hd @ H) @ x})(H.T @ inv(H @ H.T)),
    recommended=_ir2,
)


# ---- 12-15: randomized matrix inversion (Gower & Richtárik, sketch-and-project) --------------

RMI_OPS = (Op("W", "n", "n", ("spd",)), Op("S", "n", "q", ("fullrank",)),
           Op("A", "n", "n", ("nonsingular",)), Op("Xin", "n", "n"))
RMI_SIZES, RMI_TEST_SIZES = {"n": 5000, "q": 500}, {"n": 50, "q": 8}


def _rmi1(W, S, A, Xin):
    ats = A.T @ S
    wats = W @ ats
    f = chol(ats.T @ wats)  # S'A W A'S, SPD
    return {"Xout": Xin + wats @ cho_solve(f, S.T - ats.T @ Xin)}


application(
    number=12, key="rmi-1", title="Randomized matrix inversion 1",
    source="Gower & Richtárik, randomized iterative methods for the inverse, one step",
    statement="X_{k+1} := X_k + W Aᵀ S (Sᵀ A W Aᵀ S)⁻¹ Sᵀ (I − A X_k)",
    program="Xout = Xin + W * A' * S * inv(S' * A * W * A' * S) * S' * (I - A * Xin)",
    operands=RMI_OPS, sizes=RMI_SIZES, test_sizes=RMI_TEST_SIZES,
    sharing="A' * S and S' * A are one product and its transpose",
    naive=lambda W, S, A, Xin: {
        "Xout": Xin + W @ A.T @ S @ inv(S.T @ A @ W @ A.T @ S) @ S.T
        @ (np.eye(A.shape[0]) - A @ Xin)},
    recommended=_rmi1,
)


def _rmi2(W, S, A, Xin):
    a_s = A @ S
    was = W @ a_s
    f = chol(a_s.T @ was)  # S'A'W A S, SPD
    return {"Xout": Xin + (S - Xin @ (A.T @ S)) @ cho_solve(f, was.T)}


application(
    number=13, key="rmi-2", title="Randomized matrix inversion 2",
    source="Gower & Richtárik, the variant sketching Aᵀ",
    statement="X_{k+1} := X_k + (I − X_k Aᵀ) S (Sᵀ Aᵀ W A S)⁻¹ Sᵀ Aᵀ W",
    program="Xout = Xin + (I - Xin * A') * S * inv(S' * A' * W * A * S) * S' * A' * W",
    operands=RMI_OPS, sizes=RMI_SIZES, test_sizes=RMI_TEST_SIZES,
    sharing="W A S appears twice (once transposed, W symmetric)",
    naive=lambda W, S, A, Xin: {
        "Xout": Xin + (np.eye(A.shape[0]) - Xin @ A.T) @ S
        @ inv(S.T @ A.T @ W @ A @ S) @ S.T @ A.T @ W},
    recommended=_rmi2,
)

_THETA = "S * inv(S' * A * W * A * S) * S' * A * W"
_MK = "(Xin * A - I)"


def _rmi3_naive(W, S, A, Xin):
    eye = np.eye(A.shape[0])
    theta = lambda: S @ inv(S.T @ A @ W @ A @ S) @ S.T @ A @ W  # noqa: E731
    return {"Xout": Xin - (Xin @ A - eye) @ theta() - ((Xin @ A - eye) @ theta()).T
            + theta().T @ (A @ Xin @ A - A) @ theta()}


def _rmi3(W, S, A, Xin):
    a_s = A @ S
    was = W @ a_s
    z = cho_solve(chol(a_s.T @ was), was.T)  # Θ = S Z
    xas = Xin @ a_s
    mt = (xas - S) @ z  # (Xin A − I) Θ
    core = a_s.T @ xas - S.T @ a_s  # Sᵀ(A Xin A − A)S
    return {"Xout": Xin - mt - mt.T + z.T @ (core @ z)}


application(
    number=14, key="rmi-3", title="Randomized matrix inversion 3",
    source="Gower & Richtárik, the symmetric update with Λ = S(SᵀAWAS)⁻¹Sᵀ, Θ = ΛAW, "
           "M_k = X_k A − I",
    statement="X_{k+1} := X_k − M_k Θ − (M_k Θ)ᵀ + Θᵀ (A X_k A − A) Θ",
    program=f"Xout = Xin - {_MK} * {_THETA} - ({_MK} * {_THETA})' "
            f"+ ({_THETA})' * (A * Xin * A - A) * {_THETA}",
    operands=(Op("W", "n", "n", ("spd",)), Op("S", "n", "q", ("fullrank",)),
              Op("A", "n", "n", ("symmetric", "nonsingular")), Op("Xin", "n", "n")),
    sizes={"n": 4000, "q": 400}, test_sizes={"n": 50, "q": 8},
    sharing="Θ is written four times and M_k twice; every Θ is S Z with Z = (SᵀAWAS)⁻¹ SᵀAW "
            "of rank q, so nothing n×n needs an n×n×n product",
    notes="The language has no temporaries that are not outputs, so Λ, Θ and M_k are written "
          "out where they occur.",
    naive=_rmi3_naive, recommended=_rmi3,
)

_SAS = "S * inv(S' * A * S) * S'"


def _rmi4_naive(S, A, Xin):
    eye = np.eye(A.shape[0])
    lam = lambda: S @ inv(S.T @ A @ S) @ S.T  # noqa: E731
    return {"Xout": lam() + (eye - lam() @ A) @ Xin @ (eye - A @ lam())}


def _rmi4(S, A, Xin):
    a_s = A @ S
    f = chol(S.T @ a_s)
    z = cho_solve(f, a_s.T)  # (SᵀAS)⁻¹ SᵀA, so Λ A = S Z and A Λ = Zᵀ Sᵀ
    t = Xin - S @ (z @ Xin)
    return {"Xout": t - (t @ z.T) @ S.T + S @ cho_solve(f, S.T)}


application(
    number=15, key="rmi-4", title="Randomized matrix inversion 4",
    source="Gower & Richtárik, the symmetric (BFGS-like) update for an SPD A",
    statement="Λ := S(SᵀAS)⁻¹Sᵀ;  X_{k+1} := Λ + (I − ΛA) X_k (I − AΛ)",
    program=f"Xout = {_SAS} + (I - {_SAS} * A) * Xin * (I - A * {_SAS})",
    operands=(Op("S", "n", "q", ("fullrank",)), Op("A", "n", "n", ("spd",)),
              Op("Xin", "n", "n")),
    sizes=RMI_SIZES, test_sizes=RMI_TEST_SIZES,
    sharing="S inv(S'AS) S' is written three times; A S and S'A are one product",
    notes="Declared SPD (the method's requirement, and what makes S'AS safely invertible); "
          "the paper declares A symmetric and full rank.",
    naive=_rmi4_naive, recommended=_rmi4,
)


# ---- 16-17: stochastic Newton for large least squares (Chung, Chung, Slagel & Tenorio) -------

def _sn1(Wk, A, Bin, ratio, km1):
    v = A.T @ Wk
    bv = Bin @ v
    g = add_diagonal(v.T @ bv, km1)
    return {"Bout": ratio * (Bin - bv @ cho_solve(chol(g), bv.T))}


application(
    number=16, key="stochastic-newton-1", title="Stochastic Newton 1",
    source="Chung, Chung, Slagel & Tenorio, sampled Newton for large linear least squares",
    statement="B_k := k/(k−1) B_{k−1} (I − AᵀW_k ((k−1) I + W_kᵀ A B_{k−1} Aᵀ W_k)⁻¹ W_kᵀ A B_{k−1})",
    program="Bout = ratio * Bin * (I - A' * Wk * inv(km1 * I + Wk' * A * Bin * A' * Wk) "
            "* Wk' * A * Bin)",
    operands=(Op("Wk", "m", "l", ("fullrank",)), Op("A", "m", "n", ("fullrank",)),
              Op("Bin", "n", "n", ("spd",))),
    scalars=(Scalar("ratio", "positive", 5.0 / 4.0), Scalar("km1", "positive", 4.0)),
    sizes={"l": 625, "n": 1000, "m": 5000}, test_sizes={"l": 12, "n": 30, "m": 80},
    sharing="Wk' * A * Bin appears twice, and Bin * A' * Wk is its transpose",
    notes="The language has scalar factors but no scalar arithmetic, so k/(k-1) and k-1 are "
          "the named scalars ratio and km1 (k = 5 in tests).",
    naive=lambda Wk, A, Bin, ratio, km1: {
        "Bout": ratio * Bin @ (np.eye(Bin.shape[0]) - A.T @ Wk
                               @ inv(km1 * np.eye(Wk.shape[1]) + Wk.T @ A @ Bin @ A.T @ Wk)
                               @ Wk.T @ A @ Bin)},
    recommended=_sn1,
)


def _sn2(Wk, A, lam, lam_inv):
    v = A.T @ Wk
    g = add_diagonal(gram(v), lam)
    out = v @ cho_solve(chol(g), v.T)
    out *= -lam_inv
    return {"Bout": add_diagonal(out, lam_inv)}


application(
    number=17, key="stochastic-newton-2", title="Stochastic Newton 2",
    source="Chung, Chung, Slagel & Tenorio, the variant with a regularized initial matrix",
    statement="B_k := λ⁻¹ (I − AᵀW_k (λ I + W_kᵀ A Aᵀ W_k)⁻¹ W_kᵀ A)",
    program="Bout = lam_inv * (I - A' * Wk * inv(lam * I + Wk' * A * A' * Wk) * Wk' * A)",
    operands=(Op("Wk", "m", "l", ("fullrank",)), Op("A", "m", "n", ("fullrank",))),
    scalars=(Scalar("lam", "positive", 0.8), Scalar("lam_inv", "positive", 1.0 / 0.8)),
    sizes={"l": 625, "n": 1000, "m": 5000}, test_sizes={"l": 12, "n": 30, "m": 80},
    sharing="A' * Wk appears twice, once transposed",
    notes="1/λ is the named scalar lam_inv (no scalar arithmetic in the language).",
    naive=lambda Wk, A, lam, lam_inv: {
        "Bout": lam_inv * (np.eye(A.shape[1]) - A.T @ Wk
                           @ inv(lam * np.eye(Wk.shape[1]) + Wk.T @ A @ A.T @ Wk)
                           @ Wk.T @ A)},
    recommended=_sn2,
)


# ---- 18-21: Tikhonov regularization (Golub, Hansen & O'Leary; generalized forms) -------------

application(
    number=18, key="tikhonov-1", title="Tikhonov regularization 1",
    source="Tikhonov regularization with a general regularization matrix Γ",
    statement="x := (AᵀA + ΓᵀΓ)⁻¹ Aᵀ b",
    program="x = inv(A' * A + Gamma' * Gamma) * A' * b",
    operands=(Op("A", "n", "m", ("fullrank",)), Op("Gamma", "m", "m", ("fullrank",)),
              Op("b", "n")),
    sizes=NM_SIZES, test_sizes=NM_TEST_SIZES,
    naive=lambda A, Gamma, b: {"x": inv(A.T @ A + Gamma.T @ Gamma) @ A.T @ b},
    recommended=lambda A, Gamma, b: {
        "x": cho_solve(chol(gram(A) + gram(Gamma)), A.T @ b)},
)

application(
    number=19, key="tikhonov-2", title="Tikhonov regularization 2",
    source="Tikhonov regularization with Γ = αI",
    statement="x := (AᵀA + α² I)⁻¹ Aᵀ b",
    program="x = inv(A' * A + alpha2 * I) * A' * b",
    operands=(Op("A", "n", "m", ("fullrank",)), Op("b", "n")),
    scalars=(Scalar("alpha2", "positive", 0.3),),
    sizes=NM_SIZES, test_sizes=NM_TEST_SIZES,
    naive=lambda A, b, alpha2: {
        "x": inv(A.T @ A + alpha2 * np.eye(A.shape[1])) @ A.T @ b},
    recommended=lambda A, b, alpha2: {
        "x": cho_solve(chol(add_diagonal(gram(A), alpha2)), A.T @ b)},
)

TIK_OPS = (Op("A", "n", "m", ("fullrank",)), Op("P", "n", "n", ("spd",)),
           Op("Q", "m", "m", ("spd",)), Op("b", "n"), Op("x0", "m"))


def _tik3(A, P, Q, b, x0):
    pa = P @ A  # reused: AᵀP = (PA)ᵀ as P is symmetric
    return {"x": cho_solve(chol(A.T @ pa + Q), pa.T @ b + Q @ x0)}


application(
    number=20, key="tikhonov-3", title="Generalized Tikhonov regularization 1",
    source="generalized Tikhonov (a MAP estimate with Gaussian prior x ~ N(x0, Q⁻¹))",
    statement="x := (AᵀPA + Q)⁻¹ (AᵀP b + Q x₀)",
    program="x = inv(A' * P * A + Q) * (A' * P * b + Q * x0)",
    operands=TIK_OPS,
    sizes=NM_SIZES, test_sizes=NM_TEST_SIZES,
    sharing="A' * P appears twice",
    naive=lambda A, P, Q, b, x0: {"x": inv(A.T @ P @ A + Q) @ (A.T @ P @ b + Q @ x0)},
    recommended=_tik3,
)


def _tik4(A, P, Q, b, x0):
    pa = P @ A
    return {"x": x0 + cho_solve(chol(A.T @ pa + Q), pa.T @ (b - A @ x0))}


application(
    number=21, key="tikhonov-4", title="Generalized Tikhonov regularization 2",
    source="generalized Tikhonov written as a correction of x₀",
    statement="x := x₀ + (AᵀPA + Q)⁻¹ AᵀP (b − A x₀)",
    program="x = x0 + inv(A' * P * A + Q) * A' * P * (b - A * x0)",
    operands=TIK_OPS,
    sizes=NM_SIZES, test_sizes=NM_TEST_SIZES,
    sharing="A' * P appears twice",
    naive=lambda A, P, Q, b, x0: {
        "x": x0 + inv(A.T @ P @ A + Q) @ A.T @ P @ (b - A @ x0)},
    recommended=_tik4,
)


# ---- 22-24: linear MMSE estimation (Kabal) ----------------------------------------------------

MMSE_OPS = (Op("A", "m", "n", ("fullrank",)), Op("Cz", "m", "m", ("spd",)), Op("y", "m"),
            Op("x", "n"))
MMSE_CX_OPS = (Op("Cx", "n", "n", ("spd",)),) + MMSE_OPS


def _mmse1(A, Cx, Cz, y, x):
    acx = A @ Cx  # (Cx Aᵀ)ᵀ, Cx symmetric
    return {"xout": x + acx.T @ cho_solve(chol(acx @ A.T + Cz), y - A @ x)}


application(
    number=22, key="lmmse-1", title="Linear MMSE estimator 1",
    source="Kabal, the LMMSE estimate in observation space",
    statement="x̂ := C_x Aᵀ (A C_x Aᵀ + C_z)⁻¹ (y − A x) + x",
    program="xout = Cx * A' * inv(A * Cx * A' + Cz) * (y - A * x) + x",
    operands=MMSE_CX_OPS,
    sizes=NM_SIZES, test_sizes=NM_TEST_SIZES,
    sharing="Cx * A' and A * Cx are one product and its transpose",
    naive=lambda Cx, A, Cz, y, x: {
        "xout": Cx @ A.T @ inv(A @ Cx @ A.T + Cz) @ (y - A @ x) + x},
    recommended=_mmse1,
)


def _mmse2(Cx, A, Cz, y, x):
    aw, rw = _whiten(Cz, A, y - A @ x)
    g = gram(aw) + spd_inverse(Cx)
    return {"xout": x + cho_solve(chol(g), aw.T @ rw)}


application(
    number=23, key="lmmse-2", title="Linear MMSE estimator 2",
    source="Kabal, the LMMSE estimate in state space (information form)",
    statement="x̂ := (AᵀC_z⁻¹A + C_x⁻¹)⁻¹ AᵀC_z⁻¹ (y − A x) + x",
    program="xout = inv(A' * inv(Cz) * A + inv(Cx)) * A' * inv(Cz) * (y - A * x) + x",
    operands=MMSE_CX_OPS,
    sizes=NM_SIZES, test_sizes=NM_TEST_SIZES,
    sharing="A' * inv(Cz) appears twice: Cz is factored once",
    naive=lambda Cx, A, Cz, y, x: {
        "xout": inv(A.T @ inv(Cz) @ A + inv(Cx)) @ A.T @ inv(Cz) @ (y - A @ x) + x},
    recommended=_mmse2,
)


def _gain_update(P, H, R, z, xb, k, xa, pa):
    hp = H @ P  # (P Hᵀ)ᵀ, P symmetric
    gain = cho_solve(chol(hp @ H.T + R), hp).T  # P Hᵀ S⁻¹ = (S⁻¹ H P)ᵀ
    return {k: gain, xa: xb + gain @ (z - H @ xb), pa: P - gain @ hp}


def _gain_naive(P, H, R, z, xb, k, xa, pa):
    gain = P @ H.T @ inv(H @ P @ H.T + R)
    return {k: gain, xa: xb + gain @ (z - H @ xb), pa: (np.eye(P.shape[0]) - gain @ H) @ P}


application(
    number=24, key="lmmse-3", title="Linear MMSE estimator 3",
    source="Kabal, the sequential LMMSE update: gain, estimate and error covariance",
    statement="K := C Aᵀ (A C Aᵀ + C_z)⁻¹;  x̂ := x + K (y − A x);  C' := (I − K A) C",
    program="K = C * A' * inv(A * C * A' + Cz)\n"
            "xout = x + K * (y - A * x)\n"
            "Cout = (I - K * A) * C",
    operands=(Op("C", "n", "n", ("spd",)),) + MMSE_OPS,
    sizes=NM_SIZES, test_sizes=NM_TEST_SIZES,
    sharing="A * C is computed once (C * A' is its transpose); K is used by both later "
            "outputs; (I - K A) C is best C - K (A C)",
    notes="Linnea's formulation feeds K in as an input; here the later assignments use the "
          "computed K, as the issue's Kalman example does.",
    naive=lambda C, A, Cz, y, x: _gain_naive(C, A, Cz, y, x, "K", "xout", "Cout"),
    recommended=lambda C, A, Cz, y, x: _gain_update(C, A, Cz, y, x, "K", "xout", "Cout"),
)


# ---- 25: Kalman filter (Kalman 1960), the analysis step ---------------------------------------

application(
    number=25, key="kalman", title="Kalman filter",
    source="Kalman, the measurement update",
    statement="K := P_b Hᵀ (H P_b Hᵀ + R)⁻¹;  x_a := x_b + K (z − H x_b);  P_a := (I − K H) P_b",
    program="K = Pb * H' * inv(H * Pb * H' + R)\n"
            "xa = xb + K * (z - H * xb)\n"
            "Pa = (I - K * H) * Pb",
    operands=(Op("Pb", "n", "n", ("spd",)), Op("H", "m", "n", ("fullrank",)),
              Op("R", "m", "m", ("spd",)), Op("xb", "n"), Op("z", "m")),
    sizes={"n": 1000, "m": 1000}, test_sizes={"n": 40, "m": 25},
    sharing="H * Pb is computed once (Pb * H' is its transpose); K is used by both later "
            "outputs; (I - K H) Pb is best Pb - K (H Pb)",
    notes="Pa = (I - K H) Pb is the textbook form; the Joseph form is the numerically safer "
          "alternative but is a different program.",
    naive=lambda Pb, H, R, xb, z: _gain_naive(Pb, H, R, z, xb, "K", "xa", "Pa"),
    recommended=lambda Pb, H, R, xb, z: _gain_update(Pb, H, R, z, xb, "K", "xa", "Pa"),
)


def by_key(key):
    """The application with this key or number."""
    for app in APPS:
        if key in (app.key, str(app.number)):
            return app
    raise KeyError(f"no application {key!r}; known: {', '.join(a.key for a in APPS)}")
