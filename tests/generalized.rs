//! Generalized chains: the DP against brute force, executed plans against the naive oracle,
//! inferred properties checked numerically, and planned ≤ baselines as properties.

#[path = "common/gls.rs"]
mod gls;

use chainplan::generalized::brute::brute_cost;
use chainplan::generalized::execute::{oracle, random_operands};
use chainplan::generalized::expr::{infer, Base, FactorChain};
use chainplan::generalized::random::{random_expression, ChainSpec};
use chainplan::generalized::{plan, Backend, CostModel, Expression, GenError, Kernel, Operand};
use ndarray::{Array2, ArrayView2};
use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::SeedableRng;

fn ops(specs: &[&str]) -> Vec<Operand> {
    specs.iter().map(|s| Operand::parse(s).unwrap()).collect()
}

fn kernels(expr: &str, specs: &[&str]) -> Vec<Kernel> {
    let e = Expression::parse(expr, &ops(specs)).unwrap();
    plan(&e, &CostModel::planned())
        .unwrap()
        .steps()
        .iter()
        .map(|s| s.kernel())
        .collect()
}

fn models() -> [CostModel; 3] {
    [
        CostModel::planned(),
        CostModel::expert(),
        CostModel::naive(),
    ]
}

/// The DP's cost equals the brute force's on every generated small chain, for every model,
/// and the emitted steps add up to it.
#[test]
fn dp_equals_brute_force_on_small_chains() {
    let mut rng = StdRng::seed_from_u64(16);
    let mut checked = 0;
    let mut longest = 0;
    for _ in 0..400 {
        let e = random_expression(&ChainSpec::small(6, 9), &mut rng).unwrap();
        for m in models() {
            let p = plan(&e, &m).unwrap();
            let sum: u128 = p.steps().iter().map(|s| s.cost().thirds()).sum();
            assert_eq!(
                sum,
                p.cost().thirds(),
                "{}: steps vs total under {}",
                e.text,
                m.name
            );
            if let Some(b) = brute_cost(&e, &m).unwrap() {
                assert_eq!(
                    p.cost().thirds(),
                    b,
                    "{} under {}: DP vs brute force",
                    e.text,
                    m.name
                );
                checked += 1;
                longest = longest.max(e.chain.factors.len());
            }
        }
    }
    assert!(checked > 900, "only {checked} comparisons");
    assert!(longest >= 6);
}

/// Seven and eight factors, fewer chains (the brute force grows fast).
#[test]
fn dp_equals_brute_force_up_to_eight_factors() {
    let mut rng = StdRng::seed_from_u64(8);
    for _ in 0..12 {
        let mut spec = ChainSpec::small(8, 6);
        spec.min_factors = 7;
        spec.p_group = 0.0;
        spec.p_gram = 0.0;
        let e = random_expression(&spec, &mut rng).unwrap();
        let m = CostModel::planned();
        let p = plan(&e, &m).unwrap();
        assert_eq!(
            Some(p.cost().thirds()),
            brute_cost(&e, &m).unwrap(),
            "{}",
            e.text
        );
    }
}

/// How a planned evaluation used the symmetric-product rule: syrk of a computed B (Bᵀ·B with
/// B not an operand), trsm/trsv with a Cholesky factor (Bᵀ·M⁻¹·B) and trmm with one (Bᵀ·M·B).
fn rule_uses(p: &chainplan::generalized::GenPlan) -> (usize, usize, usize) {
    use chainplan::generalized::Value;
    let is_potrf = |v: Value| matches!(v, Value::Step(s) if p.steps()[s].kernel() == Kernel::Potrf);
    let computed_syrk = p
        .steps()
        .iter()
        .filter(|s| s.kernel() == Kernel::Syrk && matches!(s.args()[0].value(), Value::Step(_)))
        .count();
    let chol_trsm = p
        .steps()
        .iter()
        .filter(|s| {
            matches!(s.kernel(), Kernel::Trsm | Kernel::Trsv)
                && s.args()[0].transposed()
                && is_potrf(s.args()[0].value())
        })
        .count();
    let chol_trmm = p
        .steps()
        .iter()
        .filter(|s| s.kernel() == Kernel::Trmm && is_potrf(s.args()[0].value()))
        .count();
    (computed_syrk, chol_trsm, chol_trmm)
}

/// Chains full of symmetric products Bᵀ·B and Bᵀ·M·B (B of 1–3 factors, M inverted or not,
/// SPD or not): the DP equals the brute force under every model, every plan executes to the
/// oracle's numbers, and the planned evaluations do use the rule (both kinds).
#[test]
fn symmetric_products_dp_equals_brute_force_and_execute() {
    let mut rng = StdRng::seed_from_u64(1606);
    let (mut compared, mut syrk_of_computed, mut chol_trsm, mut chol_trmm) = (0, 0, 0, 0);
    for seed in 0..250 {
        let mut spec = ChainSpec::small(3, 9);
        spec.p_gram = 0.6;
        spec.p_group = 0.05;
        let e = random_expression(&spec, &mut rng).unwrap();
        for m in models() {
            let p = plan(&e, &m).unwrap();
            if let Some(b) = brute_cost(&e, &m).unwrap() {
                assert_eq!(
                    p.cost().thirds(),
                    b,
                    "{} under {}: DP vs brute force",
                    e.text,
                    m.name
                );
                compared += 1;
            }
            let (s, t, u) = rule_uses(&p);
            if m.name == "planned" {
                syrk_of_computed += (s > 0) as usize;
                chol_trsm += (t > 0) as usize;
                chol_trmm += (u > 0) as usize;
            } else {
                assert_eq!(
                    (s, t, u),
                    (0, 0, 0),
                    "{}: the rule is the planner's only",
                    e.text
                );
            }
        }
        agree(&e, seed);
    }
    assert!(compared > 500, "only {compared} comparisons");
    assert!(
        syrk_of_computed > 20,
        "syrk of a computed B in {syrk_of_computed} plans"
    );
    assert!(
        chol_trsm > 20,
        "trsm with a Cholesky factor in {chol_trsm} plans"
    );
    assert!(
        chol_trmm > 2,
        "trmm with a Cholesky factor in {chol_trmm} plans"
    );
}

/// GLS at the sizes: Xᵀ·M⁻¹·X is potrf(M), W = U⁻ᵀX by trsm and WᵀW by syrk; M's
/// factor is reused for M⁻¹y. The total is the documented formulas' sum.
#[test]
fn gls_uses_the_cholesky_split_at_its_hand_computed_cost() {
    let e = Expression::parse(
        "inv(X' * inv(M) * X) * X' * inv(M) * y",
        &ops(&["X=2500x500:fullrank", "M=2500x2500:spd", "y=2500x1"]),
    )
    .unwrap();
    let p = plan(&e, &CostModel::planned()).unwrap();
    let want = gls::gls_planned_thirds(2500, 500);
    assert_eq!(p.cost().thirds(), want, "{:#?}", p.steps());
    assert_eq!(rule_uses(&p), (1, 1, 0), "{:#?}", p.steps());
    let text: Vec<String> = (0..p.steps().len()).map(|s| p.step_text(s)).collect();
    assert_eq!(
        text.iter().filter(|t| t.contains("potrf(M)")).count(),
        1,
        "{text:?}"
    );
    assert!(text.contains(&"S2 = trsm(S1ᵀ, X)".to_string()), "{text:?}");
    assert!(text.contains(&"S3 = syrk(S2ᵀ)".to_string()), "{text:?}");
    // About 9.0 Gflop instead of the 12.7 of potrs + gemm.
    let gflops = p.cost().thirds() as f64 / 3e9;
    assert!((8.9..9.1).contains(&gflops), "{gflops}");
}

/// Small shapes of the rule, executed: a vector B (trsv), a computed B, an inverted B, an
/// inverted sub-chain in the middle, and B·Bᵀ.
#[test]
fn symmetric_product_shapes_agree() {
    let cases: &[(&str, &[&str])] = &[
        ("b' * inv(M) * b", &["b=9", "M=9x9:spd"]),
        (
            "(A * B)' * inv(M) * A * B",
            &["A=12x8:fullrank", "B=8x5:fullrank", "M=12x12:spd"],
        ),
        ("(A * B)' * A * B", &["A=12x8", "B=8x5"]),
        (
            "(inv(K) * B)' * inv(K) * B",
            &["K=7x7:nonsingular", "B=7x4"],
        ),
        (
            "(inv(K1) * inv(K2))' * inv(K1) * inv(K2) * C",
            &["K1=6x6:nonsingular", "K2=6x6:nonsingular", "C=6x3"],
        ),
        (
            "B' * inv(C' * C) * B",
            &["B=8x3:fullrank", "C=11x8:fullrank"],
        ),
        ("A * B * B' * A'", &["A=5x9", "B=9x12"]),
        (
            "(inv(K1) * inv(K2))' * inv(K1) * inv(K2)",
            &["K1=6x6:nonsingular", "K2=6x6:nonsingular"],
        ),
        ("B' * M * B", &["B=12x10", "M=12x12:spd"]),
        (
            "(A * B)' * M * A * B * inv(M)",
            &["A=10x9", "B=9x10", "M=10x10:spd"],
        ),
        (
            "inv(X' * inv(M) * X) * X' * inv(M) * y",
            &["X=30x6:fullrank", "M=30x30:spd", "y=30"],
        ),
    ];
    for (i, (text, specs)) in cases.iter().enumerate() {
        let e = Expression::parse(text, &ops(specs)).unwrap();
        agree(&e, 100 + i as u64);
        for m in models() {
            let p = plan(&e, &m).unwrap();
            assert_eq!(
                Some(p.cost().thirds()),
                brute_cost(&e, &m).unwrap(),
                "{text}"
            );
        }
        let (s, t, u) = rule_uses(&plan(&e, &CostModel::planned()).unwrap());
        assert!(s + t + u > 0, "{text}: the rule did not fire");
    }
}

/// Tolerance for comparing with the oracle: operands have condition numbers of about 4, each
/// inverse can multiply errors by that much, and rounding grows with the inner dimensions.
fn tolerance(e: &Expression) -> f64 {
    fn inverses(c: &FactorChain) -> i32 {
        c.factors
            .iter()
            .map(|f| {
                f.inverted as i32
                    + match &f.base {
                        Base::Group(g) => inverses(g),
                        Base::Operand(_) => 0,
                    }
            })
            .sum()
    }
    let n = e
        .operands
        .iter()
        .map(|o| o.rows.max(o.cols))
        .max()
        .unwrap_or(1) as f64;
    let factors = e.chain.factors.len() as f64 + 1.0;
    64.0 * f64::EPSILON * n * factors * 8f64.powi(inverses(&e.chain) + 1)
}

fn max_abs(a: &Array2<f64>) -> f64 {
    a.iter().fold(0.0f64, |m, x| m.max(x.abs()))
}

fn max_abs_diff(a: &Array2<f64>, b: &Array2<f64>) -> f64 {
    a.iter()
        .zip(b)
        .fold(0.0f64, |m, (x, y)| m.max((x - y).abs()))
}

fn views(x: &[Array2<f64>]) -> Vec<ArrayView2<'_, f64>> {
    x.iter().map(|a| a.view()).collect()
}

/// Every model's plan, on every backend of this build, gives the oracle's numbers.
fn agree(e: &Expression, seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    let x = random_operands(e, &mut rng).unwrap();
    let want = oracle(e, &views(&x)).unwrap();
    let scale = max_abs(&want).max(1e-300);
    for m in models() {
        let p = plan(e, &m).unwrap();
        for backend in Backend::available() {
            let got = p.execute_in_order(backend, &views(&x)).unwrap();
            assert_eq!(got.dim(), want.dim(), "{}", e.text);
            let err = max_abs_diff(&got, &want) / scale;
            assert!(
                err <= tolerance(e),
                "{} under {} on {}: relative error {err:e} > {:e}\nsteps: {:#?}",
                e.text,
                m.name,
                backend.name(),
                tolerance(e),
                p.steps()
            );
        }
    }
}

/// The f32 tolerance: the f64 one with f32's epsilon (inner dimensions, factors and
/// inverses scale it alike).
fn tolerance_f32(e: &Expression) -> f64 {
    tolerance(e) * (f32::EPSILON as f64 / f64::EPSILON)
}

/// The same plans run in f32 (operands rounded to f32) give the f64 oracle's numbers to f32
/// accuracy, on every backend, and return f32.
#[test]
fn f32_plans_agree_with_the_oracle() {
    let mut rng = StdRng::seed_from_u64(3232);
    for seed in 0..200 {
        let e = random_expression(&ChainSpec::small(6, 12), &mut rng).unwrap();
        let mut r = StdRng::seed_from_u64(seed);
        let x = random_operands(&e, &mut r).unwrap();
        let want = oracle(&e, &views(&x)).unwrap();
        let scale = max_abs(&want).max(1e-300);
        let x32: Vec<Array2<f32>> = x.iter().map(|a| a.mapv(|v| v as f32)).collect();
        let v32: Vec<ArrayView2<'_, f32>> = x32.iter().map(|a| a.view()).collect();
        for m in models() {
            let p = plan(&e, &m).unwrap();
            for backend in Backend::available() {
                let got: Array2<f32> = p.execute_in_order(backend, &v32).unwrap();
                let err = max_abs_diff(&got.mapv(f64::from), &want) / scale;
                assert!(
                    err <= tolerance_f32(&e),
                    "{} under {} on {} in f32: relative error {err:e} > {:e}",
                    e.text,
                    m.name,
                    backend.name(),
                    tolerance_f32(&e)
                );
            }
        }
    }
}

/// f32 arrays bound by name run through `execute_as::<f32>` and give f32 (a 1-D y gives a
/// 1-D result); arrays of two element types in one call, or f32 arrays given to the f64
/// `execute`, are a typed error naming the operands of each type.
#[test]
fn element_types_are_one_per_call() {
    use chainplan::generalized::Input;
    use chainplan::Product;
    let e =
        Expression::parse("inv(X' * X) * X' * y", &ops(&["X=30x4:fullrank", "y=30x1"])).unwrap();
    let p = plan(&e, &CostModel::planned()).unwrap();
    let mut rng = StdRng::seed_from_u64(5);
    let x = random_operands(&e, &mut rng).unwrap();
    let want = oracle(&e, &views(&x)).unwrap();
    let x32 = x[0].mapv(|v| v as f32);
    let y32 = x[1].column(0).mapv(|v| v as f32);
    for backend in Backend::available() {
        let args: [(&str, Input<'_>); 2] = [("X", (&x32).into()), ("y", (&y32).into())];
        let Product::Vector(beta) = p.execute_as::<f32>(backend, &args, true).unwrap() else {
            panic!("a 1-D y gives a 1-D result")
        };
        for (b, w) in beta.iter().zip(want.column(0)) {
            assert!(
                (f64::from(*b) - w).abs() <= 1e-4 * w.abs().max(1.0),
                "{b} vs {w}"
            );
        }
        let err = p.execute_with(backend, &args).unwrap_err();
        assert!(matches!(err, GenError::ElementType { .. }), "{err}");
        assert_eq!(
            err.to_string(),
            "operands must all be f64 in this call: X, y are f32"
        );
        let mixed = [("X", (&x[0]).into()), ("y", (&y32).into())];
        let err = p.execute_with(backend, &mixed).unwrap_err();
        assert_eq!(
            err.to_string(),
            "operands must all be f64 in this call: y is f32 but X is f64"
        );
        let err = p.execute_as::<f32>(backend, &mixed, true).unwrap_err();
        assert_eq!(
            err.to_string(),
            "operands must all be f32 in this call: X is f64 but y is f32"
        );
    }
}

/// Every plan the tests build executes to the oracle's numbers.
#[test]
fn executed_plans_agree_with_the_oracle() {
    let mut rng = StdRng::seed_from_u64(1616);
    for seed in 0..300 {
        let e = random_expression(&ChainSpec::small(7, 12), &mut rng).unwrap();
        agree(&e, seed);
    }
}

/// The application problems, at small sizes, and shapes across kernels' edge cases.
#[test]
fn least_squares_gls_and_friends_agree() {
    let cases: &[(&str, &[&str])] = &[
        ("inv(X' * X) * X' * y", &["X=40x7:fullrank", "y=40x1"]),
        (
            "inv(X' * inv(M) * X) * X' * inv(M) * y",
            &["X=30x6:fullrank", "M=30x30:spd", "y=30"],
        ),
        (
            "inv(L) * B * inv(U')",
            &[
                "L=9x9:lower,nonsingular",
                "U=4x4:upper,nonsingular",
                "B=9x4",
            ],
        ),
        (
            "inv(A * B) * C",
            &["A=8x8:nonsingular", "B=8x8:nonsingular", "C=8x3"],
        ),
        ("(A * B)' * C", &["A=5x6", "B=6x7", "C=5x2"]),
        ("inv(Q) * x", &["Q=10x10:orthogonal", "x=10"]),
        ("inv(D) * A * D", &["D=7x7:diagonal,nonsingular", "A=7x7"]),
        ("inv(A)", &["A=6x6:nonsingular"]),
        ("inv(S)^T", &["S=6x6:spd"]),
        ("A'", &["A=3x5"]),
        ("x' * A * x", &["x=5", "A=5x5:symmetric"]),
        (
            "inv(inv(A) * B)",
            &["A=5x5:nonsingular", "B=5x5:nonsingular"],
        ),
        ("inv(X' * X)^-T * X'", &["X=12x4:fullrank"]),
        ("L * L * inv(L) * x", &["L=6x6:lower,fullrank", "x=6x1"]),
        ("inv(K) * K' * inv(K')", &["K=5x5:fullrank"]),
        ("v' * inv(S) * v", &["v=6", "S=6x6:symmetric,nonsingular"]),
    ];
    for (i, (text, specs)) in cases.iter().enumerate() {
        let e = Expression::parse(text, &ops(specs)).unwrap();
        agree(&e, i as u64);
        for m in models() {
            let p = plan(&e, &m).unwrap();
            assert_eq!(
                Some(p.cost().thirds()),
                brute_cost(&e, &m).unwrap(),
                "{text}"
            );
        }
    }
}

/// The kernels the planner picks for textbook cases.
#[test]
fn kernels_follow_the_properties() {
    assert_eq!(
        kernels("inv(X' * X) * X' * y", &["X=2500x500:fullrank", "y=2500x1"]),
        [Kernel::Syrk, Kernel::Gemv, Kernel::Potrf, Kernel::Potrs]
    );
    // GLS: M is factored once and used twice.
    let k = kernels(
        "inv(X' * inv(M) * X) * X' * inv(M) * y",
        &["X=2500x500:fullrank", "M=2500x2500:spd", "y=2500x1"],
    );
    assert_eq!(
        k.iter().filter(|&&k| k == Kernel::Potrf).count(),
        2,
        "{k:?}"
    );
    assert!(
        !k.contains(&Kernel::Getri) && !k.contains(&Kernel::Getrf),
        "{k:?}"
    );
    assert_eq!(
        kernels("inv(L) * B", &["L=50x50:lower,nonsingular", "B=50x20"]),
        [Kernel::Trsm]
    );
    assert_eq!(
        kernels("inv(L) * b", &["L=50x50:lower,nonsingular", "b=50"]),
        [Kernel::Trsv]
    );
    assert_eq!(
        kernels("inv(Q) * B", &["Q=50x50:orthogonal", "B=50x20"]),
        [Kernel::Gemm]
    );
    assert_eq!(
        kernels("D * B", &["D=50x50:diagonal", "B=50x20"]),
        [Kernel::DiagScale]
    );
    assert_eq!(
        kernels("L * B", &["L=50x50:lower", "B=50x20"]),
        [Kernel::Trmm]
    );
    assert_eq!(
        kernels("S * B", &["S=50x50:symmetric", "B=50x20"]),
        [Kernel::Symm]
    );
    assert_eq!(kernels("A * B", &["A=50x40", "B=40x20"]), [Kernel::Gemm]);
    // An inverse nothing else can produce is explicit, and flagged.
    let e = Expression::parse("inv(A)", &ops(&["A=6x6:nonsingular"])).unwrap();
    let p = plan(&e, &CostModel::planned()).unwrap();
    assert!(p.has_explicit_inverse());
    assert_eq!(p.steps().last().unwrap().kernel(), Kernel::Getri);
}

/// Exact counts for least squares at the sizes, from the documented formulas.
#[test]
fn least_squares_costs_are_exact() {
    let e = Expression::parse(
        "inv(X' * X) * X' * y",
        &ops(&["X=2500x500:fullrank", "y=2500x1"]),
    )
    .unwrap();
    let (m, n) = (2500u128, 500u128);
    // syrk n(n+1)m + potrf n³/3 + gemv 2mn + potrs 2n², in thirds.
    let planned = 3 * n * (n + 1) * m + n * n * n + 6 * m * n + 6 * n * n;
    assert_eq!(
        plan(&e, &CostModel::planned()).unwrap().cost().thirds(),
        planned
    );
    // Naive: gemm 2n²m, getrf + getri 2n³, gemm 2n²m (inv·Xᵀ), gemv 2nm.
    let naive = 6 * n * n * m + 6 * n * n * n + 6 * n * n * m + 6 * n * m;
    assert_eq!(
        plan(&e, &CostModel::naive()).unwrap().cost().thirds(),
        naive
    );
}

/// A symmetric operand not declared SPD is factored by Bunch–Kaufman (sytrf n³/3, sytrs
/// 2n²k, sytri 2n³/3, LAWN 41), not LU; brute force agrees with the DP's cost; an
/// indefinite instance runs to the oracle's numbers on every backend, in f64 and f32.
#[test]
fn symmetric_indefinite_operands_use_bunch_kaufman() {
    let specs = ["S=30x30:symmetric,nonsingular", "B=30x5", "C=5x30"];
    assert_eq!(
        kernels("inv(S) * B", &specs),
        [Kernel::Sytrf, Kernel::Sytrs]
    );
    let n = 30u128;
    let e = Expression::parse("inv(S) * B", &ops(&specs)).unwrap();
    let p = plan(&e, &CostModel::planned()).unwrap();
    assert_eq!(p.cost().thirds(), n * n * n + 6 * n * n * 5);
    assert_eq!(kernels("inv(S)", &specs), [Kernel::Sytrf, Kernel::Sytri]);
    let inv = plan(
        &Expression::parse("inv(S)", &ops(&specs)).unwrap(),
        &CostModel::planned(),
    )
    .unwrap();
    assert_eq!(inv.cost().thirds(), n * n * n + 2 * n * n * n);
    // One factorization shared by every solve; the naive model inverts by LU.
    let cases: &[&str] = &[
        "C * inv(S) * B",
        "inv(S) * B * C * inv(S)",
        "inv(S)",
        "inv(S) * B",
    ];
    let mut rng = StdRng::seed_from_u64(808);
    for text in cases {
        let e = Expression::parse(text, &ops(&specs)).unwrap();
        for m in models() {
            let p = plan(&e, &m).unwrap();
            assert_eq!(
                brute_cost(&e, &m).unwrap(),
                Some(p.cost().thirds()),
                "{text} under {}",
                m.name
            );
            let factored = p
                .steps()
                .iter()
                .filter(|s| s.kernel() == Kernel::Sytrf)
                .count();
            if m.name == "naive" {
                assert_eq!(factored, 0, "{text}: naive inverts by LU");
            } else {
                assert_eq!(factored, 1, "{text} under {}: S factored once", m.name);
            }
        }
        let x = random_operands(&e, &mut rng).unwrap();
        let s = &x[e.operands.iter().position(|o| o.name == "S").unwrap()];
        assert!(!cholesky_succeeds(s), "the test matrix S is indefinite");
        agree(&e, 808);
        let x32: Vec<Array2<f32>> = x.iter().map(|a| a.mapv(|v| v as f32)).collect();
        let v32: Vec<ArrayView2<'_, f32>> = x32.iter().map(|a| a.view()).collect();
        let want = oracle(&e, &views(&x)).unwrap();
        let p = plan(&e, &CostModel::planned()).unwrap();
        for backend in Backend::available() {
            let got = p.execute_in_order(backend, &v32).unwrap();
            let err = max_abs_diff(&got.mapv(f64::from), &want) / max_abs(&want);
            assert!(
                err <= tolerance_f32(&e),
                "{text} on {} in f32: {err:e}",
                backend.name()
            );
        }
    }
    // A singular symmetric matrix is reported by the factorization.
    let e = Expression::parse("inv(S) * B", &ops(&specs)).unwrap();
    let p = plan(&e, &CostModel::planned()).unwrap();
    let zero = Array2::<f64>::zeros((30, 30));
    let b = Array2::<f64>::ones((30, 5));
    for backend in Backend::available() {
        let err = p
            .execute_in_order(backend, &[zero.view(), b.view(), b.t()])
            .unwrap_err();
        assert!(
            matches!(
                err,
                GenError::Lapack {
                    routine: "sytrf",
                    ..
                }
            ),
            "{}: {err}",
            backend.name()
        );
    }
}

/// Inferred properties hold on random instances: symmetry, triangularity, and Cholesky
/// succeeding where SPD is inferred.
#[test]
fn inferred_properties_hold_numerically() {
    let mut rng = StdRng::seed_from_u64(77);
    let cases: &[(&str, &[&str])] = &[
        ("X' * X", &["X=9x4:fullrank"]),
        ("A' * S * A", &["A=6x4:fullrank", "S=6x6:spd"]),
        ("A' * S * A", &["A=6x4", "S=6x6:symmetric"]),
        ("B * B'", &["B=4x7:fullrank"]),
        (
            "L1 * L2 * inv(L1)",
            &["L1=6x6:lower,nonsingular", "L2=6x6:lower"],
        ),
        ("U' * L'", &["U=5x5:upper", "L=5x5:lower"]),
        ("inv(U)", &["U=5x5:upper,nonsingular"]),
        ("Q1 * Q2'", &["Q1=6x6:orthogonal", "Q2=6x6:orthogonal"]),
        (
            "D1 * inv(D2)",
            &["D1=5x5:diagonal", "D2=5x5:diagonal,nonsingular"],
        ),
    ];
    let mut seen_spd = 0;
    for (text, specs) in cases {
        let e = Expression::parse(text, &ops(specs)).unwrap();
        let p = infer(&e.chain.factors, &e.operands);
        let x = random_operands(&e, &mut rng).unwrap();
        let v = oracle(&e, &views(&x)).unwrap();
        let tol = 1e-12 * max_abs(&v).max(1.0);
        let n = v.nrows();
        for i in 0..n {
            for j in 0..v.ncols() {
                if p.symmetric {
                    assert!((v[[i, j]] - v[[j, i]]).abs() <= tol, "{text} not symmetric");
                }
                if p.lower && j > i {
                    assert!(v[[i, j]].abs() <= tol, "{text} not lower");
                }
                if p.upper && i > j {
                    assert!(v[[i, j]].abs() <= tol, "{text} not upper");
                }
            }
        }
        if p.orthogonal {
            let q = &v;
            for i in 0..n {
                for j in 0..n {
                    let d: f64 = (0..n).map(|k| q[[k, i]] * q[[k, j]]).sum();
                    assert!(
                        (d - (i == j) as u8 as f64).abs() < 1e-12,
                        "{text} not orthogonal"
                    );
                }
            }
        }
        if p.spd {
            seen_spd += 1;
            assert!(
                cholesky_succeeds(&v),
                "{text}: inferred SPD but Cholesky fails"
            );
        }
    }
    assert_eq!(seen_spd, 3);
}

fn cholesky_succeeds(a: &Array2<f64>) -> bool {
    let n = a.nrows();
    let mut l = vec![0.0; n * n];
    for j in 0..n {
        let mut d = a[[j, j]];
        for k in 0..j {
            d -= l[j + k * n] * l[j + k * n];
        }
        if d <= 0.0 {
            return false;
        }
        let d = d.sqrt();
        l[j + j * n] = d;
        for i in j + 1..n {
            let mut s = a[[i, j]];
            for k in 0..j {
                s -= l[i + k * n] * l[j + k * n];
            }
            l[i + j * n] = s / d;
        }
    }
    true
}

/// A matrix declared SPD that is not fails in potrf with a message naming it.
#[test]
fn a_false_declaration_is_reported_not_hidden() {
    let e = Expression::parse("inv(M) * b", &ops(&["M=3x3:spd", "b=3"])).unwrap();
    let p = plan(&e, &CostModel::planned()).unwrap();
    let m = ndarray::arr2(&[[-1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]);
    let b = ndarray::Array1::<f64>::zeros(3);
    let err = p
        .execute(&[("M", (&m).into()), ("b", (&b).into())])
        .unwrap_err();
    assert!(
        matches!(
            err,
            GenError::Lapack {
                routine: "potrf",
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains('M'), "{err}");
}

/// Bad inputs are typed errors that name the operand.
#[test]
fn bad_inputs_name_the_operand() {
    let cases: &[(&str, &[&str], &str)] = &[
        ("A * B", &["A=3x4", "B=5x2"], "A is 3x4 but B is 5x2"),
        ("inv(A)", &["A=3x4:fullrank"], "cannot invert A: it is 3x4"),
        ("inv(A)", &["A=3x3"], "cannot invert A"),
        ("inv(X' * Y)", &["X=5x3", "Y=5x3"], "cannot invert"),
        ("A * (B", &["A=2x2", "B=2x2"], "unbalanced '('"),
        ("A * B)", &["A=2x2", "B=2x2"], "unbalanced ')'"),
        ("A * C", &["A=2x2"], "operand C"),
        ("A B", &["A=2x2", "B=2x2"], "joined by '*'"),
        ("", &["A=2x2"], "empty"),
        ("A^2", &["A=2x2"], "after '^'"),
    ];
    for (text, specs, needle) in cases {
        let err = Expression::parse(text, &ops(specs))
            .unwrap_err()
            .to_string();
        assert!(err.contains(needle), "{text}: {err}");
    }
    for (spec, needle) in [
        ("A=3x3:lower,upper", "lower and upper"),
        ("Q=3x4:orthogonal", "needs a square matrix"),
        ("A=3x3:bogus", "unknown property 'bogus'"),
        ("A=3x3:general,spd", "general with"),
        ("A=3xq", "not a whole number"),
        ("A=0x3", "empty"),
        ("3A=3x3", "operand name"),
        ("A", "expected NAME=ROWSxCOLS"),
        ("A=4x3:nonsingular", "nonsingular needs a square"),
    ] {
        let err = Operand::parse(spec).unwrap_err().to_string();
        assert!(err.contains(needle), "{spec}: {err}");
    }
    let err = Expression::parse("A", &ops(&["A=2x2", "A=3x3"])).unwrap_err();
    assert!(err.to_string().contains("more than once"));
}

/// The largest dimensions plan exactly: 2^31 cubed is 2^93, far inside u128.
#[test]
fn huge_dimensions_plan_without_overflow() {
    let big = "A=2147483647x2147483647:nonsingular";
    let e = Expression::parse(
        "inv(A) * A * A * A * A * A * A * A * A * A * A",
        &ops(&[big]),
    )
    .unwrap();
    assert!(plan(&e, &CostModel::planned()).is_ok());
}

/// Too many factors, or many inverted operands in a long chain, stay fast and bounded.
#[test]
fn long_expressions_are_bounded() {
    let ops = ops(&["A=3x3:nonsingular"]);
    let long = vec!["A"; 257].join(" * ");
    let err = Expression::parse(&long, &ops).unwrap_err().to_string();
    assert!(err.contains("over the limit of 256"), "{err}");
    let names: Vec<String> = (0..40).map(|i| format!("M{i}=4x4:nonsingular")).collect();
    let specs: Vec<&str> = names.iter().map(String::as_str).collect();
    let text: Vec<String> = (0..40).map(|i| format!("inv(M{i})")).collect();
    let e = Expression::parse(&text.join(" * "), &self::ops(&specs)).unwrap();
    let p = plan(&e, &CostModel::planned()).unwrap();
    assert!(!p.exact(), "40 factorable operands are not enumerated");
}

/// Many SPD middles (Bᵀ·Sᵢ·B, twelve of them) do not push the plan into prepaying
/// factorizations it does not need: it stays no costlier than the expert's, and says it is
/// not proven optimal.
#[test]
fn many_spd_middles_do_not_make_the_plan_worse() {
    let names: Vec<String> = (0..12).map(|i| format!("S{i}=20x20:spd")).collect();
    let mut specs: Vec<&str> = names.iter().map(String::as_str).collect();
    specs.push("B=20x2");
    let text: Vec<String> = (0..12).map(|i| format!("B' * S{i} * B")).collect();
    let e = Expression::parse(&text.join(" * "), &ops(&specs)).unwrap();
    let p = plan(&e, &CostModel::planned()).unwrap();
    assert!(p.cost().thirds() <= plan(&e, &CostModel::expert()).unwrap().cost().thirds());
    assert!(!p.exact());
    // Two of them: enumerated exactly.
    let e = Expression::parse(
        "B' * S0 * B * B' * S1 * B",
        &ops(&["S0=20x20:spd", "S1=20x20:spd", "B=20x2"]),
    )
    .unwrap();
    let p = plan(&e, &CostModel::planned()).unwrap();
    assert!(p.exact());
    assert_eq!(
        Some(p.cost().thirds()),
        brute_cost(&e, &CostModel::planned()).unwrap()
    );
}

fn strip_properties(e: &Expression) -> Option<Expression> {
    let ops: Vec<Operand> = e
        .operands
        .iter()
        .map(|o| {
            let p = chainplan::generalized::Properties {
                full_rank: o.props.full_rank,
                ..Default::default()
            };
            Operand::new(&o.name, o.rows, o.cols, p).unwrap()
        })
        .collect();
    // Without SPD an inverted sub-chain such as inv(Bᵀ·S⁻¹·B) is not known to be nonsingular.
    Expression::parse(&e.text, &ops).ok()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// The planned cost is never above the expert's, the naive one's, or the cost of the
    /// same chain with every structure forgotten (all-general operands).
    #[test]
    fn planned_is_never_worse(seed in any::<u64>(), max in 1usize..9) {
        let mut rng = StdRng::seed_from_u64(seed);
        let e = random_expression(&ChainSpec::small(max, 40), &mut rng).unwrap();
        let p = plan(&e, &CostModel::planned()).unwrap().cost().thirds();
        prop_assert!(p <= plan(&e, &CostModel::expert()).unwrap().cost().thirds());
        prop_assert!(p <= plan(&e, &CostModel::naive()).unwrap().cost().thirds());
        if let Some(general) = strip_properties(&e) {
            prop_assert!(p <= plan(&general, &CostModel::planned()).unwrap().cost().thirds());
        }
    }
}

/// Above the factor-once enumeration's limit (twelve inverted operands), the plan is a guess:
/// it may multiply inverses whose factorization the DP had prepaid, and then the flops it
/// reports are its steps' (they were the DP's total, with unread potrf/getrf in it, and a
/// debug build stopped on the mismatch). Its steps still add up, it is no costlier than the
/// expert's, and it runs to the oracle's numbers.
#[test]
fn beyond_the_enumeration_the_plan_reports_its_own_steps() {
    let names: Vec<String> = (0..12).map(|i| format!("A{i}=20x20:nonsingular")).collect();
    let mut specs: Vec<&str> = names.iter().map(String::as_str).collect();
    specs.push("B=20x2000");
    let text: Vec<String> = (0..12).map(|i| format!("inv(A{i})")).collect();
    let e = Expression::parse(&format!("{} * B", text.join(" * ")), &ops(&specs)).unwrap();
    let p = plan(&e, &CostModel::planned()).unwrap();
    assert!(!p.exact());
    assert_eq!(
        p.cost().thirds(),
        p.steps().iter().map(|s| s.cost().thirds()).sum::<u128>()
    );
    assert!(p.cost().thirds() <= plan(&e, &CostModel::expert()).unwrap().cost().thirds());
    agree(&e, 12);
}

/// An explicit inverse's step says what it computes: the value itself, not the inverse of
/// its inverse (`S2 = getri(S1)` computes `inv(A)`).
#[test]
fn explicit_inverse_steps_name_their_value() {
    let e = Expression::parse("inv(A)", &ops(&["A=8x8:nonsingular"])).unwrap();
    let p = plan(&e, &CostModel::planned()).unwrap();
    let last = p.steps().last().unwrap();
    assert!(last.explicit_inverse());
    assert_eq!(last.computes(), "inv(A)");
}

// ---- Soundness: a plan runs only on what it was planned for --------------------------------

/// Binds `arrays` (in the order of `names`) by name, each as given.
fn bound<'a>(
    names: &'a [String],
    arrays: &'a [ArrayView2<'a, f64>],
) -> Vec<(&'a str, chainplan::generalized::Input<'a>)> {
    names
        .iter()
        .zip(arrays)
        .map(|(n, a)| (n.as_str(), (*a).into()))
        .collect()
}

/// The reproduction: a plan for `inv(M) * X` (M 3000×3000 SPD) given the operands of
/// `u * v` (u 3000×1, v 1×3000) under the plan's own names ends in a typed error, not in
/// potrf writing a 3000×3000 factor into a 3000×1 buffer; under their own names, too.
#[test]
fn a_plan_for_one_expression_rejects_another_expressions_operands() {
    let e = Expression::parse("inv(M) * X", &ops(&["M=3000x3000:spd", "X=3000x3000"])).unwrap();
    let p = plan(&e, &CostModel::planned()).unwrap();
    let u = Array2::<f64>::ones((3000, 1));
    let v = Array2::<f64>::ones((1, 3000));
    for backend in Backend::available() {
        let err = p
            .execute_with(backend, &[("M", (&u).into()), ("X", (&v).into())])
            .unwrap_err();
        assert!(
            matches!(err, GenError::OperandMismatch { ref operand, .. } if operand == "M"),
            "{err}"
        );
        let err = p
            .execute_with(backend, &[("u", (&u).into()), ("v", (&v).into())])
            .unwrap_err();
        assert!(matches!(err, GenError::Binding { .. }), "{err}");
        let err = p
            .execute_in_order(backend, &[u.view(), v.view()])
            .unwrap_err();
        assert!(matches!(err, GenError::OperandMismatch { .. }), "{err}");
    }
}

/// A plan read back from JSON is validated: the round trip gives the same plan, and a plan
/// whose operands or steps were edited to another shape is refused before it can run.
#[test]
fn deserialized_plans_are_validated() {
    let e = Expression::parse(
        "inv(X' * inv(M) * X) * X' * inv(M) * y",
        &ops(&["X=30x6:fullrank", "M=30x30:spd", "y=30"]),
    )
    .unwrap();
    let p = plan(&e, &CostModel::planned()).unwrap();
    let json = serde_json::to_string(&p).unwrap();
    let back: chainplan::generalized::GenPlan = serde_json::from_str(&json).unwrap();
    assert_eq!(back, p);
    // M declared 30x1: the expression no longer parses (inv of a non-square).
    let edited = json.replacen("\"rows\":30,\"cols\":30", "\"rows\":30,\"cols\":1", 1);
    assert!(serde_json::from_str::<chainplan::generalized::GenPlan>(&edited).is_err());
    // A step's recorded shape changed: refused.
    let edited = json.replacen("\"rows\":6,\"cols\":6", "\"rows\":6,\"cols\":7", 1);
    let err = serde_json::from_str::<chainplan::generalized::GenPlan>(&edited).unwrap_err();
    assert!(err.to_string().contains("invalid plan"), "{err}");
    // A step reading a later step: refused.
    let edited = json.replacen("{\"step\":0}", "{\"step\":9}", 1);
    assert!(serde_json::from_str::<chainplan::generalized::GenPlan>(&edited).is_err());
}

/// Operands in every layout: C order, Fortran order, transposed views and non-contiguous
/// (stepped) views all give the oracle's numbers; vectors bound as 1-D arrays give a 1-D
/// result.
#[test]
fn operands_in_any_layout_agree_with_the_oracle() {
    use ndarray::{s, Axis, ShapeBuilder};
    let e = Expression::parse(
        "inv(X' * inv(M) * X) * X' * inv(M) * y",
        &ops(&["X=40x7:fullrank", "M=40x40:spd", "y=40"]),
    )
    .unwrap();
    let p = plan(&e, &CostModel::planned()).unwrap();
    let mut rng = StdRng::seed_from_u64(5);
    let x = random_operands(&e, &mut rng).unwrap();
    let want = oracle(&e, &views(&x)).unwrap();
    let scale = max_abs(&want);
    // Fortran-ordered copies, transposed storage read through .t(), and stepped views.
    let fortran: Vec<Array2<f64>> = x
        .iter()
        .map(|a| {
            let mut f = Array2::zeros(a.dim().f());
            f.assign(a);
            f
        })
        .collect();
    let transposed: Vec<Array2<f64>> = x.iter().map(|a| a.t().to_owned()).collect();
    let wide: Vec<Array2<f64>> = x
        .iter()
        .map(|a| {
            let mut w = Array2::zeros((a.nrows() * 2, a.ncols() * 3));
            w.slice_mut(s![..;2, ..;3]).assign(a);
            w
        })
        .collect();
    let layouts: Vec<Vec<ArrayView2<'_, f64>>> = vec![
        views(&x),
        views(&fortran),
        transposed.iter().map(|a| a.t()).collect(),
        wide.iter().map(|w| w.slice(s![..;2, ..;3])).collect(),
    ];
    for backend in Backend::available() {
        for l in &layouts {
            let got = p.execute_in_order(backend, l).unwrap();
            assert!(
                max_abs_diff(&got, &want) / scale < 1e-12,
                "{}",
                backend.name()
            );
            let y1 = l[2].index_axis(Axis(1), 0);
            let got = p
                .execute_with(
                    backend,
                    &[("X", l[0].into()), ("M", l[1].into()), ("y", y1.into())],
                )
                .unwrap();
            let chainplan::Product::Vector(b) = got else {
                panic!("a 1-D y gives a 1-D β")
            };
            let err = b
                .iter()
                .zip(want.column(0))
                .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
            assert!(err / scale < 1e-12);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    /// Thousands of mismatched combinations: a plan for one random expression run on another
    /// random expression's operands (bound under the plan's names, in several layouts), or
    /// read back from JSON with the other expression's operands and text. Each gives a typed
    /// error or the right answer, never a crash.
    #[test]
    fn mismatched_plans_and_operands_never_crash(seed in any::<u64>(), layout in 0usize..4) {
        use ndarray::s;
        let mut rng = StdRng::seed_from_u64(seed);
        let spec = ChainSpec::small(4, 6);
        let e1 = random_expression(&spec, &mut rng).unwrap();
        let e2 = random_expression(&spec, &mut rng).unwrap();
        let p = plan(&e1, &CostModel::planned()).unwrap();
        let x2 = random_operands(&e2, &mut rng).unwrap();
        let stored: Vec<Array2<f64>> = match layout {
            1 => x2.iter().map(|a| a.t().to_owned()).collect(),
            2 => x2
                .iter()
                .map(|a| {
                    let mut w = Array2::zeros((a.nrows() * 2, a.ncols() * 2));
                    w.slice_mut(s![..;2, ..;2]).assign(a);
                    w
                })
                .collect(),
            _ => x2.clone(),
        };
        let arrays: Vec<ArrayView2<'_, f64>> = stored
            .iter()
            .map(|a| match layout {
                1 => a.t(),
                2 => a.slice(s![..;2, ..;2]),
                3 => a.slice(s![..;-1, ..]),
                _ => a.view(),
            })
            .collect();
        // Bound under the plan's operand names, position by position.
        let names: Vec<String> = p.operands().iter().map(|o| o.name.clone()).collect();
        let n = names.len().min(arrays.len());
        for backend in Backend::available() {
            match p.execute_with(backend, &bound(&names[..n], &arrays[..n])) {
                Ok(_) => {
                    // Only when every operand matched in shape: then it is e1's right answer.
                    let same = n == e1.operands.len()
                        && e1.operands.iter().zip(&arrays).all(|(o, a)| a.dim() == (o.rows, o.cols));
                    prop_assert!(same);
                }
                Err(err) => prop_assert!(matches!(
                    err,
                    GenError::OperandMismatch { .. }
                        | GenError::Binding { .. }
                        | GenError::Lapack { .. }
                        | GenError::PropertyViolated { .. }
                ), "{}", err),
            }
            let _ = p.execute_in_order(backend, &arrays);
            // The same arrays run as f32: wrong element type, a typed error naming them.
            if n > 0 {
                let err = p
                    .execute_as::<f32>(backend, &bound(&names[..n], &arrays[..n]), true)
                    .unwrap_err();
                prop_assert!(matches!(
                    err,
                    GenError::ElementType { .. } | GenError::Binding { .. }
                ), "{}", err);
            }
        }
        // The plan's JSON with e2's expression and operands: refused, or a valid plan that
        // runs on e2's operands to the oracle's answer (or fails on a declared property).
        let mut v: serde_json::Value = serde_json::to_value(&p).unwrap();
        v["expression"] = serde_json::Value::String(e2.text.clone());
        v["operands"] = serde_json::to_value(&e2.operands).unwrap();
        if let Ok(q) = serde_json::from_value::<chainplan::generalized::GenPlan>(v) {
            let want = oracle(&e2, &views(&x2));
            for backend in Backend::available() {
                match (q.execute_in_order(backend, &views(&x2)), &want) {
                    (Ok(got), Ok(want)) => prop_assert_eq!(got.dim(), want.dim()),
                    (Ok(_), Err(_)) => {}
                    (Err(err), _) => prop_assert!(matches!(
                        err,
                        GenError::Lapack { .. }
                            | GenError::KernelArgs { .. }
                            | GenError::PropertyViolated { .. }
                    ), "{}", err),
                }
            }
        }
    }
}

/// Declared structure is checked before any O(n³) work: a non-symmetric matrix declared SPD
/// (the 2.3% error from Python), a lower-triangular one with an entry above the
/// diagonal, a diagonal one with an off-diagonal entry are typed errors naming the operand
/// and the property; execute_trusted skips the check for callers who vouch for their data.
#[test]
fn declared_properties_are_checked() {
    for (spec, property) in [
        ("M=4x4:spd", "spd"),
        ("M=4x4:symmetric,nonsingular", "symmetric"),
        ("M=4x4:lower,nonsingular", "lower"),
        ("M=4x4:upper,nonsingular", "upper"),
        ("M=4x4:diagonal,nonsingular", "diagonal"),
    ] {
        let e = Expression::parse("inv(M) * b", &ops(&[spec, "b=4"])).unwrap();
        let p = plan(&e, &CostModel::planned()).unwrap();
        let mut rng = StdRng::seed_from_u64(9);
        let x = random_operands(&e, &mut rng).unwrap();
        let mut m = x[0].clone();
        // Break the declared structure in one entry.
        let (i, j) = if property == "upper" { (3, 0) } else { (0, 3) };
        m[[i, j]] += 0.5;
        let b = x[1].column(0).to_owned();
        for backend in Backend::available() {
            let args = [("M", (&m).into()), ("b", (&b).into())];
            let err = p.execute_with(backend, &args).unwrap_err();
            assert!(
                matches!(
                    err,
                    GenError::PropertyViolated { ref operand, property: got, .. }
                        if operand == "M" && got == property
                ),
                "{spec}: {err}"
            );
            // Trusted: no check; it runs (to a wrong answer, or a failed factorization).
            match p.execute_trusted(backend, &args) {
                Ok(_) | Err(GenError::Lapack { .. }) => {}
                Err(err) => panic!("{spec}: {err}"),
            }
            // The intact operand passes the check.
            let args = [("M", (&x[0]).into()), ("b", (&b).into())];
            assert!(p.execute_with(backend, &args).is_ok(), "{spec}");
        }
    }
}

/// A plan prints every step as the report names it, its total, and its result.
#[test]
fn a_plan_displays_its_steps_and_total() {
    let e = Expression::parse("inv(X' * X) * X' * y", &ops(&["X=50x5:fullrank", "y=50"])).unwrap();
    let p = plan(&e, &CostModel::planned()).unwrap();
    let text = p.to_string();
    for s in 0..p.steps().len() {
        assert!(text.contains(&p.step_text(s)), "{text}");
    }
    assert!(text.contains(&format!("{} flops", p.cost())), "{text}");
    assert!(
        text.ends_with(&format!("result: S{}", p.steps().len())),
        "{text}"
    );
    // The cost in flops: thirds / 3, exactly.
    assert_eq!(p.cost().whole(), p.cost().thirds() / 3);
}

/// Operands built in code (typed: name, shape, property names or flags) equal the parsed
/// ones; a name is checked on its own, so it cannot change how a declaration reads.
#[test]
fn typed_operands_equal_parsed_ones() {
    use chainplan::generalized::Properties;
    let parsed = Operand::parse("X=30x4:fullrank").unwrap();
    assert_eq!(
        Operand::with_property_names("X", 30, 4, &["fullrank"]).unwrap(),
        parsed
    );
    assert_eq!(
        Operand::with_declaration("X", "30x4:fullrank").unwrap(),
        parsed
    );
    let flags = Properties {
        full_rank: true,
        ..Properties::default()
    };
    assert_eq!(Operand::new("X", 30, 4, flags).unwrap(), parsed);
    assert_eq!(
        Operand::with_property_names("L", 5, 5, &["lower,nonsingular"]).unwrap(),
        Operand::parse("L=5x5:lower,nonsingular").unwrap()
    );
    for (name, decl) in [
        ("A=B", "2x2"),
        ("A:spd", "2x2"),
        ("inv", "2x2"),
        ("", "2x2"),
    ] {
        let err = Operand::with_declaration(name, decl).unwrap_err();
        assert!(matches!(err, GenError::BadOperand { .. }), "{name}: {err}");
    }
    let err = Operand::with_property_names("A", 3, 4, &["spd"]).unwrap_err();
    assert!(
        matches!(err, GenError::ContradictoryProperties { .. }),
        "{err}"
    );
    let err = Operand::with_property_names("A", 3, 3, &["shiny"]).unwrap_err();
    assert!(matches!(err, GenError::UnknownProperty { .. }), "{err}");
    let big = chainplan::generalized::operand::MAX_DIM + 1;
    let err = Operand::new("A", big, 1, Properties::default()).unwrap_err();
    assert!(err.to_string().contains("at most"), "{err}");
}
