//! Split kernels give the bits of one thread, for every thread count:
//! each output element is computed by one thread in the same order.

use netc_ops::{Activation as Act, Optimizer};
use netc_runtime::kernels::{self, linear_backward, linear_forward, Fresh};
use netc_runtime::ops;
use netc_runtime::optim::{optimizer_step, ParamState};
use netc_runtime::parallel::{install, Pool};
use netc_runtime::rng::Rng;

fn uniform(len: usize, rng: &mut Rng) -> Vec<f32> {
    (0..len).map(|_| rng.uniform(-1.0, 1.0) as f32).collect()
}

/// `run()` with no pool, then with pools of 2, 3 and 4 threads: every
/// result bit-identical to the first.
pub(crate) fn same_bits_on_every_pool<T: PartialEq + std::fmt::Debug>(
    what: &str,
    run: impl Fn() -> T,
) {
    same_bits_on_pools(what, 2..=4, run);
}

/// `run()` with no pool, then with a pool of each of `threads`: every
/// result bit-identical to the first.
pub(crate) fn same_bits_on_pools<T: PartialEq + std::fmt::Debug>(
    what: &str,
    threads: impl IntoIterator<Item = usize>,
    run: impl Fn() -> T,
) {
    let one = run();
    for threads in threads {
        let got = install(&mut Some(Box::new(Pool::new(threads))), &run);
        assert!(got == one, "{what}: {threads} threads differ from one");
    }
}

pub(crate) fn bits(values: &[f32]) -> Vec<u32> {
    values.iter().map(|v| v.to_bits()).collect()
}

#[test]
fn linear_forward_and_backward_split_to_the_same_bits() {
    let mut rng = Rng::seed_from_u64(7);
    // The tiled path, the long-reduction loop path, and the blocked
    // product's (a narrow output, a weight wider than the batch), split
    // by rows; the blocked forward of a weight larger than its input
    // and output (128x784->512, 48x300->1000: a last part of ragged
    // tiles; 16x1000->100: 100 outputs in pairs of tiles over 3 threads,
    // once cut 64, 36, 0, and the empty part panicked), split by columns;
    // a single row's dot products, split by outputs.
    let shapes = [
        (64, 64, 64),
        (200, 96, 130),
        (40, 600, 48),
        (256, 784, 300),
        (256, 784, 10),
        (96, 1024, 72),
        (1, 4096, 256),
        (1, 784, 1000),
        (128, 784, 512),
        (48, 300, 1000),
        (16, 1000, 100),
    ];
    for (batch, in_f, out_f) in shapes {
        linear_splits(batch, in_f, out_f, 2..=4, &mut rng);
    }
}

/// A linear layer's forward (with and without bias) and backward on
/// random operands: the bits of one thread on pools of `threads`.
fn linear_splits(
    batch: usize,
    in_f: usize,
    out_f: usize,
    threads: impl IntoIterator<Item = usize>,
    rng: &mut Rng,
) {
    let x = uniform(batch * in_f, rng);
    let w = uniform(out_f * in_f, rng);
    let b = uniform(out_f, rng);
    let dy = uniform(batch * out_f, rng);
    let what = format!("linear {batch}x{in_f}->{out_f}");
    same_bits_on_pools(&what, threads, || {
        let mut y = vec![0.0; batch * out_f];
        linear_forward(&x, &w, None, &mut y, batch, in_f, out_f);
        let unbiased = bits(&y);
        linear_forward(&x, &w, Some(&b), &mut y, batch, in_f, out_f);
        let (mut dx, mut dw, mut db) = (vec![0.5; x.len()], vec![0.25; w.len()], vec![0.1; out_f]);
        linear_backward(
            &x,
            &w,
            &dy,
            Some(&mut dx),
            &mut dw,
            Some(&mut db),
            batch,
            in_f,
            out_f,
        );
        (unbiased, bits(&y), bits(&dx), bits(&dw), bits(&db))
    });
}

#[test]
fn elementwise_ops_split_to_the_same_bits() {
    let mut rng = Rng::seed_from_u64(8);
    let (rows, width) = (700, 130);
    let x = uniform(rows * width, &mut rng);
    let dy = uniform(rows * width, &mut rng);
    for act in [Act::Relu, Act::Gelu, Act::Softmax, Act::LogSoftmax] {
        same_bits_on_every_pool(&format!("{act:?}"), || {
            let mut y = vec![0.0; x.len()];
            ops::Activation {
                act,
                x: &x,
                y: &mut y,
                width,
            }
            .run();
            let mut dx = dy.clone();
            ops::ActivationBackward {
                act,
                x: Some(&x),
                y: Some(&y),
                dy: &dy,
                dx: &mut dx,
                fresh: ops::Fresh::NONE,
                width,
            }
            .run();
            let mut sum = vec![0.0; x.len()];
            ops::Add {
                a: &x,
                b: &y,
                y: &mut sum,
            }
            .run();
            ops::Accumulate {
                dst: &mut sum,
                src: &dx,
                fresh: ops::Fresh::NONE,
            }
            .run();
            (bits(&y), bits(&dx), bits(&sum))
        });
    }
}

#[test]
fn optimizer_updates_split_to_the_same_bits() {
    let mut rng = Rng::seed_from_u64(9);
    let len = 100_003;
    let start = uniform(len, &mut rng);
    let grads: Vec<Vec<f32>> = (0..3).map(|_| uniform(len, &mut rng)).collect();
    let optimizers = [
        Optimizer::Sgd {
            lr: 0.1,
            momentum: 0.0,
            nesterov: false,
            weight_decay: 0.01,
        },
        Optimizer::Sgd {
            lr: 0.1,
            momentum: 0.9,
            nesterov: true,
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
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 0.01,
        },
    ];
    for opt in optimizers {
        same_bits_on_every_pool(&format!("{opt:?}"), || {
            let mut param = start.clone();
            let mut state = ParamState::new(len, &opt);
            for (step, grad) in grads.iter().enumerate() {
                optimizer_step(&opt, &mut param, grad, &mut state, step as u64 + 1);
            }
            bits(&param)
        });
    }
}

/// Batchnorm's statistics split by whole blocks of channels, then `x̂`,
/// `y` and `dx` by rows: the bits of one thread's fused pass, for
/// batchnorm1d (tiles of features, a ragged last one) and batchnorm2d
/// (planes of one or several tiles), affine or not, gradients fresh or
/// accumulated, and the eval forward and its kept affine.
#[test]
fn batchnorm_splits_to_the_same_bits() {
    let mut rng = Rng::seed_from_u64(9);
    // (batch, channels, plane, affine, momentum)
    let shapes = [
        (256, 300, 1, true, Some(0.1)),
        (700, 37, 1, false, None),
        (16, 6, 784, true, Some(0.1)),
        (9, 5, 33 * 33, true, None),
        (40, 24, 7 * 7, false, Some(0.3)),
    ];
    for (batch, channels, plane, affine, momentum) in shapes {
        batchnorm_splits((batch, channels, plane), affine, momentum, 2..=4, &mut rng);
    }
}

/// Batchnorm's training forward, backward (fresh or accumulated
/// outputs) and eval forward on random operands: the bits of one
/// thread on pools of `threads`.
fn batchnorm_splits(
    (batch, channels, plane): (usize, usize, usize),
    affine: bool,
    momentum: Option<f32>,
    threads: impl IntoIterator<Item = usize>,
    rng: &mut Rng,
) {
    let len = batch * channels * plane;
    let x = uniform(len, rng);
    let dy = uniform(len, rng);
    let gamma = affine.then(|| uniform(channels, rng));
    let beta = affine.then(|| uniform(channels, rng));
    let (gamma, beta) = (gamma.as_deref(), beta.as_deref());
    let what = format!("batchnorm {batch}x{channels}x{plane}");
    same_bits_on_pools(&what, threads, || {
        let (mut y, mut xhat) = (vec![0.0; len], vec![0.0; len]);
        let (mut mean, mut invstd) = (vec![0.0; channels], vec![0.0; channels]);
        let (mut running_mean, mut running_var) = (vec![0.5; channels], vec![2.0; channels]);
        let mut tracked = 3;
        let stats = kernels::Stats {
            mean: &mut mean,
            invstd: &mut invstd,
            running_mean: &mut running_mean,
            running_var: &mut running_var,
        };
        kernels::batchnorm_forward_train(
            &x,
            gamma,
            beta,
            &mut y,
            &mut xhat,
            stats,
            &mut tracked,
            momentum,
            1e-5,
            batch,
            channels,
            plane,
        );
        let mut grads = Vec::new();
        for fresh in [Fresh::NONE, Fresh(0b111), Fresh(0b001)] {
            let mut dx = vec![0.5; len];
            let (mut dgamma, mut dbeta) = (vec![0.25; channels], vec![-0.25; channels]);
            kernels::batchnorm_backward(
                &dy,
                &xhat,
                &invstd,
                gamma,
                &mut dx,
                affine.then_some(&mut dgamma[..]),
                affine.then_some(&mut dbeta[..]),
                fresh,
                batch,
                channels,
                plane,
            );
            grads.push((bits(&dx), bits(&dgamma), bits(&dbeta)));
        }
        let mut eval = vec![0.0; len];
        kernels::batchnorm_forward_eval(
            &x,
            gamma,
            beta,
            &running_mean,
            &running_var,
            1e-5,
            &mut eval,
            batch,
            channels,
            plane,
        );
        let (mut scale, mut shift) = (vec![0.0; channels], vec![0.0; channels]);
        kernels::batchnorm_eval_affine(
            gamma,
            beta,
            &running_mean,
            &running_var,
            1e-5,
            &mut scale,
            &mut shift,
            channels,
        );
        let mut applied = vec![0.0; len];
        kernels::batchnorm_apply(&x, &scale, &shift, &mut applied, batch, channels, plane);
        assert_eq!(bits(&applied), bits(&eval), "{what}: kept affine");
        let stats = [&y, &xhat, &mean, &invstd, &running_mean, &running_var].map(|v| bits(v));
        (stats, grads, bits(&eval))
    });
}

/// Layernorm split by rows, its `dγ` and `dβ` after by features: the
/// bits of one thread, affine or not, gradients fresh or accumulated.
#[test]
fn layernorm_splits_to_the_same_bits() {
    let mut rng = Rng::seed_from_u64(10);
    for (batch, n, affine) in [(300, 200, true), (97, 701, false), (40, 1500, true)] {
        layernorm_splits(batch, n, affine, 2..=4, &mut rng);
    }
}

/// Layernorm's forward and backward (fresh or accumulated outputs) on
/// random operands: the bits of one thread on pools of `threads`.
fn layernorm_splits(
    batch: usize,
    n: usize,
    affine: bool,
    threads: impl IntoIterator<Item = usize>,
    rng: &mut Rng,
) {
    let len = batch * n;
    let x = uniform(len, rng);
    let dy = uniform(len, rng);
    let gamma = affine.then(|| uniform(n, rng));
    let beta = affine.then(|| uniform(n, rng));
    let (gamma, beta) = (gamma.as_deref(), beta.as_deref());
    same_bits_on_pools(&format!("layernorm {batch}x{n}"), threads, || {
        let (mut y, mut xhat, mut invstd) = (vec![0.0; len], vec![0.0; len], vec![0.0; batch]);
        kernels::layernorm_forward(
            &x,
            gamma,
            beta,
            &mut y,
            &mut xhat,
            &mut invstd,
            1e-5,
            batch,
            n,
        );
        let mut grads = Vec::new();
        for fresh in [Fresh::NONE, Fresh(0b111), Fresh(0b110)] {
            let mut dx = vec![0.5; len];
            let (mut dgamma, mut dbeta) = (vec![0.25; n], vec![-0.25; n]);
            kernels::layernorm_backward(
                &dy,
                &xhat,
                &invstd,
                gamma,
                &mut dx,
                Some(&mut dgamma),
                Some(&mut dbeta),
                fresh,
                batch,
                n,
            );
            grads.push((bits(&dx), bits(&dgamma), bits(&dbeta)));
        }
        (bits(&y), bits(&xhat), bits(&invstd), grads)
    });
}

/// Shapes and pool sizes drawn at random, beyond the cases above: ragged
/// and empty last parts, pools larger than the work, each kernel path's
/// thresholds approached from both sides.
mod random_shapes {
    use proptest::prelude::{prop_oneof, proptest, Just, ProptestConfig};

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        #[test]
        fn linear(
            batch in prop_oneof![Just(1usize), 1usize..260],
            in_f in 1usize..1100,
            out_f in 1usize..1100,
            threads in 2usize..=8,
            seed: u64,
        ) {
            linear_splits(batch, in_f, out_f, [threads], &mut Rng::seed_from_u64(seed));
        }

        #[test]
        fn batchnorm(
            batch in 1usize..300,
            channels in 1usize..300,
            plane in prop_oneof![Just(1usize), 1usize..200],
            affine: bool,
            momentum in prop_oneof![Just(None), Just(Some(0.1f32))],
            threads in 2usize..=8,
            seed: u64,
        ) {
            // At most a few million elements: the work of a large layer.
            let channels = channels.min(4_000_000 / (batch * plane)).max(1);
            let shape = (batch, channels, plane);
            let rng = &mut Rng::seed_from_u64(seed);
            batchnorm_splits(shape, affine, momentum, [threads], rng);
        }

        #[test]
        fn layernorm(
            batch in 1usize..400,
            n in 1usize..2000,
            affine: bool,
            threads in 2usize..=8,
            seed: u64,
        ) {
            layernorm_splits(batch, n, affine, [threads], &mut Rng::seed_from_u64(seed));
        }
    }
}
