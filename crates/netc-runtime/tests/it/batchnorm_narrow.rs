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

/// One path, layout and batch.
#[derive(Clone, Copy, Debug)]
struct Case {
    isa: Isa,
    batch: usize,
    channels: usize,
    plane: usize,
}

impl Case {
    /// Every path this CPU runs, with every layout and batch.
    fn all() -> impl Iterator<Item = Case> {
        Isa::available().flat_map(|isa| {
            LAYOUTS.into_iter().flat_map(move |(channels, plane)| {
                BATCHES.map(|batch| Case {
                    isa,
                    batch,
                    channels,
                    plane,
                })
            })
        })
    }

    fn len(&self) -> usize {
        self.batch * self.channels * self.plane
    }

    /// The channel of each position of the `[batch, channels, plane]`
    /// buffer.
    fn channels_of(&self) -> impl Iterator<Item = usize> {
        let (channels, plane) = (self.channels, self.plane);
        (0..self.len()).map(move |i| i / plane % channels)
    }
}

#[test]
fn the_training_forward_normalises_each_position_by_its_formula() {
    let mut rng = Rng::seed_from_u64(41);
    for case in Case::all() {
        let (len, channels) = (case.len(), case.channels);
        let x = uniform(len, -2.0, 3.0, &mut rng);
        let gamma = uniform(channels, 0.5, 1.5, &mut rng);
        let beta = random(channels, &mut rng);
        let (mut y, mut xhat) = (vec![0f32; len], vec![0f32; len]);
        let [mut mean, mut invstd, mut running_mean] = [(); 3].map(|_| vec![0f32; channels]);
        let mut running_var = vec![1f32; channels];
        let stats = Stats {
            mean: &mut mean,
            invstd: &mut invstd,
            running_mean: &mut running_mean,
            running_var: &mut running_var,
        };
        batchnorm_forward_train_with(
            case.isa,
            &x,
            Some(&gamma),
            Some(&beta),
            &mut y,
            &mut xhat,
            stats,
            0.1,
            1e-5,
            case.batch,
            channels,
            case.plane,
        );
        let (mut want_xhat, mut want_y) = (vec![0f32; len], vec![0f32; len]);
        for (i, c) in case.channels_of().enumerate() {
            want_xhat[i] = (x[i] - mean[c]) * invstd[c];
            want_y[i] = mul_add(case.isa, want_xhat[i], gamma[c], beta[c]);
        }
        assert_eq!(bits(&xhat), bits(&want_xhat), "x̂ of {case:?}");
        assert_eq!(bits(&y), bits(&want_y), "y of {case:?}");
    }
}

#[test]
fn the_backward_gives_each_position_its_dx_fresh_or_accumulated() {
    let mut rng = Rng::seed_from_u64(42);
    for (case, fresh_dx) in Case::all().flat_map(|case| [(case, true), (case, false)]) {
        let (len, channels) = (case.len(), case.channels);
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
            case.isa,
            &dy,
            &xhat,
            &invstd,
            Some(&gamma),
            &mut dx,
            Some(&mut dgamma),
            Some(&mut dbeta),
            fresh,
            case.batch,
            channels,
            case.plane,
        );
        let inv_count = 1.0 / (case.batch * case.plane) as f32;
        let mut want = vec![0f32; len];
        for (i, c) in case.channels_of().enumerate() {
            let (mean_dy, mean_dyh) = (dbeta[c] * inv_count, dgamma[c] * inv_count);
            let centred = mul_add(case.isa, -xhat[i], mean_dyh, dy[i] - mean_dy);
            let base = if fresh_dx { 0.0 } else { earlier[i] };
            want[i] = mul_add(case.isa, centred, gamma[c] * invstd[c], base);
        }
        assert_eq!(bits(&dx), bits(&want), "dx of {case:?}, fresh {fresh_dx}");
    }
}

#[test]
fn the_eval_forward_from_a_kept_affine_scales_each_position_by_its_channel() {
    let mut rng = Rng::seed_from_u64(43);
    for case in Case::all() {
        let (len, channels) = (case.len(), case.channels);
        let x = random(len, &mut rng);
        let scale = uniform(channels, 0.5, 2.0, &mut rng);
        let shift = random(channels, &mut rng);
        let mut y = vec![f32::NAN; len];
        let (isa, batch, plane) = (case.isa, case.batch, case.plane);
        batchnorm_apply_on(isa, &x, &scale, &shift, &mut y, batch, channels, plane);
        let want: Vec<f32> = case
            .channels_of()
            .enumerate()
            .map(|(i, c)| mul_add(isa, x[i], scale[c], shift[c]))
            .collect();
        assert_eq!(bits(&y), bits(&want), "y of {case:?}");
    }
}
