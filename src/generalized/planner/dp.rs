//! The DP: for each sub-chain, the cheapest way to hold its value in each lazy form, and the
//! menu choice that gives it. Costs come from the kernel menu ([`crate::generalized::menu`]);
//! operands' factorizations are charged by the policy of [`Dp::charge`].

use crate::generalized::cost::Splits;
use crate::generalized::expr::{factor_props, factor_shape, infer, mirrors, Base, FactorChain};
use crate::generalized::menu::{Choice, Form, Kernels, Side};
use crate::generalized::operand::{Operand, Properties};
use crate::generalized::GenError;

/// How a table entry was obtained.
#[derive(Debug, Clone, Copy)]
pub(super) enum How {
    Leaf,
    Group {
        inner: Form,
    },
    Product {
        k: usize,
        lf: Form,
        rf: Form,
        choice: Choice,
    },
    Inverse {
        choice: Choice,
    },
    /// The symmetric product Bᵀ·B, or Bᵀ·M⁻¹·B or Bᵀ·M·B with the single middle factor held
    /// in form `mf`: B is the right half, cells `b..=j`, held in form `bf`.
    Gram {
        b: usize,
        bf: Form,
        mf: Option<Form>,
        choice: Choice,
    },
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Entry {
    pub(super) cost: u128,
    pub(super) how: How,
}

#[derive(Debug, Clone)]
pub(super) struct Cell {
    pub(super) rows: usize,
    pub(super) cols: usize,
    pub(super) props: Properties,
    pub(super) leaf: Option<usize>,
    pub(super) e: [Option<Entry>; 4],
}

impl Cell {
    /// The side an entry offers; `leaf` only when the entry is the operand itself (not, say,
    /// its explicit inverse).
    pub(super) fn side(&self, f: Form) -> Side {
        let raw = matches!(self.e[f.0 as usize], Some(Entry { how: How::Leaf, .. }));
        Side {
            rows: self.rows,
            cols: self.cols,
            props: self.props,
            leaf: if raw { self.leaf } else { None },
            t: f.t(),
        }
    }

    fn offer(&mut self, f: Form, cost: u128, how: How) {
        let slot = &mut self.e[f.0 as usize];
        if slot.is_none_or_costlier(cost) {
            *slot = Some(Entry { cost, how });
        }
    }
}

trait Costlier {
    fn is_none_or_costlier(&self, cost: u128) -> bool;
}

impl Costlier for Option<Entry> {
    fn is_none_or_costlier(&self, cost: u128) -> bool {
        self.as_ref().is_none_or(|e| e.cost > cost)
    }
}

pub(super) struct Table {
    pub(super) chain: FactorChain,
    pub(super) n: usize,
    cells: Vec<Cell>,
    pub(super) groups: Vec<Option<Table>>,
}

impl Table {
    pub(super) fn cell(&self, i: usize, j: usize) -> &Cell {
        &self.cells[i * self.n + j]
    }
}

pub(super) struct Dp<'a> {
    pub(super) ops: &'a [Operand],
    pub(super) kernels: Kernels<'a>,
    /// Operands whose factorization is prepaid (shared mode).
    pub(super) prepaid: &'a [bool],
}

impl Dp<'_> {
    /// The option's cost under the factorization policy; `None` when it needs a
    /// factorization the policy forbids.
    fn charge(&self, c: &Choice) -> Option<u128> {
        match c.leaf_factor {
            None => Some(c.cost),
            Some((a, f)) => {
                if self.kernels.model.share_factorizations {
                    self.prepaid[a].then_some(c.cost)
                } else {
                    c.cost.checked_add(f)
                }
            }
        }
    }

    pub(super) fn build(&self, chain: &FactorChain) -> Result<Table, GenError> {
        let n = chain.factors.len();
        let mut cells = Vec::with_capacity(n * n);
        for i in 0..n {
            for j in 0..n {
                let fs = &chain.factors[i..=j.max(i)];
                let (rows, _) = factor_shape(&fs[0], self.ops);
                let (_, cols) = factor_shape(&fs[fs.len() - 1], self.ops);
                cells.push(Cell {
                    rows,
                    cols,
                    props: if j >= i {
                        infer(fs, self.ops)
                    } else {
                        Properties::default()
                    },
                    leaf: None,
                    e: [None; 4],
                });
            }
        }
        let mut table = Table {
            chain: chain.clone(),
            n,
            cells,
            groups: Vec::with_capacity(n),
        };
        for (i, f) in chain.factors.iter().enumerate() {
            let own = Form::new(f.transposed, f.inverted);
            let cell = &mut table.cells[i * n + i];
            cell.props = factor_props(f, self.ops);
            match &f.base {
                Base::Operand(a) => {
                    cell.leaf = Some(*a);
                    cell.offer(own, 0, How::Leaf);
                    table.groups.push(None);
                }
                Base::Group(g) => {
                    let inner = self.build(g)?;
                    let root = inner.cell(0, inner.n - 1);
                    for gf in Form::ALL {
                        if let Some(e) = root.e[gf.0 as usize] {
                            cell.offer(gf.compose(own), e.cost, How::Group { inner: gf });
                        }
                    }
                    table.groups.push(Some(inner));
                }
            }
            self.convert(&mut table.cells[i * n + i])?;
        }
        for len in 2..=n {
            for i in 0..=n - len {
                let j = i + len - 1;
                let ks: Vec<usize> = match self.kernels.model.splits {
                    Splits::Any => (i..j).collect(),
                    Splits::LeftToRight => vec![j - 1],
                };
                let mut cell = table.cells[i * n + j].clone();
                for k in ks {
                    self.combine(&table, &mut cell, i, k, j)?;
                }
                self.gram(&table, &mut cell, i, j)?;
                self.convert(&mut cell)?;
                table.cells[i * n + j] = cell;
            }
        }
        Ok(table)
    }

    fn combine(
        &self,
        table: &Table,
        cell: &mut Cell,
        i: usize,
        k: usize,
        j: usize,
    ) -> Result<(), GenError> {
        let (l, r) = (table.cell(i, k), table.cell(k + 1, j));
        for lf in Form::PREFERRED {
            let Some(le) = l.e[lf.0 as usize] else {
                continue;
            };
            for rf in Form::PREFERRED {
                let Some(re) = r.e[rf.0 as usize] else {
                    continue;
                };
                let (a, b) = (l.side(lf), r.side(rf));
                let (out, choices) = self.kernels.combine(&a, lf.inv(), &b, rf.inv())?;
                for c in choices {
                    let Some(kc) = self.charge(&c) else {
                        continue;
                    };
                    let cost = le
                        .cost
                        .checked_add(re.cost)
                        .and_then(|x| x.checked_add(kc))
                        .ok_or(GenError::Overflow {
                            what: "the plan's flop count",
                        })?;
                    cell.offer(
                        out,
                        cost,
                        How::Product {
                            k,
                            lf,
                            rf,
                            choice: c,
                        },
                    );
                }
            }
        }
        Ok(())
    }

    /// The symmetric-product rule: when the left half of (i, j) is the right half B
    /// transposed (factor by factor, reversed) around nothing or a single SPD middle factor
    /// (M⁻¹ or M), the cell can be Bᵀ·B by syrk of B's value, or Bᵀ·M⁻¹·B (Bᵀ·M·B) by a trsm
    /// (trmm) with M's Cholesky factor and a syrk; the left half is never computed. B held
    /// inverted (W⁻¹) gives Bᵀ·B = (W·Wᵀ)⁻¹, a syrk whose result stays inverted (as inverse
    /// products do).
    fn gram(&self, table: &Table, cell: &mut Cell, i: usize, j: usize) -> Result<(), GenError> {
        let len = j + 1 - i;
        let h = len / 2;
        let fs = &table.chain.factors;
        if h == 0 || !(0..h).all(|t| mirrors(&fs[i + t], &fs[j - t], self.ops)) {
            return Ok(());
        }
        let b = j + 1 - h;
        let odd = len % 2 == 1;
        let right = table.cell(b, j);
        let middle = table.cell(i + h, i + h);
        let mforms: &[Option<Form>] = if odd {
            &[Some(Form::I), Some(Form::IT), Some(Form::N), Some(Form::T)]
        } else {
            &[None]
        };
        for bf in Form::PREFERRED {
            let Some(be) = right.e[bf.0 as usize] else {
                continue;
            };
            if bf.inv() && (odd || !self.kernels.model.inverse_products) {
                continue;
            }
            for &mf in mforms {
                let (mcost, mside) = match mf {
                    None => (0, None),
                    Some(mf) => match middle.e[mf.0 as usize] {
                        Some(me) => (me.cost, Some(middle.side(mf))),
                        None => continue,
                    },
                };
                let inverted = mf.is_some_and(|f| f.inv());
                let m = mside.as_ref().map(|s| (s, inverted));
                let Some(c) = self.kernels.gram(&right.side(bf), m)? else {
                    continue;
                };
                let Some(kc) = self.charge(&c) else {
                    continue;
                };
                let cost = be
                    .cost
                    .checked_add(mcost)
                    .and_then(|x| x.checked_add(kc))
                    .ok_or(GenError::Overflow {
                        what: "the plan's flop count",
                    })?;
                let out = if bf.inv() { Form::I } else { Form::N };
                cell.offer(
                    out,
                    cost,
                    How::Gram {
                        b,
                        bf,
                        mf,
                        choice: c,
                    },
                );
            }
        }
        Ok(())
    }

    /// Inverted entries become plain by an explicit inverse.
    fn convert(&self, cell: &mut Cell) -> Result<(), GenError> {
        for (from, to) in [(Form::I, Form::N), (Form::IT, Form::T)] {
            let Some(e) = cell.e[from.0 as usize] else {
                continue;
            };
            let c = self.kernels.inverse(&cell.side(from))?;
            if let Some(kc) = self.charge(&c) {
                let cost = e.cost.checked_add(kc).ok_or(GenError::Overflow {
                    what: "the plan's flop count",
                })?;
                cell.offer(to, cost, How::Inverse { choice: c });
            }
        }
        Ok(())
    }
}
