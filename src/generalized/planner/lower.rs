//! Lowering: the steps of the entries the DP chose, in execution order. Every step runs the
//! kernel of the menu's choice at the menu's cost (a choice's triangular step and its
//! factorization come with it); operands' factorizations are emitted once and shared when
//! the model shares them. The order's text and the steps' descriptions come from
//! [`crate::generalized::text`].

use super::dp::{How, Table};
use crate::generalized::cost::Kernel;
use crate::generalized::expr::chain_text;
use crate::generalized::menu::{Choice, Factorization, Form, Kernels, Side};
use crate::generalized::operand::Operand;
use crate::generalized::steps::{Arg, Side2, Step, Value};
use crate::generalized::text::{self, Order};
use crate::generalized::GenError;
use std::collections::HashMap;

/// Turns a DP table into steps.
pub(super) struct Lower<'a> {
    ops: &'a [Operand],
    kernels: Kernels<'a>,
    pub(super) steps: Vec<Step>,
    /// Shared factorizations: operand → its potrf/getrf step.
    factored: HashMap<usize, usize>,
}

/// The properties of the stored W of a side (M = Wᵀ when the side is read transposed).
fn stored_lower(s: &Side) -> bool {
    if s.t {
        s.props.transposed().lower
    } else {
        s.props.lower
    }
}

fn arg(value: Value, transposed: bool) -> Arg {
    Arg { value, transposed }
}

impl<'a> Lower<'a> {
    pub(super) fn new(ops: &'a [Operand], kernels: Kernels<'a>) -> Self {
        Lower {
            ops,
            kernels,
            steps: Vec::new(),
            factored: HashMap::new(),
        }
    }

    fn push(&mut self, step: Step) -> Value {
        self.steps.push(step);
        Value::Step(self.steps.len() - 1)
    }

    fn text(&self, table: &Table, i: usize, j: usize) -> String {
        chain_text(&table.chain.factors[i..=j], self.ops)
    }

    /// A step of one or two arguments with the menu's kernel and cost.
    #[allow(clippy::too_many_arguments)]
    fn step(
        &mut self,
        kernel: Kernel,
        args: Vec<Arg>,
        side: Side2,
        lower: bool,
        (rows, cols): (usize, usize),
        thirds: u128,
        value: String,
    ) -> Value {
        self.push(Step {
            kernel,
            args,
            side,
            lower,
            rows,
            cols,
            thirds,
            explicit_inverse: kernel.is_explicit_inverse(),
            value,
        })
    }

    /// The factorization `f` the menu chose for W (n×n), shared for operands.
    fn factor(&mut self, w: Value, n: usize, f: Factorization) -> Value {
        let share = self.kernels.model.share_factorizations;
        if let (Value::Operand(a), true) = (w, share) {
            if let Some(&s) = self.factored.get(&a) {
                return Value::Step(s);
            }
        }
        let what = match w {
            Value::Operand(a) => self.ops[a].name.clone(),
            Value::Step(s) => format!("S{}", s + 1),
        };
        let v = self.step(
            f.kernel,
            vec![arg(w, false)],
            Side2::Left,
            false,
            (n, n),
            f.cost,
            text::factored(f.kernel, &what),
        );
        if let (Value::Operand(a), true, Value::Step(s)) = (w, share, v) {
            self.factored.insert(a, s);
        }
        v
    }

    /// The factorization a choice reads.
    fn choice_factor(&mut self, c: &Choice, w: Value, n: usize) -> Result<Value, GenError> {
        let f = c.factor.ok_or_else(|| GenError::InvalidPlan {
            step: None,
            reason: format!("the menu's {} has no factorization", c.kernel),
        })?;
        Ok(self.factor(w, n, f))
    }

    /// Emits the steps that hold cell (i, j) in form `f`; returns the stored W as an
    /// argument (transposed as the form says) and the evaluation order.
    pub(super) fn emit(
        &mut self,
        table: &Table,
        i: usize,
        j: usize,
        f: Form,
    ) -> Result<(Arg, Order), GenError> {
        let cell = table.cell(i, j);
        let e = cell.e[f.0 as usize].expect("the DP filled the entry it chose");
        match e.how {
            How::Leaf => {
                let a = cell.leaf.expect("a leaf is an operand");
                Ok((
                    arg(Value::Operand(a), f.t()),
                    Order::Written(self.text(table, i, i)),
                ))
            }
            How::Group { inner } => {
                let g = table.groups[i]
                    .as_ref()
                    .expect("a group leaf has its table");
                let (a, order) = self.emit(g, 0, g.n - 1, inner)?;
                let fac = &table.chain.factors[i];
                let order = if fac.inverted { order.inverse() } else { order };
                let order = if fac.transposed {
                    order.transposed()
                } else {
                    order
                };
                Ok((arg(a.value, f.t()), order))
            }
            How::Inverse { choice } => self.inverse(table, i, j, f, &choice),
            How::Gram { b, bf, mf, choice } => self.gram(table, i, j, f, (b, bf, mf), &choice),
            How::Product { k, lf, rf, choice } => {
                self.product(table, (i, k, j), f, (lf, rf), &choice)
            }
        }
    }

    /// An explicit inverse of the cell's inverted entry.
    fn inverse(
        &mut self,
        table: &Table,
        i: usize,
        j: usize,
        f: Form,
        choice: &Choice,
    ) -> Result<(Arg, Order), GenError> {
        let cell = table.cell(i, j);
        let from = Form(f.0 | 2);
        let (w, order) = self.emit(table, i, j, from)?;
        let n = cell.rows;
        let side = cell.side(from);
        // The step stores W⁻¹: the cell's value (form I) or its transpose (form IT).
        let chain = self.text(table, i, j);
        let value = if f.t() {
            text::transposed(&chain)
        } else {
            chain
        };
        let a = match choice.kernel {
            Kernel::Getri | Kernel::Potri | Kernel::Sytri => {
                arg(self.choice_factor(choice, w.value, n)?, false)
            }
            Kernel::Transpose => arg(w.value, true),
            _ => arg(w.value, false),
        };
        let v = self.step(
            choice.kernel,
            vec![a],
            Side2::Left,
            stored_lower(&side),
            (n, n),
            choice.kernel_cost,
            value,
        );
        Ok((arg(v, f.t()), order.explicit()))
    }

    /// The symmetric product Bᵀ·B, or Bᵀ·M⁻¹·B / Bᵀ·M·B with M's shared Cholesky factor.
    fn gram(
        &mut self,
        table: &Table,
        i: usize,
        j: usize,
        f: Form,
        (b, bf, mf): (usize, Form, Option<Form>),
        choice: &Choice,
    ) -> Result<(Arg, Order), GenError> {
        let right = table.cell(b, j);
        let (n, k) = (right.rows, right.cols);
        let mut middle = None;
        if let Some(mf) = mf {
            // M first, so that its factorization comes before B's steps.
            let (w, mo) = self.emit(table, b - 1, b - 1, mf)?;
            middle = Some((self.choice_factor(choice, w.value, n)?, mo));
        }
        let (barg, bo) = self.emit(table, b, j, bf)?;
        let left = if b - i == 1 || (mf.is_some() && b - i == 2) {
            Order::Written(self.text(table, i, i))
        } else {
            bo.clone().transposed()
        };
        let value = self.text(table, i, j);
        let (a, order) = match middle {
            None => (
                // Bᵀ·B = op(A)·op(A)ᵀ with op(A) = Bᵀ; for B = W⁻¹ the stored product is W·Wᵀ.
                arg(barg.value, barg.transposed ^ !bf.inv()),
                Order::Product(vec![left, bo]),
            ),
            Some((u, mo)) => {
                let Value::Step(s) = u else {
                    unreachable!("factor returns a step")
                };
                let chol = self.steps[s].value.clone();
                // M⁻¹: W₂ = U⁻ᵀ·B; M: W₂ = U·B.
                let inverted = mf.is_some_and(|f| f.inv());
                let (kernel, thirds) = choice.pre.expect("a Gram choice with M has a pre step");
                let w2 = self.step(
                    kernel,
                    vec![arg(u, inverted), barg],
                    Side2::Left,
                    false,
                    (n, k),
                    thirds,
                    text::with_factor(&chol, inverted, &self.text(table, b, j)),
                );
                (arg(w2, true), Order::Product(vec![left, mo, bo]))
            }
        };
        let v = self.step(
            choice.kernel,
            vec![a],
            Side2::Left,
            false,
            (k, k),
            choice.kernel_cost,
            if bf.inv() {
                text::inverse(&value)
            } else {
                value
            },
        );
        Ok((arg(v, f.t()), order))
    }

    /// A product of the two halves split after k, or a solve with one of them.
    fn product(
        &mut self,
        table: &Table,
        (i, k, j): (usize, usize, usize),
        f: Form,
        (lf, rf): (Form, Form),
        choice: &Choice,
    ) -> Result<(Arg, Order), GenError> {
        let (a, ao) = self.emit(table, i, k, lf)?;
        let (b, bo) = self.emit(table, k + 1, j, rf)?;
        let order = Order::Product(vec![ao, bo]);
        let (l, r) = (table.cell(i, k), table.cell(k + 1, j));
        let (sa, sb) = (l.side(lf), r.side(rf));
        let cell = table.cell(i, j);
        let shape = (cell.rows, cell.cols);
        let mut value = self.text(table, i, j);
        let side = if choice.left {
            Side2::Left
        } else {
            Side2::Right
        };
        let (args, lower) = match (lf.inv(), rf.inv()) {
            (false, false) | (true, true) => {
                let (x, y, sx, sy) = if lf.inv() {
                    // (W₂·W₁)⁻¹ form: the stored product is W₂·W₁.
                    value = text::inverse(&value);
                    (b, a, sb, sa)
                } else {
                    (a, b, sa, sb)
                };
                match choice.kernel {
                    Kernel::Syrk => (vec![x], false),
                    Kernel::Trmm if choice.left => (vec![x, y], stored_lower(&sx)),
                    Kernel::Trmm => (vec![x, y], stored_lower(&sy)),
                    _ => (vec![x, y], false),
                }
            }
            _ => {
                let (w, sw) = if choice.left { (a, sa) } else { (b, sb) };
                let m = match choice.kernel {
                    Kernel::Potrs | Kernel::Getrs | Kernel::Sytrs => {
                        arg(self.choice_factor(choice, w.value, sw.rows)?, w.transposed)
                    }
                    // M orthogonal: M⁻¹ = Mᵀ.
                    Kernel::Gemm | Kernel::Gemv => arg(w.value, !w.transposed),
                    _ => w,
                };
                let args = if choice.left { vec![m, b] } else { vec![a, m] };
                (args, stored_lower(&sw))
            }
        };
        let v = self.step(
            choice.kernel,
            args,
            side,
            lower,
            shape,
            choice.kernel_cost,
            value,
        );
        Ok((arg(v, f.t()), order))
    }
}
