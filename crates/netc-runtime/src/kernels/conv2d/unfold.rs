//! The data movement around conv2d's products, in PyTorch's `unfold`
//! layout: a group's patches are a `[patch, batch · P]` matrix whose row
//! `(ci, kh, kw)` holds that tap for every output position of every
//! sample, so each output row of a tap is a run of an input row (one
//! copy for stride 1). The products' output rows are `[out, batch · P]`,
//! a plane per channel and sample, so moving them to and from NCHW is a
//! copy of whole planes.
//!
//! Each loop here runs per *unit* — a row of the matrix, a plane, or one
//! sample of one group — and every unit's output is written by one part
//! in one fixed order, so the results are the same bits for any thread
//! count (`by_rows` over whole units).

use std::ops::Range;

use netc_ops::image::{Conv2dGeometry, ImageShape, Window};

use crate::kernels::fresh::clear_if;
use crate::parallel::by_rows;

/// The numbers every loop reads, derived once from the geometry.
#[derive(Clone, Copy)]
pub(super) struct Layout {
    pub geometry: Conv2dGeometry,
    pub output: ImageShape,
    pub batch: usize,
    /// Output channels per group.
    pub group_out: usize,
    /// Rows of one group's patch matrix: `group_in · kh · kw`.
    pub patch: usize,
}

impl Layout {
    pub fn new(geometry: &Conv2dGeometry, batch: usize) -> Layout {
        let output = geometry
            .output()
            .expect("conv2d: the window does not fit the padded input");
        assert!(
            geometry.groups > 0
                && geometry.input.channels.is_multiple_of(geometry.groups)
                && geometry.out_channels.is_multiple_of(geometry.groups),
            "conv2d: channels not divisible by groups"
        );
        Layout {
            geometry: *geometry,
            output,
            batch,
            group_out: geometry.out_channels / geometry.groups,
            patch: geometry.fan_in(),
        }
    }

    /// Output positions (patches) per sample.
    pub fn positions(&self) -> usize {
        self.output.plane()
    }

    /// Columns of the patch and product matrices: every sample's
    /// positions.
    pub fn columns(&self) -> usize {
        self.batch * self.positions()
    }

    /// The spans of one tap `(kh, kw)` along both axes.
    fn taps(&self, kh: usize, kw: usize) -> (Span, Span) {
        let g = &self.geometry;
        (
            Span::new(g.rows, kh, g.input.height, self.output.height),
            Span::new(g.cols, kw, g.input.width, self.output.width),
        )
    }
}

/// The outputs `lo..hi` along one axis whose tap `tap` reads the real
/// input (the others read padding), and the input index of `lo`; the next
/// outputs read `stride` further on.
#[derive(Clone, Copy)]
struct Span {
    lo: usize,
    hi: usize,
    first: usize,
    stride: usize,
}

impl Span {
    fn new(window: Window, tap: usize, input: usize, outputs: usize) -> Span {
        let (offset, stride) = (tap * window.dilation, window.stride);
        // Stride 1 without a division: col2im asks for every tap's span
        // of every plane.
        let steps = |len: usize| {
            if stride == 1 {
                len
            } else {
                len.div_ceil(stride)
            }
        };
        // out·stride + offset − before must lie in 0..input.
        let lo = steps(window.pad.before.saturating_sub(offset)).min(outputs);
        let hi = steps((input + window.pad.before).saturating_sub(offset)).clamp(lo, outputs);
        Span {
            lo,
            hi,
            first: (lo * stride + offset).saturating_sub(window.pad.before),
            stride,
        }
    }

    fn len(self) -> usize {
        self.hi - self.lo
    }

    /// The input index output `out` (in `lo..hi`) reads.
    fn source(self, out: usize) -> usize {
        self.first + (out - self.lo) * self.stride
    }

    /// The input positions the span reads, as a range of a row (empty
    /// when every output reads padding).
    fn run(self) -> Range<usize> {
        match self.len() {
            0 => 0..0,
            len => self.first..self.first + (len - 1) * self.stride + 1,
        }
    }
}

/// `cols[g, (ci, kh, kw), n·P + p]` := the input tap `(kh, kw)` of
/// channel `ci` under patch `p` of sample `n` (0 in the padding).
pub(super) fn im2col(layout: &Layout, x: &[f32], cols: &mut [f32]) {
    let g = &layout.geometry;
    let (kernel_h, kernel_w) = (g.rows.kernel, g.cols.kernel);
    let (sample, plane) = (g.input.numel(), g.input.plane());
    let (positions, out_w) = (layout.positions(), layout.output.width);
    by_units(cols, layout.columns(), &|u, row| {
        // u = (group · group_in + ci) · kh·kw + tap: the input channel
        // and the tap.
        let (channel, tap) = (u / (kernel_h * kernel_w), u % (kernel_h * kernel_w));
        let (rows, cols) = layout.taps(tap / kernel_w, tap % kernel_w);
        for (n, out) in row.chunks_exact_mut(positions).enumerate() {
            let input = &x[n * sample + channel * plane..][..plane];
            // The output rows above and below the input read padding.
            let (above, rest) = out.split_at_mut(rows.lo * out_w);
            let (inside, below) = rest.split_at_mut(rows.len() * out_w);
            above.fill(0.0);
            below.fill(0.0);
            for (i, out) in inside.chunks_exact_mut(out_w).enumerate() {
                let line = &input[rows.source(rows.lo + i) * g.input.width..][..g.input.width];
                let line = &line[cols.run()];
                out[..cols.lo].fill(0.0);
                out[cols.hi..].fill(0.0);
                let out = &mut out[cols.lo..cols.hi];
                if cols.stride == 1 {
                    copy_run(out, line);
                } else {
                    for (v, &x) in out.iter_mut().zip(line.iter().step_by(cols.stride)) {
                        *v = x;
                    }
                }
            }
        }
    });
}

/// `dst := src` for a run of an image row: whole blocks of 8 floats, the
/// last one overlapping, because a `memcpy` call costs more than a run
/// of a few dozen floats.
#[inline(always)]
fn copy_run(dst: &mut [f32], src: &[f32]) {
    const BLOCK: usize = 8;
    let len = dst.len();
    assert_eq!(src.len(), len);
    if len < BLOCK {
        for (d, &s) in dst.iter_mut().zip(src) {
            *d = s;
        }
        return;
    }
    let mut copy_block = |at: usize| {
        let block: [f32; BLOCK] = src[at..at + BLOCK].try_into().expect("a whole block");
        dst[at..at + BLOCK].copy_from_slice(&block);
    };
    for at in (0..len - BLOCK).step_by(BLOCK) {
        copy_block(at);
    }
    copy_block(len - BLOCK);
}

/// `dx[n, g·group_in + ci, ih, iw] += dcols[g, (ci, kh, kw), n·P + p]`
/// for every tap that read that input: [`im2col`]'s adjoint, summed tap
/// by tap in `(kh, kw)` order, then by output position (PyTorch's
/// `col2im` order).
pub(super) fn col2im(layout: &Layout, dcols: &[f32], dx: &mut [f32], fresh: bool) {
    let g = &layout.geometry;
    let (kernel_h, kernel_w) = (g.rows.kernel, g.cols.kernel);
    let (plane, width) = (g.input.plane(), g.input.width);
    let (positions, out_w) = (layout.positions(), layout.output.width);
    let columns = layout.columns();
    // A unit is one channel plane of one sample.
    by_units(dx, plane, &|u, dx| {
        // A fresh plane is cleared here, where its taps then add into it
        // while it is in cache.
        clear_if(fresh, dx);
        let (n, channel) = (u / g.input.channels, u % g.input.channels);
        for tap in 0..kernel_h * kernel_w {
            let (rows, cols) = layout.taps(tap / kernel_w, tap % kernel_w);
            if rows.len() == 0 || cols.len() == 0 {
                // The tap reads only padding: no input to pass back to.
                continue;
            }
            let row = (channel * kernel_h * kernel_w + tap) * columns + n * positions;
            let grads = dcols[row..][..positions].chunks_exact(out_w);
            let (run, taken) = (cols.run(), cols.lo..cols.hi);
            // The input rows the tap's output rows read, `rows.stride`
            // rows apart: each chunk starts on one.
            let lines = dx[rows.first * width..].chunks_mut(width * rows.stride);
            for (line, grads) in lines.zip(grads.skip(rows.lo).take(rows.len())) {
                let (targets, grads) = (&mut line[run.clone()], &grads[taken.clone()]);
                if cols.stride == 1 {
                    for (d, &v) in targets.iter_mut().zip(grads) {
                        *d += v;
                    }
                } else {
                    for (d, &v) in targets.iter_mut().step_by(cols.stride).zip(grads) {
                        *d += v;
                    }
                }
            }
        }
    });
}

/// `y[n, c, p] := rows[c, n·P + p] + b[c]`: the products' planes into
/// NCHW, with the bias.
pub(super) fn rows_to_image(layout: &Layout, rows: &[f32], bias: Option<&[f32]>, y: &mut [f32]) {
    let (positions, columns) = (layout.positions(), layout.columns());
    let channels = layout.geometry.out_channels;
    by_units(y, positions, &|u, plane| {
        let (n, c) = (u / channels, u % channels);
        let source = &rows[c * columns + n * positions..][..positions];
        match bias.map(|b| b[c]) {
            Some(b) => {
                for (v, &s) in plane.iter_mut().zip(source) {
                    *v = s + b;
                }
            }
            None => plane.copy_from_slice(source),
        }
    });
}

/// `rows[c, n·P + p] := dy[n, c, p]`: [`rows_to_image`]'s inverse, for
/// the output gradient.
pub(super) fn image_to_rows(layout: &Layout, dy: &[f32], rows: &mut [f32]) {
    let positions = layout.positions();
    let channels = layout.geometry.out_channels;
    by_units(rows, positions, &|u, plane| {
        let (c, n) = (u / layout.batch, u % layout.batch);
        plane.copy_from_slice(&dy[(n * channels + c) * positions..][..positions]);
    });
}

/// Runs `f(unit, out_unit)` for every unit of `unit` elements of `out`,
/// split into whole units over the current pool.
pub(super) fn by_units(out: &mut [f32], unit: usize, f: &(dyn Fn(usize, &mut [f32]) + Sync)) {
    if unit == 0 {
        return;
    }
    by_rows(out, unit, &|elements: Range<usize>, part: &mut [f32]| {
        let first = elements.start / unit;
        for (i, out) in part.chunks_exact_mut(unit).enumerate() {
            f(first + i, out);
        }
    });
}
