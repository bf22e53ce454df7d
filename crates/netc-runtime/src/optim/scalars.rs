//! The scalars of one optimizer step. They depend on the optimizer and
//! the step only, so an executor computes them once per step and hands
//! them to every parameter tensor's update, which then only runs its
//! vector loop.

use crate::simd::math::FixedDivisor;
use netc_ops::Optimizer;

/// Everything an update needs besides the tensors, for one step.
///
/// Computed in f64 as PyTorch computes them in Python and rounded once to
/// f32 where they meet the tensors. Adam's `(β₁ᵗ, β₂ᵗ)` are running
/// products carried from the previous step's scalars, so a step costs one
/// multiply per power instead of two `powi`s.
///
/// `repr(C)` with the fields the next step reads first: a copy of the
/// struct (into each tensor's state) is a run of 16-byte stores from its
/// start, and a field read back must lie inside one of them, or the load
/// waits for the stores to retire instead of being forwarded.
#[derive(Debug, Clone, Copy, PartialEq)]
#[repr(C)]
pub struct StepScalars {
    /// `(β₁ᵗ, β₂ᵗ)` (`(1, 1)` for SGD, which has none).
    beta_powers: (f64, f64),
    /// Counts from 1.
    step: u64,
    /// The optimizer these are for: an lr schedule replaces it between
    /// steps.
    optimizer: Optimizer,
    pub(super) rule: Rule,
}

/// The update rule with its f32 scalars.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Rule {
    /// SGD without momentum: no buffer.
    Sgd(SgdHyper),
    /// SGD with a momentum buffer.
    SgdMomentum(SgdHyper),
    /// Adam and AdamW (AdamW as Adam with a decoupled decay factor).
    Adam(AdamHyper),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct SgdHyper {
    pub(super) lr: f32,
    pub(super) momentum: f32,
    pub(super) nesterov: bool,
    pub(super) weight_decay: f32,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct AdamHyper {
    /// Weight decay added to the gradient (Adam's L2).
    pub(super) l2: f32,
    /// AdamW's decoupled decay factor `1 − lr·wd` (1 for Adam).
    pub(super) decay: f32,
    /// `1 − β₁` (the lerp weight) and `β₂`, `1 − β₂`.
    pub(super) one_minus_beta1: f32,
    pub(super) beta2: f32,
    pub(super) one_minus_beta2: f32,
    /// `lr / (1 − β₁ᵗ)`.
    pub(super) step_size: f32,
    /// `√(1 − β₂ᵗ)`: PyTorch divides by it, so a plain reciprocal would
    /// change the rounding; the divisor keeps the division's bits.
    pub(super) bias_correction2_sqrt: FixedDivisor,
    pub(super) eps: f32,
}

impl StepScalars {
    /// The scalars of `step` (counted from 1; 0 counts as 1) given the
    /// last ones computed, if any: reused as they are when they are for
    /// this step and optimizer, extended by one factor per β power when
    /// they are one step behind, and otherwise (a first, restored or
    /// jumped state) started from scratch.
    #[inline]
    pub fn for_step(
        optimizer: &Optimizer,
        step: u64,
        previous: Option<&StepScalars>,
    ) -> StepScalars {
        let step = step.max(1);
        if let Some(previous) = previous {
            if previous.step == step && previous.optimizer == *optimizer {
                return *previous;
            }
        }
        let (rule, beta_powers) = match *optimizer {
            Optimizer::Sgd {
                lr,
                momentum,
                nesterov,
                weight_decay,
            } => {
                let hyper = SgdHyper {
                    lr: lr as f32,
                    momentum: momentum as f32,
                    nesterov,
                    weight_decay: weight_decay as f32,
                };
                // Decided on the f64 value, as `ParamState::new` sizes
                // the buffer.
                let rule = if momentum == 0.0 {
                    Rule::Sgd(hyper)
                } else {
                    Rule::SgdMomentum(hyper)
                };
                (rule, (1.0, 1.0))
            }
            Optimizer::Adam {
                lr,
                betas,
                eps,
                weight_decay,
            } => {
                let powers = beta_powers(betas, step, previous);
                let hyper = AdamHyper::new(lr, betas, eps, powers, weight_decay, 1.0);
                (Rule::Adam(hyper), powers)
            }
            Optimizer::AdamW {
                lr,
                betas,
                eps,
                weight_decay,
            } => {
                let powers = beta_powers(betas, step, previous);
                let hyper = AdamHyper::new(lr, betas, eps, powers, 0.0, 1.0 - lr * weight_decay);
                (Rule::Adam(hyper), powers)
            }
        };
        StepScalars {
            optimizer: *optimizer,
            step,
            beta_powers,
            rule,
        }
    }

    /// The step these are for, counted from 1.
    pub fn step(&self) -> u64 {
        self.step
    }
}

/// `(β₁ᵗ, β₂ᵗ)` for `step`, in f64.
fn beta_powers(betas: (f64, f64), step: u64, previous: Option<&StepScalars>) -> (f64, f64) {
    match previous {
        Some(previous) if step == previous.step + 1 => (
            previous.beta_powers.0 * betas.0,
            previous.beta_powers.1 * betas.1,
        ),
        _ => beta_powers_from_scratch(betas, step),
    }
}

/// Kept out of line: `powi` is an intrinsic LLVM may speculate, and
/// hoisted out of the branch it runs (`log₂ t` multiplies, twice) on every
/// step instead of only after a jump.
#[cold]
#[inline(never)]
fn beta_powers_from_scratch(betas: (f64, f64), step: u64) -> (f64, f64) {
    let t = i32::try_from(step).unwrap_or(i32::MAX);
    (betas.0.powi(t), betas.1.powi(t))
}

impl AdamHyper {
    /// `powers` are `(β₁ᵗ, β₂ᵗ)`.
    fn new(lr: f64, betas: (f64, f64), eps: f64, powers: (f64, f64), l2: f64, decay: f64) -> Self {
        let bias_correction1 = 1.0 - powers.0;
        let bias_correction2 = 1.0 - powers.1;
        AdamHyper {
            l2: l2 as f32,
            decay: decay as f32,
            one_minus_beta1: (1.0 - betas.0) as f32,
            beta2: betas.1 as f32,
            one_minus_beta2: (1.0 - betas.1) as f32,
            step_size: (lr / bias_correction1) as f32,
            bias_correction2_sqrt: FixedDivisor::new(bias_correction2.sqrt() as f32),
            eps: eps as f32,
        }
    }
}
