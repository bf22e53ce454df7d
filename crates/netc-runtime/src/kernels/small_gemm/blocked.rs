//! The large products: `small_gemm`'s register tiles over cache blocks
//! of packed operands. A block of B ([`B_BLOCK`] floats, up to
//! [`DEPTH`] deep) is packed into column-tile panels that stay in L2
//! while every block of A passes; a block of A ([`BLOCK_ROWS`] rows) is
//! packed column by column, so that a micro-panel's scalars of one step
//! are one contiguous load. Both
//! packings live in per-thread scratch grown once, so a step allocates
//! nothing.
//!
//! The bits are those of [`small_gemm`](super::small_gemm) cut into
//! [`DEPTH`] reduction blocks: each output is its start (0, a bias, or
//! what it held) plus, block after block, that block's in-order FMA chain
//! from zero. The blocking over rows and columns changes no sum, so any
//! split of the rows over threads gives the same bits.

use std::cell::RefCell;

use super::{
    chained_blocks, pack_tile, pairs, panel_room, row_block_tiles, row_chains, Steps, Store, Tile,
    View, MAX_K, TILE,
};
use crate::kernels::grown;
use crate::kernels::transpose::transpose_onto;
use crate::simd::{multiversion, Fma};

multiversion! {
    /// `out (+)= a·b`: `out` is `m × n` row-major, `a` is `m × k`, `b` is
    /// `k × n` with a contiguous axis; with `accumulate` false `out` is
    /// overwritten.
    pub(crate) fn blocked_product(
        m: usize,
        n: usize,
        k: usize,
        a: View<'_>,
        b: View<'_>,
        out: &mut [f32],
        accumulate: bool,
    ) => blocked_body;
}

/// Floats of a packed block of B: `MAX_K × 256` (512 KiB), half of a
/// 1 MiB L2 beside a block of A; a shorter reduction packs more columns.
const B_BLOCK: usize = MAX_K * 256;
/// Rows of a packed block of A: `96 × MAX_K` floats (192 KiB), whole
/// micro-panels on either path (12 or 6 rows); each panel pair of B
/// (64 KiB) serves its micro-panels from L2.
const BLOCK_ROWS: usize = 96;
/// The reduction block: each output gets one chain per block.
const DEPTH: usize = MAX_K;
/// Rows per micro-panel on AVX2: 6 × 2 ymm accumulators, two operands
/// and a broadcast fill 15 of its 16 registers (4 rows left the FMA
/// pipes waiting: mnist's step 14% slower than gemm's, 3% with 6).
const AVX2_ROWS: usize = 6;
/// Rows per micro-panel on AVX-512: 12 × 2 zmm accumulators, two
/// operands and a broadcast take 27 of its 32 registers, and each step's
/// two tiles of B (streamed from L2) serve 24 FMAs where 8 rows gave 16:
/// on a core with two AVX-512 FMA pipes, mnist's step 8% faster, wide's
/// 5% (14 rows were no better than 12, and pad more).
const AVX512_ROWS: usize = 12;
/// Micro-panels of A up to which B is read in place (see [`few_panels`]).
const IN_PLACE_PANELS: usize = 2;

/// The packed blocks of A and B.
#[derive(Default)]
struct Packed {
    a: Vec<f32>,
    b: Vec<f32>,
}

thread_local! {
    static PACKED: RefCell<Packed> = RefCell::new(Packed::default());
}

#[inline(always)]
fn blocked_body<M: Fma>(
    m: usize,
    n: usize,
    k: usize,
    a: View<'_>,
    b: View<'_>,
    out: &mut [f32],
    accumulate: bool,
) {
    assert!(a.covers(m, k), "blocked_product: A is shorter than m × k");
    assert!(b.covers(k, n), "blocked_product: B is shorter than k × n");
    assert!(
        b.cs == 1 || b.rs == 1,
        "blocked_product: B has no contiguous axis"
    );
    assert_eq!(out.len(), m * n, "blocked_product: out is not m × n");
    if super::nothing_to_multiply(m, n, k, out, accumulate) {
        return;
    }
    // Taken out of the thread-local rather than used in a `with`
    // closure: the closure is not compiled for this path's features, and
    // the tile FMAs inside it became calls (4× slower).
    let mut packed = PACKED.take();
    // Fixed sizes, so that each thread's scratch grows once, whatever
    // products it meets after.
    let packed_b = grown(&mut packed.b, B_BLOCK);
    let packed_a = grown(&mut packed.a, BLOCK_ROWS * DEPTH);
    if b.cs != 1 && a.cs == 1 && few_panels::<M>(m) && m * n <= packed_a.len() {
        transposed::<M>((m, n, k), a, b, out, accumulate, &mut packed_a[..m * n]);
    } else {
        cache_blocks::<M>((m, n, k), a, b, out, accumulate, (packed_a, packed_b));
    }
    PACKED.set(packed);
}

/// The product block by block: each block of B packed once (or read in
/// place), each block of A packed against it, then multiplied by
/// [`block_product`] (or row by row, for fewer rows than a micro-panel).
#[inline(always)]
fn cache_blocks<M: Fma>(
    (m, n, k): (usize, usize, usize),
    a: View<'_>,
    b: View<'_>,
    out: &mut [f32],
    accumulate: bool,
    (packed_a, packed_b): (&mut [f32], &mut [f32]),
) {
    let rows = micro_rows::<M>();
    let in_place = b.cs == 1 && few_panels::<M>(m);
    // As many whole pairs of column tiles as the block of B holds at
    // this reduction's depth (256 columns at the longest).
    let tiles = B_BLOCK / panel_room(k.min(DEPTH));
    let block_columns = tiles / 2 * 2 * TILE;
    for j0 in (0..n).step_by(block_columns) {
        let columns = block_columns.min(n - j0);
        for k0 in (0..k).step_by(DEPTH) {
            let depth = DEPTH.min(k - k0);
            let store = Store::for_block(k0, accumulate);
            let b = b.skip_rows(k0);
            let block = Columns {
                j0,
                columns,
                n,
                depth,
            };
            let tiles = pack_b::<M>(packed_b, b, block, in_place);
            if m < rows {
                // Fewer rows than a micro-panel (one row's inference):
                // each row on its own, not padded to a panel.
                for r in 0..m {
                    let x = row_of(a, r, k0, depth, packed_a);
                    row_product::<M>(&tiles, x, r, out, store);
                }
                continue;
            }
            for i0 in (0..m).step_by(BLOCK_ROWS) {
                let block = Block {
                    i0,
                    rows: BLOCK_ROWS.min(m - i0),
                    depth,
                };
                let stride = pack_a::<M>(packed_a, a, k0, block, rows);
                block_product::<M>(&tiles, packed_a, stride, block, out, store);
            }
        }
    }
}

/// Whether `m` rows of A are a few micro-panels, for which B is not
/// packed. B is read once per micro-panel of A. Packed, it is read twice
/// more (the copy, then the copy read); for a few micro-panels, that
/// outweighs what packing saves, and the first reads of B, in place,
/// overlap the FMAs instead of preceding them.
#[inline(always)]
fn few_panels<M: Fma>(m: usize) -> bool {
    m <= IN_PLACE_PANELS * micro_rows::<M>()
}

/// A few rows of A times a B whose columns are contiguous (a weight
/// gradient against unfolded patches: `dW = dY·colsᵀ`), as `outᵀ =
/// Bᵀ·Aᵀ` on `small_gemm`: Bᵀ's rows are read in place, and only Aᵀ's
/// few columns are packed, where packing B would transpose all of it.
/// `outᵀ` starts as `out` transposed (or is overwritten by the first
/// block) and takes the same chain per reduction block, so the bits are
/// the blocked product's.
#[inline(always)]
fn transposed<M: Fma>(
    (m, n, k): (usize, usize, usize),
    a: View<'_>,
    b: View<'_>,
    out: &mut [f32],
    accumulate: bool,
    out_t: &mut [f32],
) {
    if accumulate {
        transpose_onto::<M>(out, n, m, n, out_t, m);
    }
    chained_blocks::<M>(n, k, m, b.t(), a.t(), out_t, accumulate);
    transpose_onto::<M>(out_t, m, n, m, out, n);
}

/// Rows per micro-panel of A: as many as the register tile carries (12
/// rows × 2 tiles on AVX-512, 6 × 1 on AVX2).
#[inline(always)]
fn micro_rows<M: Fma>() -> usize {
    if pairs::<M>() {
        AVX512_ROWS
    } else {
        AVX2_ROWS
    }
}

/// Packs the `depth × columns` block of `b` at column `j0` into `packed`,
/// one [`panel_room`]-spaced panel per column tile, and returns the tiles
/// (their `n` is `out`'s row length). With `in_place` the whole tiles are
/// left where they are, read from B's rows, and only a last partial tile
/// is packed.
#[inline(always)]
fn pack_b<'p, M: Fma>(
    packed: &'p mut [f32],
    b: View<'p>,
    block: Columns,
    in_place: bool,
) -> TileSet<'p> {
    let Columns {
        j0,
        columns,
        n,
        depth,
    } = block;
    let room = panel_room(depth);
    let count = columns.div_ceil(TILE);
    let whole = columns / TILE;
    let first_packed = if in_place {
        whole
    } else if b.cs == 1 {
        pack_row_tiles(packed, b, block, room);
        whole
    } else {
        0
    };
    for t in first_packed..count {
        let start = j0 + t * TILE;
        pack_tile::<M>(
            &mut packed[t * room..][..room],
            b,
            depth,
            start,
            TILE.min(n - start),
            true,
        );
    }
    TileSet {
        packed,
        b: in_place.then_some(b),
        room,
        count,
        whole,
        block,
    }
}

/// The whole tiles of a block of B whose rows are contiguous, a band of
/// `TILE` rows at a time across every tile: the band's rows are read
/// once, in order, where a tile at a time walked all `depth` rows (and
/// as many pages) per tile (2048-wide rows: 82 -> 92 GFLOP/s), and each
/// panel gets a contiguous run, where a row at a time wrote to every
/// panel at once, their starts 32 KiB apart in the same L1 sets.
#[inline(always)]
fn pack_row_tiles(packed: &mut [f32], b: View<'_>, block: Columns, room: usize) {
    let Columns {
        j0, columns, depth, ..
    } = block;
    let whole = columns / TILE;
    for kk0 in (0..depth).step_by(TILE) {
        let steps = kk0..depth.min(kk0 + TILE);
        for t in 0..whole {
            for kk in steps.clone() {
                let tile = &b.data[kk * b.rs + j0 + t * TILE..][..TILE];
                packed[t * room + kk * TILE..][..TILE].copy_from_slice(tile);
            }
        }
    }
}

/// A block of B's columns `j0..j0 + columns` over a reduction block of
/// `depth`, in a product `n` columns wide.
#[derive(Clone, Copy)]
struct Columns {
    j0: usize,
    columns: usize,
    n: usize,
    depth: usize,
}

/// The column tiles of one block of B: packed, or (with `b`) the whole
/// ones read in place.
struct TileSet<'p> {
    packed: &'p [f32],
    b: Option<View<'p>>,
    room: usize,
    count: usize,
    whole: usize,
    block: Columns,
}

impl TileSet<'_> {
    /// The end of the run of tiles from `t` laid out alike (all packed,
    /// or all in place), and the distance between two of its tiles.
    #[inline(always)]
    fn layout(&self, t: usize) -> (usize, usize) {
        if self.b.is_some() && t < self.whole {
            (self.whole, TILE)
        } else {
            (self.count, self.room)
        }
    }

    /// Tile `t`'s place in `out` and the steps its products read.
    #[inline(always)]
    fn tile(&self, t: usize) -> (Tile<'_>, Steps<'_>) {
        let Columns { j0, n, depth, .. } = self.block;
        let j0 = j0 + t * TILE;
        let panel = &self.packed[t * self.room..][..depth * TILE];
        let steps = match self.b {
            Some(b) if t < self.whole => Steps::in_place(&b.data[j0..], b.rs, depth),
            _ => Steps::packed_from(&self.packed[t * self.room..], depth),
        };
        let tile = Tile {
            panel,
            j0,
            width: TILE.min(n - j0),
            n,
            ones: None,
        };
        (tile, steps)
    }
}

/// Rows `i0..i0 + rows` of A over a reduction block of `depth`.
#[derive(Clone, Copy)]
struct Block {
    i0: usize,
    rows: usize,
    depth: usize,
}

/// Packs rows `block.i0..` of A, reduction `k0..k0 + depth`, column by
/// column: step `kk`'s scalars of every row side by side at
/// `kk·stride`, `stride` the rows rounded up to whole micro-panels (the
/// rows past the block zero). Returns `stride`.
#[inline(always)]
fn pack_a<M: Fma>(packed: &mut [f32], a: View<'_>, k0: usize, block: Block, micro: usize) -> usize {
    let Block { i0, rows, depth } = block;
    let stride = rows.next_multiple_of(micro);
    let packed = &mut packed[..depth * stride];
    if a.cs == 1 {
        transpose_onto::<M>(&a.data[i0 * a.rs + k0..], a.rs, rows, depth, packed, stride);
    } else if a.rs == 1 {
        for (kk, step) in packed.chunks_exact_mut(stride).enumerate() {
            step[..rows].copy_from_slice(&a.data[i0 + (k0 + kk) * a.cs..][..rows]);
        }
    } else {
        for (kk, step) in packed.chunks_exact_mut(stride).enumerate() {
            for (r, v) in step[..rows].iter_mut().enumerate() {
                *v = a.at(i0 + r, k0 + kk);
            }
        }
    }
    if rows < stride {
        for step in packed.chunks_exact_mut(stride) {
            step[rows..].fill(0.0);
        }
    }
    stride
}

/// One packed block of A times every tile of the block of B, written to
/// `out` by `store`: a micro-panel of A across all the tiles, then the
/// next (the other way round, each tile against every micro-panel, was
/// 3–5% slower).
#[inline(always)]
fn block_product<M: Fma>(
    tiles: &TileSet<'_>,
    packed_a: &[f32],
    stride: usize,
    block: Block,
    out: &mut [f32],
    store: Store<'_>,
) {
    let micro = micro_rows::<M>();
    for r0 in (0..block.rows).step_by(micro) {
        let a = View {
            data: &packed_a[r0..],
            rs: 1,
            cs: stride,
        };
        let rows = Rows {
            first: block.i0 + r0,
            live: micro.min(block.rows - r0),
        };
        if !pairs::<M>() {
            panel_product::<M, AVX2_ROWS>(tiles, a, &rows, out, store);
        } else if rows.live <= 4 {
            panel_product::<M, 4>(tiles, a, &rows, out, store);
        } else if rows.live <= 8 {
            panel_product::<M, 8>(tiles, a, &rows, out, store);
        } else {
            panel_product::<M, AVX512_ROWS>(tiles, a, &rows, out, store);
        }
    }
}

/// One micro-panel of A, `R` rows of it, times every tile of the block
/// of B: two tiles at a time where the path has the registers.
#[inline(always)]
fn panel_product<M: Fma, const R: usize>(
    tiles: &TileSet<'_>,
    a: View<'_>,
    rows: &Rows,
    out: &mut [f32],
    store: Store<'_>,
) {
    let mut t = 0;
    while t < tiles.count {
        let (same, offset) = tiles.layout(t);
        if pairs::<M>() && same - t >= 2 {
            group_product::<M, R, 2>(tiles, t, offset, a, rows, out, store);
            t += 2;
        } else {
            group_product::<M, R, 1>(tiles, t, offset, a, rows, out, store);
            t += 1;
        }
    }
}

/// One micro-panel of A times the `T` tiles from `t` (laid out alike,
/// `offset` apart), written to its live rows.
#[inline(always)]
fn group_product<M: Fma, const R: usize, const T: usize>(
    tiles: &TileSet<'_>,
    t: usize,
    offset: usize,
    a: View<'_>,
    rows: &Rows,
    out: &mut [f32],
    store: Store<'_>,
) {
    let (first, steps) = tiles.tile(t);
    let acc = row_block_tiles::<M, R, T>(steps, offset, a, 0);
    for (i, acc) in acc.iter().enumerate() {
        let tile = if i == 0 { first } else { tiles.tile(t + i).0 };
        rows.write(tile, acc, out, store);
    }
}

/// Row `r` of A over the reduction block `k0..k0 + depth`: in place
/// when A's rows are contiguous, else copied into `scratch`.
#[inline(always)]
fn row_of<'s>(a: View<'s>, r: usize, k0: usize, depth: usize, scratch: &'s mut [f32]) -> &'s [f32] {
    if a.cs == 1 {
        return &a.data[r * a.rs + k0..][..depth];
    }
    for (kk, v) in scratch[..depth].iter_mut().enumerate() {
        *v = a.at(r, k0 + kk);
    }
    &scratch[..depth]
}

/// Row `r` of A, `x`, times every tile of the block of B: several
/// tiles' chains at a time.
#[inline(always)]
fn row_product<M: Fma>(
    tiles: &TileSet<'_>,
    x: &[f32],
    r: usize,
    out: &mut [f32],
    store: Store<'_>,
) {
    let rows = Rows { first: r, live: 1 };
    let mut t = 0;
    while t < tiles.count {
        let (same, offset) = tiles.layout(t);
        let left = same - t;
        // Eight tiles' chains are eight zmm; AVX2 keeps two tiles' in ymm
        // pairs (see `packed_row`).
        let group = if pairs::<M>() && left >= 8 {
            8
        } else if pairs::<M>() && left >= 4 {
            4
        } else if left >= 2 {
            2
        } else {
            1
        };
        let first = tiles.tile(t).1;
        macro_rules! chains {
            ($t:literal) => {{
                let acc = row_chains::<M, $t>(x, first, offset);
                for (i, acc) in acc.iter().enumerate() {
                    rows.write(tiles.tile(t + i).0, std::slice::from_ref(acc), out, store);
                }
            }};
        }
        match group {
            8 => chains!(8),
            4 => chains!(4),
            2 => chains!(2),
            _ => chains!(1),
        }
        t += group;
    }
}

/// The rows of `out` a micro-panel's product lands on: `live` of them
/// from `first` (the rest are the panel's zero padding).
struct Rows {
    first: usize,
    live: usize,
}

impl Rows {
    #[inline(always)]
    fn write(&self, tile: Tile<'_>, acc: &[[f32; TILE]], out: &mut [f32], store: Store<'_>) {
        for (r, acc_r) in acc.iter().take(self.live).enumerate() {
            tile.write(out, self.first + r, acc_r, store, None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simd::Isa;

    /// The bits the blocked product promises, element by element: the
    /// start (0 when overwriting), then per `DEPTH` block of the
    /// reduction its in-order chain from zero, added on (the first block
    /// written as it is when overwriting).
    fn reference(
        p: (usize, usize, usize),
        a: View<'_>,
        b: View<'_>,
        start: &[f32],
        accumulate: bool,
        fused: bool,
    ) -> Vec<f32> {
        let (m, n, k) = p;
        let fma = |x: f32, y: f32, acc: f32| {
            if fused {
                x.mul_add(y, acc)
            } else {
                x * y + acc
            }
        };
        let mut out = start.to_vec();
        for r in 0..m {
            for j in 0..n {
                let mut total = if accumulate { start[r * n + j] } else { 0.0 };
                for k0 in (0..k).step_by(DEPTH) {
                    let chain = (k0..k.min(k0 + DEPTH))
                        .fold(0f32, |acc, kk| fma(a.at(r, kk), b.at(kk, j), acc));
                    total = if k0 == 0 && !accumulate {
                        chain
                    } else {
                        total + chain
                    };
                }
                out[r * n + j] = total;
            }
        }
        out
    }

    /// Every shape class (fewer rows than a micro-panel, B in place or
    /// packed, partial tiles and micro-panels, several blocks of rows,
    /// columns and reduction), both layouts of each operand, onto a start
    /// and over it, on every path: the reference's bits.
    #[test]
    fn every_shape_gets_the_blocked_chains_bits() {
        let shapes = [
            (1, 300, 40),
            (3, 17, 600),
            (5, 33, 7),
            (16, 64, 1030),
            (13, 50, 100),
            (100, 300, 530),
            (200, 40, 64),
            (4, 9, 0),
            (0, 5, 3),
        ];
        for (m, n, k) in shapes {
            let a_data: Vec<f32> = (0..m * k)
                .map(|i| ((i * 7919 % 1000) as f32 - 500.0) * 1.3e-3)
                .collect();
            let b_data: Vec<f32> = (0..k * n)
                .map(|i| ((i * 104729 % 1000) as f32 - 500.0) * 2.1e-3)
                .collect();
            let start: Vec<f32> = (0..m * n).map(|i| (i % 17) as f32 * 0.25 - 2.0).collect();
            for a in [View::rows(&a_data, k), View::columns(&a_data, m)] {
                for b in [View::rows(&b_data, n), View::columns(&b_data, k)] {
                    for accumulate in [false, true] {
                        for isa in Isa::available() {
                            let mut out = start.clone();
                            blocked_product(isa, m, n, k, a, b, &mut out, accumulate);
                            let fused = isa != Isa::Scalar;
                            let expected = reference((m, n, k), a, b, &start, accumulate, fused);
                            let what = format!(
                                "{} {m}×{n}×{k} a.cs {} b.cs {} accumulate {accumulate}",
                                isa.name(),
                                a.cs,
                                b.cs
                            );
                            let wrong = out
                                .iter()
                                .zip(&expected)
                                .position(|(o, e)| o.to_bits() != e.to_bits());
                            if let Some(i) = wrong {
                                panic!("{what}: element {i} = {}, not {}", out[i], expected[i]);
                            }
                        }
                    }
                }
            }
        }
    }

    /// A wrong size fails before anything is read or written.
    #[test]
    #[should_panic(expected = "A is shorter")]
    fn a_short_operand_is_refused() {
        let (a, b) = (vec![0f32; 10], vec![0f32; 64]);
        let mut out = vec![0f32; 32];
        blocked_product(
            Isa::detect(),
            4,
            8,
            8,
            View::rows(&a, 8),
            View::rows(&b, 8),
            &mut out,
            false,
        );
    }
}
