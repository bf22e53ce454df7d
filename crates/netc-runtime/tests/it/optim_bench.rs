//! Optimizer throughput figures, not assertions: run with
//! `cargo test --release -p netc-runtime --test it -- optim_bench:: --ignored --nocapture`.

use crate::common;

use std::hint::black_box;

use netc_ops::Optimizer;
use netc_runtime::optim::{apply_step_with, optimizer_step_with, ParamState, StepScalars};
use netc_runtime::rng::Rng;
use netc_runtime::simd::Isa;

use common::{random, time};

/// The seed network's parameter tensors (9→16→8→1, two batchnorms).
const SEED: [usize; 10] = [144, 16, 16, 16, 128, 8, 8, 8, 8, 1];

struct Tensors {
    params: Vec<Vec<f32>>,
    grads: Vec<Vec<f32>>,
    states: Vec<ParamState>,
}

impl Tensors {
    fn new(lens: &[usize], opt: &Optimizer) -> Self {
        let mut rng = Rng::seed_from_u64(7);
        Tensors {
            params: lens.iter().map(|&n| random(n, &mut rng)).collect(),
            // Small gradients keep many steps finite.
            grads: lens
                .iter()
                .map(|&n| random(n, &mut rng).iter().map(|g| g * 1e-3).collect())
                .collect(),
            states: lens.iter().map(|&n| ParamState::new(n, opt)).collect(),
        }
    }

    /// One optimizer step over every tensor, each computing its own scalars.
    fn step_each(&mut self, isa: Isa, opt: &Optimizer, step: u64) {
        let tensors = self
            .params
            .iter_mut()
            .zip(&self.grads)
            .zip(&mut self.states);
        for ((param, grad), state) in tensors {
            optimizer_step_with(isa, opt, param, black_box(grad), state, step);
        }
    }

    /// One optimizer step over every tensor, its scalars computed once.
    fn step_shared(&mut self, isa: Isa, opt: &Optimizer, step: u64) {
        let scalars = StepScalars::for_step(opt, step, self.states[0].last_step());
        let tensors = self
            .params
            .iter_mut()
            .zip(&self.grads)
            .zip(&mut self.states);
        for ((param, grad), state) in tensors {
            apply_step_with(isa, &scalars, param, black_box(grad), state);
        }
    }
}

#[test]
#[ignore = "benchmark"]
fn optimizer_step_per_tensor_lengths() {
    let isa = Isa::detect();
    for opt in [Optimizer::adam_default(), Optimizer::sgd_default()] {
        for len in [1, 8, 16, 64, 144, 4096] {
            let mut t = Tensors::new(&[len], &opt);
            let mut step = 0;
            let secs = time(7, 20_000, || {
                step += 1;
                t.step_each(isa, &opt, step);
            });
            eprintln!(
                "{} {len:>5} elements on {}: {:.1} ns per tensor",
                opt.name(),
                isa.name(),
                secs * 1e9
            );
        }
    }
}

/// The deep workload's 82: twenty 64→64 linears with batchnorm, and a
/// 64→1 head.
fn deep() -> Vec<usize> {
    let mut lens: Vec<usize> = (0..20).flat_map(|_| [4096, 64, 64, 64]).collect();
    lens.extend([64, 1]);
    lens
}

#[test]
#[ignore = "benchmark"]
fn optimizer_step_whole_networks() {
    let isa = Isa::detect();
    let opt = Optimizer::adam_default();
    for (name, lens) in [("seed", SEED.to_vec()), ("deep", deep())] {
        let calls = if name == "seed" { 20_000 } else { 500 };
        let mut each = Tensors::new(&lens, &opt);
        let mut step = 0;
        let per_tensor = time(7, calls, || {
            step += 1;
            each.step_each(isa, &opt, step);
        });
        let mut shared = Tensors::new(&lens, &opt);
        let mut step = 0;
        let once = time(7, calls, || {
            step += 1;
            shared.step_shared(isa, &opt, step);
        });
        eprintln!(
            "adam, {name}'s {} tensors: {:.1} ns per step with per-tensor scalars, {:.1} ns with scalars once per step",
            lens.len(),
            per_tensor * 1e9,
            once * 1e9
        );
    }
}
