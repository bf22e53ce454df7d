//! conv2d against a direct convolution in f64 (forward) and finite
//! differences of it (backward: x, w, b), on every ISA path, over the
//! geometries PyTorch allows: stride, symmetric and `same` (asymmetric)
//! padding, dilation, groups, depthwise, no bias, batch 1 and 3, and the
//! direct path for one input channel per group. Then the same bits on
//! pools of 1–4 threads.

use netc_ops::image::{Conv2dGeometry, ImageShape, Pad, Window};
use netc_runtime::kernels::{
    conv2d_backward, conv2d_backward_on, conv2d_cols_len, conv2d_forward, conv2d_forward_on,
    conv2d_rows_len, Fresh,
};
use netc_runtime::rng::Rng;
use netc_runtime::simd::Isa;

use crate::common::uniform;
use crate::grad_layers::{assert_grad, finite_difference, prefilled, weighted, widen, PREFILL};
use crate::parallel_kernels::{bits, same_bits_on_every_pool, same_bits_on_pools};

fn window(kernel: usize, stride: usize, pad: Pad, dilation: usize) -> Window {
    Window {
        kernel,
        stride,
        pad,
        dilation,
    }
}

fn square(kernel: usize, stride: usize, pad: usize, dilation: usize) -> Window {
    window(kernel, stride, Pad::symmetric(pad), dilation)
}

fn geometry(
    (channels, height, width): (usize, usize, usize),
    out_channels: usize,
    groups: usize,
    rows: Window,
    cols: Window,
) -> Conv2dGeometry {
    Conv2dGeometry {
        input: ImageShape {
            channels,
            height,
            width,
        },
        out_channels,
        groups,
        rows,
        cols,
    }
}

struct Case {
    name: &'static str,
    geometry: Conv2dGeometry,
    batch: usize,
    bias: bool,
}

fn cases() -> Vec<Case> {
    let case = |name, geometry, batch, bias| Case {
        name,
        geometry,
        batch,
        bias,
    };
    let same4 = window(4, 1, Pad::same(4, 1), 1);
    vec![
        case(
            "plain",
            geometry((2, 6, 5), 3, 1, square(3, 1, 0, 1), square(3, 1, 0, 1)),
            3,
            true,
        ),
        case(
            "stride 2",
            geometry((3, 7, 8), 4, 1, square(3, 2, 0, 1), square(3, 2, 0, 1)),
            3,
            true,
        ),
        case(
            "padding 1",
            geometry((2, 5, 5), 3, 1, square(3, 1, 1, 1), square(3, 1, 1, 1)),
            1,
            true,
        ),
        case("same 4x4", geometry((2, 6, 5), 2, 1, same4, same4), 3, true),
        case(
            "dilation 2",
            geometry((2, 7, 7), 3, 1, square(3, 1, 1, 2), square(3, 1, 1, 2)),
            1,
            true,
        ),
        case(
            "groups 2",
            geometry((4, 5, 6), 6, 2, square(3, 1, 1, 1), square(3, 2, 0, 1)),
            3,
            true,
        ),
        case(
            "depthwise",
            geometry((3, 6, 6), 6, 3, square(3, 1, 1, 1), square(3, 1, 1, 1)),
            3,
            true,
        ),
        case(
            "no bias",
            geometry((2, 6, 6), 4, 1, square(2, 2, 0, 1), square(2, 2, 0, 1)),
            3,
            false,
        ),
        case(
            "rectangular",
            geometry((1, 6, 9), 2, 1, square(2, 1, 0, 1), square(3, 2, 1, 1)),
            3,
            true,
        ),
        case(
            "1x1",
            geometry((5, 3, 4), 4, 1, square(1, 1, 0, 1), square(1, 1, 0, 1)),
            3,
            true,
        ),
        // Output rows of 19 and 20: the unfold copies whole blocks of
        // eight and an overlapping last one.
        case(
            "wide rows",
            geometry((2, 3, 21), 3, 1, square(3, 1, 1, 1), square(3, 1, 0, 1)),
            2,
            true,
        ),
        // One input channel per group at stride 1: the direct path (its
        // forward's rows in blocks of eight (7×7 below), four and one, its
        // taps in chunks of eight and a rest; a row past one tile,
        // asymmetric padding, a kernel row longer than the taps it sums
        // at once).
        case(
            "one channel 5x5 padding 2",
            geometry((1, 7, 9), 3, 1, square(5, 1, 2, 1), square(5, 1, 2, 1)),
            2,
            true,
        ),
        case(
            "one channel rows past a tile",
            geometry(
                (1, 6, 21),
                2,
                1,
                square(3, 1, 0, 1),
                window(2, 1, Pad::same(2, 1), 1),
            ),
            2,
            true,
        ),
        // dW takes whole kernel rows, up to 25 taps, in passes of 9, 16
        // or 25 accumulators: 16 taps at once, and 7×7 in passes of 21,
        // 21 and 7.
        case(
            "one channel 4x4",
            geometry((1, 6, 8), 2, 1, square(4, 1, 1, 1), square(4, 1, 2, 1)),
            2,
            true,
        ),
        case(
            "one channel 7x7",
            geometry((1, 9, 10), 2, 1, square(7, 1, 3, 1), square(7, 1, 3, 1)),
            2,
            true,
        ),
        case(
            "one channel 9 wide",
            geometry((1, 5, 12), 2, 1, square(2, 1, 0, 1), square(9, 1, 1, 1)),
            1,
            false,
        ),
        // Every output row reads padding only (1 row, padding 1, stride
        // 2): the output is the bias and no gradient reaches x.
        case(
            "padding only",
            geometry((2, 1, 3), 2, 1, square(1, 2, 1, 1), square(3, 1, 1, 1)),
            2,
            true,
        ),
        case(
            "wide padded rows",
            geometry((1, 2, 18), 2, 1, square(1, 1, 0, 1), square(5, 1, 3, 1)),
            2,
            true,
        ),
    ]
}

/// `y[n, co, oh, ow] = b[co] + Σ w[co, ci, kh, kw] · x[n, ci_g, ih, iw]`
/// over the padded input, in f64: PyTorch's definition, loop by loop.
fn direct(x: &[f64], w: &[f64], b: Option<&[f64]>, batch: usize, g: &Conv2dGeometry) -> Vec<f64> {
    let out = g.output().expect("the cases fit");
    let (c, h, wd) = (g.input.channels, g.input.height, g.input.width);
    let (cg, og) = (c / g.groups, g.out_channels / g.groups);
    let (kh_n, kw_n) = (g.rows.kernel, g.cols.kernel);
    let at =
        |o: usize, k: usize, w: Window| (o * w.stride + k * w.dilation).checked_sub(w.pad.before);
    let mut y = vec![0.0; batch * out.numel()];
    for n in 0..batch {
        for co in 0..g.out_channels {
            let group = co / og;
            for oh in 0..out.height {
                for ow in 0..out.width {
                    let mut sum = b.map_or(0.0, |b| b[co]);
                    for ci in 0..cg {
                        for kh in 0..kh_n {
                            for kw in 0..kw_n {
                                let (Some(ih), Some(iw)) = (at(oh, kh, g.rows), at(ow, kw, g.cols))
                                else {
                                    continue;
                                };
                                if ih >= h || iw >= wd {
                                    continue;
                                }
                                let xi = ((n * c + group * cg + ci) * h + ih) * wd + iw;
                                let wi = ((co * cg + ci) * kh_n + kh) * kw_n + kw;
                                sum += w[wi] * x[xi];
                            }
                        }
                    }
                    y[((n * g.out_channels + co) * out.height + oh) * out.width + ow] = sum;
                }
            }
        }
    }
    y
}

/// One case's random operands.
struct Operands {
    x: Vec<f32>,
    w: Vec<f32>,
    b: Vec<f32>,
    dy: Vec<f32>,
}

impl Operands {
    fn new(g: &Conv2dGeometry, batch: usize, seed: u64) -> Operands {
        let mut rng = Rng::seed_from_u64(seed);
        let out = g.output().expect("the cases fit");
        Operands {
            x: uniform(batch * g.input.numel(), -1.0, 1.0, &mut rng),
            w: uniform(g.out_channels * g.fan_in(), -0.5, 0.5, &mut rng),
            b: uniform(g.out_channels, -0.5, 0.5, &mut rng),
            dy: uniform(batch * out.numel(), -1.0, 1.0, &mut rng),
        }
    }
}

/// What one forward and backward call produced; the gradients start at
/// [`PREFILL`], since every backward output accumulates.
#[derive(Debug, PartialEq)]
struct Outputs {
    y: Vec<f32>,
    dx: Vec<f32>,
    dw: Vec<f32>,
    db: Vec<f32>,
}

/// Forward then backward through the public entries (`isa` `None`) or
/// a chosen path.
fn run(isa: Option<Isa>, g: &Conv2dGeometry, batch: usize, bias: bool, o: &Operands) -> Outputs {
    let out = g.output().expect("the cases fit");
    let mut y = vec![f32::NAN; batch * out.numel()];
    let mut cols = vec![f32::NAN; batch * conv2d_cols_len(g)];
    let mut dcols = vec![f32::NAN; cols.len()];
    let mut rows = vec![f32::NAN; batch * conv2d_rows_len(g)];
    let b = bias.then_some(o.b.as_slice());
    let (mut dx, mut dw, mut db) = (
        prefilled(o.x.len()),
        prefilled(o.w.len()),
        prefilled(o.b.len()),
    );
    let db_arg = bias.then_some(db.as_mut_slice());
    match isa {
        None => {
            conv2d_forward(&o.x, &o.w, b, &mut y, &mut cols, &mut rows, batch, g);
            conv2d_backward(
                &cols,
                &o.w,
                &o.dy,
                &mut rows,
                Some(&mut dcols),
                Some(&mut dx),
                &mut dw,
                db_arg,
                Fresh::NONE,
                batch,
                g,
            );
        }
        Some(isa) => {
            conv2d_forward_on(isa, &o.x, &o.w, b, &mut y, &mut cols, &mut rows, batch, g);
            conv2d_backward_on(
                isa,
                &cols,
                &o.w,
                &o.dy,
                &mut rows,
                Some(&mut dcols),
                Some(&mut dx),
                &mut dw,
                db_arg,
                Fresh::NONE,
                batch,
                g,
            );
        }
    }
    Outputs { y, dx, dw, db }
}

#[test]
fn forward_and_backward_match_the_direct_convolution_and_finite_differences() {
    for (seed, case) in cases().into_iter().enumerate() {
        let Case {
            name,
            geometry: g,
            batch,
            bias,
        } = case;
        let o = Operands::new(&g, batch, seed as u64);
        let (x64, w64, b64) = (widen(&o.x), widen(&o.w), widen(&o.b));
        let b64 = bias.then_some(b64.as_slice());
        let y_ref = direct(&x64, &w64, b64, batch, &g);
        let fd_x = finite_difference(|p| weighted(&direct(p, &w64, b64, batch, &g), &o.dy), &o.x);
        let fd_w = finite_difference(|p| weighted(&direct(&x64, p, b64, batch, &g), &o.dy), &o.w);
        let fd_b = finite_difference(
            |p| weighted(&direct(&x64, &w64, Some(p), batch, &g), &o.dy),
            &o.b,
        );
        let paths = std::iter::once(None).chain(Isa::available().map(Some));
        for isa in paths {
            let what = format!("{name} ({})", isa.map_or("public", Isa::name));
            let got = run(isa, &g, batch, bias, &o);
            for (i, (&v, &r)) in got.y.iter().zip(&y_ref).enumerate() {
                assert!(
                    (f64::from(v) - r).abs() < 1e-5 * (1.0 + r.abs()),
                    "{what}: y[{i}] = {v}, want {r}"
                );
            }
            assert_grad(&format!("{what}: dx"), &got.dx, &fd_x);
            assert_grad(&format!("{what}: dw"), &got.dw, &fd_w);
            if bias {
                assert_grad(&format!("{what}: db"), &got.db, &fd_b);
            } else {
                assert!(got.db.iter().all(|&v| v == PREFILL), "{what}: db untouched");
            }
        }
    }
}

/// Without `dx` (a first layer), the parameter gradients are the same
/// bits and neither `dx` nor `dcols` is needed.
#[test]
fn backward_without_dx_gives_the_same_parameter_gradients() {
    let g = geometry((3, 8, 8), 4, 1, square(3, 1, 1, 1), square(3, 1, 1, 1));
    let batch = 2;
    let o = Operands::new(&g, batch, 11);
    let full = run(None, &g, batch, true, &o);
    let mut y = vec![0.0; full.y.len()];
    let mut cols = vec![0.0; batch * conv2d_cols_len(&g)];
    let mut rows = vec![0.0; batch * conv2d_rows_len(&g)];
    conv2d_forward(
        &o.x,
        &o.w,
        Some(&o.b),
        &mut y,
        &mut cols,
        &mut rows,
        batch,
        &g,
    );
    let (mut dw, mut db) = (prefilled(o.w.len()), prefilled(o.b.len()));
    conv2d_backward(
        &cols,
        &o.w,
        &o.dy,
        &mut rows,
        None,
        None,
        &mut dw,
        Some(&mut db),
        Fresh::NONE,
        batch,
        &g,
    );
    assert_eq!(bits(&dw), bits(&full.dw));
    assert_eq!(bits(&db), bits(&full.db));
}

/// Layers large enough to split their products and their data movement
/// over the pool (LeNet's two convolutions at batch 16, a padded 3×3 and
/// a grouped one) give the bits of one thread.
#[test]
fn conv2d_splits_to_the_same_bits() {
    let lenet1 = geometry((1, 28, 28), 6, 1, square(5, 1, 0, 1), square(5, 1, 0, 1));
    let lenet2 = geometry((6, 12, 12), 16, 1, square(5, 1, 0, 1), square(5, 1, 0, 1));
    let padded = geometry((8, 16, 16), 16, 1, square(3, 1, 1, 1), square(3, 1, 1, 1));
    let grouped = geometry((8, 16, 16), 8, 4, square(3, 2, 1, 1), square(3, 1, 1, 1));
    for (seed, g) in [lenet1, lenet2, padded, grouped].into_iter().enumerate() {
        let batch = 16;
        let o = Operands::new(&g, batch, 100 + seed as u64);
        let what = format!("conv2d {:?} -> {}", g.input, g.out_channels);
        same_bits_on_every_pool(&what, || {
            let got = run(None, &g, batch, true, &o);
            (bits(&got.y), bits(&got.dx), bits(&got.dw), bits(&got.db))
        });
    }
}

/// The backward's fresh outputs (2 `dx`, 3 `dw`, 4 `db`, the first
/// writers the Plan marks) are the bits of those outputs accumulated
/// into zeros, for every case, path and subset, whatever they held.
#[test]
fn fresh_outputs_are_the_sums_into_zeros() {
    for (seed, case) in cases().into_iter().enumerate() {
        let (g, batch) = (&case.geometry, case.batch);
        let o = Operands::new(g, batch, 700 + seed as u64);
        let out = g.output().expect("the cases fit");
        let mut y = vec![0.0; batch * out.numel()];
        let mut cols = vec![0.0; batch * conv2d_cols_len(g)];
        let mut rows = vec![0.0; batch * conv2d_rows_len(g)];
        let b = case.bias.then_some(o.b.as_slice());
        conv2d_forward(&o.x, &o.w, b, &mut y, &mut cols, &mut rows, batch, g);
        for isa in Isa::available() {
            for bits_set in 0..8u8 {
                let fresh = Fresh(bits_set << 2);
                let results = [true, false].map(|reference| {
                    let start = |output: usize| match (fresh.output(output), reference) {
                        (false, _) => 0.375,
                        (true, true) => 0.0,
                        (true, false) => f32::NAN,
                    };
                    let mut dx = vec![start(2); o.x.len()];
                    let mut dw = vec![start(3); o.w.len()];
                    let mut db = vec![start(4); o.b.len()];
                    let (mut scratch, mut dcols) = (rows.clone(), vec![f32::NAN; cols.len()]);
                    let marked = if reference { Fresh::NONE } else { fresh };
                    conv2d_backward_on(
                        isa,
                        &cols,
                        &o.w,
                        &o.dy,
                        &mut scratch,
                        Some(&mut dcols),
                        Some(&mut dx),
                        &mut dw,
                        case.bias.then_some(db.as_mut_slice()),
                        marked,
                        batch,
                        g,
                    );
                    let db = if case.bias { bits(&db) } else { Vec::new() };
                    [bits(&dx), bits(&dw), db]
                });
                let what = format!("{} on {} fresh {:03b}", case.name, isa.name(), bits_set);
                assert_eq!(results[1], results[0], "{what}");
            }
        }
    }
}

/// Geometries, batches and pool sizes drawn at random: the bits of one
/// thread on every pool, whatever the split's parts come to.
mod random_shapes {
    use proptest::prelude::{prop_assume, proptest, ProptestConfig};

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        #[test]
        fn conv2d(
            (channels_per_group, groups, out_per_group) in (1usize..8, 1usize..=3, 1usize..16),
            (height, width) in (4usize..32, 4usize..32),
            (kernel, stride, pad, dilation) in (1usize..=5, 1usize..=3, 0usize..=2, 1usize..=2),
            (batch, bias, threads, seed) in (1usize..64, proptest::bool::ANY, 2usize..=8, 0u64..1000),
        ) {
            let input = (channels_per_group * groups, height, width);
            let rows = square(kernel, stride, pad, dilation);
            let g = geometry(input, out_per_group * groups, groups, rows, rows);
            prop_assume!(g.output().is_some());
            let o = Operands::new(&g, batch, seed);
            let what = format!("conv2d {g:?} batch {batch}");
            same_bits_on_pools(&what, [threads], || run(None, &g, batch, bias, &o));
        }
    }
}
