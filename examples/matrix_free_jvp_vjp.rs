//! Journey 4: run a matrix-free chain of your own operators.
//!
//! A small network y = W3 · tanh(W2 · tanh(W1 · x)), x in R^5, y in R^3, is given to chainplan
//! only as JVP and VJP programs of its five elemental functions: closures for the linear
//! layers, and a hand-written operator for tanh whose adjoint replays a tape (its slopes)
//! recorded on demand. chainplan plans the cheapest accumulation of the 3 × 5 Jacobian, with
//! and without a tape memory limit, runs it, and the result is checked against the dense
//! Jacobian W3 · diag(s2) · W2 · diag(s1) · W1 to 1e-10 (and against central finite
//! differences, to check the closures themselves).
//!
//! ```sh
//! cargo run --example matrix_free_jvp_vjp
//! ```
//!
//! `cargo test --example matrix_free_jvp_vjp` runs the same checks as a test.

use chainplan::jacobian::{FnOperator, JacobianOperator, MatrixFreeChain, MfNode};
use ndarray::{Array1, Array2, ArrayView2, Axis};

/// The weights, the point x0, and the pre-activations there.
struct Network {
    w: [Array2<f64>; 3],
    x0: Array1<f64>,
}

impl Network {
    fn new() -> Self {
        let w = |m: usize, n: usize, s: usize| {
            Array2::from_shape_fn((m, n), |(i, j)| {
                ((i * 5 + j * 3 + s) % 9) as f64 / 8.0 - 0.5
            })
        };
        Network {
            w: [w(8, 5, 1), w(6, 8, 2), w(3, 6, 3)],
            x0: Array1::from_vec(vec![0.3, -0.7, 1.1, 0.05, -0.4]),
        }
    }

    /// y at x, and the pre-activations z1 = W1·x, z2 = W2·tanh(z1).
    fn eval(&self, x: &Array1<f64>) -> (Array1<f64>, Array1<f64>, Array1<f64>) {
        let z1 = self.w[0].dot(x);
        let z2 = self.w[1].dot(&z1.mapv(f64::tanh));
        let y = self.w[2].dot(&z2.mapv(f64::tanh));
        (y, z1, z2)
    }
}

/// tanh at the point z, elementwise. Its tangent computes the slopes as it goes; its adjoint
/// replays them from a tape that `record` fills and `release` frees.
struct Tanh {
    z: Array1<f64>,
    tape: Option<Array1<f64>>,
}

impl Tanh {
    fn slopes(&self) -> Array1<f64> {
        self.z.mapv(|v| 1.0 - v.tanh().powi(2))
    }
}

impl JacobianOperator for Tanh {
    fn inputs(&self) -> usize {
        self.z.len()
    }
    fn outputs(&self) -> usize {
        self.z.len()
    }
    fn tangent(&mut self, x_dot: ArrayView2<'_, f64>) -> Array2<f64> {
        &x_dot * &self.slopes().insert_axis(Axis(1))
    }
    fn adjoint(&mut self, y_bar: ArrayView2<'_, f64>) -> Array2<f64> {
        let tape = self
            .tape
            .as_ref()
            .expect("chainplan records before adjoints");
        &y_bar * tape
    }
    fn tangent_cost(&self) -> u64 {
        self.z.len() as u64
    }
    fn adjoint_cost(&self) -> u64 {
        self.z.len() as u64
    }
    fn tape_size(&self) -> u64 {
        self.z.len() as u64
    }
    fn record(&mut self) {
        self.tape = Some(self.slopes());
    }
    fn release(&mut self) {
        self.tape = None;
    }
}

/// A linear layer x ↦ W·x as JVP and VJP closures: Ẋ ↦ W·Ẋ and Ȳ ↦ Ȳ·W.
fn linear(w: &Array2<f64>) -> Box<dyn JacobianOperator + '_> {
    Box::new(FnOperator::new(
        w.ncols(),
        w.nrows(),
        move |xd: ArrayView2<f64>| w.dot(&xd),
        move |yb: ArrayView2<f64>| yb.dot(w),
    ))
}

/// The five elementals as operators, in evaluation order: W1, tanh, W2, tanh, W3.
fn operators(net: &Network) -> Vec<Box<dyn JacobianOperator + '_>> {
    let (_, z1, z2) = net.eval(&net.x0);
    vec![
        linear(&net.w[0]),
        Box::new(Tanh { z: z1, tape: None }),
        linear(&net.w[1]),
        Box::new(Tanh { z: z2, tape: None }),
        linear(&net.w[2]),
    ]
}

/// The dense Jacobian W3 · diag(s2) · W2 · diag(s1) · W1, formed explicitly.
fn dense_jacobian(net: &Network) -> Array2<f64> {
    let (_, z1, z2) = net.eval(&net.x0);
    let s = |z: &Array1<f64>| Array2::from_diag(&z.mapv(|v| 1.0 - v.tanh().powi(2)));
    net.w[2]
        .dot(&s(&z2))
        .dot(&net.w[1])
        .dot(&s(&z1))
        .dot(&net.w[0])
}

/// Central finite differences of y at x0, column by column.
fn finite_differences(net: &Network, h: f64) -> Array2<f64> {
    let mut j = Array2::zeros((3, 5));
    for c in 0..5 {
        let (mut up, mut down) = (net.x0.clone(), net.x0.clone());
        up[c] += h;
        down[c] -= h;
        let d = (net.eval(&up).0 - net.eval(&down).0) / (2.0 * h);
        j.column_mut(c).assign(&d);
    }
    j
}

fn max_abs_diff(a: &Array2<f64>, b: &Array2<f64>) -> f64 {
    (a - b).iter().fold(0.0, |m, d| m.max(d.abs()))
}

/// Plans and runs the chain with no memory limit and with a limit of `limit`, in the optimal
/// order and in the two pure modes; returns (plan, cost, largest difference from the dense
/// Jacobian) for each.
fn run_all(net: &Network, limit: u64) -> Result<Vec<(String, u128, f64)>, chainplan::Error> {
    let dense = dense_jacobian(net);
    let mut ops = operators(net);
    let free = MatrixFreeChain::from_operators(&ops)?;
    let capped = free.clone().with_memory_limit(limit)?;
    let mut out = Vec::new();
    for (label, chain) in [("no limit", &free), ("memory limit", &capped)] {
        let mut plans: Vec<(&str, MfNode)> = vec![
            ("optimal", chain.optimal()?),
            ("tangent mode", chain.tangent_plan()?),
        ];
        if let Some(adjoint) = chain.adjoint_plan()? {
            plans.push(("adjoint mode", adjoint));
        }
        for (name, plan) in plans {
            let j = chain.execute(&plan, &mut ops)?;
            out.push((
                format!("{label}, {name}: {}", chain.plan_string(&plan)),
                plan.total(),
                max_abs_diff(&j, &dense),
            ));
        }
    }
    Ok(out)
}

fn main() -> Result<(), chainplan::Error> {
    let net = Network::new();
    let fd = max_abs_diff(&finite_differences(&net, 1e-5), &dense_jacobian(&net));
    println!("dense Jacobian vs central finite differences: {fd:.1e}");
    for (plan, cost, err) in run_all(&net, 6)? {
        println!("{cost:>5} mult-adds, max |J - dense| {err:.1e}   {plan}");
    }
    Ok(())
}

#[test]
fn matrix_free_jacobian_matches_the_dense_one() {
    let net = Network::new();
    // The oracle is right: finite differences agree to O(h²) (h = 1e-5).
    assert!(max_abs_diff(&finite_differences(&net, 1e-5), &dense_jacobian(&net)) < 1e-8);
    let runs = run_all(&net, 6).unwrap();
    // Both limits, the optimum and tangent mode always; adjoint mode only without the
    // limit (its whole tape, 8 + 6, exceeds 6; the first tanh alone, 8, does too).
    assert_eq!(runs.len(), 5);
    for (plan, _, err) in &runs {
        assert!(*err <= 1e-10, "{plan}: {err}");
    }
    let cost = |prefix: &str| runs.iter().find(|r| r.0.starts_with(prefix)).unwrap().1;
    assert!(cost("no limit, optimal") <= cost("no limit, tangent mode"));
    assert!(cost("no limit, optimal") <= cost("no limit, adjoint mode"));
    assert!(cost("no limit, optimal") <= cost("memory limit, optimal"));
}
