//! Batchnorm's elementwise passes (the training forward's `x̂` and `y`,
//! the backward's `dx`, the eval forward from a kept affine) give each
//! position the bits of its scalar formula, on every path, for rows as
//! narrow as one position and as wide as a tile, ragged or whole: rows
//! that divide a tile are walked as one run of whole tiles, the others a
//! tile of each row at a time, and both must agree with the formula.

use crate::common::{random, uniform};

use netc_runtime::kernels::{
    batchnorm_apply_on, batchnorm_backward_with, batchnorm_forward_train_with, Fresh, Stats,
};
use netc_runtime::rng::Rng;
use netc_runtime::simd::Isa;

/// `(channels, plane)`: batchnorm1d rows of 1 to 16 features (dividing
/// a tile or not), and images whose rows are narrower than a tile.
const LAYOUTS: [(usize, usize); 14] = [
    (1, 1),
    (2, 1),
    (3, 1),
    (4, 1),
    (5, 1),
    (8, 1),
    (12, 1),
    (16, 1),
    (2, 4),
    (4, 2),
    (1, 8),
    (1, 16),
    (3, 5),
    (2, 8),
];
/// Batches whose rows fill whole tiles or leave a ragged last one.
const BATCHES: [usize; 4] = [1, 3, 32, 33];

/// `a·b + c` as the path computes it: one rounding where it fuses.
fn mul_add(isa: Isa, a: f32, b: f32, c: f32) -> f32 {
    if isa == Isa::Scalar {
        a * b + c
    } else {
        a.mul_add(b, c)
    }
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// The channel of each position of a `[batch, channels, plane]` buffer.
fn channels_of(batch: usize, channels: usize, plane: usize) -> impl Iterator<Item = usize> {
    (0..batch * channels * plane).map(move |i| i / plane % channels)
}

#[test]
fn the_training_forward_normalises_each_position_by_its_formula() {
    let mut rng = Rng::seed_from_u64(41);
    for isa in Isa::available() {
        for (channels, plane) in LAYOUTS {
            for batch in BATCHES {
                let len = batch * channels * plane;
                let x = uniform(len, -2.0, 3.0, &mut rng);
                let gamma = uniform(channels, 0.5, 1.5, &mut rng);
                let beta = random(channels, &mut rng);
                let (mut y, mut xhat) = (vec![0f32; len], vec![0f32; len]);
                let [mut mean, mut invstd, mut running_mean] =
                    [(); 3].map(|_| vec![0f32; channels]);
                let mut running_var = vec![1f32; channels];
                let stats = Stats {
                    mean: &mut mean,
                    invstd: &mut invstd,
                    running_mean: &mut running_mean,
                    running_var: &mut running_var,
                };
                batchnorm_forward_train_with(
                    isa,
                    &x,
                    Some(&gamma),
                    Some(&beta),
                    &mut y,
                    &mut xhat,
                    stats,
                    0.1,
                    1e-5,
                    batch,
                    channels,
                    plane,
                );
                let (mut want_xhat, mut want_y) = (vec![0f32; len], vec![0f32; len]);
                for (i, c) in channels_of(batch, channels, plane).enumerate() {
                    want_xhat[i] = (x[i] - mean[c]) * invstd[c];
                    want_y[i] = mul_add(isa, want_xhat[i], gamma[c], beta[c]);
                }
                let what = format!("{isa:?} {batch}x{channels}x{plane}");
                assert_eq!(bits(&xhat), bits(&want_xhat), "x̂ of {what}");
                assert_eq!(bits(&y), bits(&want_y), "y of {what}");
            }
        }
    }
}

#[test]
fn the_backward_gives_each_position_its_dx_fresh_or_accumulated() {
    let mut rng = Rng::seed_from_u64(42);
    for isa in Isa::available() {
        for (channels, plane) in LAYOUTS {
            for batch in BATCHES {
                for fresh_dx in [true, false] {
                    let len = batch * channels * plane;
                    let dy = random(len, &mut rng);
                    let xhat = random(len, &mut rng);
                    let invstd = uniform(channels, 0.5, 2.0, &mut rng);
                    let gamma = uniform(channels, 0.5, 1.5, &mut rng);
                    let earlier = random(len, &mut rng);
                    let mut dx = if fresh_dx {
                        vec![f32::NAN; len]
                    } else {
                        earlier.clone()
                    };
                    let (mut dgamma, mut dbeta) = (vec![0f32; channels], vec![0f32; channels]);
                    // dγ and dβ fresh: they are then the sums dx reads.
                    let fresh = Fresh(0b110 | u8::from(fresh_dx));
                    batchnorm_backward_with(
                        isa,
                        &dy,
                        &xhat,
                        &invstd,
                        Some(&gamma),
                        &mut dx,
                        Some(&mut dgamma),
                        Some(&mut dbeta),
                        fresh,
                        batch,
                        channels,
                        plane,
                    );
                    let inv_count = 1.0 / (batch * plane) as f32;
                    let mut want = vec![0f32; len];
                    for (i, c) in channels_of(batch, channels, plane).enumerate() {
                        let (mean_dy, mean_dyh) = (dbeta[c] * inv_count, dgamma[c] * inv_count);
                        let centred = mul_add(isa, -xhat[i], mean_dyh, dy[i] - mean_dy);
                        let base = if fresh_dx { 0.0 } else { earlier[i] };
                        want[i] = mul_add(isa, centred, gamma[c] * invstd[c], base);
                    }
                    let what = format!("{isa:?} {batch}x{channels}x{plane} fresh {fresh_dx}");
                    assert_eq!(bits(&dx), bits(&want), "dx of {what}");
                }
            }
        }
    }
}

#[test]
fn the_eval_forward_from_a_kept_affine_scales_each_position_by_its_channel() {
    let mut rng = Rng::seed_from_u64(43);
    for isa in Isa::available() {
        for (channels, plane) in LAYOUTS {
            for batch in BATCHES {
                let len = batch * channels * plane;
                let x = random(len, &mut rng);
                let scale = uniform(channels, 0.5, 2.0, &mut rng);
                let shift = random(channels, &mut rng);
                let mut y = vec![f32::NAN; len];
                batchnorm_apply_on(isa, &x, &scale, &shift, &mut y, batch, channels, plane);
                let want: Vec<f32> = channels_of(batch, channels, plane)
                    .enumerate()
                    .map(|(i, c)| mul_add(isa, x[i], scale[c], shift[c]))
                    .collect();
                let what = format!("{isa:?} {batch}x{channels}x{plane}");
                assert_eq!(bits(&y), bits(&want), "y of {what}");
            }
        }
    }
}
