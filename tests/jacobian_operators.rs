//! Matrix-free plans run on operators: every plan of random chains of linear elementals gives
//! the dense product of their matrices (the oracle, multiplied here naively), tapes are
//! recorded within the memory limit and all released, and operators that do not fit are
//! typed errors naming them.

use chainplan::error::JacobianError;
use chainplan::jacobian::{
    FnOperator, JacobianOperator, MatrixFreeChain, MatrixOperator, OperatorProblem, Seed,
};
use chainplan::Error;
use ndarray::{Array2, ArrayView2};
use proptest::prelude::*;
use std::cell::Cell;
use std::rc::Rc;

/// The naive product A_L ⋯ A_1 (the matrices in evaluation order), by triple loops.
fn dense_product(mats: &[Array2<f64>]) -> Array2<f64> {
    let mut acc = mats[0].clone();
    for a in &mats[1..] {
        let (m, k, n) = (a.nrows(), a.ncols(), acc.ncols());
        acc = Array2::from_shape_fn((m, n), |(i, j)| {
            (0..k).map(|l| a[[i, l]] * acc[[l, j]]).sum()
        });
    }
    acc
}

fn max_abs_diff(a: &Array2<f64>, b: &Array2<f64>) -> f64 {
    assert_eq!(a.dim(), b.dim());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

/// Tapes alive now and at most, shared by the operators of one chain.
#[derive(Default)]
struct Tapes {
    live: Cell<u64>,
    peak: Cell<u64>,
}

/// A linear elemental x ↦ A·x known only through closures, whose tape is counted.
struct Linear {
    a: Array2<f64>,
    costs: (u64, u64),
    tape: u64,
    tapes: Rc<Tapes>,
    recorded: bool,
}

impl JacobianOperator for Linear {
    fn inputs(&self) -> usize {
        self.a.ncols()
    }
    fn outputs(&self) -> usize {
        self.a.nrows()
    }
    fn tangent(&mut self, x_dot: ArrayView2<'_, f64>) -> Array2<f64> {
        self.a.dot(&x_dot)
    }
    fn adjoint(&mut self, y_bar: ArrayView2<'_, f64>) -> Array2<f64> {
        assert!(self.recorded, "adjoint without a recorded tape");
        y_bar.dot(&self.a)
    }
    fn tangent_cost(&self) -> u64 {
        self.costs.0
    }
    fn adjoint_cost(&self) -> u64 {
        self.costs.1
    }
    fn tape_size(&self) -> u64 {
        self.tape
    }
    fn record(&mut self) {
        assert!(!self.recorded);
        self.recorded = true;
        let live = self.tapes.live.get() + self.tape;
        self.tapes.live.set(live);
        self.tapes.peak.set(self.tapes.peak.get().max(live));
    }
    fn release(&mut self) {
        assert!(self.recorded);
        self.recorded = false;
        self.tapes.live.set(self.tapes.live.get() - self.tape);
    }
}

#[derive(Debug, Clone)]
struct Case {
    widths: Vec<usize>,
    costs: Vec<(u64, u64, u64)>,
    memory: Option<u64>,
    seed: u64,
}

fn case_strategy() -> impl Strategy<Value = Case> {
    (1usize..6)
        .prop_flat_map(|l| {
            (
                prop::collection::vec(1usize..7, l + 1),
                prop::collection::vec((1u64..60, 1u64..4, 1u64..10), l),
                prop::option::of(0u64..25),
                any::<u64>(),
            )
        })
        .prop_map(|(widths, costs, memory, seed)| {
            let costs = costs.into_iter().map(|(t, r, e)| (t, t * r, e)).collect();
            Case {
                widths,
                costs,
                memory,
                seed,
            }
        })
}

fn matrices(widths: &[usize], seed: u64) -> Vec<Array2<f64>> {
    let mut state = seed | 1;
    let mut next = move || {
        // xorshift64*: a small deterministic generator for the entries.
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        (state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    };
    widths
        .windows(2)
        .map(|w| Array2::from_shape_fn((w[1], w[0]), |_| next()))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn every_plan_gives_the_dense_jacobian(case in case_strategy()) {
        let mats = matrices(&case.widths, case.seed);
        let tapes = Rc::new(Tapes::default());
        let mut ops: Vec<Linear> = mats
            .iter()
            .zip(&case.costs)
            .map(|(a, &(t, ad, e))| Linear {
                a: a.clone(),
                costs: (t, ad),
                tape: e,
                tapes: Rc::clone(&tapes),
                recorded: false,
            })
            .collect();
        let mut chain = MatrixFreeChain::from_operators(&ops).unwrap();
        let smallest = case.costs.iter().map(|c| c.2).min().unwrap();
        if let Some(m) = case.memory {
            chain = chain.with_memory_limit(m.max(smallest)).unwrap();
        }
        let expected = dense_product(&mats);
        let scale = expected.iter().fold(1.0f64, |m, v| m.max(v.abs()));
        let inner: usize = case.widths.iter().sum();
        let tol = 4.0 * f64::EPSILON * inner as f64 * scale;
        let mut plans = vec![chain.optimal().unwrap(), chain.tangent_plan().unwrap()];
        plans.extend(chain.adjoint_plan().unwrap());
        for plan in plans {
            let j = chain.execute(&plan, &mut ops).unwrap();
            prop_assert!(max_abs_diff(&j, &expected) <= tol, "{}", chain.plan_string(&plan));
            prop_assert_eq!(tapes.live.get(), 0, "every tape released");
            if let Some(m) = chain.memory() {
                prop_assert!(tapes.peak.get() <= m, "peak {} over {}", tapes.peak.get(), m);
            }
        }
    }
}

#[test]
fn seeds_are_given_matrices_and_must_be_explicit() {
    // The gradient of a scalar s·F(x), F linear: a 1 × 3 seed after F1 (3 × 4).
    let a = Array2::from_shape_fn((3, 4), |(i, j)| (i + 2 * j) as f64 - 3.0);
    let s = Array2::from_shape_fn((1, 3), |(_, j)| j as f64 + 1.0);
    let chain = MatrixFreeChain::new(&[4, 3], &[12], &[24])
        .unwrap()
        .with_seed(Seed::Output(1))
        .unwrap();
    let closure = |a: Array2<f64>| {
        let b = a.clone();
        FnOperator::new(
            a.ncols(),
            a.nrows(),
            move |x: ArrayView2<f64>| a.dot(&x),
            move |y: ArrayView2<f64>| y.dot(&b),
        )
    };
    let mut ops: Vec<Box<dyn JacobianOperator>> = vec![
        Box::new(closure(a.clone())),
        Box::new(MatrixOperator::new(s.clone())),
    ];
    let plan = chain.optimal().unwrap();
    assert_eq!(chain.plan_string(&plan), "S·adj[F1]");
    let g = chain.execute(&plan, &mut ops).unwrap();
    assert_eq!(g, s.dot(&a));
    // The seed as closures has no explicit Jacobian: refused, naming it.
    ops[1] = Box::new(closure(s));
    let e = chain.execute(&plan, &mut ops).unwrap_err();
    assert!(
        matches!(&e, Error::Jacobian(JacobianError::Operator { index: 2, name, problem: OperatorProblem::NoJacobian }) if name == "S"),
        "{e}"
    );
}

#[test]
fn operators_that_do_not_fit_are_named() {
    let a = Array2::<f64>::ones((3, 2));
    let b = Array2::<f64>::ones((4, 3));
    let mut ops = vec![
        MatrixOperator::new(a.clone()),
        MatrixOperator::new(b.clone()),
    ];
    let chain = MatrixFreeChain::from_operators(&ops).unwrap();
    let plan = chain.optimal().unwrap();
    // Evaluation order reversed: B does not take A's outputs.
    let e = MatrixFreeChain::from_operators(&[b.clone(), a.clone()].map(MatrixOperator::new))
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::Jacobian(JacobianError::Operator {
                index: 2,
                problem: OperatorProblem::Joint {
                    inputs: 2,
                    previous_outputs: 4
                },
                ..
            })
        ),
        "{e}"
    );
    // Too few operators, and one of the wrong widths.
    assert!(matches!(
        chain.execute(&plan, &mut ops[..1]),
        Err(Error::Jacobian(JacobianError::OperatorCount {
            expected: 2,
            got: 1
        }))
    ));
    ops[1] = MatrixOperator::new(Array2::ones((4, 2)));
    let e = chain.execute(&plan, &mut ops).unwrap_err();
    assert!(
        matches!(&e, Error::Jacobian(JacobianError::Operator { index: 2, name, problem: OperatorProblem::Widths { .. } }) if name == "F2"),
        "{e}"
    );
    // A tangent that returns the wrong shape.
    let mut liar = vec![FnOperator::new(
        2,
        3,
        |x: ArrayView2<f64>| Array2::zeros((2, x.ncols())),
        |y: ArrayView2<f64>| Array2::zeros((y.nrows(), 2)),
    )
    .with_costs(1, 100)];
    let one = MatrixFreeChain::from_operators(&liar).unwrap();
    let e = one.execute(&one.optimal().unwrap(), &mut liar).unwrap_err();
    assert_eq!(
        e.to_string(),
        "operator 1 (F1) returned a tangent of 2 x 2 where 3 x 2 was expected"
    );
    // A plan of another chain.
    let other = MatrixFreeChain::new(&[2, 3, 4, 5], &[1, 1, 1], &[1, 1, 1]).unwrap();
    let e = chain
        .execute(
            &other.optimal().unwrap(),
            &mut [a, b].map(MatrixOperator::new),
        )
        .unwrap_err();
    assert!(
        matches!(e, Error::Jacobian(JacobianError::BadMatrixFreePlan { .. })),
        "{e}"
    );
}
