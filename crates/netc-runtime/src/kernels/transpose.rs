//! Whole-matrix transpose, block by block through the in-register
//! [`Fma::transpose_block`]: how a product's output reaches a
//! column-major copy and back (see `gemm_call`).

use crate::simd::transpose::BLOCK;
use crate::simd::{multiversion, Fma, Isa, LANES};

/// `dst[c·rows + r] = src[r·stride + c]` for `r < rows`, `c < cols`: the
/// `rows × cols` matrix at row stride `stride` written as `cols × rows`.
/// Pure data movement, so every path gives the same bits.
pub(crate) fn transpose(
    isa: Isa,
    src: &[f32],
    stride: usize,
    rows: usize,
    cols: usize,
    dst: &mut [f32],
) {
    assert!(
        rows == 0 || cols == 0 || (rows - 1) * stride + cols <= src.len(),
        "transpose: the source is shorter than {rows} rows of {cols} at stride {stride}"
    );
    assert!(
        dst.len() >= rows * cols,
        "transpose: the destination is short"
    );
    transpose_with(isa, src, stride, rows, cols, dst);
}

multiversion! {
    fn transpose_with(
        src: &[f32],
        stride: usize,
        rows: usize,
        cols: usize,
        dst: &mut [f32],
    ) => transpose_body;
}

#[inline(always)]
fn transpose_body<M: Fma>(src: &[f32], stride: usize, rows: usize, cols: usize, dst: &mut [f32]) {
    let (full_rows, full_cols) = (rows / LANES * LANES, cols / LANES * LANES);
    let mut block = [0f32; BLOCK];
    for r0 in (0..full_rows).step_by(LANES) {
        for c0 in (0..full_cols).step_by(LANES) {
            M::transpose_block(&src[r0 * stride + c0..], stride, &mut block);
            for (c, column) in block.chunks_exact(LANES).enumerate() {
                let at = (c0 + c) * rows + r0;
                dst[at..at + LANES].copy_from_slice(column);
            }
        }
    }
    // The edges, short of a block on either side.
    for r in 0..rows {
        let start = if r < full_rows { full_cols } else { 0 };
        for c in start..cols {
            dst[c * rows + r] = src[r * stride + c];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_path_transposes_every_shape() {
        let shapes = [
            (1, 1, 1),
            (16, 16, 16),
            (17, 40, 45),
            (64, 33, 33),
            (5, 100, 120),
            (48, 48, 50),
        ];
        for (rows, cols, stride) in shapes {
            // Distinct values: a misplaced element cannot go unnoticed.
            let src: Vec<f32> = (0..rows * stride).map(|i| i as f32).collect();
            for isa in Isa::available() {
                let mut dst = vec![f32::NAN; rows * cols];
                transpose(isa, &src, stride, rows, cols, &mut dst);
                for r in 0..rows {
                    for c in 0..cols {
                        let what = format!("{} {rows}×{cols}/{stride}: ({r}, {c})", isa.name());
                        assert_eq!(dst[c * rows + r], src[r * stride + c], "{what}");
                    }
                }
            }
        }
    }

    #[test]
    #[should_panic(expected = "shorter")]
    fn a_short_source_is_refused() {
        transpose(Isa::detect(), &[0.0; 30], 10, 4, 10, &mut [0.0; 40]);
    }
}
