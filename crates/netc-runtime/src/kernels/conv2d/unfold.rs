//! The data movement around conv2d's products: image patches into rows
//! (`im2col`), patch gradients back onto the image (`col2im`), and the
//! products' `[patch, channel]` rows to and from the CHW layout.
//!
//! Each loop here runs per *unit* — one sample of one group — and every
//! unit's output is written by one part in one fixed order, so the
//! results are the same bits for any thread count (`by_rows` over whole
//! units).

use std::ops::Range;

use netc_ops::image::{Conv2dGeometry, ImageShape, Window};

use crate::parallel::by_rows;

/// The numbers every loop reads, derived once from the geometry.
#[derive(Clone, Copy)]
pub(super) struct Layout {
    pub geometry: Conv2dGeometry,
    pub output: ImageShape,
    pub batch: usize,
    /// Input channels per group.
    pub group_in: usize,
    /// Output channels per group.
    pub group_out: usize,
    /// Columns of one patch row: `group_in · kh · kw`.
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
            group_in: geometry.input.channels / geometry.groups,
            group_out: geometry.out_channels / geometry.groups,
            patch: geometry.fan_in(),
        }
    }

    /// Output positions (patches) per sample.
    pub fn positions(&self) -> usize {
        self.output.plane()
    }

    /// Rows of one group's product: every sample's patches.
    pub fn rows(&self) -> usize {
        self.batch * self.positions()
    }
}

/// Input index along one axis for output position `out` and tap `tap`,
/// or `None` where the tap reads padding.
#[inline(always)]
fn source(window: Window, out: usize, tap: usize, len: usize) -> Option<usize> {
    (out * window.stride + tap * window.dilation)
        .checked_sub(window.pad.before)
        .filter(|&i| i < len)
}

/// Where one patch's taps along a row of the kernel read: from `first`,
/// `dilation` apart, all inside the input (`inside`), or not.
#[derive(Clone, Copy)]
struct Columns {
    ow: usize,
    first: usize,
    inside: bool,
}

impl Columns {
    fn of(layout: &Layout, ow: usize) -> Columns {
        let cols = layout.geometry.cols;
        let width = layout.geometry.input.width;
        let first = source(cols, ow, 0, width);
        let last = source(cols, ow, cols.kernel - 1, width);
        Columns {
            ow,
            first: first.unwrap_or(0),
            inside: first.is_some() && last.is_some(),
        }
    }

    /// The input column of tap `kw`, `None` in the padding.
    #[inline(always)]
    fn source(self, layout: &Layout, kw: usize) -> Option<usize> {
        if self.inside {
            Some(self.first + kw * layout.geometry.cols.dilation)
        } else {
            source(
                layout.geometry.cols,
                self.ow,
                kw,
                layout.geometry.input.width,
            )
        }
    }
}

/// Calls `visit(taps, columns, row)` for every row of kernel taps of
/// every patch of one group of one sample, in the patch-row order (`oh,
/// ow`, then `ci, kh`, each row `kw` taps long): `taps` is the row's range
/// in the unit's `[P, patch]` matrix, `row` the start of its input row in
/// the group's `group_in · H · W` planes (`None`: a padding row).
#[inline(always)]
fn for_each_row(layout: &Layout, mut visit: impl FnMut(Range<usize>, Columns, Option<usize>)) {
    let g = &layout.geometry;
    let (h, w) = (g.input.height, g.input.width);
    let kernel_w = g.cols.kernel;
    let mut taps = 0;
    for oh in 0..layout.output.height {
        for ow in 0..layout.output.width {
            let columns = Columns::of(layout, ow);
            for ci in 0..layout.group_in {
                for kh in 0..g.rows.kernel {
                    let row = source(g.rows, oh, kh, h).map(|ih| (ci * h + ih) * w);
                    visit(taps..taps + kernel_w, columns, row);
                    taps += kernel_w;
                }
            }
        }
    }
}

/// `cols[g, n, p, k]` := the tap `k` of patch `p` of sample `n`'s group
/// `g` (0 in the padding): one `[batch · P, patch]` matrix per group.
pub(super) fn im2col(layout: &Layout, x: &[f32], cols: &mut [f32]) {
    let unit = layout.positions() * layout.patch;
    let sample = layout.geometry.input.numel();
    let group = layout.group_in * layout.geometry.input.plane();
    let dilation = layout.geometry.cols.dilation;
    by_units(cols, unit, &|u, out| {
        let (g, n) = (u / layout.batch, u % layout.batch);
        let planes = &x[n * sample + g * group..][..group];
        for_each_row(layout, |taps, columns, row| {
            let out = &mut out[taps];
            match row {
                None => out.fill(0.0),
                // The common case, a run of the input row (a loop: a
                // kernel row is too short for a `memcpy` call to pay).
                Some(row) if columns.inside && dilation == 1 => {
                    let run = &planes[row + columns.first..][..out.len()];
                    for (v, &x) in out.iter_mut().zip(run) {
                        *v = x;
                    }
                }
                Some(row) => {
                    for (kw, v) in out.iter_mut().enumerate() {
                        *v = columns
                            .source(layout, kw)
                            .map_or(0.0, |iw| planes[row + iw]);
                    }
                }
            }
        });
    });
}

/// `dx[n, g·group_in + ci, ih, iw] += dcols[g, n, p, k]` for every tap
/// that read that input: [`im2col`]'s adjoint, summed in patch order.
pub(super) fn col2im(layout: &Layout, dcols: &[f32], dx: &mut [f32]) {
    let group = layout.group_in * layout.geometry.input.plane();
    let unit = layout.positions() * layout.patch;
    let groups = layout.geometry.groups;
    by_units(dx, group, &|u, out| {
        let (n, g) = (u / groups, u % groups);
        let cols = &dcols[(g * layout.batch + n) * unit..][..unit];
        for_each_row(layout, |taps, columns, row| {
            let Some(row) = row else {
                return;
            };
            let cols = &cols[taps];
            if columns.inside && layout.geometry.cols.dilation == 1 {
                let out = &mut out[row + columns.first..][..cols.len()];
                for (d, &v) in out.iter_mut().zip(cols) {
                    *d += v;
                }
            } else {
                for (kw, &v) in cols.iter().enumerate() {
                    if let Some(iw) = columns.source(layout, kw) {
                        out[row + iw] += v;
                    }
                }
            }
        });
    });
}

/// `y[n, g·group_out + o, p] := tmp[g, n, p, o]`: the products' rows of
/// output channels into CHW.
pub(super) fn rows_to_image(layout: &Layout, tmp: &[f32], y: &mut [f32]) {
    let positions = layout.positions();
    let (groups, group_out) = (layout.geometry.groups, layout.group_out);
    by_units(y, group_out * positions, &|u, out| {
        let (n, g) = (u / groups, u % groups);
        let rows = &tmp[(g * layout.batch + n) * positions * group_out..][..positions * group_out];
        for (o, plane) in out.chunks_exact_mut(positions).enumerate() {
            for (p, v) in plane.iter_mut().enumerate() {
                *v = rows[p * group_out + o];
            }
        }
    });
}

/// `tmp[g, n, p, o] := dy[n, g·group_out + o, p]`: [`rows_to_image`]'s
/// inverse, for the output gradient.
pub(super) fn image_to_rows(layout: &Layout, dy: &[f32], tmp: &mut [f32]) {
    let positions = layout.positions();
    let group_out = layout.group_out;
    let sample = layout.output.numel();
    by_units(tmp, positions * group_out, &|u, out| {
        let (g, n) = (u / layout.batch, u % layout.batch);
        let planes = &dy[n * sample + g * group_out * positions..][..group_out * positions];
        for (o, plane) in planes.chunks_exact(positions).enumerate() {
            for (p, &v) in plane.iter().enumerate() {
                out[p * group_out + o] = v;
            }
        }
    });
}

/// Runs `f(unit, out_unit)` for every unit of `unit` elements of `out`,
/// split into whole units over the current pool.
fn by_units(out: &mut [f32], unit: usize, f: &(dyn Fn(usize, &mut [f32]) + Sync)) {
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
