//! `nn.Linear`: `y = x·Wᵀ + b` with W stored as PyTorch's `[out, in]`.
//!
//! Small and mid-sized layers (the common case for netc models) run a
//! register-tiled kernel over a stack panel (`small_gemm`), or plain
//! dot/axpy loops when a reduction is too long for the panel; from
//! [`GEMM_MIN_MACS`] multiply-adds on, the `gemm` crate's packed
//! micro-kernels take over (single-threaded, its AVX-512 kernels through
//! the `x86-v4` feature). `gemm` takes no caller workspace and allocates
//! its packing scratch on every call — two allocations per product,
//! measured by the `kernels_alloc` test — negligible at those sizes, but
//! below them its packing and allocations cost more than the product
//! (a 64×64×64 product runs faster on the stack panel).

use gemm::Parallelism;

use super::small_gemm::{
    pack_panel, packed_gemm, packed_row, panel_len, small_gemm, transpose_rows, Store, View, MAX_K,
};
use crate::dim::Dim;
use crate::simd::transpose::BLOCK;
use crate::simd::{self, multiversion, Fma, Isa, LANES};

/// batch·in·out from which the `gemm` crate is used.
pub const GEMM_MIN_MACS: usize = 1 << 20;

/// in·out from which a single row goes to `gemm` as well: the one-row
/// kernels keep each output's in-order chain (the bits it gets inside a
/// batch) by transposing W block by block, which `gemm`'s row-wise product
/// beats from about 128×256 on (`kernels_bench`, one row own vs gemm).
pub const GEMV_MIN_MACS: usize = 32 * 1024;

pub(crate) fn use_gemm(batch: usize, in_f: usize, out_f: usize) -> bool {
    let macs = batch.saturating_mul(in_f).saturating_mul(out_f);
    macs >= GEMM_MIN_MACS || (batch == 1 && macs >= GEMV_MIN_MACS)
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

/// [`linear_forward`] on a chosen path (tests and benchmarks); the shapes
/// that go to `gemm` go there whatever the path.
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
    if use_gemm(batch, in_f, out_f) {
        fill_bias(bias, y, out_f);
        // y[batch×out] += x[batch×in] · wᵀ[in×out]
        // SAFETY: the shape checks above give every pointer/stride pair
        // exactly the extent gemm reads or writes: x is batch×in with row
        // stride in_f, wᵀ is read through w (in_f × out_f, column stride
        // in_f, row stride 1), y is batch×out with row stride out_f; y does
        // not alias x or w (it is a unique borrow).
        unsafe {
            gemm::gemm(
                batch,
                out_f,
                in_f,
                y.as_mut_ptr(),
                1,
                out_f as isize,
                true,
                x.as_ptr(),
                1,
                in_f as isize,
                w.as_ptr(),
                in_f as isize,
                1,
                1.0f32,
                1.0f32,
                false,
                false,
                false,
                Parallelism::None,
            );
        }
    } else {
        linear_forward_with(isa, x, w, bias, y, batch, in_dim, out_dim);
    }
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
    let (in_f, out_f) = (in_dim.get(), out_dim.get());
    check_shapes(x, w, dy, batch, in_f, out_f);
    debug_assert!(dx.as_ref().is_none_or(|d| d.len() == batch * in_f));
    debug_assert_eq!(dw.len(), out_f * in_f);
    debug_assert!(db.as_ref().is_none_or(|d| d.len() == out_f));
    if !use_gemm(batch, in_f, out_f) {
        linear_backward_with(Isa::detect(), x, w, dy, dx, dw, db, batch, in_dim, out_dim);
        return;
    }
    if let Some(dx) = dx {
        // dx[batch×in] += dy[batch×out] · w[out×in]
        // SAFETY: dy is batch×out (row stride out_f), w is out×in (row
        // stride in_f), dx is batch×in (row stride in_f), all checked above;
        // dx is a unique borrow, so it aliases neither input.
        unsafe {
            gemm::gemm(
                batch,
                in_f,
                out_f,
                dx.as_mut_ptr(),
                1,
                in_f as isize,
                true,
                dy.as_ptr(),
                1,
                out_f as isize,
                w.as_ptr(),
                1,
                in_f as isize,
                1.0f32,
                1.0f32,
                false,
                false,
                false,
                Parallelism::None,
            );
        }
    }
    // dw[out×in] += dyᵀ[out×batch] · x[batch×in]
    // SAFETY: dyᵀ is read through dy (out × batch: column stride out_f, row
    // stride 1), x is batch×in (row stride in_f), dw is out×in (row stride
    // in_f), all checked above; dw is a unique borrow.
    unsafe {
        gemm::gemm(
            out_f,
            in_f,
            batch,
            dw.as_mut_ptr(),
            1,
            in_f as isize,
            true,
            dy.as_ptr(),
            out_f as isize,
            1,
            x.as_ptr(),
            1,
            in_f as isize,
            1.0f32,
            1.0f32,
            false,
            false,
            false,
            Parallelism::None,
        );
    }
    if let Some(db) = db {
        bias_grad_with(Isa::detect(), dy, db, out_f);
    }
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
    // Hard asserts: the gemm path hands raw pointers over, so a wrong
    // length must stop here even in release builds.
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
    /// [`linear_backward`]'s loop kernel on a chosen path, at any size.
    pub fn linear_backward_with<I: Dim, O: Dim>(
        x: &[f32],
        w: &[f32],
        dy: &[f32],
        dx: Option<&mut [f32]>,
        dw: &mut [f32],
        db: Option<&mut [f32]>,
        batch: usize,
        in_f: I,
        out_f: O,
    ) => backward_body;
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
    fn bias_grad_with(dy: &[f32], db: &mut [f32], out_f: usize) => bias_grad_body;
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
    if small_gemm::<M>(batch, in_f, out_f, a, b, y, Store::Overwrite(bias)) {
        return;
    }
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
/// on every call. Shapes that [`linear_forward`] hands to `gemm` go there
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
    if !linear_packs(in_f, out_f) || use_gemm(batch, in_f, out_f) {
        linear_forward_on(isa, x, w, bias, y, batch, in_dim, out_dim);
    } else {
        check_shapes(x, w, y, batch, in_f, out_f);
        assert!(
            bias.is_none_or(|b| b.len() == out_f),
            "linear: bias is not [out]"
        );
        packed_forward_with(isa, x, panel, bias, y, batch, in_dim, out_dim);
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
/// for every batch. Shapes `gemm` takes are the caller's to route.
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

#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn backward_body<M: Fma>(
    x: &[f32],
    w: &[f32],
    dy: &[f32],
    dx: Option<&mut [f32]>,
    dw: &mut [f32],
    db: Option<&mut [f32]>,
    batch: usize,
    in_f: impl Dim,
    out_f: impl Dim,
) {
    let (in_f, out_f) = (in_f.get(), out_f.get());
    if batch == 0 || out_f == 0 {
        return;
    }
    if let Some(db) = db {
        bias_grad_body::<M>(dy, db, out_f);
    }
    if in_f == 0 {
        return;
    }
    if let Some(dx) = dx {
        // dx[batch×in] += dy[batch×out] · w[out×in]
        let a = View::rows(dy, out_f);
        let b = View::rows(w, in_f);
        if !small_gemm::<M>(batch, out_f, in_f, a, b, dx, Store::Accumulate) {
            for (gr, dxr) in dy.chunks_exact(out_f).zip(dx.chunks_exact_mut(in_f)) {
                for (&g, wr) in gr.iter().zip(w.chunks_exact(in_f)) {
                    axpy::<M>(g, wr, dxr);
                }
            }
        }
    }
    // dw[out×in] += dyᵀ[out×batch] · x[batch×in]
    let a = View::columns(dy, out_f);
    let b = View::rows(x, in_f);
    if !small_gemm::<M>(out_f, batch, in_f, a, b, dw, Store::Accumulate) {
        // Row o of dw stays hot while the batch streams past.
        for (o, dwr) in dw.chunks_exact_mut(in_f).enumerate() {
            for (gr, xr) in dy.chunks_exact(out_f).zip(x.chunks_exact(in_f)) {
                axpy::<M>(gr[o], xr, dwr);
            }
        }
    }
}

// Generic only so that `multiversion!` can compile it once per ISA.
#[allow(clippy::extra_unused_type_parameters)]
#[inline(always)]
fn bias_grad_body<M: Fma>(dy: &[f32], db: &mut [f32], out_f: usize) {
    if out_f == 0 {
        return;
    }
    // Sum each tile of columns in registers, then add to db once.
    for j0 in (0..out_f).step_by(LANES) {
        let mask = simd::lane_mask(LANES.min(out_f - j0));
        let rows = dy.len() / out_f;
        let whole = simd::whole_windows(rows, out_f, j0);
        let mut acc = [0f32; LANES];
        for r in 0..whole {
            let t = simd::window(dy, r * out_f + j0);
            for l in 0..LANES {
                acc[l] += t[l];
            }
        }
        for r in whole..rows {
            let t = simd::load_tile(dy, r * out_f + j0);
            for l in 0..LANES {
                acc[l] += t[l];
            }
        }
        let mut d = simd::load_tile(db, j0);
        for l in 0..LANES {
            d[l] += acc[l];
        }
        simd::store_tile(db, j0, &mask, &d);
    }
}
