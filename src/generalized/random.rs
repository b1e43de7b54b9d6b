//! A seeded generator of random generalized chains in the style of the CGO'18 experiments:
//! a number of factors, sizes drawn from a range, random properties, transposes and
//! inverses, and now and then an inverted sub-chain `inv(Bᵀ·B)` or `inv(Bᵀ·S·B)`, or (for tests)
//! a symmetric product `Bᵀ·B` or `Bᵀ·M⁻¹·B` with B a product of 1–3 factors.

use super::expr::Expression;
use super::operand::{Operand, Properties};
use super::GenError;
use rand::Rng;

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChainSpec {
    /// Fewest factors.
    pub min_factors: usize,
    /// Most factors.
    pub max_factors: usize,
    /// Smallest dimension.
    pub min_size: usize,
    /// Largest dimension.
    pub max_size: usize,
    /// Probability that a factor is square (so that it may be structured or inverted).
    pub p_square: f64,
    /// Probability that a square factor is inverted.
    pub p_inverse: f64,
    /// Probability that a factor is written transposed.
    pub p_transpose: f64,
    /// Probability that a square slot holds an inverted sub-chain.
    pub p_group: f64,
    /// Probability that one end is a vector.
    pub p_vector: f64,
    /// Probability that a square slot holds a symmetric product Bᵀ·B or Bᵀ·M·B (M⁻¹ or M,
    /// SPD or not), with B a product of 1–3 factors (some of them inverted).
    pub p_gram: f64,
}

impl ChainSpec {
    /// The CGO'18-style setting: 4–9 factors, sizes 50–2000.
    pub fn cgo18() -> Self {
        ChainSpec {
            min_factors: 4,
            max_factors: 9,
            min_size: 50,
            max_size: 2000,
            p_square: 0.5,
            p_inverse: 0.4,
            p_transpose: 0.3,
            p_group: 0.1,
            p_vector: 0.2,
            p_gram: 0.0,
        }
    }

    /// Small chains for tests: `max_factors` factors at most, sizes 1–`max_size`.
    pub fn small(max_factors: usize, max_size: usize) -> Self {
        ChainSpec {
            min_factors: 1,
            max_factors,
            min_size: 1,
            max_size,
            p_square: 0.6,
            p_inverse: 0.4,
            p_transpose: 0.3,
            p_group: 0.15,
            p_vector: 0.2,
            p_gram: 0.1,
        }
    }
}

/// A random chain: the expression text and its operands, parsed and checked.
pub fn random_expression(spec: &ChainSpec, rng: &mut impl Rng) -> Result<Expression, GenError> {
    let n = rng.random_range(spec.min_factors..=spec.max_factors.max(spec.min_factors));
    let size = |rng: &mut dyn rand::RngCore| rng.random_range(spec.min_size..=spec.max_size);
    let mut dims = vec![size(rng)];
    for _ in 0..n {
        let last = *dims.last().expect("non-empty");
        dims.push(if rng.random_bool(spec.p_square) {
            last
        } else {
            size(rng)
        });
    }
    if n > 1 && rng.random_bool(spec.p_vector) {
        if rng.random_bool(0.5) {
            dims[n] = 1;
        } else {
            dims[0] = 1;
        }
    }
    let mut ops: Vec<Operand> = Vec::new();
    let mut terms: Vec<String> = Vec::new();
    let structures = [
        "general",
        "symmetric",
        "spd",
        "lower",
        "upper",
        "diagonal",
        "orthogonal",
    ];
    for i in 0..n {
        let (r, c) = (dims[i], dims[i + 1]);
        let name = format!("A{}", i + 1);
        // (No draw at all when p_gram is 0, so that such specs give the chains they always
        // gave.)
        if r == c && spec.p_gram > 0.0 && rng.random_bool(spec.p_gram) {
            terms.push(gram_term(spec, r, i + 1, &mut ops, rng)?);
            continue;
        }
        if r == c && r > 1 && rng.random_bool(spec.p_group) {
            // inv(Bᵀ·B) or inv(Bᵀ·S·B), B tall and of full rank.
            let m = rng.random_range(r..=spec.max_size.max(r));
            let b = format!("B{}", i + 1);
            ops.push(Operand::new(
                &b,
                m,
                r,
                Properties {
                    full_rank: true,
                    ..Default::default()
                },
            )?);
            if rng.random_bool(0.5) {
                let s = format!("S{}", i + 1);
                ops.push(Operand::new(
                    &s,
                    m,
                    m,
                    Properties {
                        spd: true,
                        ..Default::default()
                    },
                )?);
                terms.push(format!("inv({b}' * inv({s}) * {b})"));
            } else {
                terms.push(format!("inv({b}' * {b})"));
            }
            continue;
        }
        let mut p = Properties::default();
        if r == c {
            match structures[rng.random_range(0..structures.len())] {
                "symmetric" => p.symmetric = true,
                "spd" => p.spd = true,
                "lower" => p.lower = true,
                "upper" => p.upper = true,
                "diagonal" => p.diagonal = true,
                "orthogonal" => p.orthogonal = true,
                _ => {}
            }
        }
        let inverted = r == c && rng.random_bool(spec.p_inverse);
        if inverted || rng.random_bool(0.5) {
            p.full_rank = true;
        }
        let transposed = rng.random_bool(spec.p_transpose);
        // A transposed factor r×c is an operand c×r written with '; transposing swaps
        // lower and upper.
        let (or, oc, op) = if transposed {
            (c, r, p.transposed())
        } else {
            (r, c, p)
        };
        // Sometimes reuse an earlier operand of the right shape (XᵀX-like patterns).
        let reuse = ops
            .iter()
            .find(|o| {
                o.rows == or && o.cols == oc && o.props == op.closed() && o.name.starts_with('A')
            })
            .filter(|_| rng.random_bool(0.5))
            .map(|o| o.name.clone());
        let nm = match reuse {
            Some(nm) => nm,
            None => {
                ops.push(Operand::new(&name, or, oc, op)?);
                name
            }
        };
        let mut t = nm;
        if transposed {
            t.push('\'');
        }
        if inverted {
            t = format!("inv({t})");
        }
        terms.push(t);
    }
    Expression::parse(&terms.join(" * "), &ops)
}

/// A symmetric product Bᵀ·B or Bᵀ·M·B of size r×r for slot `slot`, its operands added to `ops`:
/// B = G1·…·Gq (q in 1–3) is m×r, tall or square factors of full rank (mostly), square ones
/// inverted half the time; M is SPD and inverted (most often), symmetric and inverted, or SPD
/// and not inverted.
fn gram_term(
    spec: &ChainSpec,
    r: usize,
    slot: usize,
    ops: &mut Vec<Operand>,
    rng: &mut impl Rng,
) -> Result<String, GenError> {
    let q = rng.random_range(1..=3usize);
    let mut dims = vec![r];
    for _ in 0..q {
        let last = *dims.last().expect("non-empty");
        dims.push(if rng.random_bool(0.4) {
            last
        } else {
            rng.random_range(last..=spec.max_size.max(last))
        });
    }
    dims.reverse();
    let mut factors = Vec::new();
    for k in 0..q {
        let (fr, fc) = (dims[k], dims[k + 1]);
        let name = format!("G{slot}_{}", k + 1);
        let inverted = fr == fc && rng.random_bool(0.5);
        let p = Properties {
            full_rank: inverted || rng.random_bool(0.8),
            ..Default::default()
        };
        ops.push(Operand::new(&name, fr, fc, p)?);
        factors.push(if inverted {
            format!("inv({name})")
        } else {
            name
        });
    }
    let b = factors.join(" * ");
    let bt = if q == 1 && !b.starts_with("inv") {
        format!("{b}'")
    } else {
        format!("({b})'")
    };
    let m = dims[0];
    let middle = if rng.random_bool(0.5) {
        None
    } else {
        let name = format!("M{slot}");
        let pick = rng.random_range(0..10);
        let p = Properties {
            spd: !(6..8).contains(&pick),
            symmetric: true,
            full_rank: true,
            ..Default::default()
        };
        ops.push(Operand::new(&name, m, m, p)?);
        Some(if pick < 8 {
            format!("inv({name})")
        } else {
            name
        })
    };
    Ok(match middle {
        Some(mid) => format!("{bt} * {mid} * {b}"),
        None => format!("{bt} * {b}"),
    })
}
