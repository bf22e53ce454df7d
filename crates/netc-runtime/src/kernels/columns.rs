//! A blocked product split by columns of its output: each part
//! multiplies all of A by its own columns of B.
//!
//! Split by rows of the output, every part packs (or, for a few rows of
//! A, reads in place) all of B, bound by the bandwidth that brings B to
//! the core: on two cores, mnist's 784→512 forward packed its 1.6 MB of
//! W twice, and LeNet's second convolution (16 output channels: two row
//! parts of 8) read its 3.8 MB patch matrix twice, forward and `dW`, so
//! that its products took as long on two threads as on one. Split by
//! columns, each part reads only its share of B and all of A, which is
//! the smaller operand when B holds more floats than A and the output
//! together ([`pays`]).
//! The parts write their columns as blocks of their own (a part of the
//! output's columns is not one slice of it), which a second split copies
//! into the output by rows.
//!
//! Each output is the blocked product's sum for it (its start, then its
//! reduction blocks' chains), whatever the columns around it: the bits
//! are those of the unsplit product.

use std::cell::RefCell;
use std::ops::Range;

use super::grown;
use super::small_gemm::ROW_ALIGN;
use crate::parallel::{self, part_range, scaled, PartsMut, MIN_MACS_PER_PART};
use crate::simd::LANES;

/// Outputs a column part starts on: whole pairs of column tiles.
const COLUMN_ALIGN: usize = 2 * LANES;

thread_local! {
    /// The parts' column blocks, on the thread that splits the product.
    static BLOCKS: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// Whether cutting B's columns moves fewer floats than cutting A's rows,
/// for `out[m × n] = a[m × k] · b[k × n]`: each extra part then reads A
/// and its share of the output again, where it would have read all of B
/// again.
fn pays(m: usize, k: usize, n: usize) -> bool {
    k.saturating_mul(n) > m.saturating_mul(k + n)
}

/// Column parts for a blocked product over the current pool: 1 when it
/// is too small to split or is better split by rows.
pub(super) fn parts(m: usize, k: usize, n: usize) -> usize {
    if !pays(m, k, n) {
        return 1;
    }
    let macs = m.saturating_mul(k).saturating_mul(n);
    parallel::parts_for(macs, MIN_MACS_PER_PART, n / COLUMN_ALIGN)
}

/// Runs `product(columns, block)` for `parts` column parts of `out` (`m`
/// rows of `n`) over the current pool, then copies each part's block
/// (`m` rows of its columns, row-major) into `out`. A block starts as
/// `out`'s values in its columns when `keep`, for a product that adds
/// to them; otherwise `product` overwrites it.
pub(super) fn split(
    out: &mut [f32],
    (m, n): (usize, usize),
    parts: usize,
    keep: bool,
    product: &(dyn Fn(Range<usize>, &mut [f32]) + Sync),
) {
    assert_eq!(out.len(), m * n, "columns: out is not m × n");
    let columns = |p| part_range(n, parts, p, COLUMN_ALIGN);
    let mut scratch = BLOCKS.take();
    let blocks = grown(&mut scratch, m * n);
    {
        let start = &*out;
        let parts_out = PartsMut::new(blocks, parts, |p| scaled(columns(p), m));
        parallel::split(parts, &|p| {
            let c = columns(p);
            let block = parts_out.take(p);
            if keep {
                for (row, kept) in start.chunks_exact(n).zip(block.chunks_exact_mut(c.len())) {
                    kept.copy_from_slice(&row[c.clone()]);
                }
            }
            product(c, block);
        });
    }
    let blocks = &*blocks;
    parallel::row_parts(out, (m, n), parts, ROW_ALIGN, &|rows, out| {
        for (r, row) in rows.zip(out.chunks_exact_mut(n)) {
            for p in 0..parts {
                let c = columns(p);
                let block = &blocks[scaled(c.clone(), m)];
                row[c.clone()].copy_from_slice(&block[r * c.len()..][..c.len()]);
            }
        }
    });
    BLOCKS.set(scratch);
}
