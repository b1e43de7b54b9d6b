//! The report of a generalized chain: the planned steps with their kernels and flops, the
//! naive and expert costs beside it, and optionally measured times.

use super::cost::{flops_f64, flops_text, CostModel};
use super::execute::{random_operands, relative_difference, time_interleaved, Backend};
use super::expr::Expression;
use super::operand::Operand;
use super::planner::plan;
use super::steps::{GenPlan, Value};
use super::GenError;
use crate::table::{json_of, Cell, Report, Table};
use crate::text::ratio_of;
use rand::SeedableRng;
use serde::Serialize;

/// One step, for reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepRow {
    /// `S2 = potrs(S1, X)`.
    pub call: String,
    /// The kernel's name.
    pub kernel: String,
    /// What the result holds: `inv(M)·X`, `chol(M)`.
    pub computes: String,
    /// Result rows.
    pub rows: usize,
    /// Result columns.
    pub cols: usize,
    /// Exact cost in ⅓-flop units.
    pub thirds: u128,
    /// The cost in flops, exact (`41,666,666⅔`).
    pub flops: String,
    /// The step forms an explicit inverse.
    pub explicit_inverse: bool,
}

/// One evaluation strategy's totals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Strategy {
    /// `planned`, `expert` or `naive`.
    pub name: String,
    /// Its order.
    pub order: String,
    /// Exact cost, ⅓-flop units.
    pub thirds: u128,
    /// The cost in flops, exact.
    pub flops: String,
    /// Cost divided by the planned cost.
    pub ratio: f64,
    /// Explicit inverses it forms.
    pub explicit_inverses: usize,
    /// Median measured seconds (with `--bench`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seconds: Option<f64>,
    /// Median time divided by the planned median time (with `--bench`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_ratio: Option<f64>,
}

/// How a benchmark was run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BenchInfo {
    /// Interleaved rounds after a warm-up.
    pub reps: usize,
    /// Seed of the random operands.
    pub seed: u64,
    /// The BLAS as it names itself.
    pub blas: String,
    /// Its threads.
    pub threads: usize,
    /// The CPU model.
    pub cpu: Option<String>,
    /// Largest |planned − naive| entry over the largest |naive| entry.
    pub max_rel_diff: f64,
}

/// The report of `chainplan expr`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExprReport {
    /// The expression as given.
    pub expression: String,
    /// After normalisation (transposes at the operands, inverses distributed).
    pub normalized: String,
    /// The declared operands.
    pub operands: Vec<Operand>,
    /// Rows of the value.
    pub rows: usize,
    /// Columns of the value.
    pub cols: usize,
    /// The planned steps.
    pub steps: Vec<StepRow>,
    /// Planned, expert and naive totals (planned first).
    pub strategies: Vec<Strategy>,
    /// Naive cost over planned cost.
    pub naive_ratio: f64,
    /// The plan forms an explicit inverse (nothing else produces the value).
    pub explicit_inverse: bool,
    /// The plan is exactly optimal (false only above 10 factorable inverted operands, or
    /// when the SPD middles of Bᵀ·M·B would take the count above that).
    pub exact: bool,
    /// The planned plan as data (serialized without its expression and operands, which the
    /// report holds above).
    #[serde(serialize_with = "plan_body")]
    pub plan: GenPlan,
    /// Measurement settings (with `--bench`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bench: Option<BenchInfo>,
}

fn plan_body<S: serde::Serializer>(p: &GenPlan, s: S) -> Result<S::Ok, S::Error> {
    p.body().serialize(s)
}

/// The three plans of an expression: planned, expert and naive.
pub fn three_plans(expr: &Expression) -> Result<[GenPlan; 3], GenError> {
    Ok([
        plan(expr, &CostModel::planned())?,
        plan(expr, &CostModel::expert())?,
        plan(expr, &CostModel::naive())?,
    ])
}

fn step_rows(p: &GenPlan) -> Vec<StepRow> {
    p.steps
        .iter()
        .enumerate()
        .map(|(i, s)| StepRow {
            call: p.step_text(i),
            kernel: s.kernel.name().to_string(),
            computes: s.value.clone(),
            rows: s.rows,
            cols: s.cols,
            thirds: s.thirds,
            flops: flops_text(s.thirds),
            explicit_inverse: s.explicit_inverse,
        })
        .collect()
}

impl ExprReport {
    /// Plans `expr` three ways and reports.
    pub fn new(expr: &Expression) -> Result<Self, GenError> {
        let plans = three_plans(expr)?;
        let base = flops_f64(plans[0].thirds);
        let strategies = plans
            .iter()
            .map(|p| Strategy {
                name: p.model.to_string(),
                order: p.order.clone(),
                thirds: p.thirds,
                flops: flops_text(p.thirds),
                ratio: ratio_of(flops_f64(p.thirds), base),
                explicit_inverses: p.steps.iter().filter(|s| s.explicit_inverse).count(),
                seconds: None,
                time_ratio: None,
            })
            .collect::<Vec<_>>();
        let [planned, ..] = plans;
        Ok(ExprReport {
            expression: expr.text.clone(),
            normalized: expr.normalized(),
            operands: expr.operands.clone(),
            rows: planned.rows,
            cols: planned.cols,
            steps: step_rows(&planned),
            naive_ratio: strategies[2].ratio,
            strategies,
            explicit_inverse: planned.has_explicit_inverse(),
            exact: planned.exact,
            plan: planned,
            bench: None,
        })
    }

    /// Times the planned, expert and naive evaluations on random operands with the declared
    /// properties (seeded), `reps` interleaved rounds after a warm-up, and records the
    /// medians beside the flop ratios.
    pub fn with_bench(
        mut self,
        expr: &Expression,
        reps: usize,
        seed: u64,
    ) -> Result<Self, GenError> {
        let plans = three_plans(expr)?;
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let ops = random_operands(expr, &mut rng)?;
        let refs: Vec<&GenPlan> = plans.iter().collect();
        let backend = Backend::preferred().ok_or(GenError::NoBackend)?;
        let (medians, results) = time_interleaved(backend, &refs, &ops, reps)?;
        let max_rel_diff = relative_difference(&results[0], &results[2]);
        for (s, t) in self.strategies.iter_mut().zip(&medians) {
            s.seconds = Some(*t);
            s.time_ratio = Some(ratio_of(*t, medians[0]));
        }
        self.bench = Some(BenchInfo {
            reps,
            seed,
            blas: match backend {
                Backend::Lapack => crate::system::blas_name(),
                _ => format!("{} (pure Rust)", backend.name()),
            },
            threads: crate::system::blas_threads(),
            cpu: crate::system::cpu_model(),
            max_rel_diff,
        });
        Ok(self)
    }
}

impl Report for ExprReport {
    fn to_json(&self) -> serde_json::Result<String> {
        json_of(self)
    }

    fn tables(&self) -> Vec<Table> {
        let mut steps = Table::new(
            format!(
                "Plan for {} ({}x{}), {} flops",
                self.normalized,
                self.rows,
                self.cols,
                flops_text(self.plan.thirds)
            ),
            &["step", "computes", "shape", "flops", "note"],
        );
        for s in &self.steps {
            steps.push(vec![
                Cell::Text(s.call.clone()),
                Cell::Text(s.computes.clone()),
                Cell::Text(format!("{}x{}", s.rows, s.cols)),
                Cell::Text(flops_text(s.thirds)),
                Cell::Text(if s.explicit_inverse {
                    "explicit inverse: nothing cheaper produces this value".into()
                } else {
                    String::new()
                }),
            ]);
        }
        if let Value::Operand(_) = self.plan.result.value {
            steps.push(vec![
                Cell::Text("(no step: the value is an operand)".into()),
                Cell::Text(self.normalized.clone()),
                Cell::Text(format!("{}x{}", self.rows, self.cols)),
                Cell::Text("0".into()),
                Cell::Text(String::new()),
            ]);
        }
        let bench = self.bench.is_some();
        let mut headers = vec![
            "strategy",
            "order",
            "flops",
            "flop ratio",
            "explicit inverses",
        ];
        if bench {
            headers.extend(["median time", "time ratio"]);
        }
        let mut cmp = Table::new(
            "Planned against the expert's hand form (solves, left to right) and the naive form (explicit inverses, left to right); inv! marks an explicit inverse",
            &headers,
        );
        for s in &self.strategies {
            let mut row = vec![
                Cell::Text(s.name.clone()),
                Cell::Text(s.order.clone()),
                Cell::Text(s.flops.clone()),
                Cell::Ratio(s.ratio),
                Cell::Int(s.explicit_inverses as u128),
            ];
            if bench {
                row.push(s.seconds.map_or(Cell::Empty, Cell::Seconds));
                row.push(s.time_ratio.map_or(Cell::Empty, Cell::Ratio));
            }
            cmp.push(row);
        }
        let mut tables = vec![steps, cmp];
        if let Some(b) = &self.bench {
            let mut t = Table::new("Benchmark", &["setting", "value"]);
            t.push(vec!["BLAS".into(), Cell::Text(b.blas.clone())]);
            t.push(vec!["threads".into(), Cell::Int(b.threads as u128)]);
            t.push(vec![
                "CPU".into(),
                Cell::Text(b.cpu.clone().unwrap_or_else(|| "unknown".into())),
            ]);
            t.push(vec![
                "rounds (interleaved, median)".into(),
                Cell::Int(b.reps as u128),
            ]);
            t.push(vec!["operand seed".into(), Cell::Int(b.seed as u128)]);
            t.push(vec![
                "max |planned − naive| / max |naive|".into(),
                Cell::Float(b.max_rel_diff),
            ]);
            tables.push(t);
        }
        tables
    }
}
