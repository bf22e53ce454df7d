//! A register-tiled product for the small layers `gemm`'s packing would
//! dwarf: `out[r, j] (+)= Σ_k A[r, k]·B[k, j]` with B copied into a
//! zero-padded stack panel, so every inner step is one broadcast-FMA over a
//! fixed 16-wide tile that LLVM keeps in registers (one zmm, two ymm or
//! four xmm), four rows at a time for independent FMA chains.

use crate::simd::{self, Fma};

/// Output columns per register tile.
const TILE: usize = simd::LANES;
/// Rows computed together.
const ROWS: usize = 4;

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
/// Returns false (doing nothing) when the padded B panel exceeds the
/// stack budget; the caller then takes another kernel.
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
    let padded = k * n.div_ceil(TILE) * TILE;
    // Three panel sizes so a tiny layer does not zero 32 KiB per call.
    if padded <= 256 {
        tiled::<M, 256>(rows, k, n, a, b, out, store);
    } else if padded <= 1024 {
        tiled::<M, 1024>(rows, k, n, a, b, out, store);
    } else if padded <= 8192 {
        tiled::<M, 8192>(rows, k, n, a, b, out, store);
    } else {
        return false;
    }
    true
}

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
    let stride = n.div_ceil(TILE) * TILE;
    let mut panel = [0f32; CAP];
    if b.cs == 1 {
        // Rows of B are contiguous: copy them a masked tile at a time (the
        // mask zeroes whatever the window read past the row).
        for kk in 0..k {
            for j0 in (0..n).step_by(TILE) {
                let mask = simd::lane_mask(TILE.min(n - j0));
                let t = simd::load_tile(b.data, kk * b.rs + j0);
                let dst = &mut panel[kk * stride + j0..kk * stride + j0 + TILE];
                for l in 0..TILE {
                    dst[l] = f32::from_bits(t[l].to_bits() & mask[l]);
                }
            }
        }
    } else {
        for kk in 0..k {
            for (j, p) in panel[kk * stride..kk * stride + n].iter_mut().enumerate() {
                *p = b.at(kk, j);
            }
        }
    }
    for j0 in (0..n).step_by(TILE) {
        let width = TILE.min(n - j0);
        let mut r0 = 0;
        while r0 + ROWS <= rows {
            let mut acc = [[0f32; TILE]; ROWS];
            for kk in 0..k {
                let tile = &panel[kk * stride + j0..kk * stride + j0 + TILE];
                for (r, acc_r) in acc.iter_mut().enumerate() {
                    let s = a.at(r0 + r, kk);
                    for l in 0..TILE {
                        acc_r[l] = M::mul_add(s, tile[l], acc_r[l]);
                    }
                }
            }
            for (r, acc_r) in acc.iter().enumerate() {
                write_row(out, (r0 + r) * n + j0, &acc_r[..width], store, j0);
            }
            r0 += ROWS;
        }
        for r in r0..rows {
            let mut acc = [0f32; TILE];
            for kk in 0..k {
                let tile = &panel[kk * stride + j0..kk * stride + j0 + TILE];
                let s = a.at(r, kk);
                for l in 0..TILE {
                    acc[l] = M::mul_add(s, tile[l], acc[l]);
                }
            }
            write_row(out, r * n + j0, &acc[..width], store, j0);
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
