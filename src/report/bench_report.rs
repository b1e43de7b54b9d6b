//! The tables and JSON of `chainplan bench`, built from the [`BenchReport`] that the benchmark
//! loop ([`crate::exec::bench::run_bench`]) returns: execution measures, this module formats.

use crate::chain::Chain;
use crate::error::Result;
use crate::exec::bench::BenchReport;
use crate::plan::Plan;
use crate::table::{json_of, Cell, Report, Table};

impl BenchReport {
    /// Adds each order's predicted time from a GEMM profile's model, so that the prediction
    /// can be checked against the measurement of the same run.
    pub fn predict(&mut self, model: &crate::cost::TimeModel) -> Result<()> {
        let chain = Chain::from_u32s(self.dims.clone())?;
        for r in &mut self.results {
            r.predicted_s = Some(model.plan_seconds(&Plan::from_order(&chain, &r.order)?));
        }
        Ok(())
    }
}

impl Report for BenchReport {
    fn to_json(&self) -> serde_json::Result<String> {
        json_of(self)
    }

    fn tables(&self) -> Vec<Table> {
        let mut orders = Table::new(
            format!(
                "Orders of {} matrices ({}; median and min of {} runs after {} warm-up)",
                self.dims.len().saturating_sub(1),
                self.dtype,
                self.reps,
                self.warmup
            ),
            &[
                "order",
                "parenthesization",
                "scalar mults",
                "predicted",
                "median",
                "min",
                "GFLOP/s",
                "measured",
            ],
        );
        let profiled = self.results.iter().any(|r| r.predicted_s.is_some());
        if profiled {
            orders.headers.push("profile predicts".to_string());
        }
        for r in &self.results {
            orders.push(vec![
                Cell::Text(r.name.replace('_', "-")),
                Cell::Text(r.order.clone()),
                Cell::Int(r.cost),
                Cell::Ratio(r.predicted_ratio),
                Cell::Seconds(r.median_s),
                Cell::Seconds(r.min_s),
                Cell::Float(r.gflops),
                Cell::Ratio(r.measured_ratio),
            ]);
            if profiled {
                let row = orders.rows.last_mut().expect("just pushed");
                row.push(r.predicted_s.map_or(Cell::Empty, Cell::Seconds));
            }
        }
        let mut check = Table::new("Agreement of the products", &["measure", "value"]);
        check.push(vec![
            "max relative difference (Frobenius)".into(),
            Cell::Float(self.max_rel_diff),
        ]);
        check.push(vec!["tolerance".into(), Cell::Float(self.tolerance)]);
        vec![orders, check]
    }
}
