//! `nn.Linear`: `y = x·Wᵀ + b` with W stored as PyTorch's `[out, in]`.
//!
//! Small and mid-sized layers (the common case for netc models) run a
//! register-tiled kernel over a panel of B (`small_gemm`), or plain
//! dot/axpy loops when a reduction is too long for the panel; from
//! [`BLOCKED_MIN_MACS`] multiply-adds on, the same register tiles run
//! over cache blocks of packed operands (`small_gemm::blocked`), whose
//! packing below that size costs more than it saves (a 64×64×64 product
//! runs faster in `small_gemm`).

use std::ops::Range;

use super::columns;
use super::fresh::clear_if;
use super::small_gemm::{
    blocked_product, pack_panel, packed_gemm, packed_row, panel_len, small_gemm,
    small_gemm_summing, transpose_rows, RowSums, Store, View, MAX_K, ROW_ALIGN,
};
use super::Fresh;
use crate::dim::Dim;
use crate::parallel::{self, part_range, scaled, PartsMut, MIN_MACS_PER_PART};
use crate::simd::transpose::BLOCK;
use crate::simd::{self, multiversion, Fma, Isa, LANES};

/// batch·in·out from which the blocked product is used.
pub const BLOCKED_MIN_MACS: usize = 1 << 20;

/// in·out from which a single row leaves the one-row kernels, which keep
/// each output's in-order chain (the bits it gets inside a batch) by
/// transposing W block by block. From about 128×256 on, streaming W once
/// beats that: the forward takes dot products over W's rows (their
/// partial sums, not the chain), the backward the blocked product.
pub const BLOCKED_ROW_MIN_MACS: usize = 32 * 1024;

/// Rows of `dW` (outputs) a part of a split backward starts on: whole
/// column tiles of `db`.
const OUT_ALIGN: usize = LANES;
/// Multiply-adds from which a single row's part is worth a worker's
/// wake-up: each reads a float of W, so a part's 64 Ki of them stream a
/// quarter MiB (about 10 µs), where the blocked product's parts need
/// [`MIN_MACS_PER_PART`] to outweigh it.
const MIN_ROW_MACS_PER_PART: usize = 64 * 1024;

pub(crate) fn use_blocked(batch: usize, in_f: usize, out_f: usize) -> bool {
    let macs = batch.saturating_mul(in_f).saturating_mul(out_f);
    macs >= BLOCKED_MIN_MACS || (batch == 1 && macs >= BLOCKED_ROW_MIN_MACS)
}

/// `y[b,o] = Σᵢ x[b,i]·w[o,i] + bias[o]`.
/// Widths are [`Dim`]s: a `usize`, or a [`Const`](crate::dim::Const)
/// that specialises the loops for the layer.
#[inline]
pub fn linear_forward(
    x: &[f32],
    w: &[f32],
    bias: Option<&[f32]>,
    y: &mut [f32],
    batch: usize,
    in_f: impl Dim,
    out_f: impl Dim,
) {
    linear_forward_on(Isa::detect(), x, w, bias, y, batch, in_f, out_f);
}

/// [`linear_forward`] on a chosen path (tests and benchmarks). A large
/// product is split by rows over the current pool (`crate::parallel`).
#[allow(clippy::too_many_arguments)]
#[inline]
pub fn linear_forward_on<I: Dim, O: Dim>(
    isa: Isa,
    x: &[f32],
    w: &[f32],
    bias: Option<&[f32]>,
    y: &mut [f32],
    batch: usize,
    in_dim: I,
    out_dim: O,
) {
    let (in_f, out_f) = (in_dim.get(), out_dim.get());
    check_shapes(x, w, y, batch, in_f, out_f);
    debug_assert!(bias.is_none_or(|b| b.len() == out_f));
    let blocked = use_blocked(batch, in_f, out_f);
    if blocked && batch == 1 {
        row_by_outputs(isa, x, w, bias, y, in_f, out_f);
        return;
    }
    let column_parts = if blocked {
        columns::parts(batch, in_f, out_f)
    } else {
        1
    };
    if column_parts > 1 {
        // Each part multiplies the whole batch by its own rows of W.
        columns::split(y, (batch, out_f), column_parts, false, &|c, block| {
            let (w, bias) = (&w[scaled(c.clone(), in_f)], bias.map(|b| &b[c.clone()]));
            blocked_forward(isa, x, w, bias, block, (batch, in_f, c.len()));
        });
        return;
    }
    by_rows(x, y, batch, in_f, out_f, &|x, y, rows| {
        if blocked {
            blocked_forward(isa, x, w, bias, y, (rows, in_f, out_f));
        } else {
            linear_forward_with(isa, x, w, bias, y, rows, in_dim, out_dim);
        }
    });
}

/// `y = x·Wᵀ + bias` over `rows` rows by the blocked product, on this
/// thread: each output its bias, then its reduction blocks' chains.
fn blocked_forward(
    isa: Isa,
    x: &[f32],
    w: &[f32],
    bias: Option<&[f32]>,
    y: &mut [f32],
    (rows, in_f, out_f): (usize, usize, usize),
) {
    fill_bias(bias, y, out_f);
    // y[rows×out] += x[rows×in] · wᵀ[in×out]
    let (a, b) = (View::rows(x, in_f), View::columns(w, in_f));
    blocked_product(isa, rows, out_f, in_f, a, b, y, true);
}

/// Runs `product(x_rows, y_rows, rows)` over `batch` rows, split into
/// row parts over the current pool when the product is worth it. Every
/// part takes the path the whole would (the kernel is chosen on the
/// whole), and each row's outputs are the same sums in any part. On one
/// part (every layer of a small network) `product` is called inline, not
/// through the split's dynamic call (the seed network's single-row
/// prediction: 151 -> 147 ns).
#[inline]
fn by_rows<F: Fn(&[f32], &mut [f32], usize) + Sync>(
    x: &[f32],
    y: &mut [f32],
    batch: usize,
    in_f: usize,
    out_f: usize,
    product: &F,
) {
    let macs = batch.saturating_mul(out_f).saturating_mul(in_f);
    let parts = parallel::parts_for(macs, MIN_MACS_PER_PART, batch / ROW_ALIGN);
    parallel::row_parts(y, (batch, out_f), parts, ROW_ALIGN, &|rows, y| {
        product(&x[scaled(rows.clone(), in_f)], y, rows.len())
    });
}

/// A single row's large forward, its outputs split over the current pool:
/// each output is one dot product over a row of W, computed by one part,
/// so the bits do not depend on the split. Streaming W is the whole cost
/// (a 2048×2048 layer reads 16 MiB per row), and one core does not draw
/// the memory bandwidth that two do.
fn row_by_outputs(
    isa: Isa,
    x: &[f32],
    w: &[f32],
    bias: Option<&[f32]>,
    y: &mut [f32],
    in_f: usize,
    out_f: usize,
) {
    let macs = in_f.saturating_mul(out_f);
    let parts = parallel::parts_for(macs, MIN_ROW_MACS_PER_PART, out_f / OUT_ALIGN);
    // Each part's outputs are rows of W and lanes of `y`.
    parallel::row_parts(y, (out_f, 1), parts, OUT_ALIGN, &|o, y| {
        let (w, bias) = (&w[scaled(o.clone(), in_f)], bias.map(|b| &b[o.clone()]));
        dot_forward_with(isa, x, w, bias, y, in_f, o.len());
    });
}

/// `dx += dy·W`, `dw += dyᵀ·x`, `db += Σ_b dy`.
#[allow(clippy::too_many_arguments)]
#[inline]
pub fn linear_backward<I: Dim, O: Dim>(
    x: &[f32],
    w: &[f32],
    dy: &[f32],
    dx: Option<&mut [f32]>,
    dw: &mut [f32],
    db: Option<&mut [f32]>,
    batch: usize,
    in_dim: I,
    out_dim: O,
) {
    let fresh = Fresh::NONE;
    linear_backward_on(
        Isa::detect(),
        x,
        w,
        dy,
        dx,
        dw,
        db,
        batch,
        in_dim,
        out_dim,
        fresh,
    );
}

/// [`linear_backward`] on a chosen path. A large layer is split over the
/// current pool: its parts compute rows of `dx` and rows of `dW` (with
/// their `db`), each the same sums as on one thread. `fresh` outputs (0:
/// `dx`, 1: `dw`, 2: `db`) are overwritten.
#[allow(clippy::too_many_arguments)]
#[inline]
pub fn linear_backward_on<I: Dim, O: Dim>(
    isa: Isa,
    x: &[f32],
    w: &[f32],
    dy: &[f32],
    dx: Option<&mut [f32]>,
    dw: &mut [f32],
    db: Option<&mut [f32]>,
    batch: usize,
    in_dim: I,
    out_dim: O,
    fresh: Fresh,
) {
    let (in_f, out_f) = (in_dim.get(), out_dim.get());
    check_shapes(x, w, dy, batch, in_f, out_f);
    assert!(
        dx.as_ref().is_none_or(|d| d.len() == batch * in_f),
        "linear: dx is not [batch, in]"
    );
    assert!(
        db.as_ref().is_none_or(|d| d.len() == out_f),
        "linear: db is not [out]"
    );
    let blocked = use_blocked(batch, in_f, out_f);
    let layer = Backward {
        isa,
        blocked,
        x,
        w,
        dy,
        batch,
        in_dim,
        out_dim,
        fresh,
    };
    let parts = backward_parts(batch, in_f, out_f, dx.is_some());
    if parts == 1 {
        layer.part(dx, 0..batch, dw, db, 0..out_f);
        return;
    }
    // dx and dW are products of the same multiply-adds: on an even count
    // half the parts take rows of dx and half rows of dW, so that each
    // part packs the one operand it multiplies against (W for dx, x for
    // dW), where a part taking both packed both, whole.
    let (dx_parts, dw_parts) = match dx {
        Some(_) if parts.is_multiple_of(2) => (parts / 2, parts / 2),
        _ => (parts, parts),
    };
    let shared = dx_parts == parts;
    let rows = |p| part_range(batch, dx_parts, p, ROW_ALIGN);
    let outs = |p| part_range(out_f, dw_parts, p, OUT_ALIGN);
    let dxs = dx.map(|dx| PartsMut::new(dx, dx_parts, |p| scaled(rows(p), in_f)));
    let dws = PartsMut::new(dw, dw_parts, |p| scaled(outs(p), in_f));
    let dbs = db.map(|db| PartsMut::new(db, dw_parts, outs));
    parallel::split(parts, &|p| {
        let dx = |p| dxs.as_ref().map(|dxs| dxs.take(p));
        let dw = |p| (dws.take(p), dbs.as_ref().map(|dbs| dbs.take(p)));
        if shared {
            let (dw, db) = dw(p);
            layer.part(dx(p), rows(p), dw, db, outs(p));
        } else if p < dx_parts {
            if let Some(dx) = dx(p) {
                layer.dx_rows(dx, rows(p));
            }
        } else {
            let q = p - dx_parts;
            let (dw, db) = dw(q);
            layer.dw_rows(dw, db, outs(q));
        }
    });
}

/// Parts for a backward split by rows of `dx` and rows of `dW`.
fn backward_parts(batch: usize, in_f: usize, out_f: usize, dx: bool) -> usize {
    let macs = batch.saturating_mul(in_f).saturating_mul(out_f);
    let work = if dx { macs.saturating_mul(2) } else { macs };
    let most = (batch / ROW_ALIGN).max(out_f / OUT_ALIGN);
    parallel::parts_for(work, MIN_MACS_PER_PART, most)
}

/// One linear layer's backward operands, shared by its parts.
struct Backward<'a, I, O> {
    isa: Isa,
    blocked: bool,
    x: &'a [f32],
    w: &'a [f32],
    dy: &'a [f32],
    batch: usize,
    in_dim: I,
    out_dim: O,
    fresh: Fresh,
}

impl<I: Dim, O: Dim> Backward<'_, I, O> {
    /// `dx` for `rows` (its rows of dx), `dw` and `db` for the outputs
    /// `outs` (their rows of dW and entries of db).
    fn part(
        &self,
        dx: Option<&mut [f32]>,
        rows: Range<usize>,
        dw: &mut [f32],
        db: Option<&mut [f32]>,
        outs: Range<usize>,
    ) {
        if let Some(dx) = dx {
            self.dx_rows(dx, rows);
        }
        self.dw_rows(dw, db, outs);
    }

    /// `dx` for `rows`, its rows of dx.
    fn dx_rows(&self, dx: &mut [f32], rows: Range<usize>) {
        let (in_f, out_f) = (self.in_dim.get(), self.out_dim.get());
        let fresh = self.fresh.output(0);
        let dy = &self.dy[scaled(rows.clone(), out_f)];
        if self.blocked {
            // dx[rows×in] (+)= dy[rows×out] · w[out×in]
            let (a, b) = (View::rows(dy, out_f), View::rows(self.w, in_f));
            blocked_product(self.isa, rows.len(), in_f, out_f, a, b, dx, !fresh);
        } else {
            let (w, rows) = (self.w, rows.len());
            dx_with(self.isa, dy, w, dx, rows, self.in_dim, self.out_dim, fresh);
        }
    }

    /// `dw` and `db` for the outputs `outs`, their rows of dW and entries
    /// of db.
    fn dw_rows(&self, dw: &mut [f32], db: Option<&mut [f32]>, outs: Range<usize>) {
        let (in_f, out_f) = (self.in_dim.get(), self.out_dim.get());
        let fresh = |i| self.fresh.output(i);
        // On the small path db comes with dW, from the same product, when
        // x's last tile has a padding lane for the ones (a tile of its own
        // cost deep's 64-wide layers more than the separate sums).
        let fused = !self.blocked && !in_f.is_multiple_of(LANES);
        let db = match db {
            Some(db) if !fused => {
                let (dy, batch, first) = (self.dy, self.batch, outs.start);
                bias_grad_with(self.isa, dy, db, batch, out_f, first, fresh(2));
                None
            }
            db => db.map(|out| RowSums {
                out,
                fresh: fresh(2),
            }),
        };
        // dw[outs×in] (+)= dyᵀ[outs×batch] · x[batch×in]
        let dy = &self.dy[outs.start..];
        if self.blocked {
            let (a, b) = (View::columns(dy, out_f), View::rows(self.x, in_f));
            blocked_product(self.isa, outs.len(), in_f, self.batch, a, b, dw, !fresh(1));
        } else {
            let (x, batch, outs) = (self.x, self.batch, outs.len());
            dw_with(
                self.isa,
                x,
                dy,
                dw,
                db,
                batch,
                outs,
                self.in_dim,
                self.out_dim,
                fresh(1),
            );
        }
    }
}

/// [`linear_backward`]'s loop kernel on a chosen path, at any size, on
/// this thread.
#[allow(clippy::too_many_arguments)]
pub fn linear_backward_with<I: Dim, O: Dim>(
    isa: Isa,
    x: &[f32],
    w: &[f32],
    dy: &[f32],
    dx: Option<&mut [f32]>,
    dw: &mut [f32],
    db: Option<&mut [f32]>,
    batch: usize,
    in_dim: I,
    out_dim: O,
    fresh: Fresh,
) {
    let (in_f, out_f) = (in_dim.get(), out_dim.get());
    check_shapes(x, w, dy, batch, in_f, out_f);
    let layer = Backward {
        isa,
        blocked: false,
        x,
        w,
        dy,
        batch,
        in_dim,
        out_dim,
        fresh,
    };
    layer.part(dx, 0..batch, dw, db, 0..out_f);
}

// Inline: generated code reaches it on every op, from another crate.
#[inline]
pub(crate) fn check_shapes(
    x: &[f32],
    w: &[f32],
    y: &[f32],
    batch: usize,
    in_f: usize,
    out_f: usize,
) {
    // Hard asserts, even in release builds: a wrong length would pair
    // values with the wrong rows rather than fail.
    assert_eq!(x.len(), batch * in_f, "linear: x is not [batch, in]");
    assert_eq!(w.len(), out_f * in_f, "linear: w is not [out, in]");
    assert_eq!(y.len(), batch * out_f, "linear: y/dy is not [batch, out]");
}

fn fill_bias(bias: Option<&[f32]>, y: &mut [f32], out_f: usize) {
    match bias {
        Some(b) => {
            for row in y.chunks_exact_mut(out_f) {
                row.copy_from_slice(b);
            }
        }
        None => y.fill(0.0),
    }
}

multiversion! {
    /// [`linear_forward`]'s loop kernel on a chosen path, at any size.
    pub fn linear_forward_with<I: Dim, O: Dim>(
        x: &[f32],
        w: &[f32],
        bias: Option<&[f32]>,
        y: &mut [f32],
        batch: usize,
        in_f: I,
        out_f: O,
    ) => forward_body;
}

multiversion! {
    fn dot_forward_with(
        x: &[f32],
        w: &[f32],
        bias: Option<&[f32]>,
        y: &mut [f32],
        in_f: usize,
        out_f: usize,
    ) => dot_forward;
}

multiversion! {
    /// `dx[rows×in] (+)= dy[rows×out] · w[out×in]` on a chosen path.
    fn dx_with<I: Dim, O: Dim>(
        dy: &[f32],
        w: &[f32],
        dx: &mut [f32],
        rows: usize,
        in_f: I,
        out_f: O,
        fresh: bool,
    ) => dx_body;
}

multiversion! {
    /// `dw[outs×in] (+)= dyᵀ[outs×batch] · x[batch×in]` on a chosen path,
    /// `dy` starting at the first of the outputs, and the bias gradient
    /// `db[outs] (+)= Σ_b dy` when asked for.
    fn dw_with<I: Dim, O: Dim>(
        x: &[f32],
        dy: &[f32],
        dw: &mut [f32],
        db: Option<RowSums<'_>>,
        batch: usize,
        outs: usize,
        in_f: I,
        out_f: O,
        fresh: bool,
    ) => dw_body;
}

multiversion! {
    fn pack_weight_with<I: Dim, O: Dim>(w: &[f32], panel: &mut [f32], in_f: I, out_f: O)
        => pack_weight_body;
}

multiversion! {
    fn packed_forward_with<I: Dim, O: Dim>(
        x: &[f32],
        panel: &[f32],
        bias: Option<&[f32]>,
        y: &mut [f32],
        batch: usize,
        in_f: I,
        out_f: O,
    ) => packed_forward_body;
}

multiversion! {
    fn bias_grad_with(
        dy: &[f32],
        db: &mut [f32],
        batch: usize,
        out_f: usize,
        first: usize,
        fresh: bool,
    ) => bias_grad_body;
}

#[inline(always)]
fn forward_body<M: Fma>(
    x: &[f32],
    w: &[f32],
    bias: Option<&[f32]>,
    y: &mut [f32],
    batch: usize,
    in_f: impl Dim,
    out_f: impl Dim,
) {
    let (in_f, out_f) = (in_f.get(), out_f.get());
    if trivial(bias, y, batch, in_f, out_f) {
        return;
    }
    if batch == 1 && in_f < LANES {
        matvec_chains::<M>(x, w, bias, y, in_f, out_f);
        return;
    }
    // Up to the reduction `small_gemm` takes, so that one row gets the
    // batch's bits (past it, both take `dot`).
    if batch == 1 && in_f <= MAX_K {
        matvec_blocks::<M>(x, w, bias, y, in_f, out_f);
        return;
    }
    let a = View::rows(x, in_f);
    // B[i, o] = w[o, i]
    let b = View::columns(w, in_f);
    if !small_gemm::<M>(batch, in_f, out_f, a, b, y, Store::Overwrite(bias)) {
        dot_forward::<M>(x, w, bias, y, in_f, out_f);
    }
}

/// `y[r, o] = dot(x[r], w[o]) + b[o]`: each output a dot product over a
/// contiguous row of W, read once per row of x.
#[inline(always)]
fn dot_forward<M: Fma>(
    x: &[f32],
    w: &[f32],
    bias: Option<&[f32]>,
    y: &mut [f32],
    in_f: usize,
    out_f: usize,
) {
    for (xr, yr) in x.chunks_exact(in_f).zip(y.chunks_exact_mut(out_f)) {
        for (o, (yo, wr)) in yr.iter_mut().zip(w.chunks_exact(in_f)).enumerate() {
            let b = bias.map_or(0.0, |b| b[o]);
            *yo = simd::dot::<M>(xr, wr) + b;
        }
    }
}

/// Handles the shapes with nothing to multiply; true when it did.
#[inline(always)]
fn trivial(bias: Option<&[f32]>, y: &mut [f32], batch: usize, in_f: usize, out_f: usize) -> bool {
    if batch == 0 || out_f == 0 {
        return true;
    }
    if in_f == 0 {
        fill_bias(bias, y, out_f);
        return true;
    }
    false
}

/// Whether a layer has a packed weight panel ([`pack_linear_panel`]):
/// the reductions `small_gemm`'s tiles take (`0 < in ≤ 512`) and some
/// output. A layer without one runs [`linear_forward`] unpacked.
pub const fn linear_packs(in_f: usize, out_f: usize) -> bool {
    0 < in_f && in_f <= MAX_K && out_f > 0
}

/// Elements of a layer's packed weight panel (whole 16-column tiles); 0
/// for a layer that [`linear_packs`] not.
pub const fn linear_panel_len(in_f: usize, out_f: usize) -> usize {
    if linear_packs(in_f, out_f) {
        panel_len(in_f, out_f)
    } else {
        0
    }
}

/// `panel` := W transposed in 16-column tiles, zero-padded: the layout
/// `small_gemm` packs per call. For a layer that [`linear_packs`] not,
/// the panel is empty and this does nothing. Keep the panel in a
/// [`CacheAligned`](super::CacheAligned) buffer: each tile then is one
/// cache line.
#[inline]
pub fn pack_linear_panel(w: &[f32], panel: &mut [f32], in_f: impl Dim, out_f: impl Dim) {
    pack_linear_panel_on(Isa::detect(), w, panel, in_f, out_f);
}

/// [`pack_linear_panel`] on a chosen path (pure data movement: the same
/// panel on every path).
#[inline]
pub fn pack_linear_panel_on<I: Dim, O: Dim>(
    isa: Isa,
    w: &[f32],
    panel: &mut [f32],
    in_dim: I,
    out_dim: O,
) {
    let (in_f, out_f) = (in_dim.get(), out_dim.get());
    assert_eq!(w.len(), out_f * in_f, "linear: w is not [out, in]");
    check_panel(panel, in_f, out_f);
    if linear_packs(in_f, out_f) {
        pack_weight_with(isa, w, panel, in_dim, out_dim);
    }
}

/// `y = x·Wᵀ + b` from the panel [`pack_linear_panel`] made of `w`:
/// bit-identical to [`linear_forward`] for every batch, without packing W
/// on every call. Shapes that [`linear_forward`] hands to the blocked product go there
/// (on `w`), and so does a layer that [`linear_packs`] not.
#[allow(clippy::too_many_arguments)]
#[inline]
pub fn linear_forward_packed(
    x: &[f32],
    w: &[f32],
    panel: &[f32],
    bias: Option<&[f32]>,
    y: &mut [f32],
    batch: usize,
    in_f: impl Dim,
    out_f: impl Dim,
) {
    linear_forward_packed_on(Isa::detect(), x, w, panel, bias, y, batch, in_f, out_f);
}

/// [`linear_forward_packed`] on a chosen path (tests and benchmarks).
#[allow(clippy::too_many_arguments)]
#[inline]
pub fn linear_forward_packed_on<I: Dim, O: Dim>(
    isa: Isa,
    x: &[f32],
    w: &[f32],
    panel: &[f32],
    bias: Option<&[f32]>,
    y: &mut [f32],
    batch: usize,
    in_dim: I,
    out_dim: O,
) {
    let (in_f, out_f) = (in_dim.get(), out_dim.get());
    check_panel(panel, in_f, out_f);
    if !linear_packs(in_f, out_f) || use_blocked(batch, in_f, out_f) {
        linear_forward_on(isa, x, w, bias, y, batch, in_dim, out_dim);
    } else {
        check_shapes(x, w, y, batch, in_f, out_f);
        assert!(
            bias.is_none_or(|b| b.len() == out_f),
            "linear: bias is not [out]"
        );
        by_rows(x, y, batch, in_f, out_f, &|x, y, rows| {
            packed_forward_with(isa, x, panel, bias, y, rows, in_dim, out_dim);
        });
    }
}

#[inline]
fn check_panel(panel: &[f32], in_f: usize, out_f: usize) {
    assert_eq!(
        panel.len(),
        linear_panel_len(in_f, out_f),
        "linear: panel is not linear_panel_len(in, out) long"
    );
}

/// W `[out, in]` as the panel `small_gemm` packs from it per call:
/// Wᵀ in column tiles of [`LANES`] outputs. Only when the layer
/// [`linear_packs`].
#[inline(always)]
fn pack_weight_body<M: Fma>(w: &[f32], panel: &mut [f32], in_f: impl Dim, out_f: impl Dim) {
    let (in_f, out_f) = (in_f.get(), out_f.get());
    // B[i, o] = w[o, i], as in `forward_body`.
    let b = View::columns(w, in_f);
    pack_panel::<M>(b, in_f, out_f, panel);
}

/// [`forward_body`] with W already packed by [`pack_weight_body`] (a
/// layer that [`linear_packs`]): the same tiled loop as a batch, so the same bits
/// for every batch. Shapes the blocked product takes are the caller's to route.
#[inline(always)]
fn packed_forward_body<M: Fma>(
    x: &[f32],
    panel: &[f32],
    bias: Option<&[f32]>,
    y: &mut [f32],
    batch: usize,
    in_f: impl Dim,
    out_f: impl Dim,
) {
    let (in_f, out_f) = (in_f.get(), out_f.get());
    if trivial(bias, y, batch, in_f, out_f) {
        return;
    }
    if batch == 1 {
        packed_row::<M>(x, panel, bias, y, in_f, out_f);
        return;
    }
    let a = View::rows(x, in_f);
    packed_gemm::<M>(batch, in_f, out_f, a, panel, y, Store::Overwrite(bias));
}

/// One short row (fewer than [`LANES`] inputs): `y = W·x + b` without the
/// panel (packing W would cost more than the product). Each output is
/// the same in-order FMA chain over the inputs as in `small_gemm`, so a
/// single sample gets exactly the bits it gets inside a batch. The short
/// chains are independent, so the core overlaps them; each reads a
/// contiguous row of W.
#[inline(always)]
fn matvec_chains<M: Fma>(
    x: &[f32],
    w: &[f32],
    bias: Option<&[f32]>,
    y: &mut [f32],
    in_f: usize,
    out_f: usize,
) {
    let x = &x[..in_f];
    for (o, (yo, row)) in y[..out_f].iter_mut().zip(w.chunks_exact(in_f)).enumerate() {
        let mut acc = 0f32;
        for (&xv, &wv) in x.iter().zip(row) {
            acc = M::mul_add(xv, wv, acc);
        }
        *yo = match bias {
            Some(b) => acc + b[o],
            None => acc,
        };
    }
}

/// Output tiles whose chains [`matvec_blocks`] carries at once: enough
/// independent FMAs to hide their latency behind the transposes, while
/// the rows of W read together (64) still stream well from L2.
const CHAINS: usize = 4;

/// One row of at least a tile (`LANES ≤ in_f ≤ MAX_K`): `y = W·x + b`
/// with the same in-order FMA chain per output as `small_gemm`, without
/// its panel of all of W (which costs a store and a load per weight, and
/// runs each tile's chain after the previous one). [`CHAINS`] tiles of
/// outputs at a time walk over the inputs in blocks: each takes a
/// `LANES × LANES` block of W transposed in registers and carries its
/// chain `LANES` steps further.
#[inline(always)]
fn matvec_blocks<M: Fma>(
    x: &[f32],
    w: &[f32],
    bias: Option<&[f32]>,
    y: &mut [f32],
    in_f: usize,
    out_f: usize,
) {
    let y = &mut y[..out_f];
    let mut block = [0f32; BLOCK];
    for j0 in (0..out_f).step_by(CHAINS * LANES) {
        let mut acc = [[0f32; LANES]; CHAINS];
        for kk0 in (0..in_f).step_by(LANES) {
            // A last, short block is taken as the full one ending at
            // in_f; its first `done` columns were already added.
            let start = kk0.min(in_f - LANES);
            let done = kk0 - start;
            let x = &x[start..start + LANES];
            for (t, acc) in acc.iter_mut().enumerate() {
                let j = j0 + t * LANES;
                if j >= out_f {
                    break;
                }
                let width = LANES.min(out_f - j);
                transpose_rows::<M>(w, in_f, j, width, start, LANES, &mut block);
                // A fixed trip count, so the chain stays in a register
                // even when the widths are not constants.
                let mut chain = *acc;
                for (c, column) in block.chunks_exact(LANES).enumerate() {
                    if c >= done {
                        for l in 0..LANES {
                            chain[l] = M::mul_add(x[c], column[l], chain[l]);
                        }
                    }
                }
                *acc = chain;
            }
        }
        for (t, acc) in acc.iter().enumerate() {
            let j = j0 + t * LANES;
            if j >= out_f {
                break;
            }
            simd::store_tile(y, j, &simd::lane_mask(LANES.min(out_f - j)), acc);
        }
    }
    if let Some(bias) = bias {
        for (yo, &b) in y.iter_mut().zip(bias) {
            *yo += b;
        }
    }
}

#[inline(always)]
fn axpy<M: Fma>(a: f32, x: &[f32], y: &mut [f32]) {
    for (yv, &xv) in y.iter_mut().zip(x) {
        *yv = M::mul_add(a, xv, *yv);
    }
}

#[inline(always)]
fn dx_body<M: Fma>(
    dy: &[f32],
    w: &[f32],
    dx: &mut [f32],
    rows: usize,
    in_f: impl Dim,
    out_f: impl Dim,
    fresh: bool,
) {
    let (in_f, out_f) = (in_f.get(), out_f.get());
    if rows == 0 || out_f == 0 || in_f == 0 {
        clear_if(fresh, dx);
        return;
    }
    let a = View::rows(dy, out_f);
    let b = View::rows(w, in_f);
    if !small_gemm::<M>(rows, out_f, in_f, a, b, dx, Store::onto(fresh)) {
        clear_if(fresh, dx);
        for (gr, dxr) in dy.chunks_exact(out_f).zip(dx.chunks_exact_mut(in_f)) {
            for (&g, wr) in gr.iter().zip(w.chunks_exact(in_f)) {
                axpy::<M>(g, wr, dxr);
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn dw_body<M: Fma>(
    x: &[f32],
    dy: &[f32],
    dw: &mut [f32],
    db: Option<RowSums<'_>>,
    batch: usize,
    outs: usize,
    in_f: impl Dim,
    out_f: impl Dim,
    fresh: bool,
) {
    let (in_f, out_f) = (in_f.get(), out_f.get());
    let a = View::columns(dy, out_f);
    let b = View::rows(x, in_f);
    if batch > 0 && outs > 0 && batch <= MAX_K {
        small_gemm_summing::<M>(outs, batch, in_f, a, b, dw, Store::onto(fresh), db);
        return;
    }
    if let Some(RowSums { out, fresh }) = db {
        bias_grad_body::<M>(dy, out, batch, out_f, 0, fresh);
    }
    clear_if(fresh, dw);
    if batch > 0 && in_f > 0 {
        // Row o of dw stays hot while the batch streams past.
        for (o, dwr) in dw.chunks_exact_mut(in_f).enumerate() {
            for (r, xr) in x.chunks_exact(in_f).enumerate() {
                axpy::<M>(dy[r * out_f + o], xr, dwr);
            }
        }
    }
}

/// `db[j] (+)= Σ_b dy[b, first + j]` for the entries of `db`.
// Generic only so that `multiversion!` can compile it once per ISA.
#[allow(clippy::extra_unused_type_parameters)]
#[inline(always)]
fn bias_grad_body<M: Fma>(
    dy: &[f32],
    db: &mut [f32],
    batch: usize,
    out_f: usize,
    first: usize,
    fresh: bool,
) {
    // Sum each tile of columns in registers, then add to db once; a
    // column's sum is the same whichever tile carries it.
    for j0 in (0..db.len()).step_by(LANES) {
        let mask = simd::lane_mask(LANES.min(db.len() - j0));
        let column = first + j0;
        let whole = simd::whole_windows(batch, out_f, column);
        // `fma(1, t, acc)` is `acc + t` exactly, through the tile FMA
        // LLVM keeps in one register (its own add loop split the tile
        // into ymm, xmm and scalar parts).
        let mut acc = [0f32; LANES];
        for r in 0..whole {
            M::fma_tile(1.0, simd::window(dy, r * out_f + column), &mut acc);
        }
        for r in whole..batch {
            M::fma_tile(1.0, &simd::load_tile(dy, r * out_f + column), &mut acc);
        }
        let mut d = simd::load_tile(db, j0);
        for l in 0..LANES {
            d[l] = Fresh::base(fresh, d[l]) + acc[l];
        }
        simd::store_tile(db, j0, &mask, &d);
    }
}
