//! `F.max_pool2d`, `F.avg_pool2d` and `F.adaptive_avg_pool2d` over
//! `[batch, C·H·W]` (each sample PyTorch's contiguous CHW), forward and
//! backward, with the arithmetic of PyTorch's CPU kernels: windows
//! visited row-major, sums in f32 in that order, then one division.
//!
//! Every op is split by whole samples ([`parallel::by_rows`]): a sample's
//! outputs (or, backward, its input gradient) are written by one part in
//! the one-thread order, so the bits do not depend on the thread count.
//! The comparisons and f32 sums involve no FMA, so every ISA gives the
//! same bits; the loops stay portable, but for max pooling's common 2×2
//! windows, compiled once per path so LLVM vectorises them.

use std::ops::Range;

use netc_ops::image::{AdaptivePool2dGeometry, ImageShape, Pool2dGeometry, PoolKind, Window};

use super::fresh::clear_if;
use crate::parallel::{self, by_rows, part_range, scaled, PartsMut, MIN_ELEMENTS_PER_PART};
use crate::simd::{multiversion, Fma, Isa};

/// The real input positions `first, first + step, .. < end` a window at
/// output `o` covers along one axis (padding excluded), and the length of
/// the window clipped to the *padded* input (`count_include_pad`'s
/// divisor). PyTorch's `ih0`/`ih1` arithmetic.
#[derive(Debug, Clone, Copy)]
struct Taps {
    first: usize,
    end: usize,
    step: usize,
    padded_len: usize,
}

impl Taps {
    fn new(window: Window, o: usize, input: usize) -> Taps {
        let start = o * window.stride;
        let before = window.pad.before;
        let padded_end = (start + window.extent()).min(input + before + window.pad.after);
        let end = padded_end.saturating_sub(before).min(input);
        // The first tap at or after the real input's start.
        let first = match before.checked_sub(start) {
            None | Some(0) => start - before,
            Some(skipped) => skipped.div_ceil(window.dilation) * window.dilation - skipped,
        };
        Taps {
            first,
            end,
            step: window.dilation,
            padded_len: padded_end - start,
        }
    }

    /// Every position of `first..end` (an adaptive range).
    fn range((first, end): (usize, usize)) -> Taps {
        Taps {
            first,
            end,
            step: 1,
            padded_len: end - first,
        }
    }

    fn positions(self) -> impl Iterator<Item = usize> {
        (self.first..self.end).step_by(self.step)
    }

    /// Real positions covered (dilation 1: the average's divisor).
    fn len(self) -> usize {
        self.end.saturating_sub(self.first)
    }
}

/// Floats per sample of a pooling's input and output.
fn widths(geometry: &Pool2dGeometry) -> (usize, usize) {
    let out = geometry.output().map_or(0, |o| o.numel());
    (geometry.input.numel(), out)
}

/// Hard asserts on the buffers' lengths: the loops index by geometry.
fn check(
    what: &str,
    input: &[f32],
    in_width: usize,
    output: &[f32],
    out_width: usize,
    batch: usize,
) {
    assert!(
        input.len() == batch * in_width && output.len() == batch * out_width,
        "{what}: a buffer does not hold batch × the geometry's width"
    );
}

/// `y` = the maximum of each window (padding is −∞), `argmax` = its
/// position `ih·W + iw` in its channel's plane (exact in f32 below 2^24).
/// Ties go to the first maximum in window order and a NaN replaces the
/// current maximum (`val > max || isnan(val)`), as PyTorch's CPU kernel.
/// `argmax: None` (inference) keeps no positions.
#[inline]
pub fn max_pool2d_forward(
    x: &[f32],
    y: &mut [f32],
    argmax: Option<&mut [f32]>,
    batch: usize,
    geometry: &Pool2dGeometry,
) {
    max_pool2d_forward_on(Isa::detect(), x, y, argmax, batch, geometry);
}

/// [`max_pool2d_forward`] on a chosen path (tests and benchmarks): the
/// unpadded 2×2 windows at stride 2 run a loop LLVM vectorises for the
/// path; comparisons only, so every path gives the same bits.
pub fn max_pool2d_forward_on(
    isa: Isa,
    x: &[f32],
    y: &mut [f32],
    argmax: Option<&mut [f32]>,
    batch: usize,
    geometry: &Pool2dGeometry,
) {
    let (in_width, out_width) = widths(geometry);
    check("max_pool2d", x, in_width, y, out_width, batch);
    assert!(argmax.as_ref().is_none_or(|a| a.len() == y.len()));
    let Some(out) = geometry.output() else { return };
    let plane = geometry.input.plane();
    let inside = geometry.rows.pad.total() == 0 && geometry.cols.pad.total() == 0;
    let square2 = |w: Window| w.kernel == 2 && w.stride == 2 && w.dilation == 1;
    let run = |samples: Range<usize>, y: &mut [f32], mut argmax: Option<&mut [f32]>| {
        let planes = x[scaled(samples, in_width)].chunks_exact(plane);
        let outputs = y.chunks_exact_mut(out.plane());
        for (p, (input, y)) in planes.zip(outputs).enumerate() {
            let argmax = argmax
                .as_deref_mut()
                .map(|a| &mut a[p * out.plane()..][..out.plane()]);
            let target = MaxTarget { y, argmax };
            match (inside, square2(geometry.rows) && square2(geometry.cols)) {
                // The layer nearly every CNN has.
                (true, true) => max_plane_2x2_with(isa, input, target, geometry.input.width, out),
                (true, false) => max_plane_inside(input, target, geometry),
                (false, _) => max_plane_padded(input, target, geometry),
            }
        }
    };
    split_samples(batch, (in_width, out_width), y, argmax, &run);
}

/// One channel plane's outputs of max pooling, and their positions when
/// training.
struct MaxTarget<'a> {
    y: &'a mut [f32],
    argmax: Option<&'a mut [f32]>,
}

impl MaxTarget<'_> {
    #[inline(always)]
    fn set(&mut self, o: usize, max: f32, at: usize) {
        self.y[o] = max;
        if let Some(a) = self.argmax.as_deref_mut() {
            a[o] = at as f32;
        }
    }
}

multiversion! {
    fn max_plane_2x2_with(
        input: &[f32],
        target: MaxTarget<'_>,
        width: usize,
        out: ImageShape,
    ) => max_plane_2x2_body;
}

/// Unpadded 2×2 windows at stride 2, an output row at a time over the
/// two input rows it reads, [`RUN`] windows at a time: the running
/// maximum in window order as selects over fixed-size arrays, which LLVM
/// turns into shuffles and blends on every vector path. A row loop left
/// LeNet's rows (14 and 5 windows) scalar on every path, short of the
/// vector loop LLVM unrolls; AVX2 never vectorised it.
// Generic only so that `multiversion!` can compile it once per ISA.
#[allow(clippy::extra_unused_type_parameters)]
#[inline(always)]
fn max_plane_2x2_body<M: Fma>(
    input: &[f32],
    mut target: MaxTarget<'_>,
    width: usize,
    out: ImageShape,
) {
    for oh in 0..out.height {
        let corner = 2 * oh * width;
        let rows = [
            &input[corner..][..2 * out.width],
            &input[corner + width..][..2 * out.width],
        ];
        let y = &mut target.y[oh * out.width..][..out.width];
        let argmax = target
            .argmax
            .as_deref_mut()
            .map(|a| &mut a[oh * out.width..][..out.width]);
        let row = Row {
            rows,
            width,
            corner,
        };
        if out.width >= RUN {
            row.runs::<RUN, { 2 * RUN }>(y, argmax);
        } else if out.width >= RUN / 2 {
            row.runs::<{ RUN / 2 }, RUN>(y, argmax);
        } else {
            row.runs::<1, 2>(y, argmax);
        }
    }
}

/// Windows [`max_plane_2x2_body`] takes at once: an AVX2 vector (half
/// of one for rows of 4 to 7 windows, one at a time below).
const RUN: usize = 8;

/// One output row's pair of input rows.
struct Row<'a> {
    rows: [&'a [f32]; 2],
    width: usize,
    corner: usize,
}

impl Row<'_> {
    /// Every window of the row, `R` at a time (`R` ≤ the row's windows;
    /// `R2 = 2R` input columns, spelled out while stable Rust has no
    /// `[f32; 2 * R]`), the last run ending at the row's end: it overlaps
    /// the one before, whose outputs it writes again, alike.
    #[inline(always)]
    fn runs<const R: usize, const R2: usize>(&self, y: &mut [f32], mut argmax: Option<&mut [f32]>) {
        let windows = y.len();
        if windows == 0 {
            return;
        }
        let mut first = 0;
        loop {
            let (max, offset) = self.run::<R, R2>(first);
            let y: &mut [f32; R] = (&mut y[first..][..R]).try_into().expect("a run");
            *y = max;
            if let Some(argmax) = argmax.as_deref_mut() {
                let at: &mut [f32; R] = (&mut argmax[first..][..R]).try_into().expect("a run");
                for l in 0..R {
                    // Exact: positions stay below 2^24 (the argmax's
                    // contract), and i32 converts in one vector op.
                    at[l] = (self.corner + 2 * (first + l)) as i32 as f32 + offset[l];
                }
            }
            if first + R == windows {
                break;
            }
            first = (first + R).min(windows - R);
        }
    }

    /// The maxima of windows `first..first + R`, and each one's offset
    /// from its window's corner. The inputs as fixed-size arrays: LLVM
    /// loads them as vectors and shuffles.
    #[inline(always)]
    fn run<const R: usize, const R2: usize>(&self, first: usize) -> ([f32; R], [f32; R]) {
        let top: &[f32; R2] = self.rows[0][2 * first..][..R2].try_into().expect("a run");
        let bottom: &[f32; R2] = self.rows[1][2 * first..][..R2].try_into().expect("a run");
        let (mut max, mut offset) = ([0f32; R], [0f32; R]);
        for l in 0..R {
            let window = [top[2 * l], top[2 * l + 1], bottom[2 * l], bottom[2 * l + 1]];
            (max[l], offset[l]) = running_max(window, self.width);
        }
        (max, offset)
    }
}

/// The running maximum of a 2×2 window in order (top left, top right,
/// bottom left, bottom right), as selects, with the winner's offset from
/// the corner (in f32, the argmax's type, so that the selects are 32-bit
/// lanes).
#[inline(always)]
fn running_max(window: [f32; 4], width: usize) -> (f32, f32) {
    let offsets = [0.0, 1.0, width as f32, (width + 1) as f32];
    let (mut max, mut offset) = (window[0], offsets[0]);
    for i in 1..4 {
        let v = window[i];
        let take = v > max || v.is_nan();
        max = if take { v } else { max };
        offset = if take { offsets[i] } else { offset };
    }
    (max, offset)
}

/// PyTorch's running maximum: a larger value or a NaN takes over.
#[inline(always)]
fn take_max(v: f32, at: usize, max: &mut f32, best: &mut usize) {
    if v > *max || v.is_nan() {
        *max = v;
        *best = at;
    }
}

/// Max pooling of one plane without padding: every window lies inside
/// the input, so its taps are fixed offsets from its corner, with no
/// clipping.
fn max_plane_inside(input: &[f32], mut target: MaxTarget<'_>, geometry: &Pool2dGeometry) {
    let Some(out) = geometry.output() else { return };
    let (rows, cols, width) = (geometry.rows, geometry.cols, geometry.input.width);
    for oh in 0..out.height {
        for ow in 0..out.width {
            let corner = oh * rows.stride * width + ow * cols.stride;
            let (mut max, mut best) = (f32::NEG_INFINITY, corner);
            for i in 0..rows.kernel {
                let line = corner + i * rows.dilation * width;
                for j in 0..cols.kernel {
                    let at = line + j * cols.dilation;
                    take_max(input[at], at, &mut max, &mut best);
                }
            }
            target.set(oh * out.width + ow, max, best);
        }
    }
}

/// Max pooling of one plane whose windows may reach into the padding
/// (−∞, never the maximum): each window clipped to the real input.
fn max_plane_padded(input: &[f32], mut target: MaxTarget<'_>, geometry: &Pool2dGeometry) {
    let Some(out) = geometry.output() else { return };
    let width = geometry.input.width;
    for oh in 0..out.height {
        let rows = Taps::new(geometry.rows, oh, geometry.input.height);
        for ow in 0..out.width {
            let cols = Taps::new(geometry.cols, ow, width);
            let (mut max, mut best) = (f32::NEG_INFINITY, rows.first * width + cols.first);
            for ih in rows.positions() {
                for iw in cols.positions() {
                    let at = ih * width + iw;
                    take_max(input[at], at, &mut max, &mut best);
                }
            }
            target.set(oh * out.width + ow, max, best);
        }
    }
}

/// `dx[argmax] += dy` per output, in output order (overlapping windows
/// accumulate, as PyTorch's backward); a `fresh` dx starts from zero,
/// each plane cleared just before its scatter.
pub fn max_pool2d_backward(
    dy: &[f32],
    argmax: &[f32],
    dx: &mut [f32],
    batch: usize,
    geometry: &Pool2dGeometry,
    fresh: bool,
) {
    let (in_width, out_width) = widths(geometry);
    check("max_pool2d_backward", dx, in_width, dy, out_width, batch);
    assert!(argmax.len() == dy.len());
    let (plane, out_plane) = (
        geometry.input.plane(),
        out_width / geometry.input.channels.max(1),
    );
    by_rows(dx, in_width, &|part, dx| {
        let samples = rows_of(part, in_width);
        let outputs = scaled(samples, out_width);
        let channels = dy[outputs.clone()]
            .chunks_exact(out_plane)
            .zip(argmax[outputs].chunks_exact(out_plane));
        for ((dy, argmax), dx) in channels.zip(dx.chunks_exact_mut(plane)) {
            clear_if(fresh, dx);
            for (&g, &at) in dy.iter().zip(argmax) {
                dx[at as usize] += g;
            }
        }
    });
}

/// The average of each window: the sum over its real positions in window
/// order, divided by the window clipped to the padded input
/// (`count_include_pad`) or by the real positions it covers.
pub fn avg_pool2d_forward(x: &[f32], y: &mut [f32], batch: usize, geometry: &Pool2dGeometry) {
    let out_width = widths(geometry).1;
    let windows = |f: &mut dyn FnMut(AverageWindow)| for_each_average_window(geometry, f);
    average_forward(
        "avg_pool2d",
        x,
        y,
        batch,
        geometry.input,
        out_width,
        &windows,
    );
}

/// `dx += dy / divisor` over each window's real positions, in output
/// order (from zero when `fresh`).
pub fn avg_pool2d_backward(
    dy: &[f32],
    dx: &mut [f32],
    batch: usize,
    geometry: &Pool2dGeometry,
    fresh: bool,
) {
    let out_width = widths(geometry).1;
    let windows = |f: &mut dyn FnMut(AverageWindow)| for_each_average_window(geometry, f);
    average_backward(
        "avg_pool2d_backward",
        dy,
        dx,
        batch,
        geometry.input,
        out_width,
        &windows,
        fresh,
    );
}

/// The mean of each adaptive range: the f32 sum in window order, divided
/// by the rows, then by the columns (`sum / kh / kw`, as PyTorch's CPU
/// kernel).
pub fn adaptive_avg_pool2d_forward(
    x: &[f32],
    y: &mut [f32],
    batch: usize,
    geometry: &AdaptivePool2dGeometry,
) {
    let out_width = geometry.output().numel();
    let windows = |f: &mut dyn FnMut(AverageWindow)| for_each_adaptive_window(geometry, f);
    average_forward(
        "adaptive_avg_pool2d",
        x,
        y,
        batch,
        geometry.input,
        out_width,
        &windows,
    );
}

/// `dx += dy / kh / kw` over each adaptive range, in output order (from
/// zero when `fresh`).
pub fn adaptive_avg_pool2d_backward(
    dy: &[f32],
    dx: &mut [f32],
    batch: usize,
    geometry: &AdaptivePool2dGeometry,
    fresh: bool,
) {
    let out_width = geometry.output().numel();
    let windows = |f: &mut dyn FnMut(AverageWindow)| for_each_adaptive_window(geometry, f);
    let what = "adaptive_avg_pool2d_backward";
    average_backward(
        what,
        dy,
        dx,
        batch,
        geometry.input,
        out_width,
        &windows,
        fresh,
    );
}

/// How a window's sum becomes its mean (and an output's gradient the
/// share each of its inputs gets).
#[derive(Clone, Copy)]
enum Mean {
    /// `sum / count`: average pooling's divisor.
    Count(f32),
    /// A window over padding only: 0 (and no input to pass a gradient to).
    Empty,
    /// `sum / rows / cols`, in that order: adaptive pooling, as PyTorch.
    RowsThenCols(f32, f32),
}

impl Mean {
    fn of(self, sum: f32) -> f32 {
        match self {
            Mean::Count(count) => sum / count,
            Mean::Empty => 0.0,
            Mean::RowsThenCols(rows, cols) => sum / rows / cols,
        }
    }
}

/// One output's window: the real input positions it averages.
#[derive(Clone, Copy)]
struct AverageWindow {
    rows: Taps,
    cols: Taps,
    mean: Mean,
}

impl AverageWindow {
    /// The positions `ih·W + iw` in window order.
    fn positions(self, width: usize) -> impl Iterator<Item = usize> {
        let cols = self.cols;
        self.rows
            .positions()
            .flat_map(move |ih| cols.positions().map(move |iw| ih * width + iw))
    }
}

/// Calls its argument with every window of one channel plane, row-major.
type Windows<'a> = dyn Fn(&mut dyn FnMut(AverageWindow)) + Sync + 'a;

/// `y` = each window's mean, split by whole samples.
fn average_forward(
    what: &str,
    x: &[f32],
    y: &mut [f32],
    batch: usize,
    input: ImageShape,
    out_width: usize,
    windows: &Windows<'_>,
) {
    let in_width = input.numel();
    check(what, x, in_width, y, out_width, batch);
    by_rows(y, out_width, &|part, y| {
        let samples = rows_of(part, out_width);
        let planes = x[scaled(samples, in_width)].chunks_exact(input.plane());
        let mut outputs = y.iter_mut();
        for plane in planes {
            windows(&mut |window| {
                let mut sum = 0f32;
                for at in window.positions(input.width) {
                    sum += plane[at];
                }
                if let Some(out) = outputs.next() {
                    *out = window.mean.of(sum);
                }
            });
        }
    });
}

/// `dx += mean(dy)` over each window's positions, in output order, split
/// by whole samples; a `fresh` plane is cleared just before its windows.
#[allow(clippy::too_many_arguments)]
fn average_backward(
    what: &str,
    dy: &[f32],
    dx: &mut [f32],
    batch: usize,
    input: ImageShape,
    out_width: usize,
    windows: &Windows<'_>,
    fresh: bool,
) {
    let in_width = input.numel();
    check(what, dx, in_width, dy, out_width, batch);
    by_rows(dx, in_width, &|part, dx| {
        let samples = rows_of(part, in_width);
        let mut grads = dy[scaled(samples, out_width)].iter();
        for dx in dx.chunks_exact_mut(input.plane()) {
            clear_if(fresh, dx);
            windows(&mut |window| {
                let Some(&g) = grads.next() else { return };
                let delta = window.mean.of(g);
                for at in window.positions(input.width) {
                    dx[at] += delta;
                }
            });
        }
    });
}

/// Every window of average pooling over one channel plane, row-major.
fn for_each_average_window(geometry: &Pool2dGeometry, f: &mut dyn FnMut(AverageWindow)) {
    let Some(out) = geometry.output() else { return };
    let include_pad = matches!(
        geometry.kind,
        PoolKind::Avg {
            count_include_pad: true
        }
    );
    for oh in 0..out.height {
        let rows = Taps::new(geometry.rows, oh, geometry.input.height);
        for ow in 0..out.width {
            let cols = Taps::new(geometry.cols, ow, geometry.input.width);
            let mean = if rows.len() == 0 || cols.len() == 0 {
                Mean::Empty
            } else if include_pad {
                Mean::Count((rows.padded_len * cols.padded_len) as f32)
            } else {
                Mean::Count((rows.len() * cols.len()) as f32)
            };
            f(AverageWindow { rows, cols, mean });
        }
    }
}

/// Every window of adaptive average pooling over one channel plane,
/// row-major.
fn for_each_adaptive_window(geometry: &AdaptivePool2dGeometry, f: &mut dyn FnMut(AverageWindow)) {
    let (input, out) = (geometry.input, geometry.output());
    for oh in 0..out.height {
        let rows = Taps::range(AdaptivePool2dGeometry::range(oh, out.height, input.height));
        for ow in 0..out.width {
            let cols = Taps::range(AdaptivePool2dGeometry::range(ow, out.width, input.width));
            let mean = Mean::RowsThenCols(rows.len() as f32, cols.len() as f32);
            f(AverageWindow { rows, cols, mean });
        }
    }
}

/// The samples a [`by_rows`] part of rows of `width` covers.
fn rows_of(elements: Range<usize>, width: usize) -> Range<usize> {
    let width = width.max(1);
    elements.start / width..elements.end / width
}

/// A part of [`split_samples`]: its samples, its `y` and its `argmax`.
type SamplesPart<'a> = dyn Fn(Range<usize>, &mut [f32], Option<&mut [f32]>) + Sync + 'a;

/// [`by_rows`] for an op with a second output of the first's shape (max
/// pooling's `argmax`): `f(samples, y_part, argmax_part)`. The work is
/// the input a sample's windows read, not its output (a quarter of it at
/// 2×2): LeNet's second pooling, 25,600 outputs, ran on one thread.
fn split_samples(
    batch: usize,
    (in_width, width): (usize, usize),
    y: &mut [f32],
    argmax: Option<&mut [f32]>,
    f: &SamplesPart<'_>,
) {
    let parts = parallel::parts_for(batch * in_width, MIN_ELEMENTS_PER_PART, batch);
    if parts == 1 {
        f(0..batch, y, argmax);
        return;
    }
    let samples = |p| part_range(batch, parts, p, 1);
    let range = |p| scaled(samples(p), width);
    let ys = PartsMut::new(y, parts, range);
    let argmaxes = argmax.map(|a| PartsMut::new(a, parts, range));
    parallel::split(parts, &|p| {
        f(samples(p), ys.take(p), argmaxes.as_ref().map(|a| a.take(p)));
    });
}
