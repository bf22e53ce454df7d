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
    /// channel per group, stride and dilation 1, at most [`MAX_TAPS`]
    /// taps, and every sample's padded planes fit the `scratch` floats per
    /// sample the patch matrix would have had. Not on AVX2: its 16
    /// registers do not hold dW's accumulators, and the patch matrix
    /// trained LeNet 15% faster there.
    pub fn of(isa: Isa, layout: &Layout, scratch: usize) -> Option<Padded> {
        if isa.usable() == Isa::Avx2Fma {
            return None;
        }
        let g = &layout.geometry;
        let unit = |w: netc_ops::image::Window| w.stride == 1 && w.dilation == 1;
        // dW's passes take whole kernel rows, up to `TAPS` taps.
        let narrow = g.cols.kernel <= LANES;
        let small = layout.patch <= MAX_TAPS;
        if g.input.channels != g.groups || !unit(g.rows) || !unit(g.cols) || !narrow || !small {
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
    /// How far past an output position's window tap `t` (row-major over
    /// the kernel) reads in the padded plane; the taps past `kh·kw` read
    /// at 0.
    #[inline(always)]
    fn tap_offsets(&self) -> [usize; MAX_TAPS] {
        let g = &self.layout.geometry;
        let kernel_w = g.cols.kernel;
        let mut offsets = [0usize; MAX_TAPS];
        for (t, offset) in offsets.iter_mut().take(self.layout.patch).enumerate() {
            *offset = t / kernel_w * self.pad.width + t % kernel_w;
        }
        offsets
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

/// Taps a forward chunk unrolls.
const CHUNK: usize = 8;

/// The most taps (`kh·kw`) the direct path takes: their offsets are a
/// table on the stack.
const MAX_TAPS: usize = 64;

/// One output plane: for each column tile, blocks of output rows, each
/// the in-order sum over the taps `(kh, kw)`, plus the bias.
#[inline(always)]
fn plane_forward_body<M: Fma>(plane: Plane<'_>, w: &[f32], bias: f32, out: &mut [f32]) {
    let output = plane.layout.output;
    let offsets = &plane.tap_offsets()[..w.len()];
    for t in 0..plane.pad.tiles {
        let column = t * LANES;
        let mask = simd::lane_mask(LANES.min(output.width - column));
        let mut oh = 0;
        // Blocks of 8 rows, then 4, then one at a time: independent FMA
        // chains that share each tap's weight.
        macro_rules! rows {
            ($r:literal) => {
                while output.height - oh >= $r {
                    let acc = row_sums::<M, $r>(plane, oh, column, w, offsets);
                    for (r, acc) in acc.iter().enumerate() {
                        store_row(out, (oh + r) * output.width + column, &mask, acc, bias);
                    }
                    oh += $r;
                }
            };
        }
        rows!(8);
        rows!(4);
        rows!(1);
    }
}

/// The tile at `column` of output rows `oh..oh + R`: each the in-order
/// sum over the taps, `CHUNK` taps unrolled at a time (a tap's window is
/// one load with no bounds check left in the loop).
#[inline(always)]
fn row_sums<M: Fma, const R: usize>(
    plane: Plane<'_>,
    oh: usize,
    column: usize,
    w: &[f32],
    offsets: &[usize],
) -> [[f32; LANES]; R] {
    let reach = offsets.last().map_or(0, |&o| o + LANES);
    let windows: [&[f32]; R] =
        std::array::from_fn(|r| &plane.padded[(oh + r) * plane.pad.width + column..][..reach]);
    let mut acc = [[0f32; LANES]; R];
    // A macro, not a closure: see `store_row`.
    macro_rules! tap {
        ($s:expr, $offset:expr) => {
            for (acc, windows) in acc.iter_mut().zip(windows) {
                M::fma_tile($s, simd::window(windows, $offset), acc);
            }
        };
    }
    let (w_chunks, w_rest) = w.as_chunks::<CHUNK>();
    let (o_chunks, o_rest) = offsets.as_chunks::<CHUNK>();
    for (w, o) in w_chunks.iter().zip(o_chunks) {
        for (&s, &offset) in w.iter().zip(o) {
            tap!(s, offset);
        }
    }
    for (&s, &offset) in w_rest.iter().zip(o_rest) {
        tap!(s, offset);
    }
    acc
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
    let all_offsets = plane.tap_offsets();
    for i0 in (0..kernel_h).step_by(rows) {
        let count = rows.min(kernel_h - i0) * kernel_w;
        let mut offsets = [0usize; TAPS];
        offsets[..count].copy_from_slice(&all_offsets[i0 * kernel_w..][..count]);
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
