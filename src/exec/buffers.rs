//! Buffers for intermediates, assigned once per plan.
//!
//! Each step of a [`Plan`] writes its result into a buffer and each result is read exactly
//! once, by a later step. Walking the steps in execution order, a buffer is *live* from the
//! step that writes it until the step that reads it; once read, it can hold a later result.
//! [`BufferPlan`] assigns every intermediate to a *slot* so that no two live results share
//! one, reusing freed slots (the smallest free slot that is large enough, else the largest
//! free slot, grown), and records the size each slot needs. The executor allocates each slot
//! once, so an execution performs at most as many allocations as there are slots, however long
//! the chain, and never pays for zeroing a fresh result matrix per step.
//!
//! The last step writes into the output, so it has no slot.

use crate::error::{Error, Result};
use crate::plan::{Operand, Plan};

/// Which slot holds each intermediate of a plan, and how large each slot must be.
///
/// ```
/// use chainplan::{Chain, Plan, exec::BufferPlan};
/// // (((A1A2)A3)A4): S2 reads S1 while writing its own result, so they need two slots;
/// // S3, the final product, goes to the output.
/// let chain = Chain::new(vec![2u32, 3, 4, 5, 6])?;
/// let buffers = BufferPlan::new(&Plan::left_to_right(&chain)?);
/// assert_eq!(buffers.slot_of(0), Some(0));
/// assert_eq!(buffers.slot_of(1), Some(1));
/// assert_eq!(buffers.slot_of(2), None); // the final product goes to the output
/// assert_eq!(buffers.total_elements(), 2 * 4 + 2 * 5);
/// # Ok::<(), chainplan::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BufferPlan {
    /// Slot of each step's result; `None` for the last step.
    slot_of_step: Vec<Option<usize>>,
    /// Elements each slot must hold.
    slot_elements: Vec<u128>,
}

impl BufferPlan {
    /// Assigns the intermediates of `plan` to slots.
    pub fn new(plan: &Plan) -> Self {
        let steps = plan.steps();
        let mut slot_of_step: Vec<Option<usize>> = Vec::with_capacity(steps.len());
        let mut slot_elements: Vec<u128> = Vec::new();
        let mut free: Vec<usize> = Vec::new();
        for (s, step) in steps.iter().enumerate() {
            let is_last = s + 1 == steps.len();
            let slot = if is_last {
                None
            } else {
                let need = step.elements();
                // Best fit among free slots; otherwise grow the largest free slot; otherwise new.
                let fit = free
                    .iter()
                    .enumerate()
                    .filter(|&(_, &slot)| slot_elements[slot] >= need)
                    .min_by_key(|&(_, &slot)| slot_elements[slot])
                    .or_else(|| {
                        free.iter()
                            .enumerate()
                            .max_by_key(|&(_, &slot)| slot_elements[slot])
                    })
                    .map(|(i, _)| i);
                let slot = match fit {
                    Some(i) => free.swap_remove(i),
                    None => {
                        slot_elements.push(0);
                        slot_elements.len() - 1
                    }
                };
                slot_elements[slot] = slot_elements[slot].max(need);
                Some(slot)
            };
            // The operands are read by this step; their slots are free for later steps (not
            // for this one, whose output must not alias its inputs).
            for op in [step.lhs, step.rhs] {
                if let Operand::Step(t) = op {
                    if let Some(freed) = slot_of_step[t] {
                        free.push(freed);
                    }
                }
            }
            slot_of_step.push(slot);
        }
        BufferPlan {
            slot_of_step,
            slot_elements,
        }
    }

    /// The slot that holds the result of step `step` (0-based), or `None` for the last step,
    /// which writes into the output.
    pub fn slot_of(&self, step: usize) -> Option<usize> {
        self.slot_of_step.get(step).copied().flatten()
    }

    /// Elements each slot must hold.
    pub fn slot_elements(&self) -> &[u128] {
        &self.slot_elements
    }

    /// Elements of all slots together: the workspace an execution allocates besides its output.
    pub fn total_elements(&self) -> u128 {
        self.slot_elements.iter().sum()
    }

    /// Bytes of the workspace for elements of `element_bytes` bytes each; an error if it
    /// cannot be represented.
    pub fn bytes(&self, element_bytes: usize) -> Result<u128> {
        self.total_elements()
            .checked_mul(element_bytes as u128)
            .ok_or(Error::Overflow {
                what: "workspace size",
                bits: 128,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::Chain;
    use crate::plan::dp;

    /// Independent check: simulate liveness and verify no slot holds two live results.
    fn check(plan: &Plan) {
        let b = BufferPlan::new(plan);
        let steps = plan.steps();
        // live[slot] = step whose result occupies it
        let mut live: Vec<Option<usize>> = vec![None; b.slot_elements().len()];
        for (s, step) in steps.iter().enumerate() {
            if let Some(slot) = b.slot_of(s) {
                assert!(
                    live[slot].is_none(),
                    "slot {slot} still holds a live result"
                );
                assert!(b.slot_elements()[slot] >= step.elements());
            } else {
                assert_eq!(s + 1, steps.len());
            }
            for op in [step.lhs, step.rhs] {
                if let Operand::Step(t) = op {
                    let slot = b.slot_of(t).expect("intermediate has a slot");
                    assert_eq!(live[slot], Some(t));
                    live[slot] = None;
                }
            }
            if let Some(slot) = b.slot_of(s) {
                live[slot] = Some(s);
            }
        }
        let sum: u128 = steps
            .iter()
            .take(steps.len().saturating_sub(1))
            .map(|s| s.elements())
            .sum();
        assert!(b.total_elements() <= sum);
    }

    #[test]
    fn slots_never_alias_live_results() {
        let chains = [
            vec![30u32, 35, 15, 5, 10, 20, 25],
            vec![5, 4, 3, 2, 1, 2, 3, 4, 5, 6, 7],
            vec![3, 4],
            vec![3, 4, 5],
            vec![1, 512, 512, 512, 784],
        ];
        for dims in chains {
            let chain = Chain::new(dims).unwrap();
            for plan in [
                dp::optimal(&chain).unwrap(),
                Plan::left_to_right(&chain).unwrap(),
                Plan::right_to_left(&chain).unwrap(),
            ] {
                check(&plan);
            }
        }
    }

    #[test]
    fn balanced_tree_reuses_slots() {
        // ((A1A2)(A3A4)) then with ((A5A6)(A7A8)): S1 and S2 are freed by S3.
        let chain = Chain::new(vec![4u32; 9]).unwrap();
        let plan = Plan::from_order(&chain, "(((A1A2)(A3A4))((A5A6)(A7A8)))").unwrap();
        check(&plan);
        let b = BufferPlan::new(&plan);
        // S6 is written while S3, S4 and S5 are live: four slots, not six.
        assert_eq!(b.slot_elements().len(), 4, "{b:?}");
    }
}
