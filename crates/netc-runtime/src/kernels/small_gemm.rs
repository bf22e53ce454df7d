//! A register-tiled product for the small layers `gemm`'s packing would
//! dwarf: `out[r, j] (+)= Σ_k A[r, k]·B[k, j]` with B copied into a
//! zero-padded panel (on the stack, or the thread's own for a long
//! reduction), so every inner step is one broadcast-FMA over a
//! fixed 16-wide tile that LLVM keeps in registers (one zmm, two ymm or
//! four xmm), eight rows (six, then four, on AVX2) at a time for
//! independent FMA chains. A tile whose columns fit its low half (a
//! layer 8 or fewer wide, the last tile of 24 or 100) multiplies only
//! that half: one ymm a row, and eight rows on AVX2 too. On AVX-512 two column tiles go side
//! by side: each step's scalars of A serve 16 FMAs instead of 8, and 16
//! chains hide the FMA latency (a 64×64×64 forward: 78% → 86% of the FMA
//! peak). A caller whose B changes less often than it is multiplied (an
//! inference cache of a linear weight) packs every tile once
//! ([`pack_panel`]) and multiplies from that panel ([`packed_gemm`], the
//! same tiled loop; [`packed_row`] for a single row).

mod blocked;

pub(crate) use blocked::blocked_product;

use std::cell::UnsafeCell;

use super::Fresh;
use crate::simd::transpose::BLOCK;
use crate::simd::{self, Fma, HALF_LANES};

/// Output columns per register tile.
const TILE: usize = simd::LANES;
/// How far ahead of its writes a transposing pack prefetches the panel:
/// two blocks of steps ([`simd::prefetch_lines`]).
const PREFETCH_STEPS: usize = 2 * TILE;
/// Rows computed together (unrolled by hand in `row_block`): eight independent FMA chains per column tile
/// cover the FMA latency of two AVX-512 pipes. Fewer where
/// [`Fma::GEMM_ROWS`] says so: [`NARROW_ROWS`].
const ROWS: usize = 8;
/// The rows of a whole tile's block on AVX2 ([`Fma::GEMM_ROWS`]), whose
/// 16 registers hold 6 rows × 2 ymm of accumulators with the tile and a
/// broadcast; the rows left over go four at a time. Six rows'
/// twelve chains against four rows' eight: a 64×64×64 forward 6.65 →
/// 6.11 µs, its backward 13.9 → 12.5 µs (means of 8 alternating runs).
const NARROW_ROWS: usize = 6;
// The block AVX2's register count sets, written twice, kept equal.
#[cfg(target_arch = "x86_64")]
const _: () = assert!(<crate::simd::FusedAvx2 as Fma>::GEMM_ROWS == NARROW_ROWS);
/// The longest reduction a panel (one column tile of B) holds;
/// longer products take another kernel.
pub(crate) const MAX_K: usize = 512;

/// Rows a part of a split product starts on: whole row blocks of the
/// tiled kernel.
pub(crate) const ROW_ALIGN: usize = ROWS;

/// A strided read-only matrix view: element (r, c) is `data[r·rs + c·cs]`.
#[derive(Clone, Copy)]
pub(crate) struct View<'a> {
    pub data: &'a [f32],
    pub rs: usize,
    pub cs: usize,
}

impl<'a> View<'a> {
    /// A row-major matrix with rows of `width`: element (r, c) is
    /// `data[r·width + c]`.
    #[inline(always)]
    pub fn rows(data: &'a [f32], width: usize) -> Self {
        View {
            data,
            rs: width,
            cs: 1,
        }
    }

    /// The transpose of a row-major matrix with rows of `width`: element
    /// (r, c) is `data[c·width + r]` (a `[out, in]` weight read as
    /// `[in, out]`).
    #[inline(always)]
    pub fn columns(data: &'a [f32], width: usize) -> Self {
        View {
            data,
            rs: 1,
            cs: width,
        }
    }

    /// The view from row `r` on (its first `r` rows skipped).
    #[inline(always)]
    pub fn skip_rows(self, r: usize) -> Self {
        View {
            data: &self.data[r * self.rs..],
            ..self
        }
    }

    /// The view from column `c` on (its first `c` columns skipped).
    #[inline(always)]
    pub fn skip_columns(self, c: usize) -> Self {
        View {
            data: &self.data[c * self.cs..],
            ..self
        }
    }

    /// The transpose: element (r, c) is this view's (c, r).
    #[inline(always)]
    pub fn t(self) -> Self {
        View {
            rs: self.cs,
            cs: self.rs,
            ..self
        }
    }

    #[inline(always)]
    fn at(&self, r: usize, c: usize) -> f32 {
        self.data[r * self.rs + c * self.cs]
    }

    /// Whether every element of a `rows × cols` matrix lies in `data`.
    pub fn covers(&self, rows: usize, cols: usize) -> bool {
        rows == 0 || cols == 0 || (rows - 1) * self.rs + (cols - 1) * self.cs < self.data.len()
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

impl Store<'_> {
    /// A gradient's store: overwritten when it is fresh (its first
    /// writer), else added into.
    #[inline(always)]
    pub(crate) fn onto(fresh: bool) -> Self {
        if fresh {
            Store::Overwrite(None)
        } else {
            Store::Accumulate
        }
    }

    /// The store of the reduction block from `k0` of a product cut into
    /// blocks: only the first overwrites, and only when not accumulating.
    #[inline(always)]
    pub(crate) fn for_block(k0: usize, accumulate: bool) -> Self {
        Self::onto(k0 == 0 && !accumulate)
    }
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
    small_gemm_summing::<M>(rows, k, n, a, b, out, store, None)
}

/// Handles an `m × n × k` product with no output or an empty reduction
/// (`out` is then 0, or kept when accumulating); true when it did.
#[inline(always)]
pub(crate) fn nothing_to_multiply(
    m: usize,
    n: usize,
    k: usize,
    out: &mut [f32],
    accumulate: bool,
) -> bool {
    if m == 0 || n == 0 {
        return true;
    }
    if k == 0 && !accumulate {
        out.fill(0.0);
    }
    k == 0
}

/// `out (+)= A·B` for any reduction: [`small_gemm`] over blocks of
/// [`MAX_K`], each block's chain added onto `out` in order (the first
/// written as it is unless `accumulate`): the bits of the blocked
/// product.
#[inline(always)]
pub(crate) fn chained_blocks<M: Fma>(
    rows: usize,
    k: usize,
    n: usize,
    a: View<'_>,
    b: View<'_>,
    out: &mut [f32],
    accumulate: bool,
) {
    for k0 in (0..k).step_by(MAX_K) {
        let depth = (k - k0).min(MAX_K);
        let (a, b) = (a.skip_columns(k0), b.skip_rows(k0));
        let done = small_gemm::<M>(rows, depth, n, a, b, out, Store::for_block(k0, accumulate));
        debug_assert!(done, "a block of MAX_K fits the panel");
    }
}

/// The sums over `k` of each row of A, which [`small_gemm_summing`]
/// stores beside the product: `out[r] (+)= Σ_k A[r, k]`, overwritten when
/// `fresh`.
pub(crate) struct RowSums<'a> {
    pub out: &'a mut [f32],
    pub fresh: bool,
}

/// [`small_gemm`], and with `sums` also each row of A's sum (a linear
/// layer's bias gradient beside its weight gradient, `Σ_b dy[b, o]`).
/// The sum is the product with a column of ones that B's last tile
/// carries in a padding lane (or in a tile of its own): `fma(a, 1, acc)`
/// is `acc + a` exactly, so each sum is the in-order chain over `k` a
/// separate column sum would add, without another pass over A.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(crate) fn small_gemm_summing<M: Fma>(
    rows: usize,
    k: usize,
    n: usize,
    a: View<'_>,
    b: View<'_>,
    out: &mut [f32],
    store: Store<'_>,
    mut sums: Option<RowSums<'_>>,
) -> bool {
    // Hard checks: the inner loop reads A without bounds checks, and B is
    // packed from its contiguous rows or columns.
    assert!(a.covers(rows, k), "small_gemm: A is shorter than rows × k");
    assert!(
        b.cs == 1 || b.rs == 1,
        "small_gemm: B has no contiguous axis"
    );
    if let Some(sums) = &sums {
        assert!(sums.out.len() >= rows, "small_gemm: fewer sums than rows");
    }
    if k > MAX_K {
        return false;
    }
    // Two tiles' panels where they go in pairs.
    let tiles = (n + usize::from(sums.is_some())).div_ceil(TILE);
    let panels = if pairs::<M>() && tiles > 1 { 2 } else { 1 };
    let sums = sums.as_mut();
    if panels * panel_room(k) <= STACK_PANEL {
        let mut panel = CacheLines([0f32; STACK_PANEL]);
        tiled::<M>(rows, k, n, a, b, out, store, sums, &mut panel.0);
    } else {
        let panel = PANEL.with(UnsafeCell::get);
        // SAFETY: the panel is this thread's own, and nothing `tiled`
        // calls (packing, the tile products) reaches small_gemm again, so
        // this is the only reference to it while it lives.
        let panel = unsafe { &mut (*panel).0 };
        tiled::<M>(rows, k, n, a, b, out, store, sums, panel);
    }
    true
}

/// One tile's panel over a reduction of up to [`TILE`] steps (a block),
/// on the stack: zeroing its 1 KiB is a few stores.
const STACK_PANEL: usize = BLOCK;

thread_local! {
    /// Each thread's panel for the longer reductions, which a stack
    /// panel would cost a zeroing of up to 32 KiB per call (the seed
    /// step's weight gradients zeroed 4 KiB each: 2.43 → 2.23 µs
    /// without). Constant and without a destructor, so it lives in the
    /// thread's static TLS: no allocation, even on a worker's first long
    /// product.
    static PANEL: UnsafeCell<CacheLines<{ MAX_K * TILE }>> =
        const { UnsafeCell::new(CacheLines([0.0; MAX_K * TILE])) };
}

/// One column tile of B at a time is copied into a `k × TILE` slice of
/// `panel` (zero past `n`), which stays in L1 while every row block
/// streams past. `panel` holds at least [`panel_room`]`(k)`; packing
/// overwrites whatever it held before.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn tiled<M: Fma>(
    rows: usize,
    k: usize,
    n: usize,
    a: View<'_>,
    b: View<'_>,
    out: &mut [f32],
    store: Store<'_>,
    mut sums: Option<&mut RowSums<'_>>,
    panel: &mut [f32],
) {
    let cap = panel.len();
    // The ones column is column `n`: in the last tile's padding, or in a
    // tile of its own when `n` fills its tiles.
    let with_sums = sums.is_some();
    let columns = n + usize::from(with_sums);
    // The second panel starts on a whole block past the first, so that
    // packing's whole blocks stay out of it.
    let half = panel_room(k);
    let paired = pairs::<M>() && 2 * half <= cap;
    let (first, second) = panel.split_at_mut(if paired { half } else { cap });
    let mut j0 = 0;
    while j0 < columns {
        let tile = pack_with_ones::<M>(first, b, k, j0, n, with_sums);
        // Two tiles at a time where the registers hold both tiles' rows.
        if paired && j0 + TILE < columns {
            let next = pack_with_ones::<M>(second, b, k, j0 + TILE, n, with_sums);
            tile_pair_product::<M>([tile, next], a, rows, out, store, sums.as_deref_mut());
            j0 += 2 * TILE;
        } else {
            tile_product::<M>(tile, a, rows, out, store, sums.as_deref_mut());
            j0 += TILE;
        }
    }
}

/// The room one tile's panel takes: `k` rows of a tile, rounded up to
/// the whole blocks `pack_columns` writes.
#[inline(always)]
fn panel_room(k: usize) -> usize {
    (k * TILE).next_multiple_of(BLOCK)
}

/// Whether column tiles go two at a time: 8 rows × 2 tiles of
/// accumulators fit AVX-512's 32 registers with the operands (AVX2's 16
/// hold one tile's 6 rows).
#[inline(always)]
fn pairs<M: Fma>() -> bool {
    M::GEMM_ROWS >= ROWS
}

/// Packs the column tile at `j0` of B into `panel` (with `sums`, the
/// ones column `n` in its lane when it falls in this tile) and returns
/// it as a [`Tile`].
#[inline(always)]
fn pack_with_ones<'p, M: Fma>(
    panel: &'p mut [f32],
    b: View<'_>,
    k: usize,
    j0: usize,
    n: usize,
    sums: bool,
) -> Tile<'p> {
    let width = TILE.min(n - j0.min(n));
    let ones = (sums && n < j0 + TILE).then(|| n - j0);
    match ones {
        Some(lane) if b.cs == 1 => pack_rows(panel, b, k, j0, width, Some(lane)),
        _ => {
            pack_tile::<M>(panel, b, k, j0, width, false);
            if let Some(lane) = ones {
                for row in panel[..k * TILE].chunks_exact_mut(TILE) {
                    row[lane] = 1.0;
                }
            }
        }
    }
    Tile {
        panel: &panel[..k * TILE],
        j0,
        width,
        n,
        ones,
    }
}

/// A panel starting on a cache line, so that no tile load splits
/// two lines (where the stack happened to put it unaligned, a 64×64×64
/// product ran 13% slower).
#[repr(C, align(64))]
struct CacheLines<const CAP: usize>([f32; CAP]);

/// Elements of the panel [`pack_panel`] fills for a `k × n` B: every
/// column tile's `k × TILE` panel, one after the other.
pub(crate) const fn panel_len(k: usize, n: usize) -> usize {
    n.div_ceil(TILE) * k * TILE
}

/// A hard check that `panel` is the whole panel of a `k × n` B with a
/// reduction the tiles take: cut into tiles of another length, it would
/// pair outputs with the wrong columns instead of failing.
#[inline(always)]
fn check_panel(panel: &[f32], k: usize, n: usize) {
    assert!(
        0 < k && k <= MAX_K,
        "small_gemm: no panel for this reduction"
    );
    assert_eq!(
        panel.len(),
        panel_len(k, n),
        "small_gemm: wrong panel length"
    );
}

/// Every column tile of B packed as [`tiled`] packs it per call, tile `t`
/// at `t · k · TILE`: the panel [`packed_gemm`] takes, kept by a caller
/// whose B changes less often than it is multiplied. `0 < k ≤ MAX_K`.
#[inline(always)]
pub(crate) fn pack_panel<M: Fma>(b: View<'_>, k: usize, n: usize, panel: &mut [f32]) {
    check_panel(panel, k, n);
    for (t, dst) in panel.chunks_exact_mut(k * TILE).enumerate() {
        let j0 = t * TILE;
        let width = TILE.min(n - j0);
        if k >= TILE {
            pack_tile::<M>(dst, b, k, j0, width, false);
        } else {
            // Below a block, packing writes a whole one (junk past k).
            let mut block = [0f32; BLOCK];
            pack_tile::<M>(&mut block, b, k, j0, width, false);
            dst.copy_from_slice(&block[..k * TILE]);
        }
    }
}

/// [`small_gemm`] with B already packed by [`pack_panel`]: the same tiled
/// loop, hence the same bits. `0 < k ≤ MAX_K`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(crate) fn packed_gemm<M: Fma>(
    rows: usize,
    k: usize,
    n: usize,
    a: View<'_>,
    panel: &[f32],
    out: &mut [f32],
    store: Store<'_>,
) {
    check_panel(panel, k, n);
    assert!(a.covers(rows, k), "packed_gemm: A is shorter than rows × k");
    let tile = |t: usize| {
        let j0 = t * TILE;
        Tile {
            panel: &panel[t * k * TILE..][..k * TILE],
            j0,
            width: TILE.min(n - j0),
            n,
            ones: None,
        }
    };
    let tiles = n.div_ceil(TILE);
    let mut t = 0;
    while t < tiles {
        if pairs::<M>() && t + 1 < tiles {
            tile_pair_product::<M>([tile(t), tile(t + 1)], a, rows, out, store, None);
            t += 2;
        } else {
            tile_product::<M>(tile(t), a, rows, out, store, None);
            t += 1;
        }
    }
}

/// One row times a [`pack_panel`] panel: `out = x·B + bias`, each column
/// tile one in-order vector FMA chain over `x` (the chain it gets in a
/// batch, hence the same bits). A lone chain would wait out the FMA
/// latency on every step, so several tiles' chains advance together.
#[inline(always)]
pub(crate) fn packed_row<M: Fma>(
    x: &[f32],
    panel: &[f32],
    bias: Option<&[f32]>,
    out: &mut [f32],
    k: usize,
    n: usize,
) {
    check_panel(panel, k, n);
    let row = Row {
        x: &x[..k],
        panel,
        bias,
        k,
        n,
    };
    let tiles = n.div_ceil(TILE);
    let mut t = 0;
    // Eight tiles' chains are eight zmm on AVX-512. On AVX2 LLVM keeps
    // two tiles' chains in ymm pairs but scalarises four (one row of
    // 64→64: 120 ns with pairs, 1.4 µs with fours).
    if M::GEMM_ROWS >= ROWS {
        while t + 8 <= tiles {
            row_tiles::<M, 8>(row, t, out);
            t += 8;
        }
        if t + 4 <= tiles {
            row_tiles::<M, 4>(row, t, out);
            t += 4;
        }
    }
    while t + 2 <= tiles {
        row_tiles::<M, 2>(row, t, out);
        t += 2;
    }
    if t < tiles {
        row_tiles::<M, 1>(row, t, out);
    }
}

/// The operands of [`packed_row`].
#[derive(Clone, Copy)]
struct Row<'a> {
    x: &'a [f32],
    panel: &'a [f32],
    bias: Option<&'a [f32]>,
    k: usize,
    n: usize,
}

/// Column tiles `t0..t0 + T` of [`packed_row`], their chains interleaved.
#[inline(always)]
fn row_tiles<M: Fma, const T: usize>(row: Row<'_>, t0: usize, out: &mut [f32]) {
    let span = row.k * TILE;
    let first = Steps::packed_from(&row.panel[t0 * span..], row.k);
    let acc = row_chains::<M, T>(row.x, first, span);
    for (i, acc) in acc.iter().enumerate() {
        let j0 = (t0 + i) * TILE;
        let width = TILE.min(row.n - j0);
        write_row(out, j0, &acc[..width], Store::Overwrite(row.bias), j0);
    }
}

/// One row `x` times `T` column tiles, tile `t`'s steps `offset·t` after
/// the first's: `T` in-order chains over `x`, interleaved so that they
/// hide each other's FMA latency.
#[inline(always)]
fn row_chains<M: Fma, const T: usize>(
    x: &[f32],
    first: Steps<'_>,
    offset: usize,
) -> [[f32; TILE]; T] {
    let mut acc = [[0f32; TILE]; T];
    let x = &x[..first.depth];
    if first.depth == 0 {
        return acc;
    }
    let (b, stride) = (first.checked_tiles(T, offset), first.stride);
    for (kk, &s) in x.iter().enumerate() {
        // SAFETY: kk < depth and t < T: `checked_tiles` bounds the read
        // within the steps' data; an unaligned read of plain floats.
        let tile = |t: usize| unsafe { &*b.add(kk * stride + t * offset).cast::<[f32; TILE]>() };
        // Tiles unrolled by hand, as the rows of `row_block` (a loop over
        // them is vectorised across the tiles, the accumulators in memory).
        macro_rules! tiles {
            ($($t:literal)*) => {$(
                if $t < T {
                    M::fma_tile(s, tile($t), &mut acc[$t]);
                }
            )*};
        }
        tiles!(0 1 2 3 4 5 6 7);
    }
    acc
}

/// Every row of A times one packed column tile, written to `out` (and
/// its ones lane to `sums`).
#[inline(always)]
fn tile_product<M: Fma>(
    tile: Tile<'_>,
    a: View<'_>,
    rows: usize,
    out: &mut [f32],
    store: Store<'_>,
    mut sums: Option<&mut RowSums<'_>>,
) {
    let r0 = if tile.lanes() <= HALF_LANES {
        // One register a row's chain, so AVX2 holds eight rows too.
        row_blocks::<M, ROWS, true>(tile, a, 0..rows, out, store, sums.as_deref_mut())
    } else if M::GEMM_ROWS < ROWS {
        let six = narrow_block_rows(rows);
        let r0 =
            row_blocks::<M, NARROW_ROWS, false>(tile, a, 0..six, out, store, sums.as_deref_mut());
        row_blocks::<M, { ROWS / 2 }, false>(tile, a, r0..rows, out, store, sums.as_deref_mut())
    } else {
        row_blocks::<M, ROWS, false>(tile, a, 0..rows, out, store, sums.as_deref_mut())
    };
    rows_one_by_one::<M>(tile, a, r0..rows, out, store, sums);
}

/// Every row of A times two packed column tiles side by side: each
/// step's scalars of A serve both tiles' FMAs, and twice the chains
/// hide the FMA latency. Each output is the same chain as in
/// [`tile_product`].
#[inline(always)]
fn tile_pair_product<M: Fma>(
    tiles: [Tile<'_>; 2],
    a: View<'_>,
    rows: usize,
    out: &mut [f32],
    store: Store<'_>,
    mut sums: Option<&mut RowSums<'_>>,
) {
    let mut r0 = 0;
    while r0 + ROWS <= rows {
        let acc = if a.rs == 1 {
            row_block_pair::<M, true>(tiles, a, r0)
        } else {
            row_block_pair::<M, false>(tiles, a, r0)
        };
        // Indexed in place: zipped with the tiles, the accumulators were
        // moved through the stack, and on AVX-512 reading them back
        // stalled (a 128x10 by 10x256 product took twice AVX2's time).
        for (t, tile) in tiles.iter().enumerate() {
            for (r, acc_r) in acc[t].iter().enumerate() {
                tile.write(out, r0 + r, acc_r, store, sums.as_deref_mut());
            }
        }
        r0 += ROWS;
    }
    for tile in tiles {
        rows_one_by_one::<M>(tile, a, r0..rows, out, store, sums.as_deref_mut());
    }
}

/// The rows `range` of A times the tile, one row at a time (the rows a
/// whole block of rows leaves over).
#[inline(always)]
fn rows_one_by_one<M: Fma>(
    tile: Tile<'_>,
    a: View<'_>,
    range: std::ops::Range<usize>,
    out: &mut [f32],
    store: Store<'_>,
    mut sums: Option<&mut RowSums<'_>>,
) {
    for r in range {
        let mut acc = [0f32; TILE];
        for (kk, t) in tile.panel.chunks_exact(TILE).enumerate() {
            let s = a.at(r, kk);
            for l in 0..TILE {
                acc[l] = M::mul_add(s, t[l], acc[l]);
            }
        }
        tile.write(out, r, &acc, store, sums.as_deref_mut());
    }
}

/// One packed column tile of B: columns `j0..j0 + width` of the `n`,
/// and in lane `ones` (if any) a column of ones.
#[derive(Clone, Copy)]
struct Tile<'a> {
    panel: &'a [f32],
    j0: usize,
    width: usize,
    n: usize,
    ones: Option<usize>,
}

impl Tile<'_> {
    /// The lanes that carry a column (real or the ones column): the
    /// rest are padding no chain needs.
    #[inline(always)]
    fn lanes(&self) -> usize {
        self.ones
            .map_or(self.width, |lane| self.width.max(lane + 1))
    }

    /// Row `r` of the product, `acc`, into `out` (its ones lane into
    /// `sums`).
    #[inline(always)]
    fn write(
        &self,
        out: &mut [f32],
        r: usize,
        acc: &[f32; TILE],
        store: Store<'_>,
        sums: Option<&mut RowSums<'_>>,
    ) {
        if self.width > 0 {
            let start = r * self.n + self.j0;
            write_row(out, start, &acc[..self.width], store, self.j0);
        }
        if let (Some(lane), Some(sums)) = (self.ones, sums) {
            let sum = &mut sums.out[r];
            *sum = Fresh::base(sums.fresh, *sum) + acc[lane];
        }
    }
}

/// The rows of `rows` that [`NARROW_ROWS`]-row blocks take: as many
/// blocks as leave the four-row blocks all but the odd row of an odd
/// count (32 rows: four blocks of six and two of four, not five of six
/// and two rows one at a time).
#[inline(always)]
fn narrow_block_rows(rows: usize) -> usize {
    let blocks = (0..=rows / NARROW_ROWS)
        .rev()
        .find(|&b| (rows - b * NARROW_ROWS) % (ROWS / 2) == rows % 2)
        .unwrap_or(0);
    blocks * NARROW_ROWS
}

/// Every whole block of `R` rows of A in `rows` times the tile, written
/// to `out`; returns the first row left over. `HALF`: only the tile's
/// low half lanes carry columns ([`Tile::lanes`]), so only they are
/// multiplied.
#[inline(always)]
fn row_blocks<M: Fma, const R: usize, const HALF: bool>(
    tile: Tile<'_>,
    a: View<'_>,
    rows: std::ops::Range<usize>,
    out: &mut [f32],
    store: Store<'_>,
    mut sums: Option<&mut RowSums<'_>>,
) -> usize {
    let mut r0 = rows.start;
    while r0 + R <= rows.end {
        let acc = if a.rs == 1 {
            row_block::<M, R, true, HALF>(tile.panel, a, r0)
        } else {
            row_block::<M, R, false, HALF>(tile.panel, a, r0)
        };
        for (r, acc_r) in acc.iter().enumerate() {
            tile.write(out, r0 + r, acc_r, store, sums.as_deref_mut());
        }
        r0 += R;
    }
    r0
}

/// Rows `r0..r0 + R` of A times the panel: `R × TILE` accumulators in
/// registers, one in-order FMA chain per output. `COLUMN_A`: A's rows
/// are adjacent (`rs == 1`, a transposed operand), so the R scalars of
/// one step are one contiguous load; otherwise each is read on its own.
/// (Left to itself, LLVM vectorises that read across the rows with a slow
/// gather.) `HALF`: the lanes past the low half stay 0.
#[inline(always)]
fn row_block<M: Fma, const R: usize, const COLUMN_A: bool, const HALF: bool>(
    panel: &[f32],
    a: View<'_>,
    r0: usize,
) -> [[f32; TILE]; R] {
    let mut acc = [[0f32; TILE]; R];
    let starts = RowStarts::<R>::new::<COLUMN_A>(a, r0);
    for (kk, tile) in panel.as_chunks::<TILE>().0.iter().enumerate() {
        let s = starts.step::<COLUMN_A>(kk);
        // Rows unrolled by hand: a loop over them is one LLVM vectorises
        // across rows, with gathers and scatters of the accumulators.
        // (`$r < R` is a constant: the rows past R compile to nothing.)
        macro_rules! rows {
            ($($r:literal)*) => {$(
                if $r < R && HALF {
                    M::fma_half_tile(s[$r], tile, &mut acc[$r]);
                } else if $r < R {
                    M::fma_tile(s[$r], tile, &mut acc[$r]);
                }
            )*};
        }
        rows!(0 1 2 3 4 5 6 7);
    }
    acc
}

/// The `TILE`-wide steps of one column tile of B the blocked product's
/// register tiles read: step `kk` at `data[kk·stride..]`. A packed
/// panel's steps are adjacent (`stride == TILE`); B's own rows, read in
/// place, are `rs` apart.
#[derive(Clone, Copy)]
pub(super) struct Steps<'a> {
    data: &'a [f32],
    stride: usize,
    depth: usize,
}

impl<'a> Steps<'a> {
    /// The `depth` steps of a packed panel at the start of `data`
    /// (where the next tiles' panels may follow).
    #[inline(always)]
    fn packed_from(data: &'a [f32], depth: usize) -> Self {
        Self::in_place(data, TILE, depth)
    }

    /// `depth` rows of B in place from `data`, `stride` apart, each with
    /// a whole tile of columns.
    #[inline(always)]
    fn in_place(data: &'a [f32], stride: usize, depth: usize) -> Self {
        assert!(
            depth == 0 || (depth - 1) * stride + TILE <= data.len(),
            "small_gemm: B's rows end before the tile"
        );
        Steps {
            data,
            stride,
            depth,
        }
    }

    /// The first step's address, after a hard check (once, for the
    /// unchecked reads of a kernel's loop) that `tiles` tiles `offset`
    /// apart fit in `data` at every step. Only for `depth > 0`.
    #[inline(always)]
    fn checked_tiles(&self, tiles: usize, offset: usize) -> *const f32 {
        assert!(
            (self.depth - 1) * self.stride + (tiles - 1) * offset + TILE <= self.data.len(),
            "small_gemm: the tiles end past B"
        );
        self.data.as_ptr()
    }
}

/// Where a row block's scalars of A are read: `R` adjacent values of a
/// step when A's rows are adjacent (`COLUMN_A`), else each row's own
/// start, computed once per block: left to index `r0 + r` afresh, LLVM
/// rebuilt the eight row addresses every step with scalar ops that took
/// FMA ports' slots.
#[derive(Clone, Copy)]
struct RowStarts<'a, const R: usize> {
    rows: [&'a [f32]; R],
    cs: usize,
}

impl<'a, const R: usize> RowStarts<'a, R> {
    #[inline(always)]
    fn new<const COLUMN_A: bool>(a: View<'a>, r0: usize) -> Self {
        let rows = if COLUMN_A {
            [&a.data[r0..]; R]
        } else {
            std::array::from_fn(|r| &a.data[(r0 + r) * a.rs..])
        };
        RowStarts { rows, cs: a.cs }
    }

    /// `A[r0 + r, kk]` for `r < R`: one step's scalars.
    #[inline(always)]
    fn step<const COLUMN_A: bool>(&self, kk: usize) -> [f32; R] {
        let mut s = [0f32; R];
        if COLUMN_A {
            s.copy_from_slice(&self.rows[0][kk * self.cs..][..R]);
        } else {
            for (v, row) in s.iter_mut().zip(&self.rows) {
                // SAFETY: `small_gemm` asserted `a.covers(rows, k)`; the
                // callers keep r0 + R ≤ rows and kk < k.
                *v = unsafe { *row.get_unchecked(kk * self.cs) };
            }
        }
        s
    }
}

/// [`row_block`] over two tiles: `2 × ROWS × TILE` accumulators, each
/// step's scalars of A read once for both.
#[inline(always)]
fn row_block_pair<M: Fma, const COLUMN_A: bool>(
    tiles: [Tile<'_>; 2],
    a: View<'_>,
    r0: usize,
) -> [[[f32; TILE]; ROWS]; 2] {
    let mut acc = [[[0f32; TILE]; ROWS]; 2];
    let (first, second) = (
        tiles[0].panel.as_chunks::<TILE>().0,
        tiles[1].panel.as_chunks::<TILE>().0,
    );
    let starts = RowStarts::<ROWS>::new::<COLUMN_A>(a, r0);
    for (kk, (t0, t1)) in first.iter().zip(second).enumerate() {
        let s = starts.step::<COLUMN_A>(kk);
        // Unrolled by hand, as in `row_block`.
        macro_rules! rows {
            ($($r:literal)*) => {$(
                M::fma_tile(s[$r], t0, &mut acc[0][$r]);
                M::fma_tile(s[$r], t1, &mut acc[1][$r]);
            )*};
        }
        rows!(0 1 2 3 4 5 6 7);
    }
    acc
}

/// Rows `r0..r0 + R` of A (adjacent rows: `a.rs == 1`) times `T`
/// column tiles side by side, tile `t`'s steps `offset·t` after the
/// first's: `R × T` chains in registers, each step's `R` scalars of A
/// serving `T` FMAs each. Each output is the same in-order chain as in
/// [`row_block`].
#[inline(always)]
fn row_block_tiles<M: Fma, const R: usize, const T: usize>(
    first: Steps<'_>,
    offset: usize,
    a: View<'_>,
    r0: usize,
) -> [[[f32; TILE]; R]; T] {
    // The unrolled rows and tiles below stop at 12 and two (24 of
    // AVX-512's 32 registers).
    const { assert!(T <= 2 && R <= 12) };
    let mut acc = [[[0f32; TILE]; R]; T];
    let Steps { stride, depth, .. } = first;
    if depth == 0 {
        return acc;
    }
    let b = first.checked_tiles(T, offset);
    // A hard check once, for the unchecked reads of the loop.
    assert!(
        a.rs == 1 && r0 + R + (depth - 1) * a.cs <= a.data.len(),
        "small_gemm: A is short"
    );
    let x = a.data.as_ptr();
    for kk in 0..depth {
        // SAFETY: kk < depth and t < T, so every tile read ends within
        // the steps' data by `checked_tiles`, every scalar read within
        // `a.data` by the check above; unaligned reads of plain floats.
        let tile = |t: usize| unsafe { &*b.add(kk * stride + t * offset).cast::<[f32; TILE]>() };
        // SAFETY: as for `tile`.
        let s: [f32; R] = unsafe { x.add(r0 + kk * a.cs).cast::<[f32; R]>().read_unaligned() };
        // Rows and tiles unrolled by hand (`$r < R`, `$t < T` are
        // constants), as in `row_block`.
        macro_rules! tiles {
            ($r:literal: $($t:literal)*) => {$(
                if $t < T {
                    M::fma_tile(s[$r], tile($t), &mut acc[$t][$r]);
                }
            )*};
        }
        macro_rules! rows {
            ($($r:literal)*) => {$(
                if $r < R {
                    tiles!($r: 0 1);
                }
            )*};
        }
        rows!(0 1 2 3 4 5 6 7 8 9 10 11);
    }
    acc
}

/// `panel[kk·TILE + l] = B[kk, j0 + l]` for the `width` real columns, 0
/// for the padding lanes. `ahead`: the panel lives past L1 (a block of
/// the blocked product), and a transposing pack prefetches its lines
/// ahead of the writes where [`Fma::PREFETCH_PANELS`] says so (a copy's
/// sequential stores did not gain). A per-call panel is in L1 already.
#[inline(always)]
fn pack_tile<M: Fma>(
    panel: &mut [f32],
    b: View<'_>,
    k: usize,
    j0: usize,
    width: usize,
    ahead: bool,
) {
    if b.cs == 1 {
        pack_rows(panel, b, k, j0, width, None);
    } else {
        pack_columns::<M>(panel, b, k, j0, width, ahead);
    }
}

/// [`pack_tile`] when the rows of B are contiguous: one masked window per
/// row (the mask zeroes whatever the window read past the row), and in
/// lane `ones` (a padding lane) a 1. Setting that lane in a pass of its
/// own, LLVM wrote it with scatters.
#[inline(always)]
fn pack_rows(
    panel: &mut [f32],
    b: View<'_>,
    k: usize,
    j0: usize,
    width: usize,
    ones: Option<usize>,
) {
    let mask = simd::lane_mask(width);
    let mut fill = [0u32; TILE];
    if let Some(lane) = ones {
        fill[lane] = 1f32.to_bits();
    }
    for (kk, dst) in panel[..k * TILE].chunks_exact_mut(TILE).enumerate() {
        let t = simd::masked(&simd::load_tile(b.data, kk * b.rs + j0), &mask);
        for l in 0..TILE {
            dst[l] = f32::from_bits(t[l].to_bits() | fill[l]);
        }
    }
}

/// [`pack_tile`] when the columns of B are contiguous (`rs == 1`, a
/// transposed `[out, in]` weight): `TILE × TILE` blocks of B's columns,
/// transposed in registers. Writes whole blocks, so panel rows from `k` to
/// the next multiple of `TILE` may get junk that nothing reads (every
/// panel size is a multiple of a block, so they are there).
#[inline(always)]
fn pack_columns<M: Fma>(
    panel: &mut [f32],
    b: View<'_>,
    k: usize,
    j0: usize,
    width: usize,
    ahead: bool,
) {
    for kk0 in (0..k).step_by(TILE) {
        // A last, short block is taken as the full one ending at k: it
        // rewrites some panel rows with the same values.
        let kk0 = if kk0 + TILE > k && k >= TILE {
            k - TILE
        } else {
            kk0
        };
        let cols = TILE.min(k - kk0);
        if let Some(lines) = panel
            .get((kk0 + PREFETCH_STEPS) * TILE..)
            .filter(|_| ahead && M::PREFETCH_PANELS)
        {
            simd::prefetch_lines(&lines[..BLOCK.min(lines.len())]);
        }
        transpose_rows::<M>(b.data, b.cs, j0, width, kk0, cols, &mut panel[kk0 * TILE..]);
    }
}

/// `dst[c·TILE + r] = m[(j0 + r)·stride + kk0 + c]` for `r < width`,
/// `c < cols`, 0 in the lanes `r ≥ width`: a block of the row-major `m`,
/// transposed. The rows `c ≥ cols` of `dst` get junk.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(crate) fn transpose_rows<M: Fma>(
    m: &[f32],
    stride: usize,
    j0: usize,
    width: usize,
    kk0: usize,
    cols: usize,
    dst: &mut [f32],
) {
    let first = j0 * stride + kk0;
    if width == TILE && cols == TILE {
        M::transpose_block(&m[first..], stride, dst);
        return;
    }
    // Short on rows or columns: first copied into a zero-padded square
    // (the padding rows become the zero lanes).
    let mut square = [0f32; BLOCK];
    let mask = simd::lane_mask(cols);
    for (r, row) in square.chunks_exact_mut(TILE).take(width).enumerate() {
        row.copy_from_slice(&simd::masked(
            &simd::load_tile(m, first + r * stride),
            &mask,
        ));
    }
    M::transpose_block(&square, TILE, dst);
}

#[inline(always)]
fn write_row(out: &mut [f32], start: usize, acc: &[f32], store: Store<'_>, j0: usize) {
    let dst = &mut out[start..start + acc.len()];
    match store {
        Store::Overwrite(Some(bias)) => {
            let bias = &bias[j0..][..acc.len()];
            by_pieces(dst, acc, Some(bias), |d, v, b| *d = v + b);
        }
        Store::Overwrite(None) => by_pieces(dst, acc, None, |d, v, _| *d = v),
        Store::Accumulate => by_pieces(dst, acc, None, |d, v, _| *d += v),
    }
}

/// `lane(&mut dst[l], acc[l], bias[l])` for every lane of a row of at
/// most a tile (without a bias the third operand is `acc[l]` again): a
/// whole tile, or pieces of 8, then of 4, as fixed-size arrays, then the
/// last three lanes one at a time. As one loop over the slice, whose
/// length LLVM knows is at most a tile, it folds the ragged end into
/// masked loads and stores, and AVX2's masked store is slow on AMD: a
/// 32×16→8 forward spent a third of its time in them. (A copy as one
/// `copy_from_slice` was a `memcpy` call per row: 7% of a conv2d
/// backward.)
#[inline(always)]
fn by_pieces(
    dst: &mut [f32],
    acc: &[f32],
    bias: Option<&[f32]>,
    lane: impl Fn(&mut f32, f32, f32),
) {
    let bias = bias.unwrap_or(acc);
    if let (Ok(dst), Ok(acc), Ok(bias)) = (
        <&mut [f32; TILE]>::try_from(&mut *dst),
        <&[f32; TILE]>::try_from(acc),
        <&[f32; TILE]>::try_from(bias),
    ) {
        // A whole tile (every tile of a row but its last): one vector
        // operation, without the remainder's bookkeeping.
        for l in 0..TILE {
            lane(&mut dst[l], acc[l], bias[l]);
        }
        return;
    }
    let (dst, acc, bias) = pieces::<TILE>(dst, acc, bias, &lane);
    let (dst, acc, bias) = pieces::<HALF_LANES>(dst, acc, bias, &lane);
    let (dst, acc, bias) = pieces::<{ HALF_LANES / 2 }>(dst, acc, bias, &lane);
    for ((d, &a), &b) in dst.iter_mut().zip(acc).zip(bias) {
        lane(d, a, b);
    }
}

/// [`by_pieces`]' whole pieces of `P`; returns the lanes left over.
#[inline(always)]
fn pieces<'a, 'b, const P: usize>(
    dst: &'a mut [f32],
    acc: &'b [f32],
    bias: &'b [f32],
    lane: &impl Fn(&mut f32, f32, f32),
) -> (&'a mut [f32], &'b [f32], &'b [f32]) {
    let (dst_pieces, dst_rest) = dst.as_chunks_mut::<P>();
    let (acc_pieces, acc_rest) = acc.as_chunks::<P>();
    let (bias_pieces, bias_rest) = bias.as_chunks::<P>();
    for ((d, a), b) in dst_pieces.iter_mut().zip(acc_pieces).zip(bias_pieces) {
        for l in 0..P {
            lane(&mut d[l], a[l], b[l]);
        }
    }
    (dst_rest, acc_rest, bias_rest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simd::{multiversion, Isa};

    const SIZES: [usize; 10] = [1, 7, 15, 16, 17, 33, 64, 100, 129, 512];

    #[test]
    fn six_row_blocks_leave_only_an_odd_row_to_run_alone() {
        for rows in 0..200 {
            let six = narrow_block_rows(rows);
            assert!(six <= rows && six.is_multiple_of(NARROW_ROWS), "{rows}");
            // What no block takes: the odd row of an odd count, or all of
            // two or three rows.
            let left = (rows - six) % (ROWS / 2);
            let expected = if rows < ROWS / 2 { rows } else { rows % 2 };
            assert_eq!(left, expected, "{rows}");
        }
        assert_eq!(narrow_block_rows(32), 24);
        assert_eq!(narrow_block_rows(64), 60);
    }

    multiversion! {
        fn pack_with(panel: &mut [f32], b: View<'_>, k: usize, j0: usize, width: usize) => pack_body;
    }

    #[inline(always)]
    fn pack_body<M: Fma>(panel: &mut [f32], b: View<'_>, k: usize, j0: usize, width: usize) {
        pack_tile::<M>(panel, b, k, j0, width, false);
    }

    /// The panel element by element, as `pack_tile` defines it.
    fn reference(b: View<'_>, k: usize, j0: usize, width: usize) -> Vec<f32> {
        let mut panel = vec![0f32; k * TILE];
        for kk in 0..k {
            for l in 0..width {
                panel[kk * TILE + l] = b.at(kk, j0 + l);
            }
        }
        panel
    }

    /// Every column tile of a `k × n` B stored both ways (`[n, k]` like a
    /// linear weight, and `[k, n]`), on every path; the panel starts full
    /// of NaN so that a lane left unwritten shows.
    #[test]
    fn packs_match_the_element_by_element_panel() {
        for k in SIZES {
            for n in SIZES {
                let data: Vec<f32> = (0..k * n).map(|i| i as f32 + 0.5).collect();
                let columns = View::columns(&data, k);
                let rows = View::rows(&data, n);
                for isa in Isa::available() {
                    for (layout, b) in [("[n, k]", columns), ("[k, n]", rows)] {
                        for j0 in (0..n).step_by(TILE) {
                            let width = TILE.min(n - j0);
                            let mut panel = vec![f32::NAN; MAX_K * TILE];
                            pack_with(isa, &mut panel, b, k, j0, width);
                            let what = format!("{} {layout} k={k} n={n} j0={j0}", isa.name());
                            let expected = reference(b, k, j0, width);
                            let got = &panel[..k * TILE];
                            let wrong = got
                                .iter()
                                .zip(&expected)
                                .position(|(g, e)| g.to_bits() != e.to_bits());
                            if let Some(i) = wrong {
                                panic!("{what}: panel[{i}] = {}, not {}", got[i], expected[i]);
                            }
                        }
                    }
                }
            }
        }
    }

    multiversion! {
        fn product_with(
            rows: usize,
            k: usize,
            n: usize,
            a: View<'_>,
            b: View<'_>,
            out: &mut [f32],
            sums: Option<RowSums<'_>>,
        ) => product_body;
    }

    #[inline(always)]
    fn product_body<M: Fma>(
        rows: usize,
        k: usize,
        n: usize,
        a: View<'_>,
        b: View<'_>,
        out: &mut [f32],
        sums: Option<RowSums<'_>>,
    ) {
        let store = Store::Accumulate;
        assert!(small_gemm_summing::<M>(rows, k, n, a, b, out, store, sums));
    }

    /// With row sums the product is unchanged, and each row's sum is its
    /// in-order f32 sum over `k` (the bits of a separate column sum),
    /// added to what the sum held or, fresh, written over it; for `n`
    /// with padding lanes and `n` filling its tiles, on every path.
    #[test]
    fn row_sums_ride_along_with_the_product() {
        for (rows, k, n) in [(16, 32, 9), (8, 32, 16), (1, 32, 8), (9, 7, 33), (3, 5, 0)] {
            let a_data: Vec<f32> = (0..rows * k)
                .map(|i| ((i * 7 % 13) as f32 - 6.0) / 7.0)
                .collect();
            let b_data: Vec<f32> = (0..k * n)
                .map(|i| ((i * 5 % 11) as f32 - 5.0) / 3.0)
                .collect();
            // A as a transposed operand, as a linear layer's dyᵀ.
            let a = View::columns(&a_data, rows);
            let a_t: Vec<f32> = (0..rows * k).map(|i| a.at(i / k, i % k)).collect();
            let b = View::rows(&b_data, n);
            for isa in Isa::available() {
                let mut plain = vec![0.25f32; rows * n];
                product_with(isa, rows, k, n, a, b, &mut plain, None);
                for fresh in [false, true] {
                    let what = format!("{} {rows}×{k}×{n} fresh {fresh}", isa.name());
                    let mut out = vec![0.25f32; rows * n];
                    let start = if fresh { f32::NAN } else { 0.5 };
                    let mut sums = vec![start; rows];
                    let row_sums = RowSums {
                        out: &mut sums,
                        fresh,
                    };
                    product_with(isa, rows, k, n, a, b, &mut out, Some(row_sums));
                    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                    assert_eq!(bits(&out), bits(&plain), "{what}: product");
                    let expected: Vec<f32> = a_t
                        .chunks_exact(k.max(1))
                        .take(rows)
                        .map(|row| {
                            let sum = row.iter().fold(0f32, |acc, &v| acc + v);
                            if fresh {
                                0.0 + sum
                            } else {
                                0.5 + sum
                            }
                        })
                        .collect();
                    assert_eq!(bits(&sums), bits(&expected), "{what}: sums");
                }
            }
        }
    }
}
