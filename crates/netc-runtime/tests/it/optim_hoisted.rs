//! A step's scalars computed once and applied to every tensor give the
//! same bits as each tensor computing its own, and both the same bits as
//! the update formulas written out element by element (the single-tensor
//! torch.optim rules this crate has always used), over many steps, on
//! every ISA path, through restored states and jumps in the step count.

use crate::common;

use netc_ops::Optimizer;
use netc_runtime::optim::{apply_step_with, optimizer_step_with, ParamState, StepScalars};
use netc_runtime::rng::Rng;
use netc_runtime::simd::Isa;

use common::random;

/// Lengths around the vector width: scalar-only, partial and whole
/// vectors, whole vectors plus a remainder.
const LENS: [usize; 8] = [1, 7, 8, 16, 17, 64, 144, 200];
const STEPS: u64 = 300;

fn optimizers() -> [Optimizer; 5] {
    [
        Optimizer::Sgd {
            lr: 0.05,
            momentum: 0.0,
            nesterov: false,
            weight_decay: 0.01,
        },
        Optimizer::Sgd {
            lr: 0.05,
            momentum: 0.9,
            nesterov: true,
            weight_decay: 0.01,
        },
        Optimizer::Sgd {
            lr: 0.05,
            momentum: 0.8,
            nesterov: false,
            weight_decay: 0.0,
        },
        Optimizer::Adam {
            lr: 0.01,
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 0.01,
        },
        Optimizer::AdamW {
            lr: 0.01,
            betas: (0.85, 0.99),
            eps: 1e-6,
            weight_decay: 0.05,
        },
    ]
}

fn bits(values: &[f32]) -> Vec<u32> {
    values.iter().map(|v| v.to_bits()).collect()
}

/// Parameters and optimizer states of tensors of every length in [`LENS`].
#[derive(Clone)]
struct Model {
    params: Vec<Vec<f32>>,
    states: Vec<ParamState>,
}

impl Model {
    fn new(opt: &Optimizer) -> Self {
        let mut rng = Rng::seed_from_u64(11);
        Model {
            params: LENS.iter().map(|&n| random(n, &mut rng)).collect(),
            states: LENS.iter().map(|&n| ParamState::new(n, opt)).collect(),
        }
    }

    fn assert_same_bits(&self, other: &Model, what: &str) {
        for (i, (a, b)) in self.params.iter().zip(&other.params).enumerate() {
            assert_eq!(bits(a), bits(b), "{what}: parameter {i}");
        }
        for (i, (a, b)) in self.states.iter().zip(&other.states).enumerate() {
            assert_eq!(
                bits(a.first_moment()),
                bits(b.first_moment()),
                "{what}: first moment {i}"
            );
            assert_eq!(
                bits(a.second_moment()),
                bits(b.second_moment()),
                "{what}: second moment {i}"
            );
        }
    }
}

/// One gradient per tensor for `step`, the same for every caller.
fn grads(step: u64) -> Vec<Vec<f32>> {
    let mut rng = Rng::seed_from_u64(1000 + step);
    LENS.iter().map(|&n| random(n, &mut rng)).collect()
}

fn step_each(isa: Isa, opt: &Optimizer, model: &mut Model, step: u64) {
    let grads = grads(step);
    let tensors = model.params.iter_mut().zip(&mut model.states).zip(&grads);
    for ((param, state), grad) in tensors {
        optimizer_step_with(isa, opt, param, grad, state, step);
    }
}

fn step_hoisted(isa: Isa, opt: &Optimizer, model: &mut Model, step: u64) {
    let grads = grads(step);
    let scalars = StepScalars::for_step(opt, step, model.states[0].last_step());
    assert_eq!(scalars.step(), step.max(1));
    let tensors = model.params.iter_mut().zip(&mut model.states).zip(&grads);
    for ((param, state), grad) in tensors {
        apply_step_with(isa, &scalars, param, grad, state);
    }
}

/// The update rules written out per element, with the step's scalars
/// computed as torch.optim computes them in Python (f64, rounded once),
/// Adam's β powers as running products that restart on a jump.
#[derive(Clone)]
struct Reference {
    params: Vec<Vec<f32>>,
    first: Vec<Vec<f32>>,
    second: Vec<Vec<f32>>,
    started: bool,
    /// `(t, β₁ᵗ, β₂ᵗ)` of the last step.
    powers: (u64, f64, f64),
}

impl Reference {
    fn new(model: &Model) -> Self {
        Reference {
            params: model.params.clone(),
            first: LENS.iter().map(|&n| vec![0.0; n]).collect(),
            second: LENS.iter().map(|&n| vec![0.0; n]).collect(),
            started: false,
            powers: (0, 1.0, 1.0),
        }
    }

    fn step(&mut self, isa: Isa, opt: &Optimizer, step: u64) {
        // The FMA paths round `a·b + c` once, the scalar path twice.
        let fma = |a: f32, b: f32, c: f32| {
            if isa == Isa::Scalar {
                a * b + c
            } else {
                a.mul_add(b, c)
            }
        };
        let grads = grads(step);
        match *opt {
            Optimizer::Sgd {
                lr,
                momentum,
                nesterov,
                weight_decay,
            } => {
                let (lr, mu, wd) = (lr as f32, momentum as f32, weight_decay as f32);
                let first = !self.started;
                self.started = true;
                let tensors = self.params.iter_mut().zip(&mut self.first).zip(&grads);
                for ((param, buf), grad) in tensors {
                    for ((p, b), &g) in param.iter_mut().zip(buf.iter_mut()).zip(grad) {
                        let g = fma(*p, wd, g);
                        let d = if momentum == 0.0 {
                            g
                        } else {
                            *b = if first { g } else { fma(*b, mu, g) };
                            if nesterov {
                                fma(*b, mu, g)
                            } else {
                                *b
                            }
                        };
                        *p = fma(-lr, d, *p);
                    }
                }
            }
            Optimizer::Adam {
                lr,
                betas,
                eps,
                weight_decay,
            } => self.adam(fma, step, &grads, (lr, betas, eps), weight_decay, 1.0),
            Optimizer::AdamW {
                lr,
                betas,
                eps,
                weight_decay,
            } => self.adam(
                fma,
                step,
                &grads,
                (lr, betas, eps),
                0.0,
                1.0 - lr * weight_decay,
            ),
        }
    }

    fn adam(
        &mut self,
        fma: impl Fn(f32, f32, f32) -> f32,
        step: u64,
        grads: &[Vec<f32>],
        (lr, betas, eps): (f64, (f64, f64), f64),
        l2: f64,
        decay: f64,
    ) {
        let t = step.max(1);
        let (last, p1, p2) = self.powers;
        let (p1, p2) = if t == last + 1 {
            (p1 * betas.0, p2 * betas.1)
        } else {
            (betas.0.powi(t as i32), betas.1.powi(t as i32))
        };
        self.powers = (t, p1, p2);
        let step_size = (lr / (1.0 - p1)) as f32;
        let bias_correction2_sqrt = (1.0 - p2).sqrt() as f32;
        let (l2, decay, eps) = (l2 as f32, decay as f32, eps as f32);
        let (w1, beta2, w2) = (
            (1.0 - betas.0) as f32,
            betas.1 as f32,
            (1.0 - betas.1) as f32,
        );
        let tensors = self
            .params
            .iter_mut()
            .zip(&mut self.first)
            .zip(&mut self.second);
        for (((param, m), v), grad) in tensors.zip(grads) {
            for (((p, m), v), &g) in param.iter_mut().zip(m).zip(v).zip(grad) {
                let pv = *p * decay;
                let g = fma(pv, l2, g);
                *m = fma(w1, g - *m, *m);
                *v = fma(w2, g * g, *v * beta2);
                let denom = v.sqrt() / bias_correction2_sqrt + eps;
                *p = fma(-step_size, *m / denom, pv);
            }
        }
    }

    fn assert_matches(&self, model: &Model, what: &str) {
        for (i, (want, got)) in self.params.iter().zip(&model.params).enumerate() {
            assert_eq!(bits(want), bits(got), "{what}: parameter {i}");
        }
    }
}

#[test]
fn scalars_once_per_step_match_scalars_per_tensor_bit_for_bit() {
    for isa in Isa::available() {
        for opt in optimizers() {
            let mut each = Model::new(&opt);
            let mut hoisted = each.clone();
            for step in 1..=STEPS {
                step_each(isa, &opt, &mut each, step);
                step_hoisted(isa, &opt, &mut hoisted, step);
                let what = format!("{} on {}, step {step}", opt.name(), isa.name());
                hoisted.assert_same_bits(&each, &what);
            }
        }
    }
}

#[test]
fn both_paths_follow_the_written_out_rules_bit_for_bit() {
    for isa in Isa::available() {
        for opt in optimizers() {
            let mut each = Model::new(&opt);
            let mut hoisted = each.clone();
            let mut reference = Reference::new(&each);
            for step in 1..=STEPS {
                step_each(isa, &opt, &mut each, step);
                step_hoisted(isa, &opt, &mut hoisted, step);
                reference.step(isa, &opt, step);
                let what = format!("{} on {}, step {step}", opt.name(), isa.name());
                reference.assert_matches(&each, &format!("per tensor, {what}"));
                reference.assert_matches(&hoisted, &format!("hoisted, {what}"));
            }
        }
    }
}

#[test]
fn restored_states_continue_and_jumps_restart_the_beta_powers() {
    let isa = Isa::detect();
    for opt in optimizers() {
        let mut model = Model::new(&opt);
        let mut reference = Reference::new(&model);
        for step in 1..=40 {
            step_hoisted(isa, &opt, &mut model, step);
            reference.step(isa, &opt, step);
        }
        // A restored copy continues the running products exactly.
        let mut restored = model.clone();
        for step in 41..=80 {
            step_hoisted(isa, &opt, &mut model, step);
            step_each(isa, &opt, &mut restored, step);
            reference.step(isa, &opt, step);
            restored.assert_same_bits(&model, &format!("{} restored, step {step}", opt.name()));
            reference.assert_matches(&restored, &format!("{} restored", opt.name()));
        }
        // A jump (steps skipped, or a state from elsewhere) starts the
        // powers from scratch, then runs on from there.
        for step in (200..=230).chain(500..=510) {
            step_hoisted(isa, &opt, &mut model, step);
            reference.step(isa, &opt, step);
            reference.assert_matches(&model, &format!("{} after a jump, step {step}", opt.name()));
        }
    }
}

#[test]
fn scalars_are_reused_within_a_step_and_recomputed_for_a_new_lr() {
    let opt = Optimizer::adam_default();
    let first = StepScalars::for_step(&opt, 1, None);
    let second = StepScalars::for_step(&opt, 2, Some(&first));
    assert_ne!(first, second, "a new step has new bias corrections");
    assert_eq!(StepScalars::for_step(&opt, 2, Some(&second)), second);
    // Step 0 counts as step 1, as Adam's bias correction needs t ≥ 1.
    assert_eq!(StepScalars::for_step(&opt, 0, None), first);
    // An lr schedule changes the optimizer between steps; the scalars of
    // the same step under another lr are not reused.
    let decayed = opt.with_lr(opt.lr() / 10.0);
    let rescaled = StepScalars::for_step(&decayed, 2, Some(&second));
    assert_ne!(rescaled, second);
    assert_eq!(rescaled, StepScalars::for_step(&decayed, 2, Some(&first)));
}
