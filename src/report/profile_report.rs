//! The report of the `calibrate` command: what was measured, on what, and how well the
//! interpolated time model predicts shapes it did not see.

use crate::cost::time::{Profile, TimeModel};
use crate::table::{json_of, Cell, Report, Table};

/// A GEMM profile as a report: its JSON is the profile itself.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileReport {
    /// The profile.
    pub profile: Profile,
}

impl Report for ProfileReport {
    fn to_json(&self) -> serde_json::Result<String> {
        json_of(&self.profile)
    }

    fn tables(&self) -> Vec<Table> {
        let p = &self.profile;
        let mut machine = Table::new("Measured on", &["measure", "value"]);
        machine.push(vec!["BLAS".into(), p.machine.blas.as_str().into()]);
        machine.push(vec!["threads".into(), Cell::Int(p.machine.threads as u128)]);
        machine.push(vec!["CPU".into(), p.machine.cpu.as_str().into()]);
        machine.push(vec![
            "grid (each of m, k, n)".into(),
            Cell::Text(
                p.grid
                    .iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
        ]);
        let mut tables = vec![machine];
        let big = p.grid.last().copied().unwrap_or(1);
        let thin = p.grid.get(1).copied().unwrap_or(1);
        let small = p
            .grid
            .iter()
            .copied()
            .filter(|&g| g <= 8)
            .max()
            .unwrap_or(1);
        let shapes = [
            ("square", big, big, big),
            ("skinny inner dimension", big, thin, big),
            ("matrix · vector", big, big, 1),
            ("vector · matrix", 1, big, big),
            ("outer product", big, 1, big),
            ("small square", small, small, small),
        ];
        for d in &p.dtypes {
            let mut t = Table::new(
                format!(
                    "Products through the executor, {} (selected shapes)",
                    d.dtype
                ),
                &["shape", "m × k × n", "time (fastest)", "GFLOP/s"],
            );
            for (name, m, k, n) in shapes {
                if let Some(x) = d.grid_timings.iter().find(|x| (x.m, x.k, x.n) == (m, k, n)) {
                    t.push(vec![
                        name.into(),
                        Cell::Text(format!("{m} × {k} × {n}")),
                        Cell::Seconds(x.seconds),
                        Cell::Float(x.gflops()),
                    ]);
                }
            }
            tables.push(t);
        }
        let mut check = Table::new(
            "Time model on random off-grid shapes (|predicted / measured − 1|)",
            &[
                "dtype",
                "shapes",
                "median error",
                "75th percentile",
                "worst error",
                "worst shape",
                "--cost time switches at",
            ],
        );
        for d in &p.dtypes {
            if let Some(e) = d.validation_errors() {
                let s = e.worst_shape;
                let min_gain =
                    TimeModel::new(&p.grid, d).map_or(f64::NAN, |m| m.default_min_gain());
                check.push(vec![
                    d.dtype.name().into(),
                    Cell::Int(e.shapes as u128),
                    Cell::Text(format!("{:.1}%", e.median * 100.0)),
                    Cell::Text(format!("{:.1}%", e.q75 * 100.0)),
                    Cell::Text(format!("{:.1}%", e.worst * 100.0)),
                    Cell::Text(format!("{} × {} × {}", s.m, s.k, s.n)),
                    Cell::Text(format!("a predicted gain of {min_gain:.2}x")),
                ]);
            }
        }
        tables.push(check);
        tables
    }
}
