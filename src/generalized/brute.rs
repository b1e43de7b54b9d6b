//! Brute force over every parenthesization × kernel × lazy form: the tests' oracle for the
//! DP, for chains of up to about 7 factors.
//!
//! Unlike the DP it keeps every distinct outcome of every sub-chain (form, cost, and the set
//! of operands whose factorization it used), never a minimum, and charges each operand's
//! factorization once at the end. It shares only the kernel menu (`menu`, through
//! its crate-internal interface) with the planner; which sub-chains a rule applies to (the
//! splits, the forms, the symmetric products Bᵀ·B and Bᵀ·M⁻¹·B) it finds on its own.

use super::cost::{CostModel, Splits};
use super::expr::{
    count_factors, factor_props, factor_shape, infer, Base, Expression, Factor, FactorChain,
};
use super::menu::{Choice, Form, Kernels, Side};
use super::operand::Operand;
use super::GenError;
use std::collections::HashSet;

/// Largest chain (factors, counting groups' insides) the brute force accepts.
pub const MAX_FACTORS: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Cand {
    form: Form,
    cost: u128,
    /// Operands whose (shared) factorization was used.
    used: u64,
    /// The candidate is an operand itself (a leaf as written).
    raw: bool,
}

struct Brute<'a> {
    ops: &'a [Operand],
    kernels: Kernels<'a>,
}

fn overflow() -> GenError {
    GenError::Overflow {
        what: "a brute-force cost",
    }
}

impl Brute<'_> {
    fn side(&self, chain: &FactorChain, i: usize, j: usize, c: &Cand) -> Side {
        let f = c.form;
        let fs = &chain.factors[i..=j];
        let (rows, _) = factor_shape(&fs[0], self.ops);
        let (_, cols) = factor_shape(&fs[fs.len() - 1], self.ops);
        let leaf = match (&fs[0].base, c.raw) {
            (Base::Operand(a), true) => Some(*a),
            _ => None,
        };
        Side {
            rows,
            cols,
            props: if i == j {
                factor_props(&fs[0], self.ops)
            } else {
                infer(fs, self.ops)
            },
            leaf,
            t: f.t(),
        }
    }

    fn charged(&self, base: &Cand, c: &Choice, out: Form) -> Result<Cand, GenError> {
        let mut cand = Cand {
            form: out,
            cost: base.cost.checked_add(c.cost).ok_or_else(overflow)?,
            used: base.used,
            raw: false,
        };
        if let Some((a, f)) = c.leaf_factor {
            if self.kernels.model.share_factorizations {
                cand.used |= 1 << a;
            } else {
                cand.cost = cand.cost.checked_add(f).ok_or_else(overflow)?;
            }
        }
        Ok(cand)
    }

    /// Adds every explicit-inverse conversion of the inverted candidates.
    fn convert(
        &self,
        chain: &FactorChain,
        i: usize,
        j: usize,
        set: &mut HashSet<Cand>,
    ) -> Result<(), GenError> {
        let inverted: Vec<Cand> = set.iter().copied().filter(|c| c.form.inv()).collect();
        for c in inverted {
            let choice = self.kernels.inverse(&self.side(chain, i, j, &c))?;
            let to = Form(c.form.0 & 1);
            set.insert(self.charged(&c, &choice, to)?);
        }
        Ok(())
    }

    /// The symmetric-product outcomes of (i, j), found on their own terms: the first half,
    /// factor by factor, must equal the transpose of the second half B read backwards (a
    /// factor of symmetric value is its own transpose); an odd length leaves one middle
    /// factor. Every held form of B and of the middle is tried: plain or transposed B with
    /// or without the middle, inverted B only without it and only where inverse products are
    /// allowed (the result is then inverted).
    fn gram(
        &self,
        chain: &FactorChain,
        memo: &[Vec<HashSet<Cand>>],
        i: usize,
        j: usize,
        set: &mut HashSet<Cand>,
    ) -> Result<(), GenError> {
        let fs = &chain.factors;
        let half = (j + 1 - i) / 2;
        let first = &fs[i..i + half];
        let second = &fs[j + 1 - half..=j];
        let is_transpose = |l: &Factor, r: &Factor| {
            let mut rt = r.clone();
            rt.transposed = !rt.transposed;
            *l == rt || (l == r && factor_props(r, self.ops).symmetric)
        };
        if half == 0
            || !first
                .iter()
                .zip(second.iter().rev())
                .all(|(l, r)| is_transpose(l, r))
        {
            return Ok(());
        }
        let bi = j + 1 - half;
        let has_middle = (j + 1 - i) % 2 == 1;
        // Without a middle, one stand-in "middle" of no cost.
        let none = HashSet::from([Cand {
            form: Form::I,
            cost: 0,
            used: 0,
            raw: false,
        }]);
        let middles = if has_middle {
            &memo[bi - 1][bi - 1]
        } else {
            &none
        };
        for bc in &memo[bi][j] {
            if bc.form.inv() && (has_middle || !self.kernels.model.inverse_products) {
                continue;
            }
            let b_side = self.side(chain, bi, j, bc);
            for mc in middles {
                let m_side = has_middle.then(|| self.side(chain, bi - 1, bi - 1, mc));
                let middle = m_side.as_ref().map(|s| (s, mc.form.inv()));
                let Some(choice) = self.kernels.gram(&b_side, middle)? else {
                    continue;
                };
                let out = if bc.form.inv() { Form::I } else { Form::N };
                let base = Cand {
                    form: out,
                    cost: bc.cost.checked_add(mc.cost).ok_or_else(overflow)?,
                    used: bc.used | mc.used,
                    raw: false,
                };
                set.insert(self.charged(&base, &choice, out)?);
            }
        }
        Ok(())
    }

    fn all(&self, chain: &FactorChain) -> Result<Vec<Vec<HashSet<Cand>>>, GenError> {
        let n = chain.factors.len();
        let mut memo: Vec<Vec<HashSet<Cand>>> = vec![vec![HashSet::new(); n]; n];
        for (i, f) in chain.factors.iter().enumerate() {
            let own = Form::new(f.transposed, f.inverted);
            let mut set = HashSet::new();
            match &f.base {
                Base::Operand(_) => {
                    set.insert(Cand {
                        form: own,
                        cost: 0,
                        used: 0,
                        raw: true,
                    });
                }
                Base::Group(g) => {
                    let inner = self.all(g)?;
                    for c in &inner[0][g.factors.len() - 1] {
                        set.insert(Cand {
                            form: c.form.compose(own),
                            raw: false,
                            ..*c
                        });
                    }
                }
            }
            self.convert(chain, i, i, &mut set)?;
            memo[i][i] = set;
        }
        for len in 2..=n {
            for i in 0..=n - len {
                let j = i + len - 1;
                let ks: Vec<usize> = match self.kernels.model.splits {
                    Splits::Any => (i..j).collect(),
                    Splits::LeftToRight => vec![j - 1],
                };
                let mut set = HashSet::new();
                for k in ks {
                    for l in &memo[i][k] {
                        for r in &memo[k + 1][j] {
                            let a = self.side(chain, i, k, l);
                            let b = self.side(chain, k + 1, j, r);
                            let (out, choices) =
                                self.kernels.combine(&a, l.form.inv(), &b, r.form.inv())?;
                            let base = Cand {
                                form: out,
                                cost: l.cost.checked_add(r.cost).ok_or_else(overflow)?,
                                used: l.used | r.used,
                                raw: false,
                            };
                            for c in choices {
                                set.insert(self.charged(&base, &c, out)?);
                            }
                        }
                    }
                }
                self.gram(chain, &memo, i, j, &mut set)?;
                self.convert(chain, i, j, &mut set)?;
                memo[i][j] = set;
            }
        }
        Ok(memo)
    }
}

/// The cheapest total cost (⅓-flop units) of `expr` under `model`, by exhaustive search;
/// `None` when the chain has more than [`MAX_FACTORS`] factors or more than 64 operands.
pub fn brute_cost(expr: &Expression, model: &CostModel) -> Result<Option<u128>, GenError> {
    if count_factors(&expr.chain) > MAX_FACTORS || expr.operands.len() > 64 {
        return Ok(None);
    }
    let b = Brute {
        ops: &expr.operands,
        kernels: Kernels { model },
    };
    let memo = b.all(&expr.chain)?;
    let root = &memo[0][expr.chain.factors.len() - 1];
    let mut best: Option<u128> = None;
    for c in root.iter().filter(|c| !c.form.inv()) {
        let mut total = c.cost;
        for (a, op) in expr.operands.iter().enumerate() {
            if c.used >> a & 1 == 1 {
                let f = b.kernels.factorization(op.rows, op.props)?;
                total = total.checked_add(f.cost).ok_or_else(overflow)?;
            }
        }
        best = Some(best.map_or(total, |b| b.min(total)));
    }
    Ok(best)
}
