//! Hu and Shing's exact planner: O(n log n) time, O(n) memory.
//!
//! ## The polygon
//!
//! The chain p0 … pn is a convex polygon with n + 1 vertices, vertex i weighing p_i. Every
//! parenthesization is a triangulation (see [`triangulation`]) and costs the sum, over its
//! n − 1 triangles, of the product of the three weights. Rotating the polygon changes nothing,
//! so the planner numbers the vertices from a lightest one, V1 = 0, going round to m − 1, and
//! writes vertex m for V1 again. Ties are broken by that numbering (earlier is lighter); by a
//! perturbation argument an optimum for the tie-broken order is an optimum for the weights.
//!
//! ## Potential h-arcs (Hu and Shing, Part I)
//!
//! A diagonal (u, v), u < v, is a *potential h-arc* when every vertex strictly between u and
//! v outweighs both ends. There are at most m − 3; they nest like parentheses; one stack sweep
//! finds them all ("one-sweep"): scanning i = 1 … m − 1, while the top t of a stack of
//! increasing weights outweighs i, the second-from-top u and i make the arc (u, i) and t is
//! popped. Arcs with V1 as an end are left out: V1 is the lightest vertex of every region it
//! bounds, so such an arc changes no cost. Hu and Shing show that some optimal triangulation
//! consists of potential h-arcs plus, in each region those arcs leave, the *fan* from the
//! region's lightest vertex. So the problem is which arcs to keep.
//!
//! ## Choosing the arcs (Part II, as implemented here)
//!
//! Let an arc h = (u, v) with lighter end L hang under a region whose fan vertex has weight x
//! (x ≤ w_L). Either h is kept, costing T_h + x·w_u·w_v (T_h: the best triangulation of the
//! polygon u … v), or it is dissolved and x fans over h's region: x times the products of
//! h's own sides, plus the same choice for each child arc at the same x. Call that G_h(x); then
//!
//! ```text
//! F_h(x) = min(T_h + x·w_u·w_v, G_h(x)),   G_h(x) = x·S_h + Σ_children F_c(x)
//! T_h    = G_h(w_L) − w_L·w_L·w_N
//! ```
//!
//! where S_h sums w_a·w_b over the polygon sides of h not under a child, and N is the other
//! end of the side or arc at L inside h (fanning from L itself, that triangle is missing).
//! G_h is concave and piecewise linear, and its slope (the products of a path of at least two
//! sides, each at least w_u·w_v) always exceeds w_u·w_v: so G_h − (T_h + x·w_u·w_v) is
//! increasing and h is kept exactly when x exceeds one threshold, its *supporting weight*
//! s_h = (T_h − β)/(α − w_u·w_v), where α·x + β is the piece of G_h that the line crosses.
//!
//! The breakpoints of every G_h are the supporting weights of arcs below h; crossing s_c to
//! the left replaces c's line by its G piece, which adds (α − w_u·w_v, −(T − β)) = (den, −num)
//! to the running (α, β). So each arc keeps a mergeable max-heap of breakpoints (a leftist
//! heap, `heap`): the children's heaps are melded; breakpoints at or above w_L are popped
//! (x never exceeds w_L under h), which gives G_h(w_L) and T_h; more are popped until the
//! crossing is found; s_h is pushed. Every arc is pushed and popped at most once, so the sweep
//! costs O(n log n), all fractions compared exactly with 256-bit cross products (`ratio`).
//! The root is the region of V1, fanned from V1.
//!
//! Reading the plan back is a top-down pass: an arc is kept when the fan weight of the region
//! around it exceeds its supporting weight; every vertex then joins the fan vertex of the
//! innermost kept region around it. This implementation is written from the papers' theory:
//! Hu and Shing, "Computation of Matrix Chain Products", Parts I and II (SIAM J. Comput. 1982,
//! 1984), with Schwartz and Weiss's 2019 correction of a lemma's proof. See docs/hu-shing.md.
//!
//! ```
//! use chainplan::{Chain, plan::{dp, hu_shing}};
//! let chain = Chain::new(vec![30u32, 35, 15, 5, 10, 20, 25])?;
//! let plan = hu_shing::optimal(&chain)?;
//! assert_eq!(plan.cost(), 15125);
//! assert_eq!(plan.cost(), dp::optimal(&chain)?.cost());
//! assert_eq!(hu_shing::optimal_cost(&chain)?, 15125);
//! # Ok::<(), chainplan::Error>(())
//! ```

mod heap;
mod ratio;
pub mod triangulation;

use crate::chain::Chain;
use crate::error::PlanError;
use crate::error::{Error, Result};
use crate::plan::Plan;
use heap::{Heaps, NIL};
use ratio::Ratio;

/// The parent of top-level arcs, and the arc of vertices under no arc.
const ROOT: u32 = u32::MAX;

/// The cheapest plan, by Hu and Shing's algorithm.
///
/// Any optimal plan may be returned when several exist; its cost is always the optimum.
pub fn optimal(chain: &Chain) -> Result<Plan> {
    if chain.matrices() == 1 {
        return Plan::from_splits(chain, |i, _| i);
    }
    check_memory(chain)?;
    let solved = Solver::new(chain).solve()?;
    let plan = triangulation::plan_from_edges(chain, solved.edges())?;
    if plan.cost() != solved.cost {
        return Err(PlanError::Internal {
            reason: format!(
                "the hu-shing plan costs {} but the planner computed {}",
                plan.cost(),
                solved.cost
            ),
        }
        .into());
    }
    Ok(plan)
}

/// The cost of the cheapest plan, without building the plan.
pub fn optimal_cost(chain: &Chain) -> Result<u128> {
    if chain.matrices() == 1 {
        return Ok(0);
    }
    check_memory(chain)?;
    Ok(Solver::new(chain).solve()?.cost)
}

/// Bytes per matrix of the planner's arrays and of the plan it returns, rounded up (weights,
/// prefix products, arcs, heaps, stacks, the triangulation's edges, the plan's steps).
pub(crate) const BYTES_PER_MATRIX: u128 = 192;

/// Refuses, before allocating, a chain whose arrays would not fit in the memory this process
/// can have ([`crate::system::usable_memory`]).
fn check_memory(chain: &Chain) -> Result<()> {
    let n = chain.matrices();
    let needed = (n as u128 + 1) * BYTES_PER_MATRIX;
    match crate::system::usable_memory().map(u128::from) {
        Some(usable) if needed > usable => Err(PlanError::ChainTooLong {
            matrices: n,
            algorithm: "hu-shing",
            needed_bytes: needed,
            limit_bytes: usable,
            suggestion: "the approximate planner (approx) needs less, or plan a shorter chain",
        }
        .into()),
        _ => Ok(()),
    }
}

/// Overflow of a cost sum.
fn overflow() -> Error {
    Error::Overflow {
        what: "hu-shing cost",
        bits: 128,
    }
}

/// The rotated polygon and the sweep's working state.
struct Solver {
    /// Vertex weights from V1 round the polygon; `w[m] == w[0]`.
    w: Vec<u64>,
    /// `cp[i]` = Σ_{j=1..i} w[j−1]·w[j]: side products up to vertex i.
    cp: Vec<u128>,
    /// Original number of rotated vertex 0.
    rot: usize,
}

/// An arc whose parent is not known yet: its number, T (best cost of its polygon), heap.
struct Open {
    arc: u32,
    cost: u128,
    heap: u32,
}

/// What the reading back needs.
struct Solved {
    cost: u128,
    rot: usize,
    m: usize,
    w: Vec<u64>,
    u: Vec<u32>,
    v: Vec<u32>,
    parent: Vec<u32>,
    /// Innermost arc strictly around each vertex (ROOT if none).
    pot: Vec<u32>,
    heaps: Heaps,
}

impl Solver {
    fn new(chain: &Chain) -> Self {
        let dims = chain.dims();
        let m = dims.len();
        // First lightest vertex: V1.
        let rot = (0..m).min_by_key(|&i| (dims[i], i)).unwrap_or(0);
        let w: Vec<u64> = (0..=m).map(|i| u64::from(dims[(rot + i) % m])).collect();
        let mut cp = Vec::with_capacity(m + 1);
        cp.push(0u128);
        for i in 1..=m {
            // Below 2^64 per side and at most 2^32 sides: no overflow.
            cp.push(cp[i - 1] + u128::from(w[i - 1]) * u128::from(w[i]));
        }
        Solver { w, cp, rot }
    }

    fn wide(&self, i: u32) -> u128 {
        u128::from(self.w[i as usize])
    }

    fn solve(self) -> Result<Solved> {
        let m = self.w.len() - 1;
        let mut u: Vec<u32> = Vec::with_capacity(m);
        let mut v: Vec<u32> = Vec::with_capacity(m);
        let mut parent: Vec<u32> = Vec::with_capacity(m);
        let mut pot = vec![ROOT; m];
        let mut heaps = Heaps::with_capacity(m);
        let mut open: Vec<Open> = Vec::new();
        let mut stack: Vec<u32> = Vec::with_capacity(m);
        stack.push(0);
        for i in 1..m as u32 {
            while stack.len() >= 2
                && self.w[*stack.last().expect("len ≥ 2") as usize] > self.w[i as usize]
            {
                let y = stack.pop().expect("len ≥ 2");
                let left = *stack.last().expect("len ≥ 1");
                if left == 0 {
                    continue; // an arc from V1: irrelevant (see the module docs)
                }
                let arc = u.len() as u32;
                u.push(left);
                v.push(i);
                parent.push(ROOT);
                pot[y as usize] = arc;
                let done = self.arc(arc, left, i, &mut open, &mut parent, &mut heaps, &u, &v)?;
                open.push(done);
            }
            stack.push(i);
        }
        // The root: the region of V1, with every remaining open arc as a child.
        let mut fan = Fan::new(self.cp[m]);
        for o in open.drain(..) {
            let a = o.arc as usize;
            fan.adopt(&self, (u[a], v[a]), o, &mut heaps)?;
        }
        let w0 = self.wide(0);
        let g = fan.value_at(w0, &mut heaps)?;
        let cost = g - w0 * w0 * (self.wide(1) + self.wide(m as u32 - 1));
        Ok(Solved {
            cost,
            rot: self.rot,
            m,
            w: self.w,
            u,
            v,
            parent,
            pot,
            heaps,
        })
    }

    /// Finishes arc `arc` = (a, b): adopts its children from `open`, computes T and the
    /// supporting weight, and returns it as an open arc.
    #[allow(clippy::too_many_arguments)]
    fn arc(
        &self,
        arc: u32,
        a: u32,
        b: u32,
        open: &mut Vec<Open>,
        parent: &mut [u32],
        heaps: &mut Heaps,
        u: &[u32],
        v: &[u32],
    ) -> Result<Open> {
        let (wa, wb) = (self.wide(a), self.wide(b));
        let low = if self.w[a as usize] <= self.w[b as usize] {
            a
        } else {
            b
        };
        let wl = self.wide(low);
        let mut nbr = if low == a { a + 1 } else { b - 1 };
        let mut fan = Fan::new(self.cp[b as usize] - self.cp[a as usize]);
        while let Some(top) = open.last() {
            let c = top.arc as usize;
            if u[c] < a || v[c] > b {
                break;
            }
            let o = open.pop().expect("non-empty");
            parent[c] = arc;
            let (cu, cv) = (u[c], v[c]);
            fan.adopt(self, (cu, cv), o, heaps)?;
            if low == a && cu == a {
                nbr = cv;
            } else if low == b && cv == b {
                nbr = cu;
            }
        }
        // Under this arc the fan weight never exceeds w_L: breakpoints at or above it are
        // dissolved for good.
        let g = fan.value_at(wl, heaps)?;
        let cost = g
            .checked_sub(wl * wl * self.wide(nbr))
            .ok_or_else(internal)?;
        let mul = wa * wb;
        // Find the piece of G where the line T + x·mul crosses it.
        let key = loop {
            let den = fan.alpha - mul;
            let crossing = cost.checked_sub(fan.beta).map(|num| Ratio::new(num, den));
            match crossing {
                Some(s) if fan.heap == NIL || heaps.key(fan.heap).cmp(&s).is_lt() => break s,
                None if fan.heap == NIL => return Err(internal()),
                _ => fan.absorb_top(heaps)?,
            }
        };
        let node = heaps.node(key);
        debug_assert_eq!(node, arc);
        Ok(Open {
            arc,
            cost,
            heap: heaps.merge(fan.heap, node),
        })
    }
}

/// The supporting function G of a region under construction: G(x) = alpha·x + beta for x
/// below every breakpoint still in `heap` (the module docs derive it). Shared by the arcs and
/// the root.
struct Fan {
    alpha: u128,
    beta: u128,
    heap: u32,
}

impl Fan {
    /// A region with slope `alpha` and no children yet.
    fn new(alpha: u128) -> Self {
        Fan {
            alpha,
            beta: 0,
            heap: NIL,
        }
    }

    /// Takes in the finished child arc (cu, cv): its fan replaces its side of the region, its
    /// cost adds to beta, its breakpoints join the heap.
    fn adopt(
        &mut self,
        solver: &Solver,
        (cu, cv): (u32, u32),
        child: Open,
        heaps: &mut Heaps,
    ) -> Result<()> {
        self.alpha -= solver.cp[cv as usize] - solver.cp[cu as usize];
        self.alpha += solver.wide(cu) * solver.wide(cv);
        self.beta = self.beta.checked_add(child.cost).ok_or_else(overflow)?;
        self.heap = heaps.merge(self.heap, child.heap);
        Ok(())
    }

    /// Dissolves the largest breakpoint: the linear piece beyond it becomes the whole of G
    /// above the next one.
    fn absorb_top(&mut self, heaps: &mut Heaps) -> Result<()> {
        let k = heaps.key(self.heap);
        self.alpha += k.den;
        self.beta = self.beta.checked_sub(k.num).ok_or_else(internal)?;
        self.heap = heaps.pop(self.heap);
        Ok(())
    }

    /// Dissolves every breakpoint at or above `w` and returns G(w) = alpha·w + beta.
    fn value_at(&mut self, w: u128, heaps: &mut Heaps) -> Result<u128> {
        while self.heap != NIL && heaps.key(self.heap).at_least(w) {
            self.absorb_top(heaps)?;
        }
        self.alpha
            .checked_mul(w)
            .and_then(|x| x.checked_add(self.beta))
            .ok_or_else(overflow)
    }
}

fn internal() -> Error {
    PlanError::Internal {
        reason: "hu-shing invariant violated".to_string(),
    }
    .into()
}

impl Solved {
    /// The triangulation's edges, in original vertex numbers.
    fn edges(&self) -> Vec<(u32, u32)> {
        let arcs = self.u.len();
        // Fan vertex of the innermost kept region around each arc's inside, top-down.
        let mut fan = vec![0u32; arcs];
        let mut weight = vec![0u64; arcs];
        let mut edges = Vec::with_capacity(2 * self.m);
        let orig = |r: u32| ((r as usize + self.rot) % self.m) as u32;
        for a in (0..arcs).rev() {
            let p = self.parent[a];
            let (x, fx) = if p == ROOT {
                (self.w[0], 0)
            } else {
                (weight[p as usize], fan[p as usize])
            };
            let (u, v) = (self.u[a], self.v[a]);
            if self.heaps.key(a as u32).below(u128::from(x)) {
                let low = if self.w[u as usize] <= self.w[v as usize] {
                    u
                } else {
                    v
                };
                fan[a] = low;
                weight[a] = self.w[low as usize];
                edges.push((orig(u), orig(v)));
            } else {
                fan[a] = fx;
                weight[a] = x;
            }
        }
        for y in 1..self.m as u32 {
            let p = self.pot[y as usize];
            let f = if p == ROOT { 0 } else { fan[p as usize] };
            if f != y {
                edges.push((orig(f), orig(y)));
            }
        }
        edges
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::dp;

    fn check(dims: &[u32]) {
        let chain = Chain::new(dims.to_vec()).unwrap();
        let want = dp::optimal(&chain).unwrap().cost();
        assert_eq!(optimal_cost(&chain).unwrap(), want, "{dims:?}");
        assert_eq!(optimal(&chain).unwrap().cost(), want, "{dims:?}");
    }

    #[test]
    fn small_chains_match_the_dp() {
        check(&[30, 35, 15, 5, 10, 20, 25]);
        check(&[10, 100, 5, 50]);
        check(&[10, 11, 25, 40, 12]);
        check(&[5, 3, 2, 6]);
        check(&[3, 4]);
        check(&[3, 4, 5]);
        check(&[7, 7, 7, 7, 7, 7]);
        check(&[1, 1, 1, 1]);
    }

    #[test]
    fn random_small_chains_match_the_dp() {
        let mut s = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        for _ in 0..3000 {
            let len = 2 + (next() % 12) as usize;
            let top = [3u64, 10, 100, 10_000][(next() % 4) as usize];
            let dims: Vec<u32> = (0..len).map(|_| 1 + (next() % top) as u32).collect();
            check(&dims);
        }
    }
}
