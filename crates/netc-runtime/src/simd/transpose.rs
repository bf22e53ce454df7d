//! Transpose of one `LANES × LANES` block of f32: the packing step that
//! turns rows of a PyTorch `[out, in]` weight into the column tiles the
//! register-tiled product broadcasts against. Pure data movement, so every
//! path gives the same bits; the x86 paths do it in registers (a scalar
//! copy is one store per element, scattered down the destination).
//!
//! A kernel body reaches these through [`Fma::transpose_block`], which the
//! ISA marker types of `multiversion!` override, so each intrinsic is only
//! reachable from inside the `#[target_feature]` wrapper of its ISA.
//!
//! [`Fma::transpose_block`]: super::Fma::transpose_block

use super::LANES;

/// Values of one block.
pub const BLOCK: usize = LANES * LANES;

/// Panics unless `src` holds a `LANES × LANES` block at row stride
/// `stride` and `dst` holds a block: a hard check, since the x86 paths
/// then read and write without bounds checks.
#[inline(always)]
fn check(src: &[f32], stride: usize, dst: &[f32]) {
    let last_row = stride.checked_mul(LANES - 1);
    let fits = last_row.is_some_and(|start| start.saturating_add(LANES) <= src.len());
    assert!(
        fits && dst.len() >= BLOCK,
        "transpose_block: the block does not fit its buffers"
    );
}

/// `dst[c·LANES + r] = src[r·stride + c]` for `r, c < LANES`, one element
/// at a time: the path for targets without the x86 kernels.
#[inline(always)]
pub fn portable(src: &[f32], stride: usize, dst: &mut [f32]) {
    check(src, stride, dst);
    for (c, column) in dst[..BLOCK].chunks_exact_mut(LANES).enumerate() {
        for (r, d) in column.iter_mut().enumerate() {
            *d = src[r * stride + c];
        }
    }
}

#[cfg(target_arch = "x86_64")]
pub(crate) use x86::{avx2, avx512};

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    use super::{check, LANES};

    /// [`super::portable`] in 64 in-register shuffles: pairs of rows
    /// interleaved by element, then by element pair (each 128-bit lane now
    /// holds four rows of one column), then 128-bit lanes regrouped twice.
    #[target_feature(enable = "avx512f")]
    #[inline]
    pub(crate) fn avx512(src: &[f32], stride: usize, dst: &mut [f32]) {
        check(src, stride, dst);
        let mut rows = [_mm512_setzero_ps(); LANES];
        for (r, row) in rows.iter_mut().enumerate() {
            // SAFETY: `check` bounds row r's 16 values, r·stride + 16 ≤ len.
            *row = unsafe { _mm512_loadu_ps(src.as_ptr().add(r * stride)) };
        }
        // Per 128-bit lane q: rows 2i and 2i+1 at columns 4q, 4q+1 (lo)
        // and 4q+2, 4q+3 (hi).
        let mut pairs = [_mm512_setzero_ps(); LANES];
        for i in 0..LANES / 2 {
            pairs[2 * i] = _mm512_unpacklo_ps(rows[2 * i], rows[2 * i + 1]);
            pairs[2 * i + 1] = _mm512_unpackhi_ps(rows[2 * i], rows[2 * i + 1]);
        }
        // quads[4g + m], lane q: rows 4g..4g+4 at column 4q + m.
        let mut quads = [_mm512_setzero_ps(); LANES];
        for g in 0..LANES / 4 {
            let p = |i: usize| _mm512_castps_pd(pairs[4 * g + i]);
            quads[4 * g] = _mm512_castpd_ps(_mm512_unpacklo_pd(p(0), p(2)));
            quads[4 * g + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(p(0), p(2)));
            quads[4 * g + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(p(1), p(3)));
            quads[4 * g + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(p(1), p(3)));
        }
        // 0x88 takes 128-bit lanes 0, 2 of each operand, 0xDD lanes 1, 3.
        // halves[h][m]: rows 8h..8h+8 of columns m, 8+m (even) and 4+m,
        // 12+m (odd), four rows per 128-bit lane.
        let mut halves = [[_mm512_setzero_ps(); 8]; 2];
        for (h, half) in halves.iter_mut().enumerate() {
            for m in 0..4 {
                let (a, b) = (quads[8 * h + m], quads[8 * h + 4 + m]);
                half[2 * m] = _mm512_shuffle_f32x4::<0x88>(a, b);
                half[2 * m + 1] = _mm512_shuffle_f32x4::<0xDD>(a, b);
            }
        }
        let out = dst.as_mut_ptr();
        for m in 0..4 {
            for (odd, base) in [(0, m), (1, 4 + m)] {
                let (a, b) = (halves[0][2 * m + odd], halves[1][2 * m + odd]);
                let columns = [
                    (base, _mm512_shuffle_f32x4::<0x88>(a, b)),
                    (base + 8, _mm512_shuffle_f32x4::<0xDD>(a, b)),
                ];
                for (c, column) in columns {
                    // SAFETY: `check` gave dst at least LANES² values and
                    // c < LANES.
                    unsafe { _mm512_storeu_ps(out.add(c * LANES), column) };
                }
            }
        }
    }

    /// [`super::portable`] as four 8×8 blocks, each in 16 shuffles: the
    /// first step of the usual 8×8 transpose (swapping 128-bit halves)
    /// is done by the loads, which fetch rows r and r+4 into one register.
    #[target_feature(enable = "avx2")]
    #[inline]
    pub(crate) fn avx2(src: &[f32], stride: usize, dst: &mut [f32]) {
        check(src, stride, dst);
        for row0 in [0, 8] {
            for col0 in [0, 8] {
                // SAFETY: `check` bounds the whole 16×16 block of src at
                // row stride `stride` and LANES² values of dst.
                unsafe { block8(src, row0 * stride + col0, stride, dst, col0 * LANES + row0) };
            }
        }
    }

    /// The 8×8 block at `src[at..]` (row stride `stride`), transposed into
    /// `dst[to..]` (row stride [`LANES`]).
    ///
    /// # Safety
    /// `src` holds `at + 7·stride + 8` values, `dst` holds `to + 7·LANES + 8`.
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn block8(src: &[f32], at: usize, stride: usize, dst: &mut [f32], to: usize) {
        let base = src.as_ptr();
        // Columns 4h..4h+4 of rows r (low half) and r+4 (high half).
        let load = |r: usize, h: usize| {
            // SAFETY: row r + 4 < 8 and columns 4h..4h + 4 ≤ 8 of the
            // block lie within the extent the caller guarantees.
            unsafe {
                let low = _mm_loadu_ps(base.add(at + r * stride + 4 * h));
                let high = _mm_loadu_ps(base.add(at + (r + 4) * stride + 4 * h));
                _mm256_insertf128_ps::<1>(_mm256_castps128_ps256(low), high)
            }
        };
        let out = dst.as_mut_ptr();
        for h in 0..2 {
            let (a, b, c, d) = (load(0, h), load(1, h), load(2, h), load(3, h));
            let ab_lo = _mm256_unpacklo_ps(a, b);
            let ab_hi = _mm256_unpackhi_ps(a, b);
            let cd_lo = _mm256_unpacklo_ps(c, d);
            let cd_hi = _mm256_unpackhi_ps(c, d);
            // 0x44 takes elements 0, 1 of each operand's 128-bit lane,
            // 0xEE elements 2, 3: column 4h + m of all eight rows.
            let columns = [
                _mm256_shuffle_ps::<0x44>(ab_lo, cd_lo),
                _mm256_shuffle_ps::<0xEE>(ab_lo, cd_lo),
                _mm256_shuffle_ps::<0x44>(ab_hi, cd_hi),
                _mm256_shuffle_ps::<0xEE>(ab_hi, cd_hi),
            ];
            for (m, column) in columns.into_iter().enumerate() {
                // SAFETY: row 4h + m < 8 of the block at `to`, within the
                // extent the caller guarantees.
                unsafe { _mm256_storeu_ps(out.add(to + (4 * h + m) * LANES), column) };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simd::{multiversion, Fma, Isa};

    multiversion! {
        fn transpose_with(src: &[f32], stride: usize, dst: &mut [f32]) => transpose_body;
    }

    #[inline(always)]
    fn transpose_body<M: Fma>(src: &[f32], stride: usize, dst: &mut [f32]) {
        M::transpose_block(src, stride, dst);
    }

    #[test]
    fn every_path_transposes_a_block_at_any_stride() {
        for stride in [16, 17, 33, 64, 100] {
            // Distinct values, the row in the high part: a misplaced
            // element cannot go unnoticed.
            let src: Vec<f32> = (0..15 * stride + 16).map(|i| i as f32).collect();
            for isa in Isa::available() {
                let mut dst = [f32::NAN; BLOCK];
                transpose_with(isa, &src, stride, &mut dst);
                for c in 0..LANES {
                    for r in 0..LANES {
                        let what = format!("{} stride {stride}: ({r}, {c})", isa.name());
                        assert_eq!(dst[c * LANES + r], src[r * stride + c], "{what}");
                    }
                }
            }
        }
    }

    #[test]
    #[should_panic(expected = "does not fit")]
    fn a_short_source_is_refused() {
        let src = vec![0f32; 15 * 20 + 15];
        transpose_with(Isa::detect(), &src, 20, &mut [0f32; BLOCK]);
    }
}
