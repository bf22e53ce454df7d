//! `nn.Conv2d` as PyTorch's unfold and products: every tap `(ci, kh,
//! kw)` of every output position becomes one column entry of a group's
//! `[patch, batch · P]` matrix (`patch = in/groups · kh · kw`, `P` output
//! positions per sample), so a group's convolution is its
//! `[out/groups, patch]` weight times that matrix, giving a plane per
//! output channel that is copied (with the bias) into NCHW. The backward
//! is the same products turned around: `dW += dY·colsᵀ` (summed over
//! every sample's positions in order), `db += Σ dY`, and the patch
//! gradients `Wᵀ·dY` that `col2im` adds back onto `dx`, a few samples at
//! a time so that they stay in L2 between the two. The products pick
//! `small_gemm` or `gemm` by size and split over the pool without
//! changing a bit, and so does the data movement around them (`unfold`),
//! so a convolution is the same bits for any thread count.
//!
//! One input channel per group at stride and dilation 1 (a grayscale
//! first layer, a depthwise convolution) takes the direct path instead
//! (`direct`): no patch matrix, the forward and `dW` straight from
//! zero-padded copies of the input planes; `dx` still goes through the
//! patch gradients.
//!
//! The scratch is the caller's (Plan buffers, sized by
//! [`conv2d_cols_len`] and [`conv2d_rows_len`]), so no call allocates
//! (the large products' packing scratch, per thread, grows once).
//! `cols` keeps the forward's patches for the backward; `rows` holds the
//! products' output planes on their way to or from NCHW.

mod direct;
mod unfold;

use netc_ops::image::Conv2dGeometry;

use super::product::{product, Operands};
use super::small_gemm::View;
use super::Fresh;
use crate::parallel::{
    self, part_range, scaled, PartsMut, MIN_ELEMENTS_PER_PART, MIN_MACS_PER_PART,
};
use crate::simd::{self, Isa};
use direct::Padded;
use unfold::{col2im, im2col, image_to_rows, rows_to_image, Layout};

/// Elements per sample of the patch matrix (`cols`, and the backward's
/// `dcols`): `P · in · kh · kw`; 0 when the window does not fit.
pub fn conv2d_cols_len(geometry: &Conv2dGeometry) -> usize {
    positions(geometry) * geometry.input.channels * geometry.rows.kernel * geometry.cols.kernel
}

/// Elements per sample of the product rows (`rows`): `P · out`, the
/// output's size.
pub fn conv2d_rows_len(geometry: &Conv2dGeometry) -> usize {
    positions(geometry) * geometry.out_channels
}

fn positions(geometry: &Conv2dGeometry) -> usize {
    geometry.output().map_or(0, |out| out.plane())
}

/// `y = conv2d(x, w) + b` over `batch` CHW samples; `cols` and `rows` are
/// scratch (`cols` keeps the patches [`conv2d_backward`] reads).
#[allow(clippy::too_many_arguments)]
#[inline]
pub fn conv2d_forward(
    x: &[f32],
    w: &[f32],
    b: Option<&[f32]>,
    y: &mut [f32],
    cols: &mut [f32],
    rows: &mut [f32],
    batch: usize,
    geometry: &Conv2dGeometry,
) {
    conv2d_forward_on(Isa::detect(), x, w, b, y, cols, rows, batch, geometry);
}

/// [`conv2d_forward`] on a chosen path (tests and benchmarks).
#[allow(clippy::too_many_arguments)]
pub fn conv2d_forward_on(
    isa: Isa,
    x: &[f32],
    w: &[f32],
    b: Option<&[f32]>,
    y: &mut [f32],
    cols: &mut [f32],
    rows: &mut [f32],
    batch: usize,
    geometry: &Conv2dGeometry,
) {
    let layout = Layout::new(geometry, batch);
    let shapes = Shapes::of(&layout);
    // Hard asserts, even in release builds: a wrong length would pair
    // values with the wrong pixels rather than fail.
    assert_eq!(x.len(), shapes.input, "conv2d: x is not [batch, C·H·W]");
    assert_eq!(
        w.len(),
        shapes.weight,
        "conv2d: w is not [out, in/groups, kh, kw]"
    );
    assert!(
        b.is_none_or(|b| b.len() == geometry.out_channels),
        "conv2d: b is not [out]"
    );
    assert_eq!(
        y.len(),
        shapes.output,
        "conv2d: y is not [batch, out·OH·OW]"
    );
    assert_eq!(
        cols.len(),
        shapes.cols,
        "conv2d: cols is not [batch, conv2d_cols_len]"
    );
    assert_eq!(
        rows.len(),
        shapes.output,
        "conv2d: rows is not [batch, conv2d_rows_len]"
    );
    if shapes.output == 0 {
        return;
    }
    if let Some(pad) = Padded::of(isa, &layout, conv2d_cols_len(geometry)) {
        direct::forward(isa, &layout, pad, x, w, b, y, cols);
        return;
    }
    im2col(&layout, x, cols);
    let (group, columns) = (Group::of(&layout), layout.columns());
    for g in 0..geometry.groups {
        // rows_g[out/groups × columns] = w_g[out/groups × patch] · cols_g
        let operands = Operands {
            m: layout.group_out,
            n: columns,
            k: layout.patch,
            a: View::rows(&w[group.weight(g)], layout.patch),
            b: View::rows(&cols[group.cols(g)], columns),
        };
        product(isa, operands, &mut rows[group.rows(g)], false);
    }
    rows_to_image(&layout, rows, b, y);
}

/// `dw += ∂/∂w`, `db += Σ dy`, and, with `dx`, `dx += ∂/∂x` (through
/// `dcols`, scratch the size of `cols`), from the patches the forward left
/// in `cols`; `rows` is scratch.
#[allow(clippy::too_many_arguments)]
#[inline]
pub fn conv2d_backward(
    cols: &[f32],
    w: &[f32],
    dy: &[f32],
    rows: &mut [f32],
    dcols: Option<&mut [f32]>,
    dx: Option<&mut [f32]>,
    dw: &mut [f32],
    db: Option<&mut [f32]>,
    fresh: Fresh,
    batch: usize,
    geometry: &Conv2dGeometry,
) {
    conv2d_backward_on(
        Isa::detect(),
        cols,
        w,
        dy,
        rows,
        dcols,
        dx,
        dw,
        db,
        fresh,
        batch,
        geometry,
    );
}

/// [`conv2d_backward`] on a chosen path (tests and benchmarks).
#[allow(clippy::too_many_arguments)]
pub fn conv2d_backward_on(
    isa: Isa,
    cols: &[f32],
    w: &[f32],
    dy: &[f32],
    rows: &mut [f32],
    mut dcols: Option<&mut [f32]>,
    dx: Option<&mut [f32]>,
    dw: &mut [f32],
    db: Option<&mut [f32]>,
    fresh: Fresh,
    batch: usize,
    geometry: &Conv2dGeometry,
) {
    let layout = Layout::new(geometry, batch);
    let shapes = Shapes::of(&layout);
    assert_eq!(
        cols.len(),
        shapes.cols,
        "conv2d: cols is not [batch, conv2d_cols_len]"
    );
    assert_eq!(
        w.len(),
        shapes.weight,
        "conv2d: w is not [out, in/groups, kh, kw]"
    );
    assert_eq!(
        dy.len(),
        shapes.output,
        "conv2d: dy is not [batch, out·OH·OW]"
    );
    assert_eq!(
        rows.len(),
        shapes.output,
        "conv2d: rows is not [batch, conv2d_rows_len]"
    );
    assert_eq!(
        dw.len(),
        shapes.weight,
        "conv2d: dw is not [out, in/groups, kh, kw]"
    );
    assert!(
        db.as_ref()
            .is_none_or(|db| db.len() == geometry.out_channels),
        "conv2d: db is not [out]"
    );
    assert!(
        dx.as_ref().is_none_or(|dx| dx.len() == shapes.input),
        "conv2d: dx is not [batch, C·H·W]"
    );
    let dcols = match dx {
        Some(dx) => {
            let dcols = dcols.take().expect("conv2d: dx needs dcols");
            assert_eq!(
                dcols.len(),
                shapes.cols,
                "conv2d: dcols is not the size of cols"
            );
            Some((dcols, dx))
        }
        None => None,
    };
    let (fresh_dx, fresh_dw, fresh_db) = (fresh.output(2), fresh.output(3), fresh.output(4));
    if shapes.output == 0 {
        fresh.clear([(2, dcols.map(|(_, dx)| dx)), (3, Some(dw)), (4, db)]);
        return;
    }
    image_to_rows(&layout, dy, rows);
    let columns = layout.columns();
    if let Some(db) = db {
        bias_grad(db, rows, columns, fresh_db);
    }
    if let Some(pad) = Padded::of(isa, &layout, conv2d_cols_len(geometry)) {
        direct::weight_grad(isa, &layout, pad, cols, dy, dw, fresh_dw);
    } else {
        let group = Group::of(&layout);
        for g in 0..geometry.groups {
            // dw_g[out/groups × patch] (+)= dy_g · cols_gᵀ
            let operands = Operands {
                m: layout.group_out,
                n: layout.patch,
                k: columns,
                a: View::rows(&rows[group.rows(g)], columns),
                b: View::columns(&cols[group.cols(g)], columns),
            };
            product(isa, operands, &mut dw[group.weight(g)], !fresh_dw);
        }
    }
    if let Some((dcols, dx)) = dcols {
        input_grad(isa, &layout, w, rows, dcols, dx, fresh_dx);
    }
}

/// `db[o] (+)= Σ rows[o]`, output channels split over the pool (each
/// channel's sum is one pass over its plane, in any part): LeNet's first
/// convolution sums 6 planes of 50,176, a serial stretch of every
/// two-thread step.
fn bias_grad(db: &mut [f32], rows: &[f32], columns: usize, fresh: bool) {
    let channels = db.len();
    let parts = parallel::parts_for(channels * columns, MIN_ELEMENTS_PER_PART, channels);
    parallel::row_parts(db, (channels, 1), parts, 1, &|range, db| {
        let planes = rows[scaled(range, columns)].chunks_exact(columns);
        for (d, plane) in db.iter_mut().zip(planes) {
            *d = Fresh::base(fresh, *d) + simd::sum(plane);
        }
    });
}

/// Samples whose patch matrix fills up to this many floats go through
/// [`input_grad`] together: the patch gradients are written and read
/// back while in L2 (LeNet's second layer: 4 samples, 240 KB), where the
/// whole batch's (3.8 MB) went out to L3 and back. The forward's patches
/// stay one product: in blocks, LeNet's conv2 forward went 737 → 887 µs.
const BLOCK_FLOATS: usize = 1 << 16;

/// `dx (+)= col2im(wᵀ · dy)`, a block of samples at a time; `dy` is the
/// products' `[out, batch · P]` rows. Each sample's `dx` is its own
/// patch gradients' sum in `col2im`'s order, so the blocks change no bit,
/// nor does which thread runs them: the blocks are split over the pool,
/// each part writing its patch gradients into its own samples' share of
/// `dcols` and its own samples' `dx`. (Within a block, LeNet's products
/// and planes are too small to split: the second convolution's backward
/// ran a third of its time on one thread of two.)
fn input_grad(
    isa: Isa,
    layout: &Layout,
    w: &[f32],
    dy: &[f32],
    dcols: &mut [f32],
    dx: &mut [f32],
    fresh: bool,
) {
    let geometry = &layout.geometry;
    let per_sample = conv2d_cols_len(geometry);
    let block = (BLOCK_FLOATS / per_sample.max(1)).clamp(1, layout.batch);
    let blocks = layout.batch.div_ceil(block);
    let macs = layout.patch * layout.group_out * geometry.groups * layout.columns();
    let parts = parallel::parts_for(macs, MIN_MACS_PER_PART, blocks);
    let samples = |p| part_range(layout.batch, parts, p, block);
    let dcols = PartsMut::new(dcols, parts, |p| scaled(samples(p), per_sample));
    let dxs = PartsMut::new(dx, parts, |p| scaled(samples(p), geometry.input.numel()));
    parallel::split(parts, &|p| {
        let samples = samples(p);
        let (dcols, dx) = (dcols.take(p), dxs.take(p));
        for first in samples.clone().step_by(block) {
            let count = block.min(samples.end - first);
            let dx = &mut dx[(first - samples.start) * geometry.input.numel()..];
            block_input_grad(isa, layout, w, dy, first, count, dcols, dx, fresh);
        }
    });
}

/// [`input_grad`] for the `count` samples from `first`: their patch
/// gradients into the start of `dcols`, then onto the start of `dx`.
#[allow(clippy::too_many_arguments)]
fn block_input_grad(
    isa: Isa,
    layout: &Layout,
    w: &[f32],
    dy: &[f32],
    first: usize,
    count: usize,
    dcols: &mut [f32],
    dx: &mut [f32],
    fresh: bool,
) {
    let geometry = &layout.geometry;
    let part = Layout::new(geometry, count);
    let (group, offset) = (Group::of(&part), first * layout.positions());
    let columns = layout.columns();
    let dcols = &mut dcols[..count * conv2d_cols_len(geometry)];
    for g in 0..geometry.groups {
        // dcols_g[patch × block columns] = w_gᵀ · dy_g[.., block]
        let dy_rows = g * layout.group_out * columns + offset;
        let operands = Operands {
            m: layout.patch,
            n: part.columns(),
            k: layout.group_out,
            a: View::columns(&w[group.weight(g)], layout.patch),
            b: View::rows(&dy[dy_rows..], columns),
        };
        product(isa, operands, &mut dcols[group.cols(g)], false);
    }
    col2im(
        &part,
        dcols,
        &mut dx[..count * geometry.input.numel()],
        fresh,
    );
}

/// The whole buffers' lengths, for the checks.
struct Shapes {
    input: usize,
    weight: usize,
    output: usize,
    cols: usize,
}

impl Shapes {
    fn of(layout: &Layout) -> Shapes {
        let g = &layout.geometry;
        Shapes {
            input: layout.batch * g.input.numel(),
            weight: g.out_channels * layout.patch,
            output: layout.batch * conv2d_rows_len(g),
            cols: layout.batch * conv2d_cols_len(g),
        }
    }
}

/// The length of one group's share of each buffer: group `g` holds the
/// `g`-th block of each.
#[derive(Clone, Copy)]
struct Group {
    cols: usize,
    rows: usize,
    weight: usize,
}

impl Group {
    fn of(layout: &Layout) -> Group {
        Group {
            cols: layout.patch * layout.columns(),
            rows: layout.group_out * layout.columns(),
            weight: layout.group_out * layout.patch,
        }
    }

    fn cols(self, g: usize) -> std::ops::Range<usize> {
        g * self.cols..(g + 1) * self.cols
    }
    fn rows(self, g: usize) -> std::ops::Range<usize> {
        g * self.rows..(g + 1) * self.rows
    }
    fn weight(self, g: usize) -> std::ops::Range<usize> {
        g * self.weight..(g + 1) * self.weight
    }
}
