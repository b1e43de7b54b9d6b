//! The MLP's activations and its gradients with respect to weights, biases and input, against
//! central finite differences of the loss (f64, tolerance scaled to h²), over random widths
//! and activations; the reverse sweep's cost against a count of its vector products.

use chainplan::jacobian::{Activation, Activations, JacobianChain, Mlp, Seed};
use ndarray::{Array1, Array2};
use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Step of the central differences: their error is h²·f'''/6 plus rounding ε·loss/h.
const H: f64 = 1e-4;

/// Finite differences agree to a tolerance scaled to h² and to the gradient's size.
fn tolerance(scale: f64) -> f64 {
    50.0 * H * H * (1.0 + scale)
}

fn softplus() -> Activation<f64> {
    Activation::custom(
        "softplus",
        |z: f64| z.exp().ln_1p(),
        |z: f64, _a: f64| 1.0 / (1.0 + (-z).exp()),
    )
}

fn activation(i: usize) -> Activation<f64> {
    match i % 5 {
        0 => Activation::Identity,
        1 => Activation::Tanh,
        2 => Activation::Relu,
        3 => Activation::Sigmoid,
        _ => softplus(),
    }
}

/// The same network with its parameters `weights` and `biases`.
fn with_parameters(net: &Mlp, weights: Vec<Array2<f64>>, biases: Vec<Array1<f64>>) -> Mlp {
    Mlp::from_weights(weights, Some(biases))
        .unwrap()
        .with_activations(net.activations().to_vec())
        .unwrap()
}

/// The pre-activations z_l at x, by a forward pass written out here.
fn pre_activations(net: &Mlp, x: &Array1<f64>) -> Vec<Array1<f64>> {
    let mut a = x.clone();
    let mut zs = Vec::new();
    for ((w, b), s) in net
        .weights()
        .iter()
        .zip(net.biases())
        .zip(net.activations())
    {
        let z = w.dot(&a) + b;
        a = z.mapv(|v| s.value(v));
        zs.push(z);
    }
    zs
}

/// Central difference of the loss when `perturb(net, ±h)` moves one parameter or input.
fn central(loss: impl Fn(f64) -> f64) -> f64 {
    (loss(H) - loss(-H)) / (2.0 * H)
}

fn max_abs(a: impl IntoIterator<Item = f64>) -> f64 {
    a.into_iter().fold(0.0, |m, v| m.max(v.abs()))
}

/// Checks every gradient of `net` at (x, t) against central differences.
fn check_against_finite_differences(net: &Mlp, x: &Array1<f64>, t: &Array1<f64>) {
    let g = net.gradients(x, t).unwrap();
    let (ws, bs) = (net.weights().to_vec(), net.biases().to_vec());
    let mut pairs: Vec<(f64, f64)> = Vec::new();
    for l in 0..ws.len() {
        for ((i, j), got) in g.weights()[l].indexed_iter() {
            let fd = central(|h| {
                let mut w = ws.clone();
                w[l][[i, j]] += h;
                with_parameters(net, w, bs.clone()).loss(x, t).unwrap()
            });
            pairs.push((*got, fd));
        }
        for (i, got) in g.biases()[l].indexed_iter() {
            let fd = central(|h| {
                let mut b = bs.clone();
                b[l][i] += h;
                with_parameters(net, ws.clone(), b).loss(x, t).unwrap()
            });
            pairs.push((*got, fd));
        }
    }
    for (i, got) in g.input().indexed_iter() {
        let fd = central(|h| {
            let mut y = x.clone();
            y[i] += h;
            net.loss(&y, t).unwrap()
        });
        pairs.push((*got, fd));
    }
    let scale = max_abs(pairs.iter().map(|p| p.1));
    let worst = max_abs(pairs.iter().map(|p| p.0 - p.1));
    assert!(
        worst <= tolerance(scale),
        "gradient differs from finite differences by {worst:e} (scale {scale:e}) for {:?}",
        net.activations()
    );
}

/// The reverse sweep's cost counted here: each factor after the seed multiplies a row
/// vector, a dense n_l × n_(l-1) weight at n_l·n_(l-1), a diagonal at its width.
fn sweep_cost(net: &Mlp) -> u128 {
    let w = net.widths();
    let mut cost = 0u128;
    for l in 0..net.weights().len() {
        cost += (w[l] * w[l + 1]) as u128;
        if !net.activations()[l].is_identity() {
            cost += w[l + 1] as u128;
        }
    }
    cost
}

fn random_vector(n: usize, rng: &mut StdRng) -> Array1<f64> {
    Array1::from_shape_fn(n, |_| rng.random_range(-1.0..1.0))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn gradients_match_finite_differences(
        widths in prop::collection::vec(1usize..6, 2..5),
        kinds in prop::collection::vec(0usize..5, 4),
        seed in 0u64..1000,
    ) {
        let layers = widths.len() - 1;
        let acts: Vec<_> = kinds[..layers].iter().map(|&k| activation(k)).collect();
        let net = Mlp::random(&widths, seed).unwrap().with_activations(acts).unwrap();
        let mut rng = StdRng::seed_from_u64(seed + 1);
        let x = random_vector(widths[0], &mut rng);
        let t = random_vector(widths[layers], &mut rng);
        // ReLU's kink: central differences across it are no derivative.
        let zs = pre_activations(&net, &x);
        for (z, a) in zs.iter().zip(net.activations()) {
            if *a == Activation::Relu {
                prop_assume!(z.iter().all(|v| v.abs() > 1e-2));
            }
        }
        check_against_finite_differences(&net, &x, &t);

        // The input gradient is the one every plan of the gradient chain gives.
        let g = net.gradients(&x, &t).unwrap();
        let chain = net.gradient_chain().unwrap();
        for plan in [chain.optimal_plan().unwrap(), chain.forward_plan().unwrap()] {
            let other = net.gradient(&x, &t, &plan).unwrap();
            prop_assert!(max_abs((g.input() - &other).iter().copied()) <= 1e-12);
        }

        // The plan: the sweep is the chain's reverse order, its cost the vector products.
        let p = net.parameter_plan().unwrap();
        prop_assert_eq!(p.plan(), &chain.reverse_plan().unwrap());
        prop_assert_eq!(p.cost(), sweep_cost(&net));
        let w = net.widths();
        prop_assert_eq!(p.outer_cost(), (0..layers).map(|l| (w[l] * w[l + 1]) as u128).sum::<u128>());
    }
}

#[test]
fn default_activations_are_tanh_hidden_and_a_linear_output() {
    let widths = [5, 7, 6, 3];
    let net = Mlp::random(&widths, 3).unwrap();
    let names: Vec<&str> = net.activations().iter().map(|a| a.name()).collect();
    assert_eq!(names, ["tanh", "tanh", "identity"]);
    let expected = JacobianChain::network(&widths, Activations::Hidden, Seed::Output(1)).unwrap();
    assert_eq!(net.gradient_chain().unwrap(), expected);
}

#[test]
fn gradients_of_a_wider_network_with_each_activation() {
    let mut rng = StdRng::seed_from_u64(9);
    for k in 0..5 {
        let net = Mlp::random(&[12, 9, 1, 8, 4], 40 + k as u64)
            .unwrap()
            .with_activation(activation(k));
        let x = random_vector(12, &mut rng);
        let t = random_vector(4, &mut rng);
        let zs = pre_activations(&net, &x);
        if k % 5 == 2 && zs.iter().any(|z| z.iter().any(|v| v.abs() < 1e-2)) {
            continue; // a ReLU input at its kink
        }
        check_against_finite_differences(&net, &x, &t);
    }
}

#[test]
fn an_output_activation_enters_the_jacobian() {
    let net = Mlp::random(&[4, 6, 3], 5)
        .unwrap()
        .with_activations(vec![Activation::Relu, Activation::Sigmoid])
        .unwrap();
    let chain = net.jacobian_chain().unwrap();
    // D2, W2, D1, W1 (output to input).
    assert_eq!(chain.diagonal_flags(), [true, false, true, false]);
    let x = Array1::from(vec![0.3, -0.2, 0.9, 0.5]);
    let j = net.jacobian(&x, &chain.optimal_plan().unwrap()).unwrap();
    for i in 0..4 {
        let fd = {
            let (mut up, mut down) = (x.clone(), x.clone());
            up[i] += H;
            down[i] -= H;
            (net.output(&up).unwrap() - net.output(&down).unwrap()) / (2.0 * H)
        };
        let diff = max_abs((&j.column(i) - &fd).iter().copied());
        assert!(diff <= tolerance(1.0), "column {i}: {diff:e}");
    }
}

#[test]
fn f32_network_with_a_custom_activation_tracks_f64() {
    let net = Mlp::random(&[6, 5, 2], 8)
        .unwrap()
        .with_activation(softplus());
    let x = Array1::from(vec![0.1, -0.4, 0.3, 0.8, -0.6, 0.2]);
    let t = Array1::from(vec![0.5, -0.5]);
    let g64 = net.gradients(&x, &t).unwrap();
    let g32 = net
        .cast::<f32>()
        .gradients(&x.mapv(|v| v as f32), &t.mapv(|v| v as f32))
        .unwrap();
    for (a, b) in g64.weights().iter().zip(g32.weights()) {
        let diff = max_abs(a.iter().zip(b).map(|(p, q)| p - f64::from(*q)));
        assert!(diff < 1e-5, "{diff:e}");
    }
}
