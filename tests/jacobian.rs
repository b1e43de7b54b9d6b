//! Jacobian chains against independent implementations written here: brute force over every
//! parenthesization (dense and structured costs), closed forms for the pure modes, and an
//! exhaustive enumeration of matrix-free plans.

use chainplan::jacobian::matrix_free::MatrixFreeChain;
use chainplan::jacobian::{structured, JacobianChain, LayerKind, MfNode, MfOp, Mode, Seed};
use chainplan::Plan;
use proptest::prelude::*;

/// Matrix-chain dimensions of a Jacobian chain, built here from the definition.
fn dims_of(widths: &[usize], seed: Seed) -> Vec<u128> {
    let mut d: Vec<u128> = Vec::new();
    if let Seed::Output(k) = seed {
        d.push(k as u128);
    }
    for &w in widths.iter().rev() {
        d.push(w as u128);
    }
    if let Seed::Input(k) = seed {
        d.push(k as u128);
    }
    d
}

/// Diagonal flags, left to right, from the layer kinds.
fn diag_of(layers: &[LayerKind], seed: Seed) -> Vec<bool> {
    let mut f = Vec::new();
    if let Seed::Output(_) = seed {
        f.push(false);
    }
    for l in layers.iter().rev() {
        f.push(*l == LayerKind::Elementwise);
    }
    if let Seed::Input(_) = seed {
        f.push(false);
    }
    f
}

fn pair_cost(m: u128, k: u128, n: u128, dl: bool, dr: bool) -> u128 {
    match (dl, dr) {
        (true, true) => n,
        (true, false) => k * n,
        (false, true) => m * k,
        (false, false) => m * k * n,
    }
}

/// Cheapest cost of matrices i..=j by trying every split, recursively (no tables).
fn brute(d: &[u128], diag: &[bool], i: usize, j: usize) -> u128 {
    if i == j {
        return 0;
    }
    let all_diag = |a: usize, b: usize| diag[a..=b].iter().all(|&x| x);
    (i..j)
        .map(|k| {
            brute(d, diag, i, k)
                + brute(d, diag, k + 1, j)
                + pair_cost(d[i], d[k + 1], d[j + 1], all_diag(i, k), all_diag(k + 1, j))
        })
        .min()
        .unwrap()
}

/// Left to right (reverse mode) in closed form, with structure.
fn left_to_right(d: &[u128], diag: &[bool]) -> u128 {
    let mut total = 0;
    let mut acc_diag = diag[0];
    for i in 1..diag.len() {
        total += pair_cost(d[0], d[i], d[i + 1], acc_diag, diag[i]);
        acc_diag &= diag[i];
    }
    total
}

/// Right to left (forward mode) in closed form, with structure.
fn right_to_left(d: &[u128], diag: &[bool]) -> u128 {
    let n = diag.len();
    let mut total = 0;
    let mut acc_diag = diag[n - 1];
    for i in (0..n - 1).rev() {
        total += pair_cost(d[i], d[i + 1], d[n], diag[i], acc_diag);
        acc_diag &= diag[i];
    }
    total
}

fn seed_strategy() -> impl Strategy<Value = Seed> {
    prop_oneof![
        Just(Seed::None),
        (1usize..6).prop_map(Seed::Input),
        (1usize..6).prop_map(Seed::Output),
    ]
}

/// Widths and layer kinds: an elementwise layer repeats the width before it.
fn network_strategy() -> impl Strategy<Value = (Vec<usize>, Vec<LayerKind>)> {
    (
        1usize..40,
        prop::collection::vec((1usize..40, any::<bool>()), 1..7),
    )
        .prop_map(|(w0, rest)| {
            let mut widths = vec![w0];
            let mut layers = Vec::new();
            for (w, act) in rest {
                let last = *widths.last().unwrap();
                if act {
                    widths.push(last);
                    layers.push(LayerKind::Elementwise);
                } else {
                    widths.push(w);
                    layers.push(LayerKind::Dense);
                }
            }
            (widths, layers)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn dense_costs_match_brute_force_for_every_seed(
        widths in prop::collection::vec(1usize..60, 2..8),
        seed in seed_strategy(),
    ) {
        let jc = JacobianChain::new(&widths, seed).unwrap();
        let d = dims_of(&widths, seed);
        let diag = vec![false; d.len() - 1];
        let a = jc.analyze().unwrap();
        prop_assert_eq!(a.chain_dims.iter().map(|&x| x as u128).collect::<Vec<_>>(), d.clone());
        prop_assert_eq!(a.forward, right_to_left(&d, &diag));
        prop_assert_eq!(a.reverse, left_to_right(&d, &diag));
        prop_assert_eq!(a.optimal, brute(&d, &diag, 0, diag.len() - 1));
        // The reported order really has the reported cost.
        let replay = Plan::from_order(&jc.chain(), &a.order).unwrap();
        prop_assert_eq!(replay.cost(), a.optimal);
        let best_pure = a.forward.min(a.reverse);
        prop_assert_eq!(a.mode == Mode::Mixed, a.optimal < best_pure);
        if a.mode == Mode::Forward { prop_assert_eq!(a.forward, a.optimal); }
        if a.mode == Mode::Reverse { prop_assert_eq!(a.reverse, a.optimal); }
    }

    #[test]
    fn structured_costs_match_brute_force(
        (widths, layers) in network_strategy(),
        seed in seed_strategy(),
    ) {
        let jc = JacobianChain::with_layers(&widths, &layers, seed).unwrap();
        let d = dims_of(&widths, seed);
        let diag = diag_of(&layers, seed);
        let a = jc.analyze().unwrap();
        prop_assert_eq!(a.forward, right_to_left(&d, &diag));
        prop_assert_eq!(a.reverse, left_to_right(&d, &diag));
        prop_assert_eq!(a.optimal, brute(&d, &diag, 0, diag.len() - 1));
        prop_assert_eq!(structured::cost(&a.plan, &diag).unwrap(), a.optimal);
        prop_assert!(a.optimal <= a.forward.min(a.reverse));
        // Every plan the chain hands out reports its structured cost, steps included.
        for (plan, cost) in [
            (a.plan.clone(), a.optimal),
            (jc.optimal_plan().unwrap(), a.optimal),
            (jc.forward_plan().unwrap(), a.forward),
            (jc.reverse_plan().unwrap(), a.reverse),
        ] {
            prop_assert_eq!(plan.cost(), cost);
            prop_assert_eq!(plan.steps().iter().map(|s| s.cost).sum::<u128>(), cost);
            // Its serde form keeps the structure, so it reads back with the same cost.
            let json = serde_json::to_string(&plan).unwrap();
            let back: Plan = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(back.cost(), cost);
            prop_assert_eq!(&back, &plan);
            // Priced again in the all-dense model, it costs what the plain order costs.
            let dense = jc.as_dense().price(plan.clone()).unwrap();
            prop_assert_eq!(dense.diagonal(), None);
            prop_assert_eq!(dense.cost(), Plan::from_order(&jc.chain(), &plan.order()).unwrap().cost());
        }
        // The same network written with its own widths (no repeats) is the same chain.
        let network: Vec<usize> = std::iter::once(widths[0])
            .chain(
                layers
                    .iter()
                    .zip(&widths[1..])
                    .filter(|(k, _)| **k == LayerKind::Dense)
                    .map(|(_, &w)| w),
            )
            .collect();
        if layers.contains(&LayerKind::Dense) {
            let compact = JacobianChain::with_layers(&network, &layers, seed).unwrap();
            prop_assert_eq!(&compact, &jc);
            prop_assert_eq!(compact.network_widths(), network);
        }
    }

    #[test]
    fn structured_dp_without_diagonals_is_the_classic_dp(
        dims in prop::collection::vec(1u32..80, 2..12),
    ) {
        let chain = chainplan::Chain::new(dims).unwrap();
        let flags = vec![false; chain.matrices()];
        let plan = structured::optimal(&chain, &flags).unwrap();
        prop_assert_eq!(plan.cost(), chainplan::plan::dp::optimal(&chain).unwrap().cost());
    }
}

#[test]
fn narrow_middle_layer_makes_mixed_win_even_for_a_gradient() {
    // Checked by hand: reverse 1·2·10 + 1·10·100 + 1·100·1 + 1·1·100 = 1220; the order
    // S·(J4·(J3·(J2·J1)))… is beaten by forming J4·J3·J2 through the width-1 layer first.
    let jc = JacobianChain::new(&[100, 1, 100, 10, 2], Seed::Output(1)).unwrap();
    let a = jc.analyze().unwrap();
    assert_eq!(a.reverse, 1220);
    assert_eq!(a.mode, Mode::Mixed);
    let d = dims_of(&[100, 1, 100, 10, 2], Seed::Output(1));
    assert_eq!(a.optimal, brute(&d, &[false; 5], 0, 4));
    assert!(a.optimal < 1220);
}

// ---------------------------------------------------------------------------------------
// Matrix-free chains.

/// One elemental as this test sees it: (n, m, t, a, e, given).
type El = (u128, u128, u128, u128, u128, bool);

fn elementals(chain: &MatrixFreeChain) -> Vec<El> {
    chain
        .elementals()
        .iter()
        .map(|e| {
            (
                e.inputs as u128,
                e.outputs as u128,
                e.tangent.into(),
                e.adjoint.into(),
                e.tape.into(),
                e.given,
            )
        })
        .collect()
}

/// Every cost any plan for F'_(j:i) can have, by exhaustive enumeration.
fn all_costs(el: &[El], memory: Option<u128>, i: usize, j: usize) -> Vec<u128> {
    let fits = |tape: u128| memory.is_none() || tape <= memory.unwrap();
    let mut out = Vec::new();
    if i == j {
        let (n, m, t, a, e, given) = el[i];
        if given {
            out.push(0);
        } else {
            out.push(n * t);
            if fits(e) {
                out.push(m * a);
            }
        }
        return out;
    }
    for k in i..j {
        let left = all_costs(el, memory, k + 1, j);
        let right = all_costs(el, memory, i, k);
        let (mj, mk, ni) = (el[j].1, el[k].1, el[i].0);
        for &l in &left {
            for &r in &right {
                out.push(l + r + mj * mk * ni);
            }
        }
        let tangents: u128 = el[k + 1..=j].iter().map(|e| e.2).sum();
        for &r in &right {
            out.push(r + ni * tangents);
        }
        let tape: u128 = el[i..=k].iter().map(|e| e.4).sum();
        if fits(tape) {
            let adjoints: u128 = el[i..=k].iter().map(|e| e.3).sum();
            for &l in &left {
                out.push(l + mj * adjoints);
            }
        }
    }
    out
}

/// Recomputes a plan tree's cost from the operations it names, checking that each node
/// joins its children correctly and respects the memory limit. Returns (first, last, cost).
fn replay(node: &MfNode, el: &[El], memory: Option<u128>) -> (usize, usize, u128) {
    let (i, j) = (node.first(), node.last());
    assert!(i <= j && j < el.len());
    let (rows, cols) = node.shape();
    assert_eq!((rows as u128, cols as u128), (el[j].1, el[i].0));
    let fits = |tape: u128| memory.is_none() || tape <= memory.unwrap();
    let through = || {
        let t = node.through().unwrap();
        (t.start, t.end - 1)
    };
    let cost = match node.op() {
        MfOp::Given => {
            assert!(el[i].5 && i == j);
            0
        }
        MfOp::Tangents => {
            assert_eq!(i, j);
            el[i].0 * el[i].2
        }
        MfOp::Adjoints => {
            assert!(i == j && fits(el[i].4));
            el[i].1 * el[i].3
        }
        MfOp::Multiply => {
            let (a, b, cl) = replay(&node.children()[0], el, memory);
            let (c, d, cr) = replay(&node.children()[1], el, memory);
            assert_eq!((a, b, c, d + 1), (d + 1, j, i, a));
            cl + cr + el[j].1 * el[d].1 * el[i].0
        }
        MfOp::Push => {
            let (a, b, c) = replay(&node.children()[0], el, memory);
            let (p, q) = through();
            assert_eq!((a, b + 1, q), (i, p, j));
            c + el[i].0 * el[p..=q].iter().map(|e| e.2).sum::<u128>()
        }
        MfOp::Pull => {
            let (a, b, c) = replay(&node.children()[0], el, memory);
            let (p, q) = through();
            assert_eq!((p, q + 1, b), (i, a, j));
            assert!(fits(el[p..=q].iter().map(|e| e.4).sum()));
            c + el[j].1 * el[p..=q].iter().map(|e| e.3).sum::<u128>()
        }
    };
    assert_eq!(cost, node.total(), "node {:?}", node.span());
    (i, j, cost)
}

#[derive(Debug, Clone)]
struct MfCase {
    widths: Vec<usize>,
    tangent: Vec<u64>,
    adjoint: Vec<u64>,
    tapes: Option<(Vec<u64>, u64)>,
    seed: Seed,
}

fn mf_strategy() -> impl Strategy<Value = MfCase> {
    prop::collection::vec((1usize..20, 1u64..200, 1u64..5, 1u64..10), 1..6)
        .prop_flat_map(|layers| {
            let l = layers.len();
            (
                Just(layers),
                1usize..20,
                prop::option::of((prop::collection::vec(1u64..10, l), 0u64..30)),
                seed_strategy(),
            )
        })
        .prop_map(|(layers, w0, tapes, seed)| {
            let mut widths = vec![w0];
            widths.extend(layers.iter().map(|x| x.0));
            // Adjoints cost a small multiple of tangents, as in practice.
            let tangent: Vec<u64> = layers.iter().map(|x| x.1).collect();
            let adjoint: Vec<u64> = layers.iter().map(|x| x.1 * x.2).collect();
            // Keep the memory at least the smallest tape (a smaller one is refused).
            let tapes = tapes.map(|(e, m)| {
                let min = *e.iter().min().unwrap();
                (e, m.max(min))
            });
            MfCase {
                widths,
                tangent,
                adjoint,
                tapes,
                seed,
            }
        })
}

fn build(case: &MfCase) -> MatrixFreeChain {
    let mut c = MatrixFreeChain::new(&case.widths, &case.tangent, &case.adjoint).unwrap();
    if let Some((e, m)) = &case.tapes {
        c = c.with_memory(e, *m).unwrap();
    }
    c.with_seed(case.seed).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn matrix_free_optimum_is_the_best_of_all_plans(case in mf_strategy()) {
        let chain = build(&case);
        let el = elementals(&chain);
        let memory = chain.memory().map(u128::from);
        let best = chain.optimal().unwrap();
        let all = all_costs(&el, memory, 0, el.len() - 1);
        prop_assert_eq!(best.total(), *all.iter().min().unwrap());
        let (i, j, cost) = replay(&best, &el, memory);
        prop_assert_eq!((i, j, cost), (0, el.len() - 1, best.total()));
        // Never above either pure mode.
        prop_assert!(best.total() <= chain.tangent_cost().unwrap());
        if let Some(adj) = chain.adjoint_cost().unwrap() {
            prop_assert!(best.total() <= adj);
        }
    }

    #[test]
    fn pure_modes_have_their_closed_forms(case in mf_strategy()) {
        let case = MfCase { seed: Seed::None, ..case };
        let chain = build(&case);
        let n1 = case.widths[0] as u128;
        let ml = *case.widths.last().unwrap() as u128;
        let st: u128 = case.tangent.iter().map(|&t| u128::from(t)).sum();
        let sa: u128 = case.adjoint.iter().map(|&a| u128::from(a)).sum();
        prop_assert_eq!(chain.tangent_cost().unwrap(), n1 * st);
        prop_assert_eq!(chain.tangent_plan().unwrap().total(), n1 * st);
        let fits = match &case.tapes {
            None => true,
            Some((e, m)) => e.iter().sum::<u64>() <= *m,
        };
        prop_assert_eq!(chain.adjoint_cost().unwrap(), fits.then_some(ml * sa));
        let adjoint_plan = chain.adjoint_plan().unwrap();
        prop_assert_eq!(adjoint_plan.map(|p| p.total()), fits.then_some(ml * sa));
    }
}

#[test]
fn matrix_free_memory_limit_forces_a_mixed_plan() {
    // Gradient-like chain: wide input, scalar output; adjoints are cheap per row but the
    // whole tape does not fit, so pure adjoint mode is not allowed.
    let chain = MatrixFreeChain::new(&[50, 50, 50, 1], &[100, 100, 100], &[300, 300, 300])
        .unwrap()
        .with_memory(&[10, 10, 10], 20)
        .unwrap();
    assert_eq!(chain.adjoint_cost().unwrap(), None);
    let best = chain.optimal().unwrap();
    assert!(best.total() < chain.tangent_cost().unwrap());
    let el = elementals(&chain);
    assert_eq!(
        best.total(),
        *all_costs(&el, Some(20), 0, 2).iter().min().unwrap()
    );
}

// ---------------------------------------------------------------------------------------
// Execution of dense and diagonal factors.

/// Deterministic entries in [-1, 1) from a seed (xorshift64*).
fn entries(seed: u64) -> impl FnMut() -> f64 {
    let mut state = seed | 1;
    move || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        (state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    }
}

/// The naive product of dense matrices, left to right, by triple loops.
fn naive(mats: &[ndarray::Array2<f64>]) -> ndarray::Array2<f64> {
    let mut acc = mats[0].clone();
    for b in &mats[1..] {
        let (m, k, n) = (acc.nrows(), acc.ncols(), b.ncols());
        acc = ndarray::Array2::from_shape_fn((m, n), |(i, j)| {
            (0..k).map(|l| acc[[i, l]] * b[[l, j]]).sum()
        });
    }
    acc
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(150))]

    #[test]
    fn execution_matches_the_naive_product_in_f64_and_f32(
        (widths, layers) in network_strategy(),
        seed in seed_strategy(),
        values in any::<u64>(),
    ) {
        use chainplan::jacobian::StructuredFactor;
        let jc = JacobianChain::with_layers(&widths, &layers, seed).unwrap();
        let dims = jc.dims();
        let flags = jc.diagonal_flags();
        let mut next = entries(values);
        // The factors in chain order: diagonals by their diagonal, the rest dense.
        let stored: Vec<(ndarray::Array2<f64>, bool)> = flags
            .iter()
            .enumerate()
            .map(|(i, &d)| {
                let (r, c) = (dims[i], dims[i + 1]);
                if d {
                    (ndarray::Array2::from_diag(&ndarray::Array1::from_shape_fn(r, |_| next())), true)
                } else {
                    (ndarray::Array2::from_shape_fn((r, c), |_| next()), false)
                }
            })
            .collect();
        let factors = |f32s: bool| -> (Vec<StructuredFactor<'static, f64>>, Vec<StructuredFactor<'static, f32>>) {
            let mut a = Vec::new();
            let mut b = Vec::new();
            for (m, d) in &stored {
                if *d {
                    let diag = m.diag().to_owned();
                    if f32s { b.push(StructuredFactor::diagonal(diag.mapv(|v| v as f32))) } else { a.push(StructuredFactor::diagonal(diag)) }
                } else if f32s {
                    b.push(StructuredFactor::dense(m.mapv(|v| v as f32)));
                } else {
                    a.push(StructuredFactor::dense(m.clone()));
                }
            }
            (a, b)
        };
        let mats: Vec<ndarray::Array2<f64>> = stored.iter().map(|(m, _)| m.clone()).collect();
        let expected = naive(&mats);
        let scale = expected.iter().fold(1.0f64, |m, v| m.max(v.abs()));
        let inner: usize = dims.iter().sum();
        for plan in [jc.optimal_plan().unwrap(), jc.forward_plan().unwrap(), jc.reverse_plan().unwrap()] {
            let got = jc.execute(&plan, factors(false).0).unwrap().into_dense();
            let err = (&got - &expected).iter().fold(0.0f64, |m, d| m.max(d.abs()));
            prop_assert!(err <= 4.0 * f64::EPSILON * inner as f64 * scale, "{} err {}", plan, err);
            let got32 = jc.execute(&plan, factors(true).1).unwrap().into_dense();
            let err32 = (&got32.mapv(f64::from) - &expected).iter().fold(0.0f64, |m, d| m.max(d.abs()));
            prop_assert!(err32 <= 4.0 * f64::from(f32::EPSILON) * inner as f64 * scale, "{} err {}", plan, err32);
        }
    }
}
