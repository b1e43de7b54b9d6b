//! The 25 application programs of python/benchmarks/linnea_apps/programs.json (Linnea's
//! evaluation set, restated): each parses, plans under the three models, runs at the test
//! sizes, and matches the reference evaluator (explicit inverses, left to right) to 1e-8.

mod program_oracle;

use chainplan::generalized::execute::random_operand;
use chainplan::generalized::{CostModel, Input, Operand, Program, ScalarDecl};
use chainplan::Product;
use program_oracle::{evaluate, rel, V};
use rand::SeedableRng;
use std::collections::HashMap;

struct App {
    number: u64,
    key: String,
    program: String,
    operands: Vec<Operand>,
    scalars: Vec<(ScalarDecl, f64)>,
}

fn apps(test_sizes: bool) -> Vec<App> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/python/benchmarks/linnea_apps/programs.json"
    );
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let field = if test_sizes {
                "test_operands"
            } else {
                "operands"
            };
            App {
                number: a["number"].as_u64().unwrap(),
                key: a["key"].as_str().unwrap().to_string(),
                program: a["program"].as_str().unwrap().to_string(),
                operands: a[field]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| Operand::parse(s.as_str().unwrap()).unwrap())
                    .collect(),
                scalars: a["scalars"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| {
                        let spec = format!(
                            "{}:{}",
                            s["name"].as_str().unwrap(),
                            s["sign"].as_str().unwrap()
                        );
                        (
                            ScalarDecl::parse(&spec).unwrap().0,
                            s["value"].as_f64().unwrap(),
                        )
                    })
                    .collect(),
            }
        })
        .collect()
}

/// A random operand with its declared properties. `random_operand` gives a diagonal SPD
/// operand entries of either sign; they are made positive here.
fn operand(o: &Operand, rng: &mut rand::rngs::StdRng) -> ndarray::Array2<f64> {
    let mut a = random_operand(o, rng).unwrap();
    if o.props.diagonal && o.props.spd {
        a.mapv_inplace(f64::abs);
    }
    a
}

#[test]
fn all_25_applications_plan_run_and_match_the_reference() {
    let apps = apps(true);
    assert_eq!(apps.len(), 25);
    for app in &apps {
        let decls: Vec<ScalarDecl> = app.scalars.iter().map(|s| s.0.clone()).collect();
        let program = Program::parse(&app.program, &app.operands, &decls)
            .unwrap_or_else(|e| panic!("{} {}: {e}", app.number, app.key));
        let mut rng = rand::rngs::StdRng::seed_from_u64(app.number);
        let arrays: Vec<_> = app.operands.iter().map(|o| operand(o, &mut rng)).collect();
        let mut env: HashMap<String, V> = app
            .operands
            .iter()
            .zip(&arrays)
            .map(|(o, a)| (o.name.clone(), V::Mat(a.clone())))
            .collect();
        for (d, x) in &app.scalars {
            env.insert(d.name.clone(), V::Scalar(*x));
        }
        let want = evaluate(&app.program, &env);
        let inputs: Vec<(&str, Input<'_>)> = app
            .operands
            .iter()
            .zip(&arrays)
            .map(|(o, a)| (o.name.as_str(), a.into()))
            .collect();
        let scalars: Vec<(&str, f64)> = app
            .scalars
            .iter()
            .map(|(d, x)| (d.name.as_str(), *x))
            .collect();
        let mut costs = Vec::new();
        for model in [
            CostModel::planned(),
            CostModel::expert(),
            CostModel::naive(),
        ] {
            let plan = program
                .plan(&model)
                .unwrap_or_else(|e| panic!("{} {} {}: {e}", app.number, app.key, model.name));
            costs.push(plan.cost());
            let got = plan.execute(&inputs, &scalars).unwrap_or_else(|e| {
                panic!("{} {} {}: {e}\n{plan}", app.number, app.key, model.name)
            });
            assert_eq!(got.len(), program.outputs().len());
            for (name, w) in &want {
                let Product::Matrix(g) = &got[name] else {
                    panic!("{name} is not a matrix")
                };
                let r = rel(g, w);
                assert!(
                    r < 1e-8,
                    "{} {} {} output {name}: relative difference {r:e}\n{plan}",
                    app.number,
                    app.key,
                    model.name
                );
            }
        }
        assert!(
            costs[0] <= costs[1],
            "{} {}: planned {} > expert {}",
            app.number,
            app.key,
            costs[0],
            costs[1]
        );
        assert!(
            costs[1] <= costs[2],
            "{} {}: expert {} > naive {}",
            app.number,
            app.key,
            costs[1],
            costs[2]
        );
    }
}
