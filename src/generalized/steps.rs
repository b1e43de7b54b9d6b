//! The plan types: [`GenPlan`], a list of kernel [`Step`]s over [`Value`]s, with the
//! expression it was planned for. Read-only outside the crate (private fields, accessors);
//! a plan read back from JSON is checked by [`GenPlan::validate`] before it exists.

use super::cost::{flops_text, Kernel};
use super::expr::Expression;
use super::operand::Operand;
use super::GenError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A value a step reads: an operand or an earlier step's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Value {
    /// Operand index in the expression's operand list.
    Operand(usize),
    /// 0-based index of a step (`S{index+1}` in reports).
    Step(usize),
}

/// An argument of a step: a value, read transposed or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Arg {
    pub(crate) value: Value,
    pub(crate) transposed: bool,
}

impl Arg {
    /// What is read.
    pub fn value(&self) -> Value {
        self.value
    }

    /// Whether it is read transposed.
    pub fn transposed(&self) -> bool {
        self.transposed
    }
}

/// Where the structured (or inverted) argument of a two-argument step stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side2 {
    /// The first argument (M·B, M⁻¹·B).
    Left,
    /// The second argument (B·M, B·M⁻¹).
    Right,
}

/// One step of a plan: a kernel call producing a new value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub(crate) kernel: Kernel,
    pub(crate) args: Vec<Arg>,
    pub(crate) side: Side2,
    pub(crate) lower: bool,
    pub(crate) rows: usize,
    pub(crate) cols: usize,
    pub(crate) thirds: u128,
    pub(crate) explicit_inverse: bool,
    pub(crate) value: String,
}

impl Step {
    /// The routine.
    pub fn kernel(&self) -> Kernel {
        self.kernel
    }

    /// Its arguments, in product order. Products: `(left, right)` (syrk: `(A)`, computing
    /// op(A)·op(A)ᵀ); solves: `(M, B)` (left) or `(B, M)` (right), M being the matrix, or
    /// its potrf or getrf step, read transposed when its inverse is; factorizations: `(W)`;
    /// explicit inverses: `(W)` or its factorization, giving W⁻¹; transpose: `(A)`.
    pub fn args(&self) -> &[Arg] {
        &self.args
    }

    /// Which argument is structured or inverted (two-argument steps).
    pub fn side(&self) -> Side2 {
        self.side
    }

    /// The stored triangle of the triangular argument (trmm, trsm, trsv, trtri) is lower.
    pub fn lower(&self) -> bool {
        self.lower
    }

    /// Rows of the result.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Columns of the result.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Exact cost of the step.
    pub fn cost(&self) -> Flops {
        Flops(self.thirds)
    }

    /// Whether the step forms an explicit inverse.
    pub fn explicit_inverse(&self) -> bool {
        self.explicit_inverse
    }

    /// What the result holds, e.g. `inv(Xᵀ·X)` or `chol(M)`.
    pub fn computes(&self) -> &str {
        &self.value
    }
}

/// An exact flop count. Factorizations count n³/3 flops, so the count is kept in units of
/// ⅓ flop; [`Flops::whole`] and [`Flops::as_f64`] give flops, `Display` prints
/// `41,666,666⅔`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Flops(pub(crate) u128);

impl Flops {
    /// The count in flops, rounded down.
    pub fn whole(self) -> u128 {
        self.0 / 3
    }

    /// The count in flops, as a float.
    pub fn as_f64(self) -> f64 {
        self.0 as f64 / 3.0
    }

    /// The exact count in units of ⅓ flop (the unit the planner adds in).
    pub fn thirds(self) -> u128 {
        self.0
    }
}

impl fmt::Display for Flops {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&flops_text(self.0))
    }
}

/// A plan for a generalized chain: steps in execution order, the result, and the expression
/// (with its operands' shapes and properties) it was planned for. Only the planner and
/// [`GenPlan`]'s `Deserialize` (which validates) make one, so a plan always fits its
/// expression; execution ([`GenPlan::execute`]) checks the arrays against that expression.
#[derive(Debug, Clone, PartialEq)]
pub struct GenPlan {
    pub(crate) model: String,
    pub(crate) steps: Vec<Step>,
    pub(crate) result: Arg,
    pub(crate) rows: usize,
    pub(crate) cols: usize,
    pub(crate) thirds: u128,
    pub(crate) order: String,
    pub(crate) exact: bool,
    pub(crate) expr: Expression,
}

impl GenPlan {
    /// The cost model it was planned under (`planned`, `expert`, `naive`).
    pub fn model(&self) -> &str {
        &self.model
    }

    /// The steps, in execution order.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// The result (an operand when the expression is one, possibly transposed).
    pub fn result(&self) -> Arg {
        self.result
    }

    /// Rows of the result.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Columns of the result.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Exact total cost: the sum of the steps'.
    pub fn cost(&self) -> Flops {
        Flops(self.thirds)
    }

    /// The evaluation order, parenthesized.
    pub fn order(&self) -> &str {
        &self.order
    }

    /// False when more than [`super::planner::MAX_SHARED`] factorable operands made the
    /// planner assume every one of them is factored (the plan is then the best under that
    /// assumption), or when SPD middles of Bᵀ·M·B were left out of the enumeration for that
    /// reason (the plan is then the best without their symmetric-product split).
    pub fn exact(&self) -> bool {
        self.exact
    }

    /// The expression the plan was made for.
    pub fn expression(&self) -> &Expression {
        &self.expr
    }

    /// The operands the plan reads, in the order [`Value::Operand`] indexes them.
    pub fn operands(&self) -> &[Operand] {
        &self.expr.operands
    }

    /// Names of the step results: `S1`, `S2`, …, and operand names.
    pub fn value_name(&self, v: Value) -> String {
        match v {
            Value::Operand(i) => self
                .expr
                .operands
                .get(i)
                .map_or_else(|| format!("#{i}"), |o| o.name.clone()),
            Value::Step(s) => format!("S{}", s + 1),
        }
    }

    /// `Xᵀ`, `S2`.
    pub fn arg_name(&self, a: &Arg) -> String {
        let n = self.value_name(a.value);
        if a.transposed {
            format!("{n}ᵀ")
        } else {
            n
        }
    }

    /// The step as a line: `S2 = potrs(S1, X)`.
    pub fn step_text(&self, s: usize) -> String {
        let st = &self.steps[s];
        let args: Vec<String> = st.args.iter().map(|a| self.arg_name(a)).collect();
        format!("S{} = {}({})", s + 1, st.kernel, args.join(", "))
    }

    /// Whether any step forms an explicit inverse.
    pub fn has_explicit_inverse(&self) -> bool {
        self.steps.iter().any(|s| s.explicit_inverse)
    }

    /// Checks that the plan is well formed for its expression: every argument names an
    /// operand or an earlier step, every step's arguments have the shapes and kinds its
    /// kernel needs (solves read a factorization of a square matrix, products chain, …) and
    /// its recorded shape is the one the kernel produces, the result has the expression's
    /// shape, and the recorded total is the sum of the steps'. The planner's plans pass by
    /// construction; a plan read from JSON is checked here before it can run.
    pub fn validate(&self) -> Result<(), GenError> {
        validate(self)
    }
}

/// What a step's result holds, for validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Matrix,
    Cholesky,
    Lu,
    Ldl,
}

fn validate(p: &GenPlan) -> Result<(), GenError> {
    let bad = |step: Option<usize>, reason: String| GenError::InvalidPlan {
        step: step.map(|s| s + 1),
        reason,
    };
    let ops = &p.expr.operands;
    let mut shapes: Vec<(usize, usize, Kind)> = Vec::with_capacity(p.steps.len());
    let look = |shapes: &[(usize, usize, Kind)], s: Option<usize>, a: &Arg| {
        let (r, c, k) = match a.value {
            Value::Operand(i) => {
                let o = ops.get(i).ok_or_else(|| {
                    bad(
                        s,
                        format!("operand #{i} does not exist ({} operands)", ops.len()),
                    )
                })?;
                (o.rows, o.cols, Kind::Matrix)
            }
            Value::Step(t) => *shapes
                .get(t)
                .ok_or_else(|| bad(s, format!("S{} is not an earlier step", t + 1)))?,
        };
        Ok::<_, GenError>(if a.transposed { (c, r, k) } else { (r, c, k) })
    };
    let mut total: u128 = 0;
    for (s, st) in p.steps.iter().enumerate() {
        let at = Some(s);
        let want_args = match st.kernel {
            Kernel::Syrk
            | Kernel::DiagInv
            | Kernel::Transpose
            | Kernel::Potrf
            | Kernel::Getrf
            | Kernel::Sytrf
            | Kernel::Sytri
            | Kernel::Trtri
            | Kernel::Potri
            | Kernel::Getri => 1,
            _ => 2,
        };
        if st.args.len() != want_args {
            return Err(bad(
                at,
                format!(
                    "{} takes {want_args} arguments, not {}",
                    st.kernel,
                    st.args.len()
                ),
            ));
        }
        let a: Vec<(usize, usize, Kind)> = st
            .args
            .iter()
            .map(|x| look(&shapes, at, x))
            .collect::<Result<_, _>>()?;
        let square = |(r, c, _): (usize, usize, Kind)| r == c;
        let (out, kind) = if want_args == 1 {
            let x = a[0];
            let (need, out_kind) = match st.kernel {
                Kernel::Potri => (Kind::Cholesky, Kind::Matrix),
                Kernel::Getri => (Kind::Lu, Kind::Matrix),
                Kernel::Potrf => (Kind::Matrix, Kind::Cholesky),
                Kernel::Getrf => (Kind::Matrix, Kind::Lu),
                Kernel::Sytri => (Kind::Ldl, Kind::Matrix),
                Kernel::Sytrf => (Kind::Matrix, Kind::Ldl),
                _ => (Kind::Matrix, Kind::Matrix),
            };
            if x.2 != need {
                return Err(bad(
                    at,
                    format!("{} cannot read a {:?} value", st.kernel, x.2),
                ));
            }
            let out = match st.kernel {
                Kernel::Syrk => (x.0, x.0),
                Kernel::Transpose => (x.0, x.1),
                _ if !square(x) => {
                    return Err(bad(
                        at,
                        format!("{} needs a square argument, not {}x{}", st.kernel, x.0, x.1),
                    ))
                }
                _ => (x.0, x.1),
            };
            (out, out_kind)
        } else {
            let (l, r) = (a[0], a[1]);
            if l.1 != r.0 {
                return Err(bad(
                    at,
                    format!("arguments {}x{} and {}x{} do not chain", l.0, l.1, r.0, r.1),
                ));
            }
            let (m, other) = if st.side == Side2::Left {
                (l, r)
            } else {
                (r, l)
            };
            let need = match st.kernel {
                Kernel::Potrs => Kind::Cholesky,
                Kernel::Getrs => Kind::Lu,
                Kernel::Sytrs => Kind::Ldl,
                _ => Kind::Matrix,
            };
            // The Cholesky factor U of a potrf step is a triangular matrix to trsm and trmm.
            let tri = matches!(st.kernel, Kernel::Trsm | Kernel::Trsv | Kernel::Trmm);
            if !(m.2 == need || tri && m.2 == Kind::Cholesky) || other.2 != Kind::Matrix {
                return Err(bad(at, format!("{} cannot read these values", st.kernel)));
            }
            let structured = !matches!(st.kernel, Kernel::Gemm | Kernel::Gemv);
            if structured && !square(m) {
                return Err(bad(
                    at,
                    format!("{} needs a square structured argument", st.kernel),
                ));
            }
            if matches!(st.kernel, Kernel::Gemv | Kernel::Trsv) && l.0 != 1 && r.1 != 1 {
                return Err(bad(at, format!("{} needs a vector", st.kernel)));
            }
            ((l.0, r.1), Kind::Matrix)
        };
        if out != (st.rows, st.cols) {
            return Err(bad(
                at,
                format!(
                    "{} gives {}x{}, the step says {}x{}",
                    st.kernel, out.0, out.1, st.rows, st.cols
                ),
            ));
        }
        total = total.checked_add(st.thirds).ok_or(GenError::Overflow {
            what: "the plan's flop count",
        })?;
        shapes.push((out.0, out.1, kind));
    }
    let r = look(&shapes, None, &p.result)?;
    if r.2 != Kind::Matrix {
        return Err(bad(None, "the result is a factorization".into()));
    }
    let want = p.expr.shape();
    if (r.0, r.1) != want || (p.rows, p.cols) != want {
        return Err(bad(
            None,
            format!(
                "the result is {}x{} but the expression is {}x{}",
                r.0, r.1, want.0, want.1
            ),
        ));
    }
    if total != p.thirds {
        return Err(bad(
            None,
            "the total is not the sum of the steps' costs".into(),
        ));
    }
    Ok(())
}

impl fmt::Display for GenPlan {
    /// The expression, model, order and total, then the steps one a line
    /// (`S1 = syrk(Xᵀ)   Xᵀ·X   500x500   626,250,000 flops`) and the result.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{}: {} plan {}, {} flops",
            self.expr.text,
            self.model,
            self.order,
            self.cost()
        )?;
        for (s, st) in self.steps.iter().enumerate() {
            writeln!(
                f,
                "  {}   {}   {}x{}   {} flops",
                self.step_text(s),
                st.value,
                st.rows,
                st.cols,
                st.cost()
            )?;
        }
        write!(f, "  result: {}", self.arg_name(&self.result))
    }
}

/// The serialized fields, in the order `chainplan expr --json` has always printed them.
#[derive(Serialize)]
pub(crate) struct PlanBody<'a> {
    model: &'a str,
    steps: &'a [Step],
    result: Arg,
    rows: usize,
    cols: usize,
    thirds: u128,
    order: &'a str,
    exact: bool,
}

impl GenPlan {
    pub(crate) fn body(&self) -> PlanBody<'_> {
        PlanBody {
            model: &self.model,
            steps: &self.steps,
            result: self.result,
            rows: self.rows,
            cols: self.cols,
            thirds: self.thirds,
            order: &self.order,
            exact: self.exact,
        }
    }
}

#[derive(Serialize)]
struct PlanOut<'a> {
    #[serde(flatten)]
    body: PlanBody<'a>,
    expression: &'a str,
    operands: &'a [Operand],
}

impl Serialize for GenPlan {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        PlanOut {
            body: self.body(),
            expression: &self.expr.text,
            operands: &self.expr.operands,
        }
        .serialize(s)
    }
}

/// What a serialized plan holds; turned into a [`GenPlan`] only through checks.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlan {
    model: String,
    steps: Vec<Step>,
    result: Arg,
    rows: usize,
    cols: usize,
    thirds: u128,
    order: String,
    exact: bool,
    expression: String,
    operands: Vec<Operand>,
}

impl TryFrom<RawPlan> for GenPlan {
    type Error = GenError;

    fn try_from(r: RawPlan) -> Result<Self, GenError> {
        // The operands and the expression are re-checked as if declared anew.
        let ops = r
            .operands
            .iter()
            .map(|o| Operand::new(&o.name, o.rows, o.cols, o.props))
            .collect::<Result<Vec<_>, _>>()?;
        let expr = Expression::parse(&r.expression, &ops)?;
        let p = GenPlan {
            model: r.model,
            steps: r.steps,
            result: r.result,
            rows: r.rows,
            cols: r.cols,
            thirds: r.thirds,
            order: r.order,
            exact: r.exact,
            expr,
        };
        p.validate()?;
        Ok(p)
    }
}

impl<'de> Deserialize<'de> for GenPlan {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = RawPlan::deserialize(d)?;
        GenPlan::try_from(raw).map_err(serde::de::Error::custom)
    }
}
