//! Plans a chain and multiplies it with chainplan's default features: ndarray's own kernels,
//! no BLAS, no system library; then plans and executes least squares and GLS on the
//! generalized executor's default backend (faer, pure Rust) and checks both against the
//! naive oracle to 1e-10. Exits non-zero if any result is wrong.

use chainplan::generalized::execute::{oracle, random_operands};
use chainplan::generalized::{plan, Backend, CostModel, Expression, GenError, Operand};
use chainplan::{multi_dot, Algorithm, AsFactor, Chain, Product};
use ndarray::{array, Array2};
use rand::SeedableRng;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Plan the textbook chain.
    let chain = Chain::new([30usize, 35, 15, 5, 10, 20, 25])?;
    let plan0 = Algorithm::default().plan(&chain)?;
    assert_eq!(plan0.to_string(), "((A1(A2A3))((A4A5)A6))");
    assert_eq!(plan0.cost(), 15_125);

    // numpy-style multi_dot with vectors at both ends: a scalar comes out.
    let x = array![1.0, 2.0];
    let a = array![[1.0, 0.0, 2.0], [0.0, 1.0, 1.0]];
    let b = Array2::from_shape_fn((3, 2), |(i, j)| (i + j) as f64);
    let y = array![1.0, -1.0];
    // x·A = (1, 2, 4); (x·A)·B = (0+2+8, 1+4+12) = (10, 17); · y = -7.
    let p = multi_dot(&[&x as &dyn AsFactor<_>, &a, &b.view(), &y])?;
    assert_eq!(p, Product::Scalar(-7.0));
    println!("plan {plan0} costs {}; x·A·B·y = -7", plan0.cost());

    // Least squares and GLS, planned and executed without any system library.
    assert_eq!(Backend::preferred(), Some(Backend::Faer));
    for (text, specs) in [
        ("inv(X' * X) * X' * y", &["X=300x40:fullrank", "y=300"][..]),
        (
            "inv(X' * inv(M) * X) * X' * inv(M) * y",
            &["X=300x40:fullrank", "M=300x300:spd", "y=300"][..],
        ),
    ] {
        let ops = specs
            .iter()
            .map(|s| Operand::parse(s))
            .collect::<Result<Vec<_>, GenError>>()?;
        let expr = Expression::parse(text, &ops)?;
        let best = plan(&expr, &CostModel::planned())?;
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let arrays = random_operands(&expr, &mut rng)?;
        let views: Vec<_> = arrays.iter().map(|a| a.view()).collect();
        let want = oracle(&expr, &views)?;
        // Bound by name, y as a 1-D array: β comes back 1-D.
        let bound: Vec<(&str, chainplan::generalized::Input<'_>)> = ops
            .iter()
            .zip(&arrays)
            .map(|(o, a)| {
                let input = if o.cols == 1 {
                    a.column(0).into()
                } else {
                    a.view().into()
                };
                (o.name.as_str(), input)
            })
            .collect();
        let Product::Vector(got) = best.execute(&bound)? else {
            return Err("a 1-D y gives a 1-D result".into());
        };
        let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let err = got
            .iter()
            .zip(want.column(0))
            .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()))
            / scale;
        if err > 1e-10 {
            return Err(format!("{text}: relative error {err:e} against the oracle").into());
        }
        println!("{text}: {} steps, {} flops, max relative error {err:.1e} on faer", best.steps().len(), best.cost());
    }
    Ok(())
}
