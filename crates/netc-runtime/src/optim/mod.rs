//! `torch.optim.SGD`, `Adam` and `AdamW` (single-tensor implementations,
//! `foreach=False`), one parameter tensor at a time.
//!
//! A step's scalars ([`StepScalars`]: learning rate, bias corrections,
//! step size) are the same for every tensor; an executor computes them
//! once per step and applies them to each tensor with [`apply_step`].
//! [`optimizer_step`] does both for one tensor.

mod kernels;
mod scalars;

use netc_ops::Optimizer;

pub use scalars::StepScalars;

use crate::parallel::{self, part_range, PartsMut, ELEMENT_ALIGN, MIN_ELEMENTS_PER_PART};
use crate::simd::Isa;
use scalars::Rule;

/// Runs `$update` with each named buffer (`len` elements) bound to the
/// same chunk and `$part` to its element range, over the current pool
/// when the tensor is large enough: every element's update is the same
/// arithmetic in any chunk.
///
/// A macro, not a function taking a closure: on one part (every tensor
/// of a small network) the update is then a direct kernel call. Called
/// through the closure, the seed network's ten Adam updates measured
/// 2.3× as long, and its whole step 9% longer.
macro_rules! by_parts {
    ($len:expr, [$($buffer:ident),+], |$part:ident| $update:expr) => {{
        let len: usize = $len;
        let parts = parallel::parts_for(len, MIN_ELEMENTS_PER_PART, len / ELEMENT_ALIGN);
        if parts == 1 {
            let $part = 0..len;
            $update
        } else {
            let range = |p| part_range(len, parts, p, ELEMENT_ALIGN);
            $(let $buffer = PartsMut::new($buffer, parts, range);)+
            parallel::split(parts, &|p| {
                let $part = range(p);
                $(let $buffer = $buffer.take(p);)+
                $update
            });
        }
    }};
}

/// Per-parameter optimizer state, sized once at construction.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamState {
    /// SGD's momentum buffer, or Adam's `exp_avg`.
    first: Vec<f32>,
    /// Adam's `exp_avg_sq`.
    second: Vec<f32>,
    /// SGD's buffer starts as a copy of the first gradient.
    started: bool,
    /// The scalars of the last step applied: the next step extends their
    /// β powers, and the other tensors of the same step reuse them.
    last: Option<StepScalars>,
}

impl ParamState {
    pub fn new(len: usize, opt: &Optimizer) -> Self {
        let (first, second) = match *opt {
            Optimizer::Sgd { momentum, .. } if momentum != 0.0 => (len, 0),
            Optimizer::Sgd { .. } => (0, 0),
            Optimizer::Adam { .. } | Optimizer::AdamW { .. } => (len, len),
        };
        ParamState {
            first: vec![0.0; first],
            second: vec![0.0; second],
            started: false,
            last: None,
        }
    }

    /// SGD's momentum buffer or Adam's first moment (empty for plain SGD).
    pub fn first_moment(&self) -> &[f32] {
        &self.first
    }

    /// Adam's second moment (empty for SGD).
    pub fn second_moment(&self) -> &[f32] {
        &self.second
    }

    /// The scalars of the last step applied to this tensor (`None` before
    /// the first): what [`StepScalars::for_step`] continues from.
    #[inline]
    pub fn last_step(&self) -> Option<&StepScalars> {
        self.last.as_ref()
    }
}

/// One update of `param` from `grad`; `step` counts from 1 and is shared
/// by all parameters (Adam's bias correction reads it).
#[inline]
pub fn optimizer_step(
    opt: &Optimizer,
    param: &mut [f32],
    grad: &[f32],
    state: &mut ParamState,
    step: u64,
) {
    optimizer_step_with(Isa::detect(), opt, param, grad, state, step);
}

/// [`optimizer_step`] on a chosen path (tests and benchmarks).
#[inline]
pub fn optimizer_step_with(
    isa: Isa,
    opt: &Optimizer,
    param: &mut [f32],
    grad: &[f32],
    state: &mut ParamState,
    step: u64,
) {
    let scalars = StepScalars::for_step(opt, step, state.last_step());
    apply_step_with(isa, &scalars, param, grad, state);
}

/// One update of `param` from `grad` with a step's precomputed scalars.
#[inline]
pub fn apply_step(scalars: &StepScalars, param: &mut [f32], grad: &[f32], state: &mut ParamState) {
    apply_step_with(Isa::detect(), scalars, param, grad, state);
}

/// [`apply_step`] on a chosen path (tests and benchmarks).
#[inline]
pub fn apply_step_with(
    isa: Isa,
    scalars: &StepScalars,
    param: &mut [f32],
    grad: &[f32],
    state: &mut ParamState,
) {
    debug_assert_eq!(param.len(), grad.len());
    let n = param.len().min(grad.len());
    let (param, grad) = (&mut param[..n], &grad[..n]);
    match scalars.rule {
        Rule::Sgd(hyper) => by_parts!(n, [param], |part| {
            kernels::sgd_plain(isa, param, &grad[part], hyper)
        }),
        Rule::SgdMomentum(hyper) => {
            debug_assert_eq!(state.first.len(), n);
            let n = n.min(state.first.len());
            let first = !state.started;
            state.started = true;
            let (param, buf) = (&mut param[..n], &mut state.first[..n]);
            by_parts!(n, [param, buf], |part| {
                kernels::sgd_momentum(isa, param, &grad[part], buf, hyper, first)
            });
        }
        Rule::Adam(hyper) => {
            debug_assert_eq!((state.first.len(), state.second.len()), (n, n));
            let n = n.min(state.first.len()).min(state.second.len());
            let (p, m, v) = (
                &mut param[..n],
                &mut state.first[..n],
                &mut state.second[..n],
            );
            by_parts!(n, [p, m, v], |part| {
                kernels::adam(isa, p, &grad[part], m, v, hyper)
            });
        }
    }
    state.last = Some(*scalars);
}
