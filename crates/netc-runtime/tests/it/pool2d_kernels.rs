//! Max, average and adaptive average pooling against scalar references
//! written from PyTorch's definitions (bit for bit: the same sums in the
//! same order), their backward against the references' scatter and
//! against finite differences, ties and NaN as PyTorch's CPU kernel (on
//! every ISA path), and the same bits on 1–4 threads.

use netc_ops::image::{AdaptivePool2dGeometry, ImageShape, Pad, Pool2dGeometry, PoolKind, Window};
use netc_runtime::kernels::{
    adaptive_avg_pool2d_backward, adaptive_avg_pool2d_forward, avg_pool2d_backward,
    avg_pool2d_forward, max_pool2d_backward, max_pool2d_forward, max_pool2d_forward_on,
};
use netc_runtime::rng::Rng;
use netc_runtime::simd::Isa;

use crate::common::uniform;
use crate::parallel_kernels::same_bits_on_every_pool;

fn image(channels: usize, height: usize, width: usize) -> ImageShape {
    ImageShape {
        channels,
        height,
        width,
    }
}

fn window(kernel: usize, stride: usize, pad: usize, dilation: usize) -> Window {
    Window {
        kernel,
        stride,
        pad: Pad::symmetric(pad),
        dilation,
    }
}

fn pool(kind: PoolKind, input: ImageShape, rows: Window, cols: Window) -> Pool2dGeometry {
    Pool2dGeometry {
        input,
        kind,
        rows,
        cols,
    }
}

const AVG: PoolKind = PoolKind::Avg {
    count_include_pad: true,
};
const AVG_EXCLUDE_PAD: PoolKind = PoolKind::Avg {
    count_include_pad: false,
};

/// Geometries covering stride ≠ kernel, padding, dilation (max only),
/// odd sizes, non-square windows, and the unpadded 2×2 every CNN has.
fn geometries(kind: PoolKind) -> Vec<Pool2dGeometry> {
    let dilated = if kind == PoolKind::Max { 2 } else { 1 };
    vec![
        pool(kind, image(2, 6, 6), window(2, 2, 0, 1), window(2, 2, 0, 1)),
        pool(kind, image(3, 7, 5), window(3, 2, 1, 1), window(3, 2, 1, 1)),
        pool(kind, image(1, 9, 8), window(3, 1, 1, 1), window(2, 3, 1, 1)),
        pool(kind, image(2, 5, 7), window(2, 1, 0, 1), window(3, 2, 0, 1)),
        pool(
            kind,
            image(2, 9, 9),
            window(3, 2, 1, dilated),
            window(2, 1, 1, dilated),
        ),
        pool(kind, image(1, 4, 4), window(4, 1, 2, 1), window(4, 1, 2, 1)),
        // Unpadded and dilated: every window inside the input.
        pool(
            kind,
            image(2, 8, 9),
            window(2, 2, 0, dilated),
            window(3, 1, 0, dilated),
        ),
    ]
}

/// The input positions of output `o`'s window along an axis: `None` for
/// a tap in the padding.
fn taps(w: Window, o: usize, input: usize) -> Vec<Option<usize>> {
    (0..w.kernel)
        .map(|k| {
            let at = (o * w.stride + k * w.dilation) as isize - w.pad.before as isize;
            (at >= 0 && (at as usize) < input).then_some(at as usize)
        })
        .collect()
}

fn out_shape(g: &Pool2dGeometry) -> ImageShape {
    g.output().expect("the test geometries fit")
}

/// PyTorch's max pooling, written from its definition: `(y, argmax)`.
fn max_reference(x: &[f32], batch: usize, g: &Pool2dGeometry) -> (Vec<f32>, Vec<f32>) {
    let (input, out) = (g.input, out_shape(g));
    let (mut y, mut argmax) = (Vec::new(), Vec::new());
    for plane in x.chunks(input.plane()).take(batch * input.channels) {
        for oh in 0..out.height {
            for ow in 0..out.width {
                let cells: Vec<usize> = taps(g.rows, oh, input.height)
                    .into_iter()
                    .flatten()
                    .flat_map(|ih| {
                        taps(g.cols, ow, input.width)
                            .into_iter()
                            .flatten()
                            .map(move |iw| ih * input.width + iw)
                    })
                    .collect();
                let (mut max, mut best) = (f32::NEG_INFINITY, cells[0]);
                for &at in &cells {
                    if plane[at] > max || plane[at].is_nan() {
                        (max, best) = (plane[at], at);
                    }
                }
                y.push(max);
                argmax.push(best as f32);
            }
        }
    }
    (y, argmax)
}

/// PyTorch's average pooling: the f32 sum of the real taps in window
/// order over the divisor (taps inside the padded input, or real taps).
fn avg_reference(x: &[f32], batch: usize, g: &Pool2dGeometry) -> Vec<f32> {
    let (input, out) = (g.input, out_shape(g));
    let include_pad = g.kind == AVG;
    let padded = |w: Window, o: usize, len: usize| {
        (0..w.kernel)
            .filter(|k| o * w.stride + k < len + w.pad.total())
            .count()
    };
    let mut y = Vec::new();
    for plane in x.chunks(input.plane()).take(batch * input.channels) {
        for oh in 0..out.height {
            for ow in 0..out.width {
                let (rows, cols) = (
                    taps(g.rows, oh, input.height),
                    taps(g.cols, ow, input.width),
                );
                let mut sum = 0f32;
                for ih in rows.iter().flatten() {
                    for iw in cols.iter().flatten() {
                        sum += plane[ih * input.width + iw];
                    }
                }
                let divisor = if include_pad {
                    padded(g.rows, oh, input.height) * padded(g.cols, ow, input.width)
                } else {
                    rows.iter().flatten().count() * cols.iter().flatten().count()
                };
                y.push(sum / divisor as f32);
            }
        }
    }
    y
}

fn bits(values: &[f32]) -> Vec<u32> {
    values.iter().map(|v| v.to_bits()).collect()
}

#[test]
fn max_pool_matches_the_reference_bit_for_bit() {
    let mut rng = Rng::seed_from_u64(1);
    // Rows of 2×2 windows taken in runs of 8 (16, 28, 70 and 71 columns:
    // 8, 14 and 35 windows, the last run overlapping the one before), of
    // 4 (8 and 14 columns) and one at a time (6), on values with many
    // ties and a few NaNs.
    let square2 = |width| {
        let w = window(2, 2, 0, 1);
        pool(PoolKind::Max, image(3, 6, width), w, w)
    };
    let runs: Vec<_> = [6, 8, 14, 16, 28, 70, 71].map(square2).into();
    for g in geometries(PoolKind::Max).into_iter().chain(runs.clone()) {
        let batch = 3;
        let mut x = uniform(batch * g.input.numel(), -2.0, 2.0, &mut rng);
        if runs.contains(&g) {
            for (i, v) in x.iter_mut().enumerate() {
                *v = if i % 37 == 5 { f32::NAN } else { v.round() };
            }
        }
        let len = batch * out_shape(&g).numel();
        let (want_y, want_argmax) = max_reference(&x, batch, &g);
        for isa in Isa::available() {
            let (mut y, mut argmax) = (vec![0.0; len], vec![0.0; len]);
            max_pool2d_forward_on(isa, &x, &mut y, Some(&mut argmax), batch, &g);
            assert_eq!(bits(&y), bits(&want_y), "{isa:?} {g:?}");
            assert_eq!(argmax, want_argmax, "{isa:?} {g:?}");
            let mut eval = vec![0.0; len];
            max_pool2d_forward_on(isa, &x, &mut eval, None, batch, &g);
            assert_eq!(bits(&eval), bits(&y), "{isa:?} {g:?}: without argmax");
        }
    }
}

#[test]
fn avg_pool_matches_the_reference_bit_for_bit_with_and_without_padding_counted() {
    let mut rng = Rng::seed_from_u64(2);
    for kind in [AVG, AVG_EXCLUDE_PAD] {
        for g in geometries(kind) {
            let batch = 2;
            let x = uniform(batch * g.input.numel(), -2.0, 2.0, &mut rng);
            let mut y = vec![0.0; batch * out_shape(&g).numel()];
            avg_pool2d_forward(&x, &mut y, batch, &g);
            assert_eq!(bits(&y), bits(&avg_reference(&x, batch, &g)), "{g:?}");
        }
    }
}

#[test]
fn count_include_pad_divides_by_the_padded_window() {
    // One 2×2 input of ones, a 3×3 window with padding 1: every output
    // sums 4 real ones (corners of a 3×3 window over 2×2 real cells),
    // over 9 padded positions, or over the 4 real ones.
    let g = |kind| pool(kind, image(1, 2, 2), window(3, 1, 1, 1), window(3, 1, 1, 1));
    let x = [1.0f32; 4];
    let mut y = [0.0f32; 4];
    avg_pool2d_forward(&x, &mut y, 1, &g(AVG));
    assert_eq!(y, [4.0 / 9.0; 4]);
    avg_pool2d_forward(&x, &mut y, 1, &g(AVG_EXCLUDE_PAD));
    assert_eq!(y, [1.0; 4]);
}

#[test]
fn max_pool_ties_go_to_the_first_maximum_and_nan_wins() {
    let g = pool(
        PoolKind::Max,
        image(1, 2, 4),
        window(2, 2, 0, 1),
        window(2, 2, 0, 1),
    );
    // Left window: all 3 (tie → first, position 0). Right window: a NaN
    // at positions 3 and 6: each NaN replaces the maximum, so the last.
    let x = [3.0, 3.0, 1.0, f32::NAN, 3.0, 3.0, f32::NAN, 5.0];
    let (mut y, mut argmax) = ([0.0f32; 2], [0.0f32; 2]);
    max_pool2d_forward(&x, &mut y, Some(&mut argmax), 1, &g);
    assert_eq!(y[0], 3.0);
    assert!(y[1].is_nan());
    assert_eq!(argmax, [0.0, 6.0]);
    // A window of −∞ keeps −∞ at its first position.
    let x = [f32::NEG_INFINITY; 8];
    max_pool2d_forward(&x, &mut y, Some(&mut argmax), 1, &g);
    assert_eq!((y, argmax), ([f32::NEG_INFINITY; 2], [0.0, 2.0]));
}

#[test]
fn max_pool_backward_scatters_into_the_argmax_and_overlaps_accumulate() {
    // Stride 1 windows of 2 over 1×3: [1, 5, 2] → both windows pick 5.
    let g = pool(
        PoolKind::Max,
        image(1, 1, 3),
        window(1, 1, 0, 1),
        window(2, 1, 0, 1),
    );
    let x = [1.0, 5.0, 2.0];
    let (mut y, mut argmax) = ([0.0f32; 2], [0.0f32; 2]);
    max_pool2d_forward(&x, &mut y, Some(&mut argmax), 1, &g);
    let mut dx = [0.5f32; 3];
    max_pool2d_backward(&[1.0, 2.0], &argmax, &mut dx, 1, &g, false);
    assert_eq!(dx, [0.5, 3.5, 0.5]);
}

/// ∂(Σ w·y)/∂x by central differences, f64 over an f32 forward.
fn finite_difference(forward: impl Fn(&[f32]) -> Vec<f32>, x: &[f32], w: &[f32]) -> Vec<f64> {
    let objective = |x: &[f32]| -> f64 {
        forward(x)
            .iter()
            .zip(w)
            .map(|(&y, &w)| f64::from(y) * f64::from(w))
            .sum()
    };
    let h = 1e-3f32;
    (0..x.len())
        .map(|i| {
            let (mut up, mut down) = (x.to_vec(), x.to_vec());
            up[i] += h;
            down[i] -= h;
            (objective(&up) - objective(&down)) / f64::from(up[i] - down[i])
        })
        .collect()
}

fn assert_close(what: &str, got: &[f32], prefill: f32, want: &[f64]) {
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let g = f64::from(g) - f64::from(prefill);
        assert!(
            (g - w).abs() < 2e-3 * (1.0 + w.abs()),
            "{what}: dx[{i}] {g} vs {w}"
        );
    }
}

/// Distinct values at least 0.01 apart, so that a step of 1e-3 moves no
/// maximum.
fn spaced(len: usize, rng: &mut Rng) -> Vec<f32> {
    let mut order: Vec<usize> = (0..len).collect();
    for i in (1..len).rev() {
        order.swap(
            i,
            (rng.uniform(0.0, 1.0) * (i + 1) as f64) as usize % (i + 1),
        );
    }
    order.iter().map(|&k| k as f32 * 0.01 - 1.0).collect()
}

#[test]
fn pool_backward_matches_finite_differences() {
    let mut rng = Rng::seed_from_u64(3);
    let batch = 2;
    let prefill = -0.25f32;
    for kind in [PoolKind::Max, AVG, AVG_EXCLUDE_PAD] {
        for g in geometries(kind) {
            let x = spaced(batch * g.input.numel(), &mut rng);
            let out_len = batch * out_shape(&g).numel();
            let w = uniform(out_len, -1.0, 1.0, &mut rng);
            let mut dx = vec![prefill; x.len()];
            let forward = |x: &[f32]| {
                let mut y = vec![0.0; out_len];
                match kind {
                    PoolKind::Max => max_pool2d_forward(x, &mut y, None, batch, &g),
                    PoolKind::Avg { .. } => avg_pool2d_forward(x, &mut y, batch, &g),
                }
                y
            };
            match kind {
                PoolKind::Max => {
                    let (mut y, mut argmax) = (vec![0.0; out_len], vec![0.0; out_len]);
                    max_pool2d_forward(&x, &mut y, Some(&mut argmax), batch, &g);
                    max_pool2d_backward(&w, &argmax, &mut dx, batch, &g, false);
                }
                PoolKind::Avg { .. } => avg_pool2d_backward(&w, &mut dx, batch, &g, false),
            }
            let want = finite_difference(forward, &x, &w);
            assert_close(&format!("{g:?}"), &dx, prefill, &want);
        }
    }
}

fn adaptive(
    input: ImageShape,
    output_height: usize,
    output_width: usize,
) -> AdaptivePool2dGeometry {
    AdaptivePool2dGeometry {
        input,
        output_height,
        output_width,
    }
}

/// The adaptive geometries: 5→3 (overlapping ranges), 7→1 (global
/// average), 4→4 (identity), and rectangular.
fn adaptive_geometries() -> Vec<AdaptivePool2dGeometry> {
    vec![
        adaptive(image(2, 5, 5), 3, 3),
        adaptive(image(3, 7, 7), 1, 1),
        adaptive(image(1, 4, 4), 4, 4),
        adaptive(image(2, 6, 9), 4, 2),
    ]
}

/// PyTorch's adaptive average: `sum / kh / kw` over
/// `[⌊i·in/out⌋, ⌈(i+1)·in/out⌉)`.
fn adaptive_reference(x: &[f32], batch: usize, g: &AdaptivePool2dGeometry) -> Vec<f32> {
    let (input, out) = (g.input, g.output());
    let range = |i: usize, out: usize, len: usize| (i * len / out)..((i + 1) * len).div_ceil(out);
    let mut y = Vec::new();
    for plane in x.chunks(input.plane()).take(batch * input.channels) {
        for oh in 0..out.height {
            for ow in 0..out.width {
                let (rows, cols) = (
                    range(oh, out.height, input.height),
                    range(ow, out.width, input.width),
                );
                let mut sum = 0f32;
                for ih in rows.clone() {
                    for iw in cols.clone() {
                        sum += plane[ih * input.width + iw];
                    }
                }
                y.push(sum / rows.len() as f32 / cols.len() as f32);
            }
        }
    }
    y
}

#[test]
fn adaptive_avg_pool_matches_the_reference_and_finite_differences() {
    let mut rng = Rng::seed_from_u64(4);
    let batch = 2;
    let prefill = 0.5f32;
    for g in adaptive_geometries() {
        let x = uniform(batch * g.input.numel(), -2.0, 2.0, &mut rng);
        let out_len = batch * g.output().numel();
        let forward = |x: &[f32]| {
            let mut y = vec![0.0; out_len];
            adaptive_avg_pool2d_forward(x, &mut y, batch, &g);
            y
        };
        assert_eq!(bits(&forward(&x)), bits(&adaptive_reference(&x, batch, &g)));
        let w = uniform(out_len, -1.0, 1.0, &mut rng);
        let mut dx = vec![prefill; x.len()];
        adaptive_avg_pool2d_backward(&w, &mut dx, batch, &g, false);
        let want = finite_difference(forward, &x, &w);
        assert_close(&format!("{g:?}"), &dx, prefill, &want);
    }
    // 4 → 4 is the identity.
    let g = adaptive(image(1, 4, 4), 4, 4);
    let x = uniform(16, -1.0, 1.0, &mut rng);
    let mut y = vec![0.0; 16];
    adaptive_avg_pool2d_forward(&x, &mut y, 1, &g);
    assert_eq!(x, y);
}

#[test]
fn pools_split_by_sample_to_the_same_bits() {
    // LeNet's first pooling at batch 64: large enough to split.
    let mut rng = Rng::seed_from_u64(5);
    let batch = 64;
    let input = image(6, 24, 24);
    let halve = window(2, 2, 0, 1);
    let x = uniform(batch * input.numel(), -1.0, 1.0, &mut rng);
    for kind in [PoolKind::Max, AVG] {
        let g = pool(kind, input, halve, halve);
        let out_len = batch * out_shape(&g).numel();
        let dy = uniform(out_len, -1.0, 1.0, &mut rng);
        same_bits_on_every_pool(&format!("{kind:?}"), || {
            let (mut y, mut argmax) = (vec![0.0; out_len], vec![0.0; out_len]);
            let mut dx = vec![0.0; x.len()];
            match kind {
                PoolKind::Max => {
                    max_pool2d_forward(&x, &mut y, Some(&mut argmax), batch, &g);
                    max_pool2d_backward(&dy, &argmax, &mut dx, batch, &g, false);
                }
                PoolKind::Avg { .. } => {
                    avg_pool2d_forward(&x, &mut y, batch, &g);
                    avg_pool2d_backward(&dy, &mut dx, batch, &g, false);
                }
            }
            [bits(&y), bits(&argmax), bits(&dx)].concat()
        });
    }
    let g = adaptive(input, 5, 5);
    let dy = uniform(batch * g.output().numel(), -1.0, 1.0, &mut rng);
    same_bits_on_every_pool("adaptive", || {
        let mut y = vec![0.0; dy.len()];
        let mut dx = vec![0.0; x.len()];
        adaptive_avg_pool2d_forward(&x, &mut y, batch, &g);
        adaptive_avg_pool2d_backward(&dy, &mut dx, batch, &g, false);
        [bits(&y), bits(&dx)].concat()
    });
}

/// A fresh `dx` (the Plan marks the first writer of a gradient) is the
/// bits of the gradient scattered into zeros, whatever the buffer held:
/// every pooling kind and geometry.
#[test]
fn fresh_dx_is_the_scatter_into_zeros() {
    let mut rng = Rng::seed_from_u64(17);
    let batch = 2;
    let backward =
        |kind: PoolKind, g: &Pool2dGeometry, x: &[f32], dy: &[f32], dx: &mut [f32], fresh| {
            let mut y = vec![0.0; dy.len()];
            let mut argmax = vec![0.0; dy.len()];
            match kind {
                PoolKind::Max => {
                    max_pool2d_forward(x, &mut y, Some(&mut argmax), batch, g);
                    max_pool2d_backward(dy, &argmax, dx, batch, g, fresh);
                }
                PoolKind::Avg { .. } => avg_pool2d_backward(dy, dx, batch, g, fresh),
            }
        };
    for kind in [PoolKind::Max, AVG, AVG_EXCLUDE_PAD] {
        for g in geometries(kind) {
            let x = uniform(batch * g.input.numel(), -1.0, 1.0, &mut rng);
            let dy = uniform(batch * out_shape(&g).numel(), -1.0, 1.0, &mut rng);
            let mut reference = vec![0.0; x.len()];
            backward(kind, &g, &x, &dy, &mut reference, false);
            let mut fresh = vec![f32::NAN; x.len()];
            backward(kind, &g, &x, &dy, &mut fresh, true);
            assert_eq!(bits(&fresh), bits(&reference), "{kind:?} {g:?}");
        }
    }
    for g in adaptive_geometries() {
        let dy = uniform(batch * g.output().numel(), -1.0, 1.0, &mut rng);
        let mut reference = vec![0.0; batch * g.input.numel()];
        adaptive_avg_pool2d_backward(&dy, &mut reference, batch, &g, false);
        let mut fresh = vec![f32::NAN; reference.len()];
        adaptive_avg_pool2d_backward(&dy, &mut fresh, batch, &g, true);
        assert_eq!(bits(&fresh), bits(&reference), "adaptive {g:?}");
    }
}
