//! Whole-matrix transpose, block by block through the in-register
//! [`Fma::transpose_block`]: how the blocked product packs a row-major
//! block of its left operand column by column.

use crate::simd::transpose::BLOCK;
use crate::simd::{Fma, LANES};

/// `dst[c·dst_stride + r] = src[r·stride + c]` for `r < rows`, `c <
/// cols`: the `rows × cols` matrix at row stride `stride` written as
/// `cols × rows`, its rows `dst_stride ≥ rows` apart. Pure data movement,
/// so every path gives the same bits.
#[inline(always)]
pub(crate) fn transpose_onto<M: Fma>(
    src: &[f32],
    stride: usize,
    rows: usize,
    cols: usize,
    dst: &mut [f32],
    dst_stride: usize,
) {
    let (full_rows, full_cols) = (rows / LANES * LANES, cols / LANES * LANES);
    let mut block = [0f32; BLOCK];
    for r0 in (0..full_rows).step_by(LANES) {
        for c0 in (0..full_cols).step_by(LANES) {
            M::transpose_block(&src[r0 * stride + c0..], stride, &mut block);
            for (c, column) in block.chunks_exact(LANES).enumerate() {
                let at = (c0 + c) * dst_stride + r0;
                dst[at..at + LANES].copy_from_slice(column);
            }
        }
    }
    // The edges, short of a block on either side.
    for r in 0..rows {
        let start = if r < full_rows { full_cols } else { 0 };
        for c in start..cols {
            dst[c * dst_stride + r] = src[r * stride + c];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simd::{multiversion, Isa};

    multiversion! {
        fn transpose(
            src: &[f32],
            stride: usize,
            rows: usize,
            cols: usize,
            dst: &mut [f32],
            dst_stride: usize,
        ) => transpose_onto;
    }

    #[test]
    fn every_path_transposes_every_shape() {
        let shapes = [
            (1, 1, 1, 1),
            (16, 16, 16, 16),
            (17, 40, 45, 24),
            (64, 33, 33, 64),
            (5, 100, 120, 8),
            (48, 48, 50, 51),
        ];
        for (rows, cols, stride, dst_stride) in shapes {
            // Distinct values: a misplaced element cannot go unnoticed.
            let src: Vec<f32> = (0..rows * stride).map(|i| i as f32).collect();
            for isa in Isa::available() {
                let mut dst = vec![f32::NAN; dst_stride * cols];
                transpose(isa, &src, stride, rows, cols, &mut dst, dst_stride);
                for (i, &v) in dst.iter().enumerate() {
                    let (c, r) = (i / dst_stride, i % dst_stride);
                    let what = format!("{} {rows}×{cols}/{stride}: ({r}, {c})", isa.name());
                    if r < rows {
                        assert_eq!(v, src[r * stride + c], "{what}");
                    } else {
                        assert!(v.is_nan(), "{what}: a padding lane was written");
                    }
                }
            }
        }
    }
}
