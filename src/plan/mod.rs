//! Plans: the order in which a chain is multiplied, as data.
//!
//! A [`Plan`] is a list of pairwise [`Step`]s in execution order (a post-order walk of the
//! parenthesization tree). Each step multiplies two [`Operand`]s — input matrices or the results
//! of earlier steps — that cover adjacent runs of the chain. Flat storage keeps every walk
//! iterative, so a plan for a million matrices (a tree a million levels deep) costs no
//! recursion and no deep `Drop`.
//!
//! Every planner in [`crate::plan`] returns this one type; [`PlanBuilder`] is how they make it.

pub mod algorithm;
pub mod approx;
#[cfg(any(test, feature = "testing", feature = "benchmark"))]
pub mod brute;
pub mod dp;
pub mod goal;
pub mod hu_shing;
pub mod structure;

use crate::chain::Chain;
use crate::error::PlanError;
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::fmt;

pub use algorithm::Algorithm;
pub use goal::Minimize;

/// An operand of a step: an input matrix or the result of an earlier step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Operand {
    /// Input matrix `i`, 0-based (`Matrix(0)` is A1).
    Matrix(usize),
    /// The result of step `s`, 0-based, in execution order.
    Step(usize),
}

impl Operand {
    /// A short human name: `A3` for a matrix, `S2` for the result of the second step.
    ///
    /// ```
    /// use chainplan::plan::Operand;
    /// assert_eq!(Operand::Matrix(0).name(), "A1");
    /// assert_eq!(Operand::Step(1).name(), "S2");
    /// ```
    pub fn name(&self) -> String {
        match *self {
            Operand::Matrix(i) => format!("A{}", i + 1),
            Operand::Step(s) => format!("S{}", s + 1),
        }
    }
}

/// One pairwise product `lhs · rhs` of an (m × k) by a (k × n) operand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// The left operand.
    pub lhs: Operand,
    /// The right operand.
    pub rhs: Operand,
    /// First matrix (0-based) of the run that the result covers.
    pub first: usize,
    /// Last matrix (0-based, inclusive) of the run that the result covers.
    pub last: usize,
    /// Rows of the result.
    pub m: usize,
    /// Inner dimension.
    pub k: usize,
    /// Columns of the result.
    pub n: usize,
    /// Scalar multiplications of this product: m·k·n.
    pub cost: u128,
}

impl Step {
    /// Elements of the result, m·n.
    pub fn elements(&self) -> u128 {
        self.m as u128 * self.n as u128
    }
}

/// A complete parenthesization of a chain, with its exact cost.
///
/// `Display` prints its [order](Plan::order). With serde, a plan is its chain, order and cost
/// (`{"dims":[2,3,4,5],"order":"((A1A2)A3)","cost":64}`); deserializing rebuilds it from
/// the order and refuses an order that does not fit the dimensions, or a cost that differs
/// from the order's. For the versioned format other engines execute, see
/// [`handoff`](crate::handoff).
///
/// ```
/// use chainplan::{Chain, Plan};
/// let plan = Plan::left_to_right(&Chain::new([2, 3, 4, 5])?)?;
/// assert_eq!(plan.to_string(), "((A1A2)A3)");
/// let json = serde_json::to_string(&plan).unwrap();
/// assert_eq!(json, r#"{"dims":[2,3,4,5],"order":"((A1A2)A3)","cost":64}"#);
/// assert_eq!(serde_json::from_str::<Plan>(&json).unwrap(), plan);
/// let wrong = r#"{"dims":[2,3,4,5],"order":"((A1A2)A3)","cost":63}"#;
/// assert!(serde_json::from_str::<Plan>(wrong).is_err());
/// # Ok::<(), chainplan::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "PlanForm", try_from = "PlanForm")]
pub struct Plan {
    chain: Chain,
    steps: Vec<Step>,
    cost: u128,
    /// Which matrices are diagonal, for a plan priced with structure ([`Plan::with_diagonal`]).
    diagonal: Option<Vec<bool>>,
}

impl Plan {
    /// The chain this plan multiplies.
    pub fn chain(&self) -> &Chain {
        &self.chain
    }

    /// Number of matrices in the chain.
    pub fn matrices(&self) -> usize {
        self.chain.matrices()
    }

    /// The pairwise products in execution order; the last one gives the result.
    /// A chain of one matrix has none.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// The operand that holds the final product.
    pub fn root(&self) -> Operand {
        match self.steps.len() {
            0 => Operand::Matrix(0),
            s => Operand::Step(s - 1),
        }
    }

    /// Total scalar multiplications: the sum of m·k·n over all steps.
    pub fn cost(&self) -> u128 {
        self.cost
    }

    /// Floating-point operations, counting a multiply and an add each: 2 × [`Plan::cost`].
    pub fn flops(&self) -> Result<u128> {
        self.cost.checked_mul(2).ok_or(Error::Overflow {
            what: "flop count",
            bits: 128,
        })
    }

    /// Elements of the largest intermediate: the largest result of any step except the last
    /// (the final product is not an intermediate). 0 for chains of one or two matrices.
    pub fn largest_intermediate(&self) -> u128 {
        let n = self.steps.len().saturating_sub(1);
        self.steps[..n]
            .iter()
            .map(Step::elements)
            .max()
            .unwrap_or(0)
    }

    /// Shape (rows, columns) of an operand, as ndarray writes shapes.
    pub fn shape(&self, operand: Operand) -> (usize, usize) {
        match operand {
            Operand::Matrix(i) => self.chain.shape(i),
            Operand::Step(s) => (self.steps[s].m, self.steps[s].n),
        }
    }

    /// The canonical parenthesization, in textbook form: `((A1(A2A3))((A4A5)A6))`;
    /// a single matrix is `A1`.
    pub fn order(&self) -> String {
        use std::fmt::Write;
        enum Task {
            Visit(Operand),
            Close,
        }
        let mut out = String::with_capacity(self.matrices() * 8);
        let mut stack = vec![Task::Visit(self.root())];
        while let Some(task) = stack.pop() {
            match task {
                Task::Close => out.push(')'),
                Task::Visit(Operand::Matrix(i)) => {
                    // Writing into a String cannot fail; no allocation per matrix.
                    let _ = write!(out, "A{}", i + 1);
                }
                Task::Visit(Operand::Step(s)) => {
                    let step = &self.steps[s];
                    out.push('(');
                    stack.push(Task::Close);
                    stack.push(Task::Visit(step.rhs));
                    stack.push(Task::Visit(step.lhs));
                }
            }
        }
        out
    }

    /// Builds the plan that, for every sub-chain `i ..= j` with `i < j`, splits after matrix
    /// `split(i, j)` (that is, into `i ..= k` and `k+1 ..= j`). This is how dynamic programs
    /// turn their split tables into plans.
    pub fn from_splits(chain: &Chain, split: impl Fn(usize, usize) -> usize) -> Result<Plan> {
        // Iterative post-order: (first, last, expanded?).
        let n = chain.matrices();
        let mut builder = PlanBuilder::new(chain);
        let mut results: Vec<Operand> = Vec::with_capacity(n);
        let mut stack = vec![(0usize, n - 1, false)];
        while let Some((i, j, expanded)) = stack.pop() {
            if i == j {
                results.push(Operand::Matrix(i));
            } else if expanded {
                let rhs = results.pop().expect("right operand computed");
                let lhs = results.pop().expect("left operand computed");
                results.push(builder.multiply(lhs, rhs)?);
            } else {
                let k = split(i, j);
                if k < i || k >= j {
                    return Err(PlanError::SplitOutside {
                        split: k,
                        first: i,
                        last: j,
                    }
                    .into());
                }
                stack.push((i, j, true));
                stack.push((k + 1, j, false));
                stack.push((i, k, false));
            }
        }
        builder.finish()
    }

    /// This plan priced with the matrices flagged in `diagonal` as diagonal (square, stored
    /// by their diagonal): each step's cost is what the product costs with that structure
    /// (`structure::product_cost`), and [`Plan::cost`] their sum. A structured plan keeps
    /// its flags ([`Plan::diagonal`]) and its serde form carries them, so it reads back with
    /// the same cost. The planner of this model is [`crate::jacobian::structured`].
    ///
    /// ```
    /// use chainplan::{Chain, Plan};
    /// // W (3 × 4) · D (4 × 4 diagonal) · x (4 × 1), right to left: D·x costs 4, W·(Dx) 12.
    /// let plan = Plan::right_to_left(&Chain::new([3, 4, 4, 1])?)?;
    /// assert_eq!(plan.cost(), 16 + 12);
    /// let structured = plan.with_diagonal(&[false, true, false])?;
    /// assert_eq!(structured.cost(), 4 + 12);
    /// let json = serde_json::to_string(&structured).unwrap();
    /// assert_eq!(serde_json::from_str::<Plan>(&json).unwrap(), structured);
    /// # Ok::<(), chainplan::Error>(())
    /// ```
    ///
    /// Errors: a flag list of the wrong length, a non-square matrix flagged diagonal.
    pub fn with_diagonal(mut self, diagonal: &[bool]) -> Result<Plan> {
        let costs = structure::step_costs(&self, diagonal)?;
        for (step, &c) in self.steps.iter_mut().zip(&costs) {
            step.cost = c;
        }
        self.cost = checked_sum(costs.into_iter())?;
        self.diagonal = diagonal.contains(&true).then(|| diagonal.to_vec());
        Ok(self)
    }

    /// For a plan priced with diagonal factors ([`Plan::with_diagonal`]), which matrices
    /// are diagonal; `None` for a plan of dense matrices.
    pub fn diagonal(&self) -> Option<&[bool]> {
        self.diagonal.as_deref()
    }

    /// Multiplies from the left: `((A1A2)A3)…`.
    pub fn left_to_right(chain: &Chain) -> Result<Plan> {
        let mut b = PlanBuilder::new(chain);
        let mut acc = Operand::Matrix(0);
        for i in 1..chain.matrices() {
            acc = b.multiply(acc, Operand::Matrix(i))?;
        }
        b.finish()
    }

    /// Multiplies from the right: `…(An-1An))`.
    pub fn right_to_left(chain: &Chain) -> Result<Plan> {
        let n = chain.matrices();
        let mut b = PlanBuilder::new(chain);
        let mut acc = Operand::Matrix(n - 1);
        for i in (0..n - 1).rev() {
            acc = b.multiply(Operand::Matrix(i), acc)?;
        }
        b.finish()
    }

    /// The cost and canonical order of [`Plan::left_to_right`], in O(n) without building the
    /// plan (reports on chains of millions of matrices compare against it).
    ///
    /// ```
    /// use chainplan::{Chain, Plan};
    /// let chain = Chain::new(vec![2u32, 3, 4, 5])?;
    /// let (cost, order) = Plan::left_to_right_summary(&chain)?;
    /// assert_eq!(cost, Plan::left_to_right(&chain)?.cost());
    /// assert_eq!(order, "((A1A2)A3)");
    /// # Ok::<(), chainplan::Error>(())
    /// ```
    pub fn left_to_right_summary(chain: &Chain) -> Result<(u128, String)> {
        let n = chain.matrices();
        // Step i multiplies the (p0 × p_i) prefix by A_(i+1): p0 · p_i · p_(i+1).
        let cost = checked_sum((1..n).map(|i| three(chain, 0, i, i + 1)))?;
        let mut order = "(".repeat(n - 1);
        order.push_str("A1");
        for i in 2..=n {
            order.push('A');
            order.push_str(&i.to_string());
            order.push(')');
        }
        Ok((cost, order))
    }

    /// The cost and canonical order of [`Plan::right_to_left`], in O(n) without building it.
    ///
    /// ```
    /// use chainplan::{Chain, Plan};
    /// let chain = Chain::new(vec![2u32, 3, 4, 5])?;
    /// let (cost, order) = Plan::right_to_left_summary(&chain)?;
    /// assert_eq!(cost, Plan::right_to_left(&chain)?.cost());
    /// assert_eq!(order, "(A1(A2A3))");
    /// # Ok::<(), chainplan::Error>(())
    /// ```
    pub fn right_to_left_summary(chain: &Chain) -> Result<(u128, String)> {
        let n = chain.matrices();
        // Step for A_(i+1) multiplies it by the (p_(i+1) × p_n) suffix: p_i · p_(i+1) · p_n.
        let cost = checked_sum((0..n - 1).map(|i| three(chain, i, i + 1, n)))?;
        let mut order = String::new();
        for i in 1..n {
            order.push_str("(A");
            order.push_str(&i.to_string());
        }
        order.push('A');
        order.push_str(&n.to_string());
        order.push_str(&")".repeat(n - 1));
        Ok((cost, order))
    }

    /// Parses a parenthesization such as `((A1(A2A3))((A4A5)A6))` for `chain`.
    ///
    /// Inside each pair of parentheses stand exactly two operands; the outermost pair may be
    /// left out. Matrices must appear in order `A1 … An`, each once. Whitespace is ignored.
    ///
    /// ```
    /// use chainplan::{Chain, Plan};
    /// let chain = Chain::new(vec![10u32, 20, 30, 40])?;
    /// let plan = Plan::from_order(&chain, "(A1(A2A3))")?;
    /// assert_eq!(plan.cost(), 20 * 30 * 40 + 10 * 20 * 40);
    /// assert_eq!(plan.order(), "(A1(A2A3))");
    /// # Ok::<(), chainplan::Error>(())
    /// ```
    pub fn from_order(chain: &Chain, order: &str) -> Result<Plan> {
        let bad = |column: usize, reason: &str| -> Error {
            PlanError::BadOrder {
                order: order.to_string(),
                column,
                reason: reason.to_string(),
            }
            .into()
        };
        let mut builder = PlanBuilder::new(chain);
        // Each frame holds the operands seen inside one pair of parentheses (at most two)
        // and the column of its '('.
        let mut frames: Vec<(Vec<Operand>, usize)> = vec![(Vec::with_capacity(2), 0)];
        let chars: Vec<char> = order.chars().collect();
        let mut next_matrix = 0usize;
        let mut pos = 0usize;
        while pos < chars.len() {
            let column = pos + 1;
            let c = chars[pos];
            match c {
                c if c.is_whitespace() => pos += 1,
                '(' => {
                    frames.push((Vec::with_capacity(2), column));
                    pos += 1;
                }
                ')' => {
                    if frames.len() == 1 {
                        return Err(bad(column, "unmatched ')'"));
                    }
                    let (ops, _) = frames.pop().expect("checked above");
                    if ops.len() != 2 {
                        return Err(bad(column, "a pair of parentheses must hold two operands"));
                    }
                    let product = builder.multiply(ops[0], ops[1])?;
                    push_operand(&mut frames, product).map_err(|r| bad(column, r))?;
                    pos += 1;
                }
                'A' | 'a' => {
                    pos += 1;
                    let start = pos;
                    while pos < chars.len() && chars[pos].is_ascii_digit() {
                        pos += 1;
                    }
                    let digits: String = chars[start..pos].iter().collect();
                    let index: usize = digits
                        .parse()
                        .map_err(|_| bad(column, "expected a matrix number after 'A'"))?;
                    if index != next_matrix + 1 {
                        return Err(bad(
                            column,
                            &format!("expected A{} here, found A{index}", next_matrix + 1),
                        ));
                    }
                    if index > chain.matrices() {
                        return Err(bad(
                            column,
                            &format!("the chain has only {} matrices", chain.matrices()),
                        ));
                    }
                    next_matrix += 1;
                    push_operand(&mut frames, Operand::Matrix(index - 1))
                        .map_err(|r| bad(column, r))?;
                }
                other => {
                    return Err(bad(
                        column,
                        &format!("unexpected {}", crate::text::quote(&other.to_string())),
                    ))
                }
            }
        }
        if frames.len() > 1 {
            let (_, open) = frames.last().expect("non-empty");
            return Err(bad(*open, "unclosed '('"));
        }
        let (mut top, _) = frames.pop().expect("non-empty");
        if top.len() == 2 {
            let rhs = top.pop().expect("two");
            let lhs = top.pop().expect("two");
            builder.multiply(lhs, rhs)?;
        }
        if next_matrix != chain.matrices() {
            return Err(bad(
                chars.len() + 1,
                &format!(
                    "the order names {next_matrix} matrices but the chain has {}",
                    chain.matrices()
                ),
            ));
        }
        builder.finish()
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.order())
    }
}

/// The serde form of a [`Plan`]: what determines it (dimensions and order) and its cost,
/// checked when read back.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PlanForm {
    dims: Vec<u32>,
    order: String,
    /// Which matrices are diagonal, for a structured plan; absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    diagonal: Option<Vec<bool>>,
    cost: u128,
}

impl From<Plan> for PlanForm {
    fn from(plan: Plan) -> Self {
        PlanForm {
            order: plan.order(),
            cost: plan.cost,
            dims: plan.chain.dims().to_vec(),
            diagonal: plan.diagonal,
        }
    }
}

impl TryFrom<PlanForm> for Plan {
    type Error = Error;

    fn try_from(form: PlanForm) -> Result<Plan> {
        let mut plan = Plan::from_order(&Chain::from_u32s(form.dims)?, &form.order)?;
        if let Some(diagonal) = &form.diagonal {
            plan = plan.with_diagonal(diagonal)?;
        }
        if plan.cost != form.cost {
            return Err(PlanError::CostMismatch {
                stated: form.cost,
                order: form.order,
                actual: plan.cost,
            }
            .into());
        }
        Ok(plan)
    }
}

/// p_a · p_b · p_c, exact (each factor is below 2^32).
fn three(chain: &Chain, a: usize, b: usize, c: usize) -> u128 {
    u128::from(chain.dim(a)) * u128::from(chain.dim(b)) * u128::from(chain.dim(c))
}

/// A sum of costs that errors instead of wrapping.
fn checked_sum(mut costs: impl Iterator<Item = u128>) -> Result<u128> {
    costs.try_fold(0u128, |acc, c| {
        acc.checked_add(c).ok_or(Error::Overflow {
            what: "plan cost",
            bits: 128,
        })
    })
}

fn push_operand(
    frames: &mut [(Vec<Operand>, usize)],
    op: Operand,
) -> std::result::Result<(), &'static str> {
    let (ops, _) = frames.last_mut().expect("non-empty");
    if ops.len() == 2 {
        return Err("more than two operands in one pair of parentheses");
    }
    ops.push(op);
    Ok(())
}

/// Builds a [`Plan`] one product at a time, checking that each product joins adjacent runs,
/// that no operand is used twice, and summing the cost with checked arithmetic.
///
/// ```
/// use chainplan::{Chain, plan::{PlanBuilder, Operand}};
/// let chain = Chain::new(vec![2u32, 3, 4, 5])?;
/// let mut b = PlanBuilder::new(&chain);
/// let s = b.multiply(Operand::Matrix(1), Operand::Matrix(2))?; // A2·A3
/// b.multiply(Operand::Matrix(0), s)?; // A1·(A2·A3)
/// let plan = b.finish()?;
/// assert_eq!(plan.order(), "(A1(A2A3))");
/// assert_eq!(plan.cost(), 3 * 4 * 5 + 2 * 3 * 5);
/// # Ok::<(), chainplan::Error>(())
/// ```
#[derive(Debug)]
pub struct PlanBuilder<'c> {
    chain: &'c Chain,
    steps: Vec<Step>,
    cost: u128,
    matrix_used: Vec<bool>,
    step_used: Vec<bool>,
}

impl<'c> PlanBuilder<'c> {
    /// Starts an empty plan for `chain`.
    pub fn new(chain: &'c Chain) -> Self {
        let n = chain.matrices();
        PlanBuilder {
            chain,
            steps: Vec::with_capacity(n.saturating_sub(1)),
            cost: 0,
            matrix_used: vec![false; n],
            step_used: Vec::with_capacity(n.saturating_sub(1)),
        }
    }

    /// The run of matrices (first, last) that an operand covers.
    fn span(&self, op: Operand) -> Result<(usize, usize)> {
        match op {
            Operand::Matrix(i) if i < self.matrix_used.len() => Ok((i, i)),
            Operand::Step(s) if s < self.steps.len() => {
                Ok((self.steps[s].first, self.steps[s].last))
            }
            _ => Err(PlanError::UnknownOperand { operand: op.name() }.into()),
        }
    }

    fn consume(&mut self, op: Operand) -> Result<()> {
        let used = match op {
            Operand::Matrix(i) => &mut self.matrix_used[i],
            Operand::Step(s) => &mut self.step_used[s],
        };
        if *used {
            return Err(PlanError::OperandUsedTwice { operand: op.name() }.into());
        }
        *used = true;
        Ok(())
    }

    /// Records the product `lhs · rhs` and returns the operand holding its result.
    ///
    /// Errors if the operands do not cover adjacent runs (`lhs` directly left of `rhs`), if
    /// either was already used, or if the cost overflows.
    pub fn multiply(&mut self, lhs: Operand, rhs: Operand) -> Result<Operand> {
        let (first, mid) = self.span(lhs)?;
        let (mid1, last) = self.span(rhs)?;
        if mid + 1 != mid1 {
            return Err(PlanError::NotAdjacent {
                lhs: lhs.name(),
                lhs_matrices: (first + 1, mid + 1),
                rhs: rhs.name(),
                rhs_matrices: (mid1 + 1, last + 1),
            }
            .into());
        }
        self.consume(lhs)?;
        self.consume(rhs)?;
        let (m, k, n) = (
            self.chain.dim(first),
            self.chain.dim(mid + 1),
            self.chain.dim(last + 1),
        );
        // Each factor is below 2^32, so the product is below 2^96 and cannot overflow.
        let cost = u128::from(m) * u128::from(k) * u128::from(n);
        // Dimensions fit u32, so they fit usize.
        let (m, k, n) = (m as usize, k as usize, n as usize);
        self.cost = self.cost.checked_add(cost).ok_or(Error::Overflow {
            what: "plan cost",
            bits: 128,
        })?;
        self.steps.push(Step {
            lhs,
            rhs,
            first,
            last,
            m,
            k,
            n,
            cost,
        });
        self.step_used.push(false);
        Ok(Operand::Step(self.steps.len() - 1))
    }

    /// Finishes the plan; errors unless the products multiply the whole chain.
    pub fn finish(self) -> Result<Plan> {
        let n = self.chain.matrices();
        let complete = match self.steps.last() {
            None => n == 1,
            Some(root) => root.first == 0 && root.last == n - 1 && self.steps.len() == n - 1,
        };
        if !complete {
            return Err(PlanError::Incomplete {
                steps: self.steps.len(),
                matrices: n,
            }
            .into());
        }
        Ok(Plan {
            chain: self.chain.clone(),
            steps: self.steps,
            cost: self.cost,
            diagonal: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn textbook() -> Chain {
        Chain::new(vec![30u32, 35, 15, 5, 10, 20, 25]).unwrap()
    }

    #[test]
    fn order_round_trips() {
        let chain = textbook();
        let plan = Plan::from_order(&chain, "((A1(A2A3))((A4A5)A6))").unwrap();
        assert_eq!(plan.cost(), 15125);
        assert_eq!(plan.order(), "((A1(A2A3))((A4A5)A6))");
        let without_outer = Plan::from_order(&chain, " (A1(A2A3)) ((A4A5)A6) ").unwrap();
        assert_eq!(plan, without_outer);
    }

    #[test]
    fn single_matrix() {
        let chain = Chain::new(vec![3u32, 4]).unwrap();
        for plan in [
            Plan::left_to_right(&chain).unwrap(),
            Plan::right_to_left(&chain).unwrap(),
            Plan::from_order(&chain, "A1").unwrap(),
        ] {
            assert_eq!(plan.order(), "A1");
            assert_eq!(plan.cost(), 0);
            assert_eq!(plan.largest_intermediate(), 0);
            assert!(plan.steps().is_empty());
        }
    }

    #[test]
    fn fixed_orders() {
        let chain = Chain::new(vec![2u32, 3, 4, 5]).unwrap();
        let l = Plan::left_to_right(&chain).unwrap();
        assert_eq!(l.order(), "((A1A2)A3)");
        assert_eq!(l.cost(), 2 * 3 * 4 + 2 * 4 * 5);
        assert_eq!(l.largest_intermediate(), 8);
        let r = Plan::right_to_left(&chain).unwrap();
        assert_eq!(r.order(), "(A1(A2A3))");
        assert_eq!(r.largest_intermediate(), 15);
    }

    #[test]
    fn rejects_bad_orders() {
        let chain = textbook();
        for bad in [
            "((A1A2)A3)",
            "((A1(A3A2))((A4A5)A6))",
            "((A1(A2A3))((A4A5)A6)",
            "((A1(A2A3))((A4A5)A6)))",
            "((A1A2A3)((A4A5)A6))",
            "((A1(A2A3))((A4A5)A7))",
            "((A1(A2*A3))((A4A5)A6))",
            "",
        ] {
            assert!(Plan::from_order(&chain, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn builder_rejects_misuse() {
        let chain = textbook();
        let mut b = PlanBuilder::new(&chain);
        assert!(b.multiply(Operand::Matrix(0), Operand::Matrix(2)).is_err());
        let s = b.multiply(Operand::Matrix(0), Operand::Matrix(1)).unwrap();
        assert!(b.multiply(Operand::Matrix(1), Operand::Matrix(2)).is_err());
        b.multiply(s, Operand::Matrix(2)).unwrap();
        assert!(b.multiply(s, Operand::Matrix(3)).is_err());
        assert!(b.finish().is_err());
    }
}
