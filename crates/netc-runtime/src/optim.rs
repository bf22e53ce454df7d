//! `torch.optim.SGD`, `Adam` and `AdamW` (single-tensor implementations,
//! `foreach=False`), one parameter tensor at a time.

use netc_ops::Optimizer;

use crate::simd::{multiversion, Fma, Isa};

/// Per-parameter optimizer state, sized once at construction.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamState {
    /// SGD's momentum buffer, or Adam's `exp_avg`.
    first: Vec<f32>,
    /// Adam's `exp_avg_sq`.
    second: Vec<f32>,
    /// SGD's buffer starts as a copy of the first gradient.
    started: bool,
    /// Adam's `(t, β₁ᵗ, β₂ᵗ)` of the last step: consecutive steps extend
    /// the running products with one multiply instead of two `powi`s.
    beta_powers: (u64, f64, f64),
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
            beta_powers: (0, 1.0, 1.0),
        }
    }

    /// `(β₁ᵗ, β₂ᵗ)` for `step`, kept as running products in f64.
    fn beta_powers(&mut self, betas: (f64, f64), step: u64) -> (f64, f64) {
        let (last, p1, p2) = self.beta_powers;
        let powers = if step == last + 1 {
            (p1 * betas.0, p2 * betas.1)
        } else {
            // A jump (a restored or a fresh state): start from scratch.
            let t = i32::try_from(step).unwrap_or(i32::MAX);
            (betas.0.powi(t), betas.1.powi(t))
        };
        self.beta_powers = (step, powers.0, powers.1);
        powers
    }

    /// SGD's momentum buffer or Adam's first moment (empty for plain SGD).
    pub fn first_moment(&self) -> &[f32] {
        &self.first
    }

    /// Adam's second moment (empty for SGD).
    pub fn second_moment(&self) -> &[f32] {
        &self.second
    }
}

/// One update of `param` from `grad`; `step` counts from 1 and is shared
/// by all parameters (Adam's bias correction reads it).
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
pub fn optimizer_step_with(
    isa: Isa,
    opt: &Optimizer,
    param: &mut [f32],
    grad: &[f32],
    state: &mut ParamState,
    step: u64,
) {
    debug_assert_eq!(param.len(), grad.len());
    match *opt {
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
            if momentum == 0.0 {
                sgd_plain(isa, param, grad, hyper);
            } else {
                debug_assert_eq!(state.first.len(), param.len());
                let first = !state.started;
                state.started = true;
                sgd_momentum(isa, param, grad, &mut state.first, hyper, first);
            }
        }
        Optimizer::Adam {
            lr,
            betas,
            eps,
            weight_decay,
        } => {
            let powers = state.beta_powers(betas, step.max(1));
            let hyper = AdamHyper::new(lr, betas, eps, powers, weight_decay, 1.0);
            adam(isa, param, grad, &mut state.first, &mut state.second, hyper);
        }
        Optimizer::AdamW {
            lr,
            betas,
            eps,
            weight_decay,
        } => {
            let powers = state.beta_powers(betas, step.max(1));
            let hyper = AdamHyper::new(lr, betas, eps, powers, 0.0, 1.0 - lr * weight_decay);
            adam(isa, param, grad, &mut state.first, &mut state.second, hyper);
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct SgdHyper {
    lr: f32,
    momentum: f32,
    nesterov: bool,
    weight_decay: f32,
}

/// Adam's scalars, computed in f64 as PyTorch computes them in Python and
/// rounded once to f32 where they meet the tensors.
#[derive(Debug, Clone, Copy)]
struct AdamHyper {
    /// Weight decay added to the gradient (Adam's L2).
    l2: f32,
    /// AdamW's decoupled decay factor `1 − lr·wd` (1 for Adam).
    decay: f32,
    /// `1 − β₁` (the lerp weight) and `β₂`, `1 − β₂`.
    one_minus_beta1: f32,
    beta2: f32,
    one_minus_beta2: f32,
    /// `lr / (1 − β₁ᵗ)`.
    step_size: f32,
    /// `√(1 − β₂ᵗ)`.
    bias_correction2_sqrt: f32,
    eps: f32,
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
            bias_correction2_sqrt: bias_correction2.sqrt() as f32,
            eps: eps as f32,
        }
    }
}

multiversion! {
    fn sgd_plain(param: &mut [f32], grad: &[f32], h: SgdHyper) => sgd_plain_body;
}

multiversion! {
    fn sgd_momentum(
        param: &mut [f32],
        grad: &[f32],
        buf: &mut [f32],
        h: SgdHyper,
        first: bool,
    ) => sgd_momentum_body;
}

multiversion! {
    fn adam(
        param: &mut [f32],
        grad: &[f32],
        exp_avg: &mut [f32],
        exp_avg_sq: &mut [f32],
        h: AdamHyper,
    ) => adam_body;
}

#[inline(always)]
fn sgd_plain_body<M: Fma>(param: &mut [f32], grad: &[f32], h: SgdHyper) {
    for (p, &g) in param.iter_mut().zip(grad) {
        let g = M::mul_add(*p, h.weight_decay, g);
        *p = M::mul_add(-h.lr, g, *p);
    }
}

#[inline(always)]
fn sgd_momentum_body<M: Fma>(
    param: &mut [f32],
    grad: &[f32],
    buf: &mut [f32],
    h: SgdHyper,
    first: bool,
) {
    for ((p, &g), b) in param.iter_mut().zip(grad).zip(buf.iter_mut()) {
        let g = M::mul_add(*p, h.weight_decay, g);
        // The first step copies the gradient into the buffer (dampening 0).
        let nb = if first {
            g
        } else {
            M::mul_add(*b, h.momentum, g)
        };
        *b = nb;
        let d = if h.nesterov {
            M::mul_add(nb, h.momentum, g)
        } else {
            nb
        };
        *p = M::mul_add(-h.lr, d, *p);
    }
}

#[inline(always)]
fn adam_body<M: Fma>(
    param: &mut [f32],
    grad: &[f32],
    exp_avg: &mut [f32],
    exp_avg_sq: &mut [f32],
    h: AdamHyper,
) {
    let moments = exp_avg.iter_mut().zip(exp_avg_sq.iter_mut());
    for ((p, &g), (m, v)) in param.iter_mut().zip(grad).zip(moments) {
        let pv = *p * h.decay;
        let g = M::mul_add(pv, h.l2, g);
        // torch.lerp with weight < 0.5: m + w·(g − m).
        *m = M::mul_add(h.one_minus_beta1, g - *m, *m);
        *v = M::mul_add(h.one_minus_beta2, g * g, *v * h.beta2);
        let denom = v.sqrt() / h.bias_correction2_sqrt + h.eps;
        *p = M::mul_add(-h.step_size, *m / denom, pv);
    }
}
