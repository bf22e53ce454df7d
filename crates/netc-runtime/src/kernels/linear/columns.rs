//! A large forward split by output columns: each part multiplies the
//! whole batch by its own rows of W.
//!
//! Split by rows of x, every part packs all of W (transposed, for the
//! product's column tiles), and packing is bound by the bandwidth that
//! brings W to the core: on two cores, mnist's 784→512 forward packed
//! its 1.6 MB twice. Split by W's rows, each part packs its share of W
//! and reads all of x, which is the smaller operand when W holds more
//! floats than x and y together ([`pays`]). The parts write their
//! columns as blocks of their own (a part of `y`'s columns is not one
//! slice of it), which a second split copies into `y` by rows.
//!
//! Each output is the blocked product's sum for it (its bias, then its
//! reduction blocks' chains), whatever the columns around it: the bits
//! are those of the unsplit forward.

use std::cell::RefCell;

use super::{blocked_forward, ROW_ALIGN};
use crate::kernels::grown;
use crate::parallel::{self, part_range, scaled, PartsMut, MIN_MACS_PER_PART};
use crate::simd::{Isa, LANES};

/// Outputs a column part starts on: whole pairs of column tiles.
const COLUMN_ALIGN: usize = 2 * LANES;

thread_local! {
    /// The parts' column blocks, on the thread that splits the forward.
    static BLOCKS: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// Whether cutting W's rows moves fewer floats than cutting x's: each
/// extra part then reads x and its share of `y` again, where it would
/// have packed all of W again.
fn pays(batch: usize, in_f: usize, out_f: usize) -> bool {
    out_f.saturating_mul(in_f) > batch.saturating_mul(in_f + out_f)
}

/// Column parts for a blocked forward over the current pool: 1 when the
/// layer is too small to split or is better split by rows.
pub(super) fn parts(batch: usize, in_f: usize, out_f: usize) -> usize {
    if !pays(batch, in_f, out_f) {
        return 1;
    }
    let macs = batch.saturating_mul(in_f).saturating_mul(out_f);
    parallel::parts_for(macs, MIN_MACS_PER_PART, out_f / COLUMN_ALIGN)
}

/// `y = x·Wᵀ + bias` by the blocked product, over `parts` column parts.
pub(super) fn forward(
    isa: Isa,
    x: &[f32],
    w: &[f32],
    bias: Option<&[f32]>,
    y: &mut [f32],
    (batch, in_f, out_f): (usize, usize, usize),
    parts: usize,
) {
    let columns = |p| part_range(out_f, parts, p, COLUMN_ALIGN);
    let mut scratch = BLOCKS.take();
    let blocks = grown(&mut scratch, batch * out_f);
    {
        // Part p's block: `batch` rows of its columns, row-major.
        let parts_out = PartsMut::new(blocks, parts, |p| scaled(columns(p), batch));
        parallel::split(parts, &|p| {
            let c = columns(p);
            let block = parts_out.take(p);
            let (w, bias) = (&w[scaled(c.clone(), in_f)], bias.map(|b| &b[c.clone()]));
            blocked_forward(isa, x, w, bias, block, (batch, in_f, c.len()));
        });
    }
    let blocks = &*blocks;
    parallel::row_parts(y, (batch, out_f), parts, ROW_ALIGN, &|rows, y| {
        for (r, row) in rows.zip(y.chunks_exact_mut(out_f)) {
            for p in 0..parts {
                let c = columns(p);
                let block = &blocks[scaled(c.clone(), batch)];
                row[c.clone()].copy_from_slice(&block[r * c.len()..][..c.len()]);
            }
        }
    });
    BLOCKS.set(scratch);
}
