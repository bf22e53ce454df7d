//! conv2d without the patch matrix, for one input channel per group (a
//! grayscale image's first layer, a depthwise convolution) at stride and
//! dilation 1. There the patch matrix would copy every input value
//! `kh·kw` times for products whose reduction is only `kh·kw` long.
//! Instead each sample's planes are copied once, zero-padded, into the
//! scratch, in rows of whole tiles (every tile load stays inside its
//! plane and reads zeros past the row's end); the forward accumulates
//! output rows tile by tile in registers over the taps, and `dW`
//! correlates `dy` with the padded planes. Both split by output channel
//! planes, each computed by one thread in one order, so the bits do not
//! depend on the thread count.

use super::unfold::{by_units, Layout};
use crate::kernels::fresh::clear_if;
use crate::parallel::{self, part_range, scaled, PartsMut, MIN_MACS_PER_PART};
use crate::simd::{self, multiversion, Fma, Isa, LANES};

/// The padded copy of one input plane: `height` rows `width` apart.
#[derive(Clone, Copy)]
pub(super) struct Padded {
    height: usize,
    width: usize,
    /// Column tiles of an output row.
    tiles: usize,
}

impl Padded {
    /// The padded planes' layout when the direct path applies: one input
    /// channel per group, stride and dilation 1, and every sample's padded
    /// planes fit the `scratch` floats per sample the patch matrix would
    /// have had. Not on AVX2: its 16 registers do not hold dW's
    /// accumulators, and the patch matrix trained LeNet 15% faster there.
    pub fn of(isa: Isa, layout: &Layout, scratch: usize) -> Option<Padded> {
        if isa.usable() == Isa::Avx2Fma {
            return None;
        }
        let g = &layout.geometry;
        let unit = |w: netc_ops::image::Window| w.stride == 1 && w.dilation == 1;
        // A kernel row's taps are the lanes of one tile in dW.
        let narrow = g.cols.kernel <= LANES;
        if g.input.channels != g.groups || !unit(g.rows) || !unit(g.cols) || !narrow {
            return None;
        }
        let tiles = layout.output.width.div_ceil(LANES);
        let padded = Padded {
            height: g.input.height + g.rows.pad.total(),
            // A tile at the last column tile, shifted by the last tap
            // (the forward), and one at the last output column (dW).
            width: (tiles * LANES + g.cols.kernel - 1).max(layout.output.width + LANES - 1),
            tiles,
        };
        (g.input.channels * padded.plane() <= scratch).then_some(padded)
    }

    fn plane(self) -> usize {
        self.height * self.width
    }
}

/// `y = conv2d(x, w) + b` through the padded planes it leaves in
/// `scratch` (which [`weight_grad`] reads).
#[allow(clippy::too_many_arguments)]
pub(super) fn forward(
    isa: Isa,
    layout: &Layout,
    pad: Padded,
    x: &[f32],
    w: &[f32],
    b: Option<&[f32]>,
    y: &mut [f32],
    scratch: &mut [f32],
) {
    let g = &layout.geometry;
    let planes = &mut scratch[..layout.batch * g.input.channels * pad.plane()];
    pad_planes(layout, pad, x, planes);
    let planes = &*planes;
    let taps = layout.patch;
    by_units(y, layout.positions(), &|u, out| {
        let (n, c) = (u / g.out_channels, u % g.out_channels);
        let input = (n * g.input.channels + c / layout.group_out) * pad.plane();
        let plane = Plane {
            padded: &planes[input..][..pad.plane()],
            pad,
            layout,
        };
        let bias = b.map_or(0.0, |b| b[c]);
        plane_forward_with(isa, plane, &w[c * taps..][..taps], bias, out);
    });
}

/// `dw += ∂/∂w` from the padded planes [`forward`] left in `scratch`
/// (from zero when `fresh`: each channel's taps cleared by its part).
pub(super) fn weight_grad(
    isa: Isa,
    layout: &Layout,
    pad: Padded,
    scratch: &[f32],
    dy: &[f32],
    dw: &mut [f32],
    fresh: bool,
) {
    let g = &layout.geometry;
    let taps = layout.patch;
    let macs = layout.batch * layout.positions() * g.out_channels * taps;
    let parts = parallel::parts_for(macs, MIN_MACS_PER_PART, g.out_channels);
    let channels = |p| part_range(g.out_channels, parts, p, 1);
    let dws = PartsMut::new(dw, parts, |p| scaled(channels(p), taps));
    parallel::split(parts, &|p| {
        let dw = dws.take(p);
        clear_if(fresh, dw);
        for (c, dw) in channels(p).zip(dw.chunks_exact_mut(taps)) {
            for n in 0..layout.batch {
                let input = (n * g.input.channels + c / layout.group_out) * pad.plane();
                let plane = Plane {
                    padded: &scratch[input..][..pad.plane()],
                    pad,
                    layout,
                };
                let dy = &dy[(n * g.out_channels + c) * layout.positions()..][..layout.positions()];
                plane_weight_grad_with(isa, plane, dy, dw);
            }
        }
    });
}

/// Every sample's input planes, zero-padded, `pad.plane()` floats each.
fn pad_planes(layout: &Layout, pad: Padded, x: &[f32], planes: &mut [f32]) {
    let g = &layout.geometry;
    let (height, width) = (g.input.height, g.input.width);
    let (top, left) = (g.rows.pad.before, g.cols.pad.before);
    by_units(planes, pad.plane(), &|u, out| {
        out.fill(0.0);
        let input = &x[u * height * width..][..height * width];
        for (ih, line) in input.chunks_exact(width).enumerate() {
            out[(ih + top) * pad.width + left..][..width].copy_from_slice(line);
        }
    });
}

/// One padded input plane and where its output rows are.
#[derive(Clone, Copy)]
struct Plane<'a> {
    padded: &'a [f32],
    pad: Padded,
    layout: &'a Layout,
}

impl Plane<'_> {
    /// The tile of padded row `row` from column `column`.
    #[inline(always)]
    fn tile(&self, row: usize, column: usize) -> &[f32; LANES] {
        simd::window(self.padded, row * self.pad.width + column)
    }
}

multiversion! {
    fn plane_forward_with(plane: Plane<'_>, w: &[f32], bias: f32, out: &mut [f32])
        => plane_forward_body;
}

multiversion! {
    fn plane_weight_grad_with(plane: Plane<'_>, dy: &[f32], dw: &mut [f32])
        => plane_weight_grad_body;
}

/// Output rows computed together: independent FMA chains per tap.
const ROWS: usize = 4;

/// One output plane: for each column tile, `ROWS` output rows at a time,
/// each the in-order sum over the taps `(kh, kw)`, plus the bias.
#[inline(always)]
fn plane_forward_body<M: Fma>(plane: Plane<'_>, w: &[f32], bias: f32, out: &mut [f32]) {
    let g = &plane.layout.geometry;
    let (kernel_h, kernel_w) = (g.rows.kernel, g.cols.kernel);
    let output = plane.layout.output;
    for t in 0..plane.pad.tiles {
        let column = t * LANES;
        let mask = simd::lane_mask(LANES.min(output.width - column));
        let mut oh = 0;
        while oh + ROWS <= output.height {
            let mut acc = [[0f32; LANES]; ROWS];
            for i in 0..kernel_h {
                for j in 0..kernel_w {
                    let s = w[i * kernel_w + j];
                    // Rows unrolled by hand, as in small_gemm's row blocks.
                    macro_rules! rows {
                        ($($r:literal)*) => {$(
                            M::fma_tile(s, plane.tile(oh + $r + i, column + j), &mut acc[$r]);
                        )*};
                    }
                    rows!(0 1 2 3);
                }
            }
            for (r, acc) in acc.iter().enumerate() {
                store_row(out, (oh + r) * output.width + column, &mask, acc, bias);
            }
            oh += ROWS;
        }
        for oh in oh..output.height {
            let mut acc = [0f32; LANES];
            for i in 0..kernel_h {
                for j in 0..kernel_w {
                    M::fma_tile(
                        w[i * kernel_w + j],
                        plane.tile(oh + i, column + j),
                        &mut acc,
                    );
                }
            }
            store_row(out, oh * output.width + column, &mask, &acc, bias);
        }
    }
}

/// `out[at..]` := the masked lanes of `acc + bias`. A function, not a
/// closure of the body: a closure LLVM declined to inline ran without the
/// body's target features (7.6% of a LeNet step, a scalar store per lane).
#[inline(always)]
fn store_row(out: &mut [f32], at: usize, mask: &[u32; LANES], acc: &[f32; LANES], bias: f32) {
    let mut v = *acc;
    for lane in &mut v {
        *lane += bias;
    }
    simd::store_tile(out, at, mask, &v);
}

/// `dw[kh, kw] += Σ dy[oh, ow] · padded[oh + kh, ow + kw]` for one
/// sample's plane. The lanes are output columns: each tile of `dy` (zero
/// past the row's end) times the padded tile under it, shifted by a tap,
/// goes to that tap's accumulator, so every lane of a row's tiles but the
/// last does work (a 28-wide LeNet row: 28 of 32). Up to [`TAPS`] taps
/// (whole kernel rows) at a time; each tap's lanes are then summed
/// pairwise onto `dw`.
#[inline(always)]
fn plane_weight_grad_body<M: Fma>(plane: Plane<'_>, dy: &[f32], dw: &mut [f32]) {
    let g = &plane.layout.geometry;
    let (kernel_h, kernel_w) = (g.rows.kernel, g.cols.kernel);
    // `kernel_w ≤ LANES < TAPS`: at least one kernel row per pass.
    let rows = TAPS / kernel_w;
    for i0 in (0..kernel_h).step_by(rows) {
        let count = rows.min(kernel_h - i0) * kernel_w;
        let mut offsets = [0usize; TAPS];
        for (t, offset) in offsets.iter_mut().take(count).enumerate() {
            *offset = (i0 + t / kernel_w) * plane.pad.width + t % kernel_w;
        }
        // Every tap of a pass is computed (the spare ones at offset 0,
        // their sums dropped): with no test per tap the accumulators stay
        // in registers.
        let dw = &mut dw[i0 * kernel_w..][..count];
        if count <= 9 {
            add_sums(dw, &tap_sums::<M, 9>(plane, dy, &offsets));
        } else if count <= 16 {
            add_sums(dw, &tap_sums::<M, 16>(plane, dy, &offsets));
        } else {
            add_sums(dw, &tap_sums::<M, TAPS>(plane, dy, &offsets));
        }
    }
}

/// `dw[t] += Σ lanes of sums[t]`, pairwise.
#[inline(always)]
fn add_sums<const N: usize>(dw: &mut [f32], sums: &[[f32; LANES]; N]) {
    for (d, acc) in dw.iter_mut().zip(sums) {
        *d += simd::hsum(acc);
    }
}

/// The first `N` taps' column sums over the plane: tap `t` reads the
/// padded plane `offsets[t]` past each output position. The taps are
/// unrolled by hand: LLVM left a loop of 25, its accumulators on the
/// stack with a load and a store per multiply-add (dW at 18 GFLOP/s).
#[inline(always)]
fn tap_sums<M: Fma, const N: usize>(
    plane: Plane<'_>,
    dy: &[f32],
    offsets: &[usize; TAPS],
) -> [[f32; LANES]; N] {
    // The unrolled taps below are 0..=24.
    const { assert!(N <= TAPS && TAPS == 25) };
    let output = plane.layout.output;
    // Every window of a tile lies in `reach` floats from its first.
    let reach = offsets[..N].iter().max().map_or(0, |&o| o + LANES);
    let mut acc = [[0f32; LANES]; N];
    for t in 0..plane.pad.tiles {
        let column = t * LANES;
        let mask = simd::lane_mask(LANES.min(output.width - column));
        for oh in 0..output.height {
            // The row's tile, zero past the row's end: a whole window of
            // the plane masked, not `load_tile`'s `memcpy` of the tail,
            // which spilled every accumulator around the call.
            let at = oh * output.width + column;
            let d = match dy.get(at..at + LANES) {
                Some(window) => simd::masked(simd::window(window, 0), &mask),
                None => simd::load_tile_by_lanes(&dy[..(oh + 1) * output.width], at),
            };
            let windows = &plane.padded[oh * plane.pad.width + column..][..reach];
            macro_rules! taps {
                ($($t:literal)*) => {$(
                    if let Some(acc) = acc.get_mut($t) {
                        *acc = M::mul_add_tiles(&d, simd::window(windows, offsets[$t]), acc);
                    }
                )*};
            }
            taps!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24);
        }
    }
    acc
}

/// Taps accumulated together by [`plane_weight_grad_body`]: a 5×5
/// kernel's 25 at once, in 25 of AVX-512's 32 registers.
const TAPS: usize = 25;
