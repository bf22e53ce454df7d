//! Batchnorm over `[batch, channels, plane]` (BatchNorm2d): statistics
//! per channel over batch and plane, the running variance unbiased over
//! `N·H·W`, the eval forward and the kept affine giving the same bits on
//! every ISA, and the same statistics as batchnorm1d over the transposed
//! `[N·H·W, C]` rows.

use netc_runtime::dim::Const;
use netc_runtime::kernels::{
    batchnorm_apply_on, batchnorm_eval_affine_on, batchnorm_forward_eval_with,
    batchnorm_forward_train, Stats,
};
use netc_runtime::rng::Rng;
use netc_runtime::simd::Isa;

use crate::common::uniform;

/// Mean and biased variance per channel of `[batch, channels, plane]`,
/// in f64.
fn moments(x: &[f32], batch: usize, channels: usize, plane: usize) -> Vec<(f64, f64)> {
    (0..channels)
        .map(|c| {
            let values: Vec<f64> = (0..batch)
                .flat_map(|r| {
                    let start = (r * channels + c) * plane;
                    x[start..start + plane].iter().map(|&v| f64::from(v))
                })
                .collect();
            let mean = values.iter().sum::<f64>() / values.len() as f64;
            let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / values.len() as f64;
            (mean, var)
        })
        .collect()
}

struct Trained {
    y: Vec<f32>,
    mean: Vec<f32>,
    invstd: Vec<f32>,
    running_mean: Vec<f32>,
    running_var: Vec<f32>,
}

fn train(x: &[f32], gamma: &[f32], beta: &[f32], batch: usize, plane: usize) -> Trained {
    let channels = gamma.len();
    let (mut y, mut xhat) = (vec![0.0; x.len()], vec![0.0; x.len()]);
    let (mut mean, mut invstd) = (vec![0.0; channels], vec![0.0; channels]);
    let (mut running_mean, mut running_var) = (vec![0.5; channels], vec![2.0; channels]);
    let stats = Stats {
        mean: &mut mean,
        invstd: &mut invstd,
        running_mean: &mut running_mean,
        running_var: &mut running_var,
    };
    let mut counter = 0;
    batchnorm_forward_train(
        x,
        Some(gamma),
        Some(beta),
        &mut y,
        &mut xhat,
        stats,
        &mut counter,
        Some(0.1),
        1e-5,
        batch,
        channels,
        plane,
    );
    assert_eq!(counter, 1);
    Trained {
        y,
        mean,
        invstd,
        running_mean,
        running_var,
    }
}

#[test]
fn statistics_are_per_channel_over_batch_and_plane_with_an_unbiased_running_variance() {
    let mut rng = Rng::seed_from_u64(11);
    for (batch, channels, plane) in [(4, 3, 25), (2, 6, 4), (3, 20, 1), (2, 2, 37)] {
        let x = uniform(batch * channels * plane, -2.0, 4.0, &mut rng);
        let gamma = uniform(channels, 0.5, 1.5, &mut rng);
        let beta = uniform(channels, -1.0, 1.0, &mut rng);
        let got = train(&x, &gamma, &beta, batch, plane);
        let count = (batch * plane) as f64;
        for (c, (mean, var)) in moments(&x, batch, channels, plane).into_iter().enumerate() {
            let close = |a: f32, b: f64| (f64::from(a) - b).abs() <= 1e-5 * (1.0 + b.abs());
            let what = format!("{batch}x{channels}x{plane} channel {c}");
            assert!(close(got.mean[c], mean), "{what}: mean");
            assert!(
                close(got.invstd[c], 1.0 / (var + 1e-5).sqrt()),
                "{what}: invstd"
            );
            assert!(close(got.running_mean[c], 0.9 * 0.5 + 0.1 * mean), "{what}");
            let unbiased = var * count / (count - 1.0);
            assert!(
                close(got.running_var[c], 0.9 * 2.0 + 0.1 * unbiased),
                "{what}"
            );
            for r in 0..batch {
                let start = (r * channels + c) * plane;
                let values = x[start..start + plane].iter().zip(&got.y[start..]);
                for (i, (&v, &y)) in values.enumerate() {
                    let want = (f64::from(v) - mean) / (var + 1e-5).sqrt() * f64::from(gamma[c])
                        + f64::from(beta[c]);
                    assert!(close(y, want), "{what}: y[{}]", start + i);
                }
            }
        }
    }
}

#[test]
fn an_image_normalises_as_its_pixels_as_rows_of_batchnorm1d() {
    // [N, C, P] and its transpose [N·P, C] have the same per-channel
    // values, so the same statistics (to rounding: the sums run in a
    // different order).
    let mut rng = Rng::seed_from_u64(12);
    let (batch, channels, plane) = (3, 5, 12);
    let x = uniform(batch * channels * plane, -1.0, 3.0, &mut rng);
    let mut rows = vec![0.0; x.len()];
    for r in 0..batch {
        for c in 0..channels {
            for p in 0..plane {
                rows[(r * plane + p) * channels + c] = x[(r * channels + c) * plane + p];
            }
        }
    }
    let gamma = uniform(channels, 0.5, 1.5, &mut rng);
    let beta = uniform(channels, -1.0, 1.0, &mut rng);
    let image = train(&x, &gamma, &beta, batch, plane);
    let flat = train(&rows, &gamma, &beta, batch * plane, 1);
    for c in 0..channels {
        assert!((image.mean[c] - flat.mean[c]).abs() < 1e-6);
        assert!((image.running_var[c] - flat.running_var[c]).abs() < 1e-5);
    }
}

#[test]
fn eval_and_the_kept_affine_give_the_same_bits_on_every_path() {
    let mut rng = Rng::seed_from_u64(13);
    let (batch, plane) = (3, 9);
    const C: usize = 5;
    let x = uniform(batch * C * plane, -2.0, 2.0, &mut rng);
    let gamma = uniform(C, 0.5, 1.5, &mut rng);
    let beta = uniform(C, -1.0, 1.0, &mut rng);
    let mean = uniform(C, -0.5, 0.5, &mut rng);
    let var = uniform(C, 0.5, 2.0, &mut rng);
    for isa in Isa::available() {
        let mut want = vec![0.0; x.len()];
        batchnorm_forward_eval_with(
            isa,
            &x,
            Some(&gamma),
            Some(&beta),
            &mean,
            &var,
            1e-5,
            &mut want,
            batch,
            C,
            plane,
        );
        let (mut scale, mut shift) = (vec![0.0; C], vec![0.0; C]);
        batchnorm_eval_affine_on(
            isa,
            Some(&gamma),
            Some(&beta),
            &mean,
            &var,
            1e-5,
            &mut scale,
            &mut shift,
            C,
        );
        let mut got = vec![0.0; x.len()];
        batchnorm_apply_on(isa, &x, &scale, &shift, &mut got, batch, Const::<C>, plane);
        assert_eq!(got, want, "{}", isa.name());
        for (i, &v) in want.iter().enumerate() {
            let c = i / plane % C;
            let expect = (f64::from(x[i]) - f64::from(mean[c])) / (f64::from(var[c]) + 1e-5).sqrt()
                * f64::from(gamma[c])
                + f64::from(beta[c]);
            assert!(
                (f64::from(v) - expect).abs() < 1e-5,
                "{}: y[{i}]",
                isa.name()
            );
        }
    }
}
