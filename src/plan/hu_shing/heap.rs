//! Mergeable max-heaps of supporting weights: leftist heaps in one arena.
//!
//! Node `i` of the arena belongs to arc `i`, so every arc's supporting weight stays readable
//! after the heaps are consumed. Merging walks the two right spines (each O(log n) long in a
//! leftist heap) with an explicit stack: no recursion, whatever the chain length.

use super::ratio::Ratio;
use std::cmp::Ordering;

/// The empty heap.
pub(crate) const NIL: u32 = u32::MAX;

/// An arena of leftist-heap nodes keyed by [`Ratio`], largest first.
#[derive(Debug, Default)]
pub(crate) struct Heaps {
    key: Vec<Ratio>,
    left: Vec<u32>,
    right: Vec<u32>,
    rank: Vec<u32>,
    spine: Vec<u32>,
}

impl Heaps {
    /// An empty arena with room for `capacity` nodes.
    pub fn with_capacity(capacity: usize) -> Self {
        Heaps {
            key: Vec::with_capacity(capacity),
            left: Vec::with_capacity(capacity),
            right: Vec::with_capacity(capacity),
            rank: Vec::with_capacity(capacity),
            spine: Vec::new(),
        }
    }

    /// Adds a node holding `key`; returns its index (a one-node heap).
    pub fn node(&mut self, key: Ratio) -> u32 {
        self.key.push(key);
        self.left.push(NIL);
        self.right.push(NIL);
        self.rank.push(1);
        (self.key.len() - 1) as u32
    }

    /// The key of node `i`.
    pub fn key(&self, i: u32) -> Ratio {
        self.key[i as usize]
    }

    fn rank_of(&self, i: u32) -> u32 {
        if i == NIL {
            0
        } else {
            self.rank[i as usize]
        }
    }

    /// Melds heaps `a` and `b`; returns the root of the result.
    pub fn merge(&mut self, mut a: u32, mut b: u32) -> u32 {
        self.spine.clear();
        while a != NIL && b != NIL {
            if self.key[a as usize].cmp(&self.key[b as usize]) == Ordering::Less {
                std::mem::swap(&mut a, &mut b);
            }
            self.spine.push(a);
            a = self.right[a as usize];
        }
        let mut cur = if a == NIL { b } else { a };
        while let Some(node) = self.spine.pop() {
            let n = node as usize;
            self.right[n] = cur;
            if self.rank_of(self.left[n]) < self.rank_of(self.right[n]) {
                std::mem::swap(&mut self.left[n], &mut self.right[n]);
            }
            self.rank[n] = self.rank_of(self.right[n]) + 1;
            cur = node;
        }
        cur
    }

    /// Removes the root of heap `h`; returns the new root.
    pub fn pop(&mut self, h: u32) -> u32 {
        let (l, r) = (self.left[h as usize], self.right[h as usize]);
        self.merge(l, r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_decreasing_order() {
        let mut heaps = Heaps::with_capacity(64);
        let mut roots = vec![NIL; 4];
        let mut expected = Vec::new();
        for i in 0..60u128 {
            let key = Ratio::new((i * 37) % 61, 1 + i % 3);
            expected.push(key);
            let n = heaps.node(key);
            let r = &mut roots[(i % 4) as usize];
            *r = heaps.merge(*r, n);
        }
        let mut h = NIL;
        for r in roots {
            h = heaps.merge(h, r);
        }
        expected.sort_by(|a, b| b.cmp(a));
        for want in expected {
            assert_ne!(h, NIL);
            assert_eq!(heaps.key(h).cmp(&want), Ordering::Equal);
            h = heaps.pop(h);
        }
        assert_eq!(h, NIL);
    }
}
