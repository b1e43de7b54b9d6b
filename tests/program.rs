//! Programs: hostile inputs give typed errors with positions; properties inferred through sums
//! hold on random instances (a Cholesky succeeds where SPD was inferred); random programs with
//! sums, scalars, I and repeated operands match the reference evaluator; sharing and the
//! distributive choice lower the exact cost and never change the result.

mod program_oracle;

use chainplan::generalized::program::random_arrays;
use chainplan::generalized::{
    CostModel, GenError, Input, Kernel, Operand, Program, ProgramPlan, ScalarDecl,
};
use chainplan::Product;
use ndarray::Array2;
use program_oracle::{evaluate, rel, V};
use proptest::prelude::*;
use std::collections::HashMap;

fn ops(specs: &[&str]) -> Vec<Operand> {
    specs.iter().map(|s| Operand::parse(s).unwrap()).collect()
}

fn scalars(specs: &[&str]) -> Vec<ScalarDecl> {
    specs
        .iter()
        .map(|s| ScalarDecl::parse(s).unwrap().0)
        .collect()
}

/// The error of parsing `text`, with its position.
fn program_error(text: &str, specs: &[&str], sc: &[&str]) -> (usize, usize, String) {
    match Program::parse(text, &ops(specs), &scalars(sc)) {
        Err(GenError::Program {
            line,
            column,
            reason,
        }) => (line, column, reason),
        other => panic!("{text}: expected a program error, got {other:?}"),
    }
}

#[test]
fn hostile_programs_give_positioned_typed_errors() {
    let sq = ["A=4x4", "B=4x4", "x=4", "R=3x4"];
    let (l, c, r) = program_error("y = (A * B", &sq, &[]);
    assert_eq!((l, c), (1, 5), "{r}");
    assert!(r.contains("unbalanced"));
    let (l, c, r) = program_error("y = A\nz = Q * A", &sq, &[]);
    assert_eq!((l, c), (2, 5));
    assert!(r.contains("'Q'"), "{r}");
    let (_, c, r) = program_error("y = I + I", &sq, &[]);
    assert_eq!(c, 7);
    assert!(r.contains("size of I"), "{r}");
    let (_, c, r) = program_error("y = A + R", &sq, &[]);
    assert_eq!(c, 7);
    assert!(r.contains("4x4 and 3x4"), "{r}");
    let (_, _, r) = program_error("y = R + I", &sq, &[]);
    assert!(r.contains("not square"), "{r}");
    let (_, _, r) = program_error("y = inv(R)", &sq, &[]);
    assert!(r.contains("not square"), "{r}");
    let (_, _, r) = program_error("y = A * R", &sq, &[]);
    assert!(r.contains("do not chain"), "{r}");
    let (_, _, r) = program_error("A = B", &sq, &[]);
    assert!(r.contains("is an operand"), "{r}");
    let (_, _, r) = program_error("y = A; y = B", &sq, &[]);
    assert!(r.contains("assigned twice"), "{r}");
    let (_, _, r) = program_error("y = 2", &sq, &[]);
    assert!(r.contains("scalar"), "{r}");
    let (_, _, r) = program_error("y = A + 2", &sq, &[]);
    assert!(r.contains("2 * I"), "{r}");
    let (_, _, r) = program_error("y = z; z = A", &sq, &[]);
    assert!(r.contains("'z'"), "{r}");
    let (_, _, r) = program_error("y = _t1 * A; w = A + B", &sq, &[]);
    assert!(r.contains("'_t1'"), "{r}");
    // An inverse of a product not known to be nonsingular names the assignment.
    let (l, _, r) = program_error("y = A\nw = inv(A * B)", &sq, &[]);
    assert_eq!(l, 2);
    assert!(r.contains("in 'w'") && r.contains("nonsingular"), "{r}");
    // Declarations.
    assert!(matches!(
        ScalarDecl::parse("alpha:sometimes"),
        Err(GenError::Scalar { .. })
    ));
    assert!(matches!(
        ScalarDecl::parse("2x=1"),
        Err(GenError::Scalar { .. })
    ));
    assert!(matches!(
        ScalarDecl::parse("a=nan"),
        Err(GenError::Scalar { .. })
    ));
    assert!(matches!(
        Program::parse("y = A", &ops(&["A=2x2"]), &scalars(&["A"])),
        Err(GenError::Scalar { .. })
    ));
}

#[test]
fn scalars_are_checked_at_run_time() {
    let o = ops(&["A=3x3:spd"]);
    let p = Program::parse("y = inv(A + lam * I)", &o, &scalars(&["lam:positive"])).unwrap();
    let plan = p.plan(&CostModel::planned()).unwrap();
    assert!(plan.kernels().contains(&Kernel::Potrf), "{plan}");
    let a = random_arrays(&o, 1).unwrap();
    let inputs = [("A", Input::from(&a[0]))];
    let scalar_err = |s: &[(&str, f64)]| match plan.execute(&inputs, s) {
        Err(GenError::Scalar { name, reason }) => format!("{name}: {reason}"),
        other => panic!("{other:?}"),
    };
    assert!(scalar_err(&[]).contains("no value"));
    assert!(scalar_err(&[("lam", -1.0)]).contains("positive"));
    assert!(scalar_err(&[("lam", f64::NAN)]).contains("finite"));
    assert!(scalar_err(&[("mu", 1.0)]).contains("not a scalar"));
    assert!(scalar_err(&[("lam", 1.0), ("lam", 2.0)]).contains("more than once"));
    assert!(plan.execute(&inputs, &[("lam", 0.5)]).is_ok());
    // Operands: unbound, unknown, wrong shape.
    assert!(matches!(
        plan.execute(&[], &[("lam", 0.5)]),
        Err(GenError::Binding { .. })
    ));
    let b = Array2::<f64>::zeros((2, 3));
    assert!(matches!(
        plan.execute(&[("A", (&b).into())], &[("lam", 0.5)]),
        Err(GenError::OperandMismatch { .. })
    ));
}

/// Cholesky that reports failure rather than panicking.
fn cholesky_ok(a: &Array2<f64>) -> bool {
    let n = a.nrows();
    let mut l = Array2::<f64>::zeros((n, n));
    for j in 0..n {
        let mut d = a[[j, j]];
        for k in 0..j {
            d -= l[[j, k]] * l[[j, k]];
        }
        if d.is_nan() || d <= 0.0 {
            return false;
        }
        l[[j, j]] = d.sqrt();
        for i in j + 1..n {
            let mut s = a[[i, j]];
            for k in 0..j {
                s -= l[[i, k]] * l[[j, k]];
            }
            l[[i, j]] = s / l[[j, j]];
        }
    }
    true
}

fn env_of(o: &[Operand], arrays: &[Array2<f64>], sc: &[(&str, f64)]) -> HashMap<String, V> {
    let mut env: HashMap<String, V> = o
        .iter()
        .zip(arrays)
        .map(|(o, a)| (o.name.clone(), V::Mat(a.clone())))
        .collect();
    for (n, x) in sc {
        env.insert(n.to_string(), V::Scalar(*x));
    }
    env
}

fn run(
    plan: &ProgramPlan,
    o: &[Operand],
    arrays: &[Array2<f64>],
    sc: &[(&str, f64)],
) -> HashMap<String, Array2<f64>> {
    let inputs: Vec<(&str, Input<'_>)> = o
        .iter()
        .zip(arrays)
        .map(|(o, a)| (o.name.as_str(), a.into()))
        .collect();
    plan.execute(&inputs, sc)
        .unwrap_or_else(|e| panic!("{e}\n{plan}"))
        .into_iter()
        .map(|(k, v)| match v {
            Product::Matrix(m) => (k, m),
            other => panic!("{k}: {other:?}"),
        })
        .collect()
}

/// Sums whose SPD-ness the rules infer: where the plan factors the sum by Cholesky, a
/// Cholesky of the reference value succeeds, on many random instances.
#[test]
fn inferred_spd_sums_are_spd_on_random_instances() {
    let o = ops(&[
        "S=6x6:spd",
        "T=6x6:spd",
        "H=4x6:fullrank",
        "W=6x4:fullrank",
        "N=6x6:symmetric",
        "G=6x6",
    ]);
    let sc = scalars(&["a:positive", "b:negative", "c"]);
    let cases = [
        ("S + T", true),
        ("S + a * I", true),
        ("H' * H + a * I", true),
        ("W * W' + H' * H + S", true),
        ("S - b * T", true),
        ("S + b * T", false),
        ("S + c * T", false),
        ("N + S", false),
        ("G' * S * G + S", true),
        ("inv(S) + H' * H", true),
        ("2 * S + 0.5 * (T + H' * H)", true),
    ];
    for (k, (sum, spd)) in cases.iter().enumerate() {
        let text = format!("Y = inv({sum}) * G");
        let p = Program::parse(&text, &o, &sc).unwrap_or_else(|e| panic!("{sum}: {e}"));
        let plan = p.plan(&CostModel::planned()).unwrap();
        assert_eq!(
            plan.kernels().contains(&Kernel::Potrf),
            *spd,
            "{sum}\n{plan}"
        );
        for seed in 0..20u64 {
            let arrays = random_arrays(&o, 100 * k as u64 + seed).unwrap();
            let values = [("a", 0.3), ("b", -0.7), ("c", -0.2)];
            let env = env_of(&o, &arrays, &values);
            let s = evaluate(&format!("Y = {sum}"), &env);
            if *spd {
                assert!(
                    cholesky_ok(&s["Y"]),
                    "{sum}: inferred SPD but Cholesky fails"
                );
            }
            if !*spd && seed == 0 && *sum != "N + S" && !sum.contains('c') {
                // Non-SPD cases still run, by LU.
                let got = run(&plan, &o, &arrays, &values);
                let want = evaluate(&text, &env);
                assert!(rel(&got["Y"], &want["Y"]) < 1e-8, "{sum}");
            }
        }
    }
}

#[test]
fn kalman_shares_h_pb_and_forms_no_inverse() {
    let o = ops(&[
        "Pb=40x40:spd",
        "H=25x40:fullrank",
        "R=25x25:spd",
        "xb=40",
        "z=25",
    ]);
    let text =
        "K = Pb * H' * inv(H * Pb * H' + R)\nxa = xb + K * (z - H * xb)\nPa = (I - K * H) * Pb";
    let p = Program::parse(text, &o, &[]).unwrap();
    let planned = p.plan(&CostModel::planned()).unwrap();
    let expert = p.plan(&CostModel::expert()).unwrap();
    assert!(!planned.has_explicit_inverse());
    assert!(planned.cost() < expert.cost());
    // H·Pb (n=40, m=25) is computed by exactly one product step of 2·25·40·40 flops.
    let hpb: Vec<_> = planned
        .steps()
        .iter()
        .filter(|s| s.text().ends_with("= H·Pb"))
        .collect();
    assert_eq!(hpb.len(), 1, "{planned}");
    assert_eq!(hpb[0].cost().thirds(), 3 * 2 * 25 * 40 * 40);
    // The costs are the sums of their steps'.
    let total: u128 = planned.steps().iter().map(|s| s.cost().thirds()).sum();
    assert_eq!(total, planned.cost().thirds());
    // 1-D vectors give 1-D outputs.
    let arrays = random_arrays(&o, 5).unwrap();
    let xb = arrays[3].column(0).to_owned();
    let z = arrays[4].column(0).to_owned();
    let inputs: Vec<(&str, Input<'_>)> = vec![
        ("Pb", (&arrays[0]).into()),
        ("H", (&arrays[1]).into()),
        ("R", (&arrays[2]).into()),
        ("xb", (&xb).into()),
        ("z", (&z).into()),
    ];
    let out = planned.execute(&inputs, &[]).unwrap();
    assert!(matches!(out["xa"], Product::Vector(_)));
    assert!(matches!(out["Pa"], Product::Matrix(_)));
    let want = evaluate(text, &env_of(&o, &arrays, &[]));
    let Product::Vector(xa) = &out["xa"] else {
        unreachable!()
    };
    let xa = xa.clone().insert_axis(ndarray::Axis(1));
    assert!(rel(&xa, &want["xa"]) < 1e-10);
}

/// Random programs: two or three assignments over a few small operands, with sums,
/// differences, scalars, I, transposes, inverses of SPD sums and repeated operands.
fn random_program(seed: u64) -> (String, Vec<Operand>) {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let n = rng.random_range(2..6usize);
    let m = rng.random_range(1..5usize);
    let o = vec![
        Operand::parse(&format!("A={n}x{n}")).unwrap(),
        Operand::parse(&format!("S={n}x{n}:spd")).unwrap(),
        Operand::parse(&format!("B={n}x{m}")).unwrap(),
        Operand::parse(&format!("C={m}x{n}:fullrank")).unwrap(),
    ];
    // Square n×n building blocks, and n×m ones.
    let sq = [
        "A",
        "S",
        "A'",
        "B * C",
        "C' * C",
        "I",
        "2 * A",
        "-S",
        "lam * S",
        "A * S * A'",
    ];
    let spd = [
        "S",
        "C' * C + S",
        "S + lam * I",
        "B * B' + S",
        "A * S * A' + 2 * I",
    ];
    fn pick(rng: &mut impl Rng, xs: &[&'static str]) -> &'static str {
        xs[rng.random_range(0..xs.len())]
    }
    fn square(rng: &mut impl Rng, sq: &[&'static str], spd: &[&'static str]) -> String {
        match rng.random_range(0..4) {
            0 => format!("{} + {}", pick(rng, sq), pick(rng, sq)),
            1 => format!(
                "({} - {}) * {}",
                pick(rng, sq),
                pick(rng, sq),
                pick(rng, sq)
            ),
            2 => format!("inv({}) * {}", pick(rng, spd), pick(rng, sq)),
            _ => format!(
                "{} * ({} + {})",
                pick(rng, sq),
                pick(rng, sq),
                pick(rng, spd)
            ),
        }
    }
    let mut y1 = square(&mut rng, &sq, &spd);
    if !y1.contains(['A', 'S', 'B', 'C']) {
        // Only identities: nothing gives I a size.
        y1 = format!("A * ({y1})");
    }
    let y2 = format!(
        "(Y1 + {}) * B - inv({}) * B",
        square(&mut rng, &sq, &spd),
        pick(&mut rng, &spd)
    );
    let y3 = format!("Y2' * ({}) * Y2 + B' * B", square(&mut rng, &sq, &spd));
    (format!("Y1 = {y1}; Y2 = {y2}\nY3 = {y3}"), o)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn random_programs_match_the_reference(seed in 0u64..1_000_000) {
        let (text, o) = random_program(seed);
        let sc = scalars(&["lam:positive"]);
        let p = Program::parse(&text, &o, &sc).unwrap_or_else(|e| panic!("{text}: {e}"));
        let arrays = random_arrays(&o, seed).unwrap();
        let values = [("lam", 0.75)];
        let want = evaluate(&text, &env_of(&o, &arrays, &values));
        let mut costs = Vec::new();
        for model in [CostModel::planned(), CostModel::expert(), CostModel::naive()] {
            let plan = p.plan(&model).unwrap();
            costs.push((plan.cost(), plan.has_explicit_inverse()));
            let got = run(&plan, &o, &arrays, &values);
            for (k, w) in &want {
                // Relative to the result's scale, at least 1: terms that cancel exactly
                // (inv(S)·B − inv(S)·B) leave rounding of the operands' scale.
                let scale = w.iter().fold(1.0f64, |m, x| m.max(x.abs()));
                let r = rel(&got[k], w) * w.iter().fold(f64::MIN_POSITIVE, |m, x| m.max(x.abs())) / scale;
                prop_assert!(r < 1e-8, "{} {}: {} {:e}\n{}", text, model.name, k, r, plan);
            }
            let y1 = text.split(';').next().unwrap_or("");
            let inverse_output = y1.starts_with("Y1 = inv(") && y1.ends_with("* I");
            if model.name == "planned" && !inverse_output {
                prop_assert!(!plan.has_explicit_inverse(), "{}\n{}", text, plan);
            }
        }
        // Where the expert forms an explicit inverse that the planned program solves
        // instead (a lone inverse in a sum times a product), the planned may cost more.
        if costs[0].1 == costs[1].1 {
            prop_assert!(costs[0].0 <= costs[1].0, "{}: planned {} > expert {}", text, costs[0].0, costs[1].0);
        }
    }
}

/// The distributive choice against brute force over its two alternatives, each written out
/// by hand as a program with no sum inside a product: `X = (P1 ± P2) * E` (P1, P2 products of
/// distinct operands, or I) plans to exactly the cheaper of `X = P1 * E ± P2 * E` and
/// `T = P1 ± P2; X = T * E` (T's own cost counted; no sub-product repeats, so sharing
/// cannot change either).
fn distributive_case(seed: u64) -> (Vec<Operand>, [String; 3]) {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut d = || rng.random_range(1..40usize);
    let (n, k1, k2, m) = (d(), d(), d(), d());
    let o = vec![
        Operand::parse(&format!("A={n}x{k1}")).unwrap(),
        Operand::parse(&format!("B={k1}x{n}")).unwrap(),
        Operand::parse(&format!("C={n}x{k2}")).unwrap(),
        Operand::parse(&format!("D={k2}x{n}")).unwrap(),
        Operand::parse(&format!("E={n}x{m}")).unwrap(),
        Operand::parse(&format!("F={n}x{n}")).unwrap(),
    ];
    let firsts = ["A * B", "I", "F"];
    let p1 = firsts[(seed % 3) as usize];
    let p2 = if seed % 2 == 0 { "C * D" } else { "A * B" };
    let p2 = if p1 == p2 { "C * D" } else { p2 };
    let sign = if seed % 5 == 0 { "+" } else { "-" };
    let e1 = if p1 == "I" {
        "E".to_string()
    } else {
        format!("{p1} * E")
    };
    let programs = [
        format!("X = ({p1} {sign} {p2}) * E"),
        format!("X = {e1} {sign} {p2} * E"),
        format!("T = {p1} {sign} {p2}; X = T * E"),
    ];
    (o, programs)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn the_distributive_choice_is_the_cheaper_alternative(seed in 0u64..1_000_000) {
        let (o, [orig, expanded, temp]) = distributive_case(seed);
        let cost = |t: &str| {
            Program::parse(t, &o, &[])
                .unwrap_or_else(|e| panic!("{t}: {e}"))
                .plan(&CostModel::planned())
                .unwrap()
                .cost()
        };
        let best = cost(&expanded).min(cost(&temp));
        prop_assert_eq!(cost(&orig), best, "{} vs {} / {}", orig, expanded, temp);
    }
}
