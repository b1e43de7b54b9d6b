//! How a program's plan prints (`Display`) and serializes.

use super::{ProgramPlan, ProgramStep, Scaled};
use serde::Serialize;
use std::fmt;

/// `2·lam·sigma2·I`, `−K·H`, `xbᵀ`: one term of a combination, sign included.
fn term_text(t: &Scaled, first: bool) -> String {
    let mut coef = t.coefficient;
    let sign = if coef < 0.0 {
        coef = -coef;
        if first {
            "-"
        } else {
            " - "
        }
    } else if first {
        ""
    } else {
        " + "
    };
    let mut parts = Vec::new();
    if coef != 1.0 {
        parts.push(format!("{coef}"));
    }
    for (n, e) in &t.scalars {
        parts.push(if *e == 1 {
            n.clone()
        } else {
            format!("{n}^{e}")
        });
    }
    parts.push(match &t.value {
        None => "I".to_string(),
        Some(v) if t.transposed => format!("{v}ᵀ"),
        Some(v) => v.clone(),
    });
    format!("{sign}{}", parts.join("·"))
}

impl ProgramStep {
    /// The step as a line: `_t1 = _t2 + R` (combination) or `K = Pb·Hᵀ·inv(_t1)` (product).
    pub fn text(&self) -> String {
        match self {
            ProgramStep::Chain { name, plan } => {
                format!("{name} = {}", plan.expression().normalized())
            }
            ProgramStep::Combine { name, terms, .. } => {
                let body: String = terms
                    .iter()
                    .enumerate()
                    .map(|(i, t)| term_text(t, i == 0))
                    .collect();
                format!("{name} = {body}")
            }
        }
    }
}

impl fmt::Display for ProgramPlan {
    /// The model and total, then each value in order with its cost and, for products, the
    /// kernel steps, then each output with the steps it needs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} plan, {} flops", self.model, self.cost())?;
        for (i, st) in self.steps.iter().enumerate() {
            let (r, c) = match st {
                ProgramStep::Chain { plan, .. } => (plan.rows(), plan.cols()),
                ProgramStep::Combine { rows, cols, .. } => (*rows, *cols),
            };
            writeln!(
                f,
                "  P{}  {}   {r}x{c}   {} flops",
                i + 1,
                st.text(),
                st.cost()
            )?;
            if let ProgramStep::Chain { plan, .. } = st {
                for (s, k) in plan.steps().iter().enumerate() {
                    writeln!(
                        f,
                        "        {}   {}   {}x{}   {} flops",
                        plan.step_text(s),
                        k.computes(),
                        k.rows(),
                        k.cols(),
                        k.cost()
                    )?;
                }
                writeln!(f, "        result: {}", plan.arg_name(&plan.result()))?;
            }
        }
        let outs: Vec<String> = self
            .outputs
            .iter()
            .map(|o| {
                let steps: Vec<String> = self
                    .steps_for(o)
                    .iter()
                    .map(|i| format!("P{}", i + 1))
                    .collect();
                format!("{o} ({})", steps.join(" "))
            })
            .collect();
        write!(f, "  outputs: {}", outs.join(", "))
    }
}

#[derive(Serialize)]
struct PlanOut<'a> {
    model: &'a str,
    program: &'a str,
    thirds: u128,
    flops: String,
    outputs: Vec<OutputOut<'a>>,
    steps: &'a [ProgramStep],
    operands: &'a [crate::generalized::Operand],
    scalars: &'a [super::ScalarDecl],
}

#[derive(Serialize)]
struct OutputOut<'a> {
    name: &'a str,
    steps: Vec<usize>,
}

impl Serialize for ProgramPlan {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        PlanOut {
            model: &self.model,
            program: &self.text,
            thirds: self.thirds,
            flops: self.cost().to_string(),
            outputs: self
                .outputs
                .iter()
                .map(|o| OutputOut {
                    name: o,
                    steps: self.steps_for(o),
                })
                .collect(),
            steps: &self.steps,
            operands: &self.operands,
            scalars: &self.scalars,
        }
        .serialize(s)
    }
}
