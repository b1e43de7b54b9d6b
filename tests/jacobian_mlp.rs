//! The loss gradient of a real network, by executing its Jacobian chain in reverse mode, in
//! forward mode and in the planner's order, against central finite differences of the loss.

use chainplan::jacobian::mlp::Mlp;
use ndarray::Array1;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

fn random_vector(n: usize, rng: &mut StdRng) -> Array1<f64> {
    Array1::from_shape_fn(n, |_| rng.random_range(-1.0..1.0))
}

/// Central differences of the loss along each input coordinate.
fn finite_differences(net: &Mlp, x: &Array1<f64>, t: &Array1<f64>, h: f64) -> Array1<f64> {
    Array1::from_shape_fn(x.len(), |i| {
        let (mut up, mut down) = (x.clone(), x.clone());
        up[i] += h;
        down[i] -= h;
        (net.loss(&up, t).unwrap() - net.loss(&down, t).unwrap()) / (2.0 * h)
    })
}

fn max_abs_diff(a: &Array1<f64>, b: &Array1<f64>) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

#[test]
fn mlp_gradient_agrees_with_finite_differences() {
    let mut rng = StdRng::seed_from_u64(2024);
    let net = Mlp::random(&[64, 128, 128, 10], 11).unwrap();
    let jc = net.gradient_chain().unwrap();
    for _ in 0..3 {
        let x = random_vector(64, &mut rng);
        let t = random_vector(10, &mut rng);
        let reverse = net.gradient(&x, &t, &jc.reverse_plan().unwrap()).unwrap();
        let forward = net.gradient(&x, &t, &jc.forward_plan().unwrap()).unwrap();
        let best = jc.optimal_plan().unwrap();
        let optimal = net.gradient(&x, &t, &best).unwrap();
        let fd = finite_differences(&net, &x, &t, 1e-5);
        // The same chain with every diagonal stored densely, through the plan executor.
        let dense: Vec<ndarray::Array2<f64>> = net
            .factors(&x, &t)
            .unwrap()
            .iter()
            .map(|f| f.to_dense())
            .collect();
        let via_exec = chainplan::exec::execute(&jc.reverse_plan().unwrap(), &dense).unwrap();
        let via_exec = via_exec.row(0).to_owned();

        let scale = fd.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(1e-3);
        // Central differences have error O(h²) plus rounding ε·loss/h, about 1e-9 here.
        assert!(max_abs_diff(&reverse, &fd) <= 1e-6 * scale, "reverse vs fd");
        // The orders compute the same sums in different groupings: rounding only, scaled to
        // the widest inner dimension.
        let tol = 128.0 * f64::EPSILON * 16.0 * scale;
        assert!(
            max_abs_diff(&reverse, &forward) <= tol,
            "reverse vs forward"
        );
        assert!(
            max_abs_diff(&reverse, &optimal) <= tol,
            "reverse vs optimal"
        );
        assert!(
            max_abs_diff(&reverse, &via_exec) <= tol,
            "structured vs dense execution"
        );
    }
}

#[test]
fn gradient_costs_a_constant_times_the_loss_while_forward_grows_with_the_input() {
    // Counted costs (fused multiply-adds), not times, for n0 → 128 → 128 → 10.
    let mut last_forward_over_reverse = 0.0;
    for n0 in [16u128, 64, 256, 1024, 4096] {
        let net = Mlp::random(&[n0 as usize, 128, 128, 10], 1).unwrap();
        let jc = net.gradient_chain().unwrap();
        let loss = net.loss_cost();
        assert_eq!(loss, 128 * n0 + 128 * 128 + 10 * 128 + 10);
        let reverse = jc.cost_of(&jc.reverse_plan().unwrap()).unwrap();
        let forward = jc.cost_of(&jc.forward_plan().unwrap()).unwrap();
        // Reverse: S·W3, ·D2, ·W2, ·D1, ·W1, all vector products.
        assert_eq!(reverse, 10 * 128 + 128 + 128 * 128 + 128 + 128 * n0);
        // Forward: n0 columns pushed through D1, W2, D2, W3 and S.
        assert_eq!(forward, n0 * (128 + 128 * 128 + 128 + 10 * 128 + 10));
        // So the gradient costs one loss evaluation, whatever n0 …
        assert!((reverse as f64) < 1.1 * loss as f64, "n0 = {n0}");
        // … while forward mode grows in proportion to n0.
        let ratio = forward as f64 / reverse as f64;
        assert!(ratio > last_forward_over_reverse, "n0 = {n0}");
        last_forward_over_reverse = ratio;
    }
}

#[test]
fn bad_inputs_are_errors() {
    let net = Mlp::random(&[4, 3, 2], 0).unwrap();
    let jc = net.gradient_chain().unwrap();
    let plan = jc.reverse_plan().unwrap();
    let x = Array1::zeros(5);
    let t = Array1::zeros(2);
    assert!(net.gradient(&x, &t, &plan).is_err());
    assert!(net.loss(&Array1::zeros(4), &Array1::zeros(3)).is_err());
    assert!(Mlp::random(&[4, 0, 2], 0).is_err());
    // A plan for another chain.
    let other =
        chainplan::Plan::left_to_right(&chainplan::Chain::new(vec![1u32, 2, 3]).unwrap()).unwrap();
    assert!(net.gradient(&Array1::zeros(4), &t, &other).is_err());
}
