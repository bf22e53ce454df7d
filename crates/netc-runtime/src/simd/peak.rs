//! The ceiling a step's products are judged against: the multiply-adds
//! one core completes per second on a path when nothing else limits them
//! (independent chains, no memory traffic). `netc-bench --peak` times it.
//!
//! A workload's time alone says little across machines: the same step
//! runs twice as fast on a core whose FMA units are twice as wide (Zen 5
//! against Zen 4 on AVX-512), and a target set on one machine is only
//! judged on another through its share of this peak.

use super::{multiversion, Fma, LANES};

/// What one [`fma_chains_with`] call did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FmaRun {
    /// Floating-point operations: two per multiply-add.
    pub flops: u64,
    /// The sum of the accumulators, returned so that no work is dropped:
    /// accumulator `c` starts at `c` and gains `step` per call step, so it
    /// is `Σ_c (c + steps·step)` over the lanes.
    pub total: f32,
}

multiversion! {
    /// `steps` multiply-adds `acc = step·1 + acc` on every lane of as many
    /// independent accumulators as the path's registers hold beside the
    /// operands: enough chains to cover the FMA latency on every pipe.
    pub fn fma_chains_with(steps: usize, step: f32) -> FmaRun => chains_body;
}

#[inline(always)]
fn chains_body<M: Fma>(steps: usize, step: f32) -> FmaRun {
    // A tile is one zmm on AVX-512 (12 of its 32 registers) and two ymm
    // on AVX2 (12 of 16); both exceed FMA latency × pipes (4 × 2).
    if M::GEMM_ROWS >= 8 {
        chains::<M, 12>(steps, step)
    } else {
        chains::<M, 6>(steps, step)
    }
}

#[inline(always)]
fn chains<M: Fma, const C: usize>(steps: usize, step: f32) -> FmaRun {
    // Hidden from the optimiser: `fma(step, 1, acc)` is exactly
    // `step + acc`, and LLVM would time adds instead.
    let ones = std::hint::black_box([1f32; LANES]);
    // Distinct starts, so that no two chains are the same value LLVM
    // could compute once.
    let mut acc: [[f32; LANES]; C] = std::array::from_fn(|c| [c as f32; LANES]);
    for _ in 0..steps {
        for a in &mut acc {
            M::fma_tile(step, &ones, a);
        }
    }
    FmaRun {
        flops: 2 * (C * LANES) as u64 * steps as u64,
        total: acc.iter().flatten().sum(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simd::Isa;

    /// Every path adds `step` to each lane of its chains `steps` times:
    /// the closed form, in sums exact in f32.
    #[test]
    fn every_path_does_the_multiply_adds_it_counts() {
        let (steps, step) = (7, 0.5);
        for isa in Isa::available() {
            let run = fma_chains_with(isa, steps, step);
            let per_chain = 2 * (LANES * steps) as u64;
            assert_eq!(run.flops % per_chain, 0, "{}", isa.name());
            let chains = (run.flops / per_chain) as usize;
            assert!(chains >= 6, "{}: {chains} chains", isa.name());
            let starts: usize = (0..chains).sum();
            let expected = LANES as f32 * (starts as f32 + chains as f32 * steps as f32 * step);
            assert_eq!(run.total, expected, "{}", isa.name());
        }
    }
}
