//! A backward kernel's fresh outputs (a gradient's first writer, which
//! the Plan lets overwrite instead of zeroing the buffer first) are the
//! same bits as those outputs accumulated into zeros, whatever the buffer
//! held before, on every path and for every subset of fresh outputs; the
//! outputs left out of the subset still accumulate.

use crate::common::{self, random};

use netc_ops::Activation;
use netc_runtime::kernels::{
    accumulate_with, activation_backward_with, activation_forward_with, batchnorm_backward_with,
    dropout_backward_with, layernorm_backward_with, linear_backward_on, linear_backward_with,
    Fresh,
};
use netc_runtime::rng::Rng;
use netc_runtime::simd::Isa;

/// What a gradient buffer holds before a step: a stale step's values.
const STALE: f32 = f32::NAN;
/// What an accumulated output already holds.
const EARLIER: f32 = 0.375;

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// The buffers of outputs `lens` for the run marked `fresh`: stale where
/// the output is fresh, `EARLIER` where it accumulates. The reference run
/// (`fresh` = none) starts those fresh outputs from zero instead.
fn outputs(lens: &[usize], fresh: Fresh, reference: bool) -> Vec<Vec<f32>> {
    lens.iter()
        .enumerate()
        .map(|(i, &len)| {
            let start = match (fresh.output(i), reference) {
                (false, _) => EARLIER,
                (true, true) => 0.0,
                (true, false) => STALE,
            };
            vec![start; len]
        })
        .collect()
}

fn assert_same(what: &str, fresh: &[Vec<f32>], reference: &[Vec<f32>]) {
    for (i, (got, want)) in fresh.iter().zip(reference).enumerate() {
        assert_eq!(bits(got), bits(want), "{what}: output {i}");
    }
}

/// Every subset of `n` outputs.
fn subsets(n: usize) -> impl Iterator<Item = Fresh> {
    (0..1u8 << n).map(Fresh)
}

/// `linear_backward` for every subset of fresh outputs: the loop kernel
/// on `isa`, or with `None` the op's own entry point (which takes the
/// blocked product for large ones).
fn check_linear(isa: Option<Isa>, batch: usize, in_f: usize, out_f: usize) {
    let what = format!("{} {batch}×{in_f}→{out_f}", isa.map_or("public", Isa::name));
    let mut rng = Rng::seed_from_u64((batch * 131 + in_f * 7 + out_f) as u64);
    let (x, w, dy) = (
        random(batch * in_f, &mut rng),
        random(out_f * in_f, &mut rng),
        random(batch * out_f, &mut rng),
    );
    let lens = [batch * in_f, out_f * in_f, out_f];
    for fresh in subsets(3) {
        let results = [true, false].map(|reference| {
            let mut out = outputs(&lens, fresh, reference);
            let [dx, dw, db] = &mut out[..] else {
                unreachable!()
            };
            let marked = if reference { Fresh::NONE } else { fresh };
            let (dx, db) = (Some(&mut dx[..]), Some(&mut db[..]));
            match isa {
                Some(isa) => {
                    linear_backward_with(isa, &x, &w, &dy, dx, dw, db, batch, in_f, out_f, marked)
                }
                None => linear_backward_on(
                    Isa::detect(),
                    &x,
                    &w,
                    &dy,
                    dx,
                    dw,
                    db,
                    batch,
                    in_f,
                    out_f,
                    marked,
                ),
            }
            out
        });
        assert_same(
            &format!("{what} fresh {:03b}", fresh.0),
            &results[1],
            &results[0],
        );
    }
}

#[test]
fn linear_fresh_outputs_on_every_path() {
    // The register-tiled products, a reduction past their panel (the
    // axpy loops: batch and out_f above 512), and an empty batch.
    let shapes = [
        (32, 9, 16),
        (7, 33, 5),
        (1, 16, 8),
        (520, 3, 520),
        (0, 4, 6),
    ];
    for isa in Isa::available() {
        for (batch, in_f, out_f) in shapes {
            check_linear(Some(isa), batch, in_f, out_f);
        }
    }
}

#[test]
fn linear_fresh_outputs_on_the_blocked_path() {
    // Large enough for the blocked product, and a weight wider than the
    // batch.
    for (batch, in_f, out_f) in [(64, 128, 128), (16, 512, 256)] {
        check_linear(None, batch, in_f, out_f);
    }
}

/// A normalisation's backward (batchnorm over `[batch, n, plane]`, or
/// layernorm over rows of `n` when `plane` is `None`) for every subset.
fn check_norm(batch: usize, n: usize, plane: Option<usize>) {
    let mut rng = Rng::seed_from_u64((batch * 31 + n + plane.unwrap_or(0)) as u64);
    let len = batch * n * plane.unwrap_or(1);
    let (dy, xhat) = (random(len, &mut rng), random(len, &mut rng));
    let stats = if plane.is_some() { n } else { batch };
    let (invstd, gamma) = (random(stats, &mut rng), random(n, &mut rng));
    for isa in Isa::available() {
        for fresh in subsets(3) {
            let results = [true, false].map(|reference| {
                let mut out = outputs(&[len, n, n], fresh, reference);
                let [dx, dg, db] = &mut out[..] else {
                    unreachable!()
                };
                let marked = if reference { Fresh::NONE } else { fresh };
                let (g, dg, db) = (Some(&gamma[..]), Some(&mut dg[..]), Some(&mut db[..]));
                match plane {
                    Some(plane) => batchnorm_backward_with(
                        isa, &dy, &xhat, &invstd, g, dx, dg, db, marked, batch, n, plane,
                    ),
                    None => layernorm_backward_with(
                        isa, &dy, &xhat, &invstd, g, dx, dg, db, marked, batch, n,
                    ),
                }
                out
            });
            let what = format!("{} {batch}×{n}×{plane:?} fresh {:03b}", isa.name(), fresh.0);
            assert_same(&what, &results[1], &results[0]);
        }
    }
}

#[test]
fn batchnorm_fresh_outputs_on_every_path() {
    // batchnorm1d (plane 1) with a ragged tile, batchnorm2d, an empty batch.
    for (batch, n, plane) in [(32, 16, 1), (5, 19, 1), (3, 4, 7), (0, 3, 1)] {
        check_norm(batch, n, Some(plane));
    }
}

#[test]
fn layernorm_fresh_outputs_on_every_path() {
    // dγ and dβ sum over rows in place: one row, several, none.
    for (batch, n) in [(1, 8), (6, 19), (0, 5)] {
        check_norm(batch, n, None);
    }
}

#[test]
fn dropout_and_residual_fresh_dx_on_every_path() {
    let mut rng = Rng::seed_from_u64(5);
    let (dy, mask) = (random(37, &mut rng), random(37, &mut rng));
    for isa in Isa::available() {
        let mut reference = vec![0.0; 37];
        dropout_backward_with(isa, &dy, &mask, &mut reference, false);
        let mut fresh = vec![STALE; 37];
        dropout_backward_with(isa, &dy, &mask, &mut fresh, true);
        assert_eq!(bits(&fresh), bits(&reference), "dropout {}", isa.name());
        let mut reference = vec![0.0; 37];
        accumulate_with(isa, &mut reference, &dy, false);
        let mut fresh = vec![STALE; 37];
        accumulate_with(isa, &mut fresh, &dy, true);
        assert_eq!(bits(&fresh), bits(&reference), "accumulate {}", isa.name());
    }
}

#[test]
fn activation_fresh_dx_on_every_path() {
    let mut activations = common::elementwise_activations();
    activations.extend([Activation::Softmax, Activation::LogSoftmax]);
    let (batch, width) = (5, 19);
    let mut rng = Rng::seed_from_u64(11);
    let x: Vec<f32> = random(batch * width, &mut rng)
        .iter()
        .map(|v| 3.0 * v)
        .collect();
    let dy = random(batch * width, &mut rng);
    for isa in Isa::available() {
        for act in &activations {
            let mut y = vec![0.0; x.len()];
            activation_forward_with(isa, act, &x, &mut y, width);
            let mut reference = vec![0.0; x.len()];
            activation_backward_with(
                isa,
                act,
                Some(&x),
                Some(&y),
                &dy,
                &mut reference,
                width,
                false,
            );
            let mut fresh = vec![STALE; x.len()];
            activation_backward_with(isa, act, Some(&x), Some(&y), &dy, &mut fresh, width, true);
            assert_eq!(bits(&fresh), bits(&reference), "{} {act:?}", isa.name());
        }
    }
}
