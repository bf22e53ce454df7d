//! A register-tiled product for the small layers `gemm`'s packing would
//! dwarf: `out[r, j] (+)= Σ_k A[r, k]·B[k, j]` with B copied into a
//! zero-padded stack panel, so every inner step is one broadcast-FMA over a
//! fixed 16-wide tile that LLVM keeps in registers (one zmm, two ymm or
//! four xmm), eight rows at a time for independent FMA chains.

use crate::simd::{self, Fma};

/// Output columns per register tile.
const TILE: usize = simd::LANES;
/// Rows computed together (unrolled by hand in `row_block`): eight independent FMA chains per column tile
/// cover the FMA latency of two AVX-512 pipes.
const ROWS: usize = 8;
/// The longest reduction the stack panel (one column tile of B) holds;
/// longer products take another kernel.
pub(crate) const MAX_K: usize = 512;

/// A strided read-only matrix view: element (r, c) is `data[r·rs + c·cs]`.
#[derive(Clone, Copy)]
pub(crate) struct View<'a> {
    pub data: &'a [f32],
    pub rs: usize,
    pub cs: usize,
}

impl View<'_> {
    #[inline(always)]
    fn at(&self, r: usize, c: usize) -> f32 {
        self.data[r * self.rs + c * self.cs]
    }

    /// Whether every element of a `rows × cols` matrix lies in `data`.
    fn covers(&self, rows: usize, cols: usize) -> bool {
        rows == 0 || cols == 0 || (rows - 1) * self.rs + (cols - 1) * self.cs < self.data.len()
    }

    /// Element (r, c) without a bounds check, for the inner loop.
    ///
    /// # Safety
    /// `covers(rows, cols)` held for some `rows > r`, `cols > c`.
    #[inline(always)]
    unsafe fn at_unchecked(&self, r: usize, c: usize) -> f32 {
        // SAFETY: the caller's `covers` bounds r·rs + c·cs below len.
        unsafe { *self.data.get_unchecked(r * self.rs + c * self.cs) }
    }
}

/// How the product lands in `out`.
#[derive(Clone, Copy)]
pub(crate) enum Store<'a> {
    /// `out = A·B + bias` (bias per column, absent = 0).
    Overwrite(Option<&'a [f32]>),
    /// `out += A·B`.
    Accumulate,
}

/// `out` is `rows × n` row-major; `a` is `rows × k`, `b` is `k × n`.
/// Returns false (doing nothing) when `k` exceeds [`MAX_K`]; the caller
/// then takes another kernel. Each output is one in-order FMA chain over
/// `k`, whatever the sizes, so every tiling gives the same bits.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(crate) fn small_gemm<M: Fma>(
    rows: usize,
    k: usize,
    n: usize,
    a: View<'_>,
    b: View<'_>,
    out: &mut [f32],
    store: Store<'_>,
) -> bool {
    // A hard check: the inner loop reads A without bounds checks.
    assert!(a.covers(rows, k), "small_gemm: A is shorter than rows × k");
    let panel = k * TILE;
    // Three panel sizes so a tiny layer does not zero 32 KiB per call.
    if panel <= 256 {
        tiled::<M, 256>(rows, k, n, a, b, out, store);
    } else if panel <= 1024 {
        tiled::<M, 1024>(rows, k, n, a, b, out, store);
    } else if k <= MAX_K {
        tiled::<M, { MAX_K * TILE }>(rows, k, n, a, b, out, store);
    } else {
        return false;
    }
    true
}

/// One column tile of B at a time is copied into a `k × TILE` panel
/// (zero past `n`), which stays in L1 while every row block streams past.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn tiled<M: Fma, const CAP: usize>(
    rows: usize,
    k: usize,
    n: usize,
    a: View<'_>,
    b: View<'_>,
    out: &mut [f32],
    store: Store<'_>,
) {
    let mut panel = [0f32; CAP];
    for j0 in (0..n).step_by(TILE) {
        let width = TILE.min(n - j0);
        pack_tile(&mut panel, b, k, j0, width);
        let panel = &panel[..k * TILE];
        let mut r0 = 0;
        while r0 + ROWS <= rows {
            let acc = if a.rs == 1 {
                row_block::<M, true>(panel, a, r0)
            } else {
                row_block::<M, false>(panel, a, r0)
            };
            for (r, acc_r) in acc.iter().enumerate() {
                write_row(out, (r0 + r) * n + j0, &acc_r[..width], store, j0);
            }
            r0 += ROWS;
        }
        for r in r0..rows {
            let mut acc = [0f32; TILE];
            for (kk, tile) in panel.chunks_exact(TILE).enumerate() {
                let s = a.at(r, kk);
                for l in 0..TILE {
                    acc[l] = M::mul_add(s, tile[l], acc[l]);
                }
            }
            write_row(out, r * n + j0, &acc[..width], store, j0);
        }
    }
}

/// Rows `r0..r0 + ROWS` of A times the panel: `ROWS × TILE` accumulators
/// in registers, one in-order FMA chain per output. `COLUMN_A`: A's rows
/// are adjacent (`rs == 1`, a transposed operand), so the ROWS scalars of
/// one step are one contiguous load; otherwise each is read on its own.
/// (Left to itself, LLVM vectorises that read across the rows with a slow
/// gather.)
#[inline(always)]
fn row_block<M: Fma, const COLUMN_A: bool>(
    panel: &[f32],
    a: View<'_>,
    r0: usize,
) -> [[f32; TILE]; ROWS] {
    let mut acc = [[0f32; TILE]; ROWS];
    for (kk, tile) in panel.chunks_exact(TILE).enumerate() {
        let mut s = [0f32; ROWS];
        if COLUMN_A {
            s.copy_from_slice(&a.data[r0 + kk * a.cs..][..ROWS]);
        } else {
            for (r, v) in s.iter_mut().enumerate() {
                // SAFETY: `small_gemm` asserted `a.covers(rows, k)`; the
                // caller keeps r0 + ROWS ≤ rows, and the panel has k tiles.
                *v = unsafe { a.at_unchecked(r0 + r, kk) };
            }
        }
        // Rows unrolled by hand: a loop over them is one LLVM vectorises
        // across rows, with gathers and scatters of the accumulators.
        macro_rules! rows {
            ($($r:literal)*) => {$(
                for l in 0..TILE {
                    acc[$r][l] = M::mul_add(s[$r], tile[l], acc[$r][l]);
                }
            )*};
        }
        rows!(0 1 2 3 4 5 6 7);
    }
    acc
}

/// `panel[kk·TILE + l] = B[kk, j0 + l]` for the `width` real columns, 0
/// for the padding lanes.
#[inline(always)]
fn pack_tile(panel: &mut [f32], b: View<'_>, k: usize, j0: usize, width: usize) {
    if b.cs == 1 {
        let rows = panel[..k * TILE].chunks_exact_mut(TILE);
        // Rows of B are contiguous: one masked window per row (the mask
        // zeroes whatever the window read past the row).
        let mask = simd::lane_mask(width);
        for (kk, dst) in rows.enumerate() {
            let t = simd::load_tile(b.data, kk * b.rs + j0);
            for l in 0..TILE {
                dst[l] = f32::from_bits(t[l].to_bits() & mask[l]);
            }
        }
    } else {
        // Columns of B are contiguous (a transposed weight): read each
        // column once, in order, and scatter it down the panel.
        if width < TILE {
            panel[..k * TILE].fill(0.0);
        }
        for l in 0..width {
            let start = (j0 + l) * b.cs;
            let column = b.data[start..].iter().step_by(b.rs).take(k);
            for (kk, &v) in column.enumerate() {
                panel[kk * TILE + l] = v;
            }
        }
    }
}

#[inline(always)]
fn write_row(out: &mut [f32], start: usize, acc: &[f32], store: Store<'_>, j0: usize) {
    let dst = &mut out[start..start + acc.len()];
    match store {
        Store::Overwrite(Some(bias)) => {
            for ((d, &v), &b) in dst.iter_mut().zip(acc).zip(&bias[j0..]) {
                *d = v + b;
            }
        }
        Store::Overwrite(None) => dst.copy_from_slice(acc),
        Store::Accumulate => {
            for (d, &v) in dst.iter_mut().zip(acc) {
                *d += v;
            }
        }
    }
}
