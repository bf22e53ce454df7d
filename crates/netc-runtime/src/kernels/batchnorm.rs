//! Batchnorm over `[batch, channels, plane]`: `nn.BatchNorm1d` over
//! `[batch, n]` is `plane = 1`, `nn.BatchNorm2d` over NCHW images is
//! `plane = H·W`. Per-channel statistics over the batch and the plane,
//! PyTorch's running-statistics update.
//!
//! A row (one sample) is processed in *blocks* of whole channels about
//! one tile wide: [`LANES`] channels of one position each (batchnorm1d's
//! tile of features), or one channel whose plane spans several tiles.
//! Within a block every inner step is one vector operation along a
//! contiguous row, with the per-lane sums in registers (no heap scratch,
//! no runtime-length inner loop); the lanes' sums are then gathered into
//! their channels in position order. With `plane = 1` a block is one tile
//! and the gathering is the identity, so batchnorm1d runs the same loops
//! as a per-feature kernel: the entry points hand a run-time plane of 1
//! to the body as [`Const<1>`]. Widths are [`Dim`]s: a constant width
//! specialises the tiles.
//!
//! Alike blocks are reduced in groups (four on AVX-512, two on AVX2): one
//! pass over the rows carries each block's sums as its own chain, so the
//! chains hide each other's add latency where one block at a time waited
//! on it (batchnorm1d of 64 features over 64 rows: forward 0.82 → 0.45
//! µs, backward 0.83 → 0.36 µs with the fresh `dx` loop). Every sum keeps
//! its order, so the bits are those of one block at a time.
//!
//! The eval forward can also run from a `scale`/`shift` kept while the
//! running statistics stay put ([`batchnorm_eval_affine`],
//! [`batchnorm_apply`]), with the same bits as [`batchnorm_forward_eval`].
//!
//! Batchnorm runs on the calling thread: the statistics reduce over the
//! whole batch, so any split would change their summation order.

use super::Fresh;
use crate::dim::{Const, Dim};
use crate::simd::{self, multiversion, Fma, Isa, LANES};

/// Calls `$f(args.., plane)` with a plane of 1 as [`Const<1>`], so that
/// batchnorm1d compiles without the gathering of lanes into channels.
macro_rules! on_plane {
    ($f:ident($($arg:expr),* $(,)?), $plane:expr) => {
        if $plane.get() == 1 {
            $f($($arg,)* Const::<1>)
        } else {
            $f($($arg,)* $plane)
        }
    };
}

/// Training-mode forward. Normalises with the biased batch variance; the
/// running variance receives the unbiased one. `momentum: None` is the
/// cumulative average with factor 1/num_batches_tracked (incremented
/// first). A channel of one value (batch × plane = 1) gives a NaN running
/// variance: PyTorch refuses it, so callers must too.
#[allow(clippy::too_many_arguments)]
#[inline]
pub fn batchnorm_forward_train(
    x: &[f32],
    gamma: Option<&[f32]>,
    beta: Option<&[f32]>,
    y: &mut [f32],
    xhat: &mut [f32],
    stats: Stats<'_>,
    num_batches_tracked: &mut i64,
    momentum: Option<f32>,
    eps: f32,
    batch: usize,
    n: impl Dim,
    plane: impl Dim,
) {
    let width = n.get();
    let len = batch * width * plane.get();
    assert!(x.len() == len && y.len() == len && xhat.len() == len);
    stats.check(width);
    assert!(gamma.is_none_or(|g| g.len() == width) && beta.is_none_or(|b| b.len() == width));
    *num_batches_tracked += 1;
    let factor = match momentum {
        Some(m) => f64::from(m),
        None => 1.0 / *num_batches_tracked as f64,
    };
    let isa = Isa::detect();
    on_plane!(
        batchnorm_forward_train_with(isa, x, gamma, beta, y, xhat, stats, factor, eps, batch, n),
        plane
    );
}

/// The per-feature outputs of a training forward.
pub struct Stats<'a> {
    pub mean: &'a mut [f32],
    pub invstd: &'a mut [f32],
    pub running_mean: &'a mut [f32],
    pub running_var: &'a mut [f32],
}

impl Stats<'_> {
    fn check(&self, n: usize) {
        let lens = [
            self.mean.len(),
            self.invstd.len(),
            self.running_mean.len(),
            self.running_var.len(),
        ];
        assert!(
            lens.iter().all(|&len| len == n),
            "batchnorm: a statistic is not [n]"
        );
    }
}

/// Eval-mode forward with the running statistics.
#[allow(clippy::too_many_arguments)]
#[inline]
pub fn batchnorm_forward_eval(
    x: &[f32],
    gamma: Option<&[f32]>,
    beta: Option<&[f32]>,
    running_mean: &[f32],
    running_var: &[f32],
    eps: f32,
    y: &mut [f32],
    batch: usize,
    n: impl Dim,
    plane: impl Dim,
) {
    let width = n.get();
    assert!(x.len() == batch * width * plane.get() && y.len() == x.len());
    check_features([Some(running_mean), Some(running_var), gamma, beta], width);
    let isa = Isa::detect();
    on_plane!(
        batchnorm_forward_eval_with(
            isa,
            x,
            gamma,
            beta,
            running_mean,
            running_var,
            eps,
            y,
            batch,
            n
        ),
        plane
    );
}

/// `scale = γ/√(var+ε)`, `shift = β − mean·scale` (γ = 1, β = 0 when
/// absent), exactly as [`batchnorm_forward_eval`] computes them: kept by
/// an inference cache while the running statistics stay put. Per
/// channel, whatever the plane.
#[allow(clippy::too_many_arguments)]
#[inline]
pub fn batchnorm_eval_affine(
    gamma: Option<&[f32]>,
    beta: Option<&[f32]>,
    running_mean: &[f32],
    running_var: &[f32],
    eps: f32,
    scale: &mut [f32],
    shift: &mut [f32],
    n: impl Dim,
) {
    batchnorm_eval_affine_on(
        Isa::detect(),
        gamma,
        beta,
        running_mean,
        running_var,
        eps,
        scale,
        shift,
        n,
    );
}

/// [`batchnorm_eval_affine`] on a chosen path (tests and benchmarks).
#[allow(clippy::too_many_arguments)]
#[inline]
pub fn batchnorm_eval_affine_on<N: Dim>(
    isa: Isa,
    gamma: Option<&[f32]>,
    beta: Option<&[f32]>,
    running_mean: &[f32],
    running_var: &[f32],
    eps: f32,
    scale: &mut [f32],
    shift: &mut [f32],
    n: N,
) {
    let width = n.get();
    check_features([Some(running_mean), Some(running_var), gamma, beta], width);
    assert!(
        scale.len() == width && shift.len() == width,
        "batchnorm: scale/shift is not [n]"
    );
    eval_affine_with(
        isa,
        gamma,
        beta,
        running_mean,
        running_var,
        eps,
        scale,
        shift,
        n,
    );
}

/// `y = x·scale + shift` per channel, from [`batchnorm_eval_affine`]:
/// bit-identical to [`batchnorm_forward_eval`].
#[inline]
pub fn batchnorm_apply(
    x: &[f32],
    scale: &[f32],
    shift: &[f32],
    y: &mut [f32],
    batch: usize,
    n: impl Dim,
    plane: impl Dim,
) {
    let isa = Isa::detect();
    on_plane!(batchnorm_apply_on(isa, x, scale, shift, y, batch, n), plane);
}

/// [`batchnorm_apply`] on a chosen path (tests and benchmarks).
#[allow(clippy::too_many_arguments)]
#[inline]
pub fn batchnorm_apply_on<N: Dim, P: Dim>(
    isa: Isa,
    x: &[f32],
    scale: &[f32],
    shift: &[f32],
    y: &mut [f32],
    batch: usize,
    n: N,
    plane: P,
) {
    let width = n.get();
    assert!(
        x.len() == batch * width * plane.get() && y.len() == x.len(),
        "batchnorm: x/y is not [batch, n, plane]"
    );
    assert!(
        scale.len() == width && shift.len() == width,
        "batchnorm: scale/shift is not [n]"
    );
    apply_with(isa, x, scale, shift, y, batch, n, plane);
}

/// Training-mode backward from the saved `xhat` and `invstd`:
/// `dx += γ·invstd·(dy − mean(dy) − x̂·mean(dy·x̂))`, `dγ += Σ dy·x̂`,
/// `dβ += Σ dy`, the means and sums per channel over batch and plane;
/// `fresh` outputs (0: `dx`, 1: `dγ`, 2: `dβ`) are overwritten.
#[allow(clippy::too_many_arguments)]
#[inline]
pub fn batchnorm_backward(
    dy: &[f32],
    xhat: &[f32],
    invstd: &[f32],
    gamma: Option<&[f32]>,
    dx: &mut [f32],
    dgamma: Option<&mut [f32]>,
    dbeta: Option<&mut [f32]>,
    fresh: Fresh,
    batch: usize,
    n: impl Dim,
    plane: impl Dim,
) {
    let width = n.get();
    let len = batch * width * plane.get();
    assert!(dy.len() == len && xhat.len() == len && dx.len() == len);
    check_features([Some(invstd), gamma], width);
    assert!(dgamma.as_ref().is_none_or(|d| d.len() == width));
    assert!(dbeta.as_ref().is_none_or(|d| d.len() == width));
    let isa = Isa::detect();
    on_plane!(
        batchnorm_backward_with(isa, dy, xhat, invstd, gamma, dx, dgamma, dbeta, fresh, batch, n),
        plane
    );
}

/// Hard asserts: the tiles read whole windows of every per-feature slice.
#[inline]
fn check_features<const K: usize>(features: [Option<&[f32]>; K], n: usize) {
    assert!(
        features.iter().flatten().all(|v| v.len() == n),
        "batchnorm: a parameter or statistic is not [n]"
    );
}

multiversion! {
    /// [`batchnorm_forward_train`] on a chosen path (tests and benchmarks);
    /// `factor` is the resolved running-average factor.
    pub fn batchnorm_forward_train_with<N: Dim, P: Dim>(
        x: &[f32],
        gamma: Option<&[f32]>,
        beta: Option<&[f32]>,
        y: &mut [f32],
        xhat: &mut [f32],
        stats: Stats<'_>,
        factor: f64,
        eps: f32,
        batch: usize,
        n: N,
        plane: P,
    ) => train_body;
}

multiversion! {
    /// [`batchnorm_forward_eval`] on a chosen path (tests and benchmarks).
    pub fn batchnorm_forward_eval_with<N: Dim, P: Dim>(
        x: &[f32],
        gamma: Option<&[f32]>,
        beta: Option<&[f32]>,
        running_mean: &[f32],
        running_var: &[f32],
        eps: f32,
        y: &mut [f32],
        batch: usize,
        n: N,
        plane: P,
    ) => eval_body;
}

multiversion! {
    fn eval_affine_with<N: Dim>(
        gamma: Option<&[f32]>,
        beta: Option<&[f32]>,
        running_mean: &[f32],
        running_var: &[f32],
        eps: f32,
        scale: &mut [f32],
        shift: &mut [f32],
        n: N,
    ) => eval_affine_body;
}

multiversion! {
    fn apply_with<N: Dim, P: Dim>(
        x: &[f32],
        scale: &[f32],
        shift: &[f32],
        y: &mut [f32],
        batch: usize,
        n: N,
        plane: P,
    ) => apply_body;
}

multiversion! {
    /// [`batchnorm_backward`] on a chosen path (tests and benchmarks).
    pub fn batchnorm_backward_with<N: Dim, P: Dim>(
        dy: &[f32],
        xhat: &[f32],
        invstd: &[f32],
        gamma: Option<&[f32]>,
        dx: &mut [f32],
        dgamma: Option<&mut [f32]>,
        dbeta: Option<&mut [f32]>,
        fresh: Fresh,
        batch: usize,
        n: N,
        plane: P,
    ) => backward_body;
}

/// Whole channels `c0..c0 + channels`, at positions `start..end` of a
/// row: at most [`LANES`] channels, so their statistics fit one tile.
#[derive(Clone, Copy)]
struct Block {
    c0: usize,
    channels: usize,
    start: usize,
    end: usize,
}

impl Block {
    /// The blocks of a row of `channels × plane` positions.
    #[inline(always)]
    fn all(channels: usize, plane: usize) -> impl Iterator<Item = Block> {
        let per_block = (LANES / plane).max(1);
        (0..channels).step_by(per_block).map(move |c0| {
            let count = per_block.min(channels - c0);
            Block {
                c0,
                channels: count,
                start: c0 * plane,
                end: (c0 + count) * plane,
            }
        })
    }

    /// The block `k` blocks after this one, of as many channels.
    #[inline(always)]
    fn after(self, k: usize) -> Block {
        let span = self.end - self.start;
        Block {
            c0: self.c0 + k * self.channels,
            start: self.start + k * span,
            end: self.end + k * span,
            ..self
        }
    }

    /// The blocks as groups of up to `most` (1, 2 or 4) alike blocks: the
    /// first of each group and how many follow it. A group's blocks have
    /// the same tiles (only the last block of a row can be narrower), so
    /// their column reductions run side by side, independent chains
    /// that hide each other's add latency.
    #[inline(always)]
    fn groups(channels: usize, plane: usize, most: usize) -> impl Iterator<Item = (Block, usize)> {
        let per_block = (LANES / plane).max(1);
        let alike = channels / per_block;
        let mut blocks = Block::all(channels, plane).enumerate();
        std::iter::from_fn(move || {
            let (i, first) = blocks.next()?;
            let mut size = 1;
            while size < most && i + 2 * size <= alike {
                size *= 2;
            }
            for _ in 1..size {
                blocks.next();
            }
            Some((first, size))
        })
    }

    /// Each tile's first position and how many of its lanes are this
    /// block's.
    #[inline(always)]
    fn tiles(self) -> impl Iterator<Item = (usize, usize)> {
        (self.start..self.end)
            .step_by(LANES)
            .map(move |j0| (j0, LANES.min(self.end - j0)))
    }

    /// The store mask of the block's per-channel statistics.
    #[inline(always)]
    fn mask(self) -> [u32; LANES] {
        simd::lane_mask(self.channels)
    }
}

/// Adds the first `width` lanes of the tile at `offset` (positions from
/// the block's start) into their channels' sums, in position order. With
/// a plane of 1 a block is one tile whose lanes are its channels.
#[inline(always)]
fn gather(
    sums: &mut [f32; LANES],
    lanes: &[f32; LANES],
    offset: usize,
    width: usize,
    plane: usize,
) {
    if plane == 1 {
        *sums = *lanes;
        return;
    }
    let (mut channel, mut at) = (offset / plane, offset % plane);
    for &lane in &lanes[..width] {
        sums[channel] += lane;
        at += 1;
        if at == plane {
            at = 0;
            channel += 1;
        }
    }
}

/// Each lane of the tile at `offset` given its channel's value (lanes
/// past the block repeat the last channel: they are never stored).
#[inline(always)]
fn spread(per_channel: &[f32; LANES], offset: usize, plane: usize) -> [f32; LANES] {
    if plane == 1 {
        return *per_channel;
    }
    let mut lanes = [0f32; LANES];
    let (mut channel, mut at) = (offset / plane, offset % plane);
    for lane in &mut lanes {
        *lane = per_channel[channel.min(LANES - 1)];
        at += 1;
        if at == plane {
            at = 0;
            channel += 1;
        }
    }
    lanes
}

/// The tile at `off` when all [`LANES`] of it are the block's.
#[inline(always)]
fn full_tile(buf: &mut [f32], off: usize, width: usize) -> Option<&mut [f32; LANES]> {
    if width < LANES {
        return None;
    }
    buf.get_mut(off..off + LANES)?.try_into().ok()
}

/// [`full_tile`] for reading.
#[inline(always)]
fn tile(buf: &[f32], off: usize, width: usize) -> Option<&[f32; LANES]> {
    if width < LANES {
        return None;
    }
    buf.get(off..off + LANES)?.try_into().ok()
}

/// γ and β of the channels from `c0`, 1 and 0 when the layer is not
/// affine (padding lanes are harmless: their outputs are never stored).
#[inline(always)]
fn affine(gamma: Option<&[f32]>, beta: Option<&[f32]>, c0: usize) -> ([f32; LANES], [f32; LANES]) {
    let g = gamma.map_or([1.0; LANES], |g| simd::load_tile(g, c0));
    let b = beta.map_or([0.0; LANES], |b| simd::load_tile(b, c0));
    (g, b)
}

/// `$body` once for each `$g` below `G` (at most 4), `$g` a literal:
/// arrays indexed by a literal stay in registers, where LLVM keeps the
/// accumulators of a loop over `g` in memory (a store-forward on every
/// step of their chains).
macro_rules! each_block {
    ($g:ident < $n:expr => $body:block) => {
        each_block!(@ $g, $n, $body, 0 1 2 3)
    };
    (@ $g:ident, $n:expr, $body:block, $($i:literal)*) => {$(
        if $i < $n {
            let $g = $i;
            $body
        }
    )*};
}

/// Per-lane sums over the batch at `G` tiles at once (`K` of them per
/// tile), independent chains in one pass. A trait rather than closures:
/// its methods inline into the ISA's kernel, where a closure's body may
/// be compiled apart, without the ISA (and its FMAs as calls).
trait ColumnReduce<const G: usize, const K: usize> {
    /// The sums at the tiles `offs`, which lie `offset` positions into
    /// their blocks.
    fn lanes<M: Fma>(&self, offs: [usize; G], offset: usize) -> [[[f32; LANES]; G]; K];
}

/// Rows of `n` positions, `batch` of them: what a reduction walks.
#[derive(Clone, Copy)]
struct Rows {
    batch: usize,
    n: usize,
}

impl Rows {
    /// Rows whose windows at the tiles `offs` lie whole inside the
    /// buffer (the last offset is the furthest).
    #[inline(always)]
    fn whole<const G: usize>(self, offs: [usize; G]) -> usize {
        simd::whole_windows(self.batch, self.n, offs[G - 1])
    }
}

/// Σ `x` over the batch.
struct ColumnSums<'a> {
    x: &'a [f32],
    rows: Rows,
}

impl<const G: usize> ColumnReduce<G, 1> for ColumnSums<'_> {
    #[inline(always)]
    fn lanes<M: Fma>(&self, offs: [usize; G], _: usize) -> [[[f32; LANES]; G]; 1] {
        let Rows { batch, n } = self.rows;
        let whole = self.rows.whole(offs);
        // `fma(1, t, sum)` is `sum + t` exactly, in one register (as the
        // bias gradient's column sums).
        let mut sum = [[0f32; LANES]; G];
        for r in 0..whole {
            each_block!(g < G => {
                M::fma_tile(1.0, simd::window(self.x, r * n + offs[g]), &mut sum[g]);
            });
        }
        for r in whole..batch {
            each_block!(g < G => {
                M::fma_tile(1.0, &simd::load_tile_by_lanes(self.x, r * n + offs[g]), &mut sum[g]);
            });
        }
        [sum]
    }
}

/// Σ `(x − mu)²` over the batch, each block's `mu` spread over its
/// positions: the second pass of a two-pass variance, as PyTorch's CPU
/// kernel (no cancellation).
struct SquaredDeviations<'a, const G: usize> {
    x: &'a [f32],
    mu: &'a [[f32; LANES]; G],
    rows: Rows,
    plane: usize,
}

impl<const G: usize> ColumnReduce<G, 1> for SquaredDeviations<'_, G> {
    #[inline(always)]
    fn lanes<M: Fma>(&self, offs: [usize; G], offset: usize) -> [[[f32; LANES]; G]; 1] {
        let Rows { batch, n } = self.rows;
        let whole = self.rows.whole(offs);
        let mut mu = [[0f32; LANES]; G];
        each_block!(g < G => {
            mu[g] = spread(&self.mu[g], offset, self.plane);
        });
        let mut sq = [[0f32; LANES]; G];
        for r in 0..whole {
            each_block!(g < G => {
                add_squared_deviation::<M>(
                    &mut sq[g],
                    simd::window(self.x, r * n + offs[g]),
                    &mu[g],
                );
            });
        }
        for r in whole..batch {
            each_block!(g < G => {
                let t = simd::load_tile_by_lanes(self.x, r * n + offs[g]);
                add_squared_deviation::<M>(&mut sq[g], &t, &mu[g]);
            });
        }
        [sq]
    }
}

#[inline(always)]
fn add_squared_deviation<M: Fma>(sq: &mut [f32; LANES], t: &[f32; LANES], mu: &[f32; LANES]) {
    for l in 0..LANES {
        let d = t[l] - mu[l];
        sq[l] = M::mul_add(d, d, sq[l]);
    }
}

/// Σ `dy` and Σ `dy·x̂` over the batch.
struct GradientSums<'a> {
    dy: &'a [f32],
    xhat: &'a [f32],
    rows: Rows,
}

impl<const G: usize> ColumnReduce<G, 2> for GradientSums<'_> {
    #[inline(always)]
    fn lanes<M: Fma>(&self, offs: [usize; G], _: usize) -> [[[f32; LANES]; G]; 2] {
        let Rows { batch, n } = self.rows;
        let whole = self.rows.whole(offs);
        let [mut sdy, mut sdyh] = [[[0f32; LANES]; G]; 2];
        for r in 0..whole {
            each_block!(g < G => {
                let off = r * n + offs[g];
                let (dy, h) = (simd::window(self.dy, off), simd::window(self.xhat, off));
                add_gradient::<M>(&mut sdy[g], &mut sdyh[g], dy, h);
            });
        }
        for r in whole..batch {
            each_block!(g < G => {
                let off = r * n + offs[g];
                let (dy, h) = (
                    simd::load_tile_by_lanes(self.dy, off),
                    simd::load_tile_by_lanes(self.xhat, off),
                );
                add_gradient::<M>(&mut sdy[g], &mut sdyh[g], &dy, &h);
            });
        }
        [sdy, sdyh]
    }
}

#[inline(always)]
fn add_gradient<M: Fma>(
    sdy: &mut [f32; LANES],
    sdyh: &mut [f32; LANES],
    dy: &[f32; LANES],
    h: &[f32; LANES],
) {
    for l in 0..LANES {
        sdy[l] += dy[l];
        sdyh[l] = M::mul_add(dy[l], h[l], sdyh[l]);
    }
}

/// Per block of a group, each channel's `K` sums over batch and plane:
/// the lanes `reduce` sums, gathered into their channels in position
/// order.
#[inline(always)]
fn group_sums<M: Fma, const G: usize, const K: usize>(
    blocks: &[Block; G],
    plane: usize,
    reduce: &impl ColumnReduce<G, K>,
) -> [[[f32; LANES]; G]; K] {
    let mut sums = [[[0f32; LANES]; G]; K];
    for (j0, width) in blocks[0].tiles() {
        let offset = j0 - blocks[0].start;
        let mut offs = [0; G];
        for g in 0..G {
            offs[g] = blocks[g].start + offset;
        }
        let lanes = reduce.lanes::<M>(offs, offset);
        for k in 0..K {
            for g in 0..G {
                gather(&mut sums[k][g], &lanes[k][g], offset, width, plane);
            }
        }
    }
    sums
}

/// The `G` blocks from `first`.
#[inline(always)]
fn group<const G: usize>(first: Block) -> [Block; G] {
    let mut blocks = [first; G];
    for (g, block) in blocks.iter_mut().enumerate() {
        *block = first.after(g);
    }
    blocks
}

/// `$group::<M, G>(pass, first)` for every group of alike blocks, with
/// the group's size `G` a constant.
macro_rules! over_groups {
    ($group:ident::<$m:ident>($pass:expr), $channels:expr, $plane:expr) => {
        for (first, size) in Block::groups($channels, $plane, group_most::<$m>()) {
            match size {
                4 => $group::<$m, 4>($pass, first),
                2 => $group::<$m, 2>($pass, first),
                _ => $group::<$m, 1>($pass, first),
            }
        }
    };
}

/// Blocks reduced side by side: four chains of one zmm each on AVX-512,
/// two ymm pairs on AVX2 (more would spill its 16 registers).
#[inline(always)]
fn group_most<M: Fma>() -> usize {
    if M::GEMM_ROWS >= 8 {
        4
    } else {
        2
    }
}

#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn train_body<M: Fma>(
    x: &[f32],
    gamma: Option<&[f32]>,
    beta: Option<&[f32]>,
    y: &mut [f32],
    xhat: &mut [f32],
    stats: Stats<'_>,
    factor: f64,
    eps: f32,
    batch: usize,
    channels: impl Dim,
    plane: impl Dim,
) {
    let (channels, plane) = (channels.get(), plane.get());
    let n = channels * plane;
    if n == 0 || batch == 0 {
        return;
    }
    let mut pass = TrainPass {
        x,
        gamma,
        beta,
        y,
        xhat,
        stats,
        factor,
        eps,
        batch,
        n,
        plane,
    };
    over_groups!(train_group::<M>(&mut pass), channels, plane);
}

/// The operands of a training forward, for each group of blocks.
struct TrainPass<'a> {
    x: &'a [f32],
    gamma: Option<&'a [f32]>,
    beta: Option<&'a [f32]>,
    y: &'a mut [f32],
    xhat: &'a mut [f32],
    stats: Stats<'a>,
    factor: f64,
    eps: f32,
    batch: usize,
    n: usize,
    plane: usize,
}

/// The training forward of `G` alike blocks from `first`: their
/// statistics reduced side by side, then each block normalised.
#[inline(always)]
fn train_group<M: Fma, const G: usize>(pass: &mut TrainPass<'_>, first: Block) {
    let (x, batch, n, plane) = (pass.x, pass.batch, pass.n, pass.plane);
    let inv_count = 1.0 / (batch * plane) as f32;
    let blocks = group::<G>(first);
    let rows = Rows { batch, n };
    let [mut mu] = group_sums::<M, G, 1>(&blocks, plane, &ColumnSums { x, rows });
    for mu in &mut mu {
        for m in mu {
            *m *= inv_count;
        }
    }
    let deviations = SquaredDeviations {
        x,
        mu: &mu,
        rows,
        plane,
    };
    let [sq] = group_sums::<M, G, 1>(&blocks, plane, &deviations);
    each_block!(g < G => {
        train_block::<M>(pass, blocks[g], &mu[g], &sq[g]);
    });
}

/// One block's training forward from its batch mean and Σ of squared
/// deviations: the statistics, then `x̂` and `y`.
#[inline(always)]
fn train_block<M: Fma>(
    pass: &mut TrainPass<'_>,
    block: Block,
    mu: &[f32; LANES],
    sq: &[f32; LANES],
) {
    let (x, batch, n, plane) = (pass.x, pass.batch, pass.n, pass.plane);
    let count = batch * plane;
    let inv_count = 1.0 / count as f32;
    let unbias = count as f64 / (count as f64 - 1.0);
    let mut inv = [0f32; LANES];
    for l in 0..LANES {
        inv[l] = 1.0 / M::mul_add(sq[l], inv_count, pass.eps).sqrt();
    }
    let (c0, mask) = (block.c0, block.mask());
    let stats = &mut pass.stats;
    simd::store_tile(stats.mean, c0, &mask, mu);
    simd::store_tile(stats.invstd, c0, &mask, &inv);
    let running = stats.running_mean[c0..c0 + block.channels]
        .iter_mut()
        .zip(&mut stats.running_var[c0..c0 + block.channels]);
    let factor = pass.factor;
    for (l, (rm, rv)) in running.enumerate() {
        *rm = ((1.0 - factor) * f64::from(*rm) + factor * f64::from(mu[l])) as f32;
        let unbiased = f64::from(sq[l]) / count as f64 * unbias;
        *rv = ((1.0 - factor) * f64::from(*rv) + factor * unbiased) as f32;
    }
    let (g, b) = affine(pass.gamma, pass.beta, c0);
    let (xhat, y) = (&mut *pass.xhat, &mut *pass.y);
    for (j0, width) in block.tiles() {
        let offset = j0 - block.start;
        let (mu, inv) = (spread(mu, offset, plane), spread(&inv, offset, plane));
        let (g, b) = (spread(&g, offset, plane), spread(&b, offset, plane));
        for r in 0..batch {
            let off = r * n + j0;
            let full = (
                tile(x, off, width),
                full_tile(xhat, off, width),
                full_tile(y, off, width),
            );
            if let (Some(t), Some(hd), Some(od)) = full {
                // Straight from and into the buffers: staging a tile in
                // arrays made LLVM split it and stall on store forwarding.
                for l in 0..LANES {
                    hd[l] = (t[l] - mu[l]) * inv[l];
                }
                // γ and β as whole tiles: lane by lane, LLVM split the
                // product and the store into ymm, xmm and scalar pieces.
                *od = M::mul_add_tiles(hd, &g, &b);
                continue;
            }
            // A ragged tile: only its own positions, as slices. A
            // masked 16-wide store would overlap the next row's load
            // and stall store forwarding on every row.
            let (t, hd, od) = (
                &x[off..off + width],
                &mut xhat[off..off + width],
                &mut y[off..off + width],
            );
            for l in 0..width {
                hd[l] = (t[l] - mu[l]) * inv[l];
                od[l] = M::mul_add(hd[l], g[l], b[l]);
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn eval_body<M: Fma>(
    x: &[f32],
    gamma: Option<&[f32]>,
    beta: Option<&[f32]>,
    running_mean: &[f32],
    running_var: &[f32],
    eps: f32,
    y: &mut [f32],
    _batch: usize,
    channels: impl Dim,
    plane: impl Dim,
) {
    let (channels, plane) = (channels.get(), plane.get());
    if channels * plane == 0 {
        return;
    }
    for block in Block::all(channels, plane) {
        let (scale, shift) =
            eval_affine::<M>(gamma, beta, running_mean, running_var, eps, block.c0);
        apply_block::<M>(x, &scale, &shift, y, channels * plane, block, plane);
    }
}

/// The eval forward's `(scale, shift)` per channel, for a caller that
/// keeps them while the statistics stay put ([`apply_body`] then
/// finishes the forward with the same bits).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn eval_affine_body<M: Fma>(
    gamma: Option<&[f32]>,
    beta: Option<&[f32]>,
    running_mean: &[f32],
    running_var: &[f32],
    eps: f32,
    scale: &mut [f32],
    shift: &mut [f32],
    n: impl Dim,
) {
    let n = n.get();
    for j0 in (0..n).step_by(LANES) {
        let mask = simd::lane_mask(LANES.min(n - j0));
        let (sc, sh) = eval_affine::<M>(gamma, beta, running_mean, running_var, eps, j0);
        simd::store_tile(scale, j0, &mask, &sc);
        simd::store_tile(shift, j0, &mask, &sh);
    }
}

/// `y = x·scale + shift` per channel: the eval forward from a kept
/// [`eval_affine_body`].
#[inline(always)]
fn apply_body<M: Fma>(
    x: &[f32],
    scale: &[f32],
    shift: &[f32],
    y: &mut [f32],
    _batch: usize,
    channels: impl Dim,
    plane: impl Dim,
) {
    let (channels, plane) = (channels.get(), plane.get());
    if channels * plane == 0 {
        return;
    }
    // Re-sliced to `channels`, so that a constant width reaches the tile
    // loads.
    let (scale, shift) = (&scale[..channels], &shift[..channels]);
    for block in Block::all(channels, plane) {
        let (sc, sh) = (
            simd::load_tile(scale, block.c0),
            simd::load_tile(shift, block.c0),
        );
        apply_block::<M>(x, &sc, &sh, y, channels * plane, block, plane);
    }
}

/// Scale and shift of the channels from `c0`: `scale = γ/√(var+ε)`,
/// `shift = β − mean·scale`, as PyTorch's CPU eval kernel folds them
/// (padding lanes are never stored).
#[inline(always)]
fn eval_affine<M: Fma>(
    gamma: Option<&[f32]>,
    beta: Option<&[f32]>,
    running_mean: &[f32],
    running_var: &[f32],
    eps: f32,
    c0: usize,
) -> ([f32; LANES], [f32; LANES]) {
    let (g, b) = affine(gamma, beta, c0);
    let (rm, rv) = (
        simd::load_tile(running_mean, c0),
        simd::load_tile(running_var, c0),
    );
    let (mut scale, mut shift) = ([0f32; LANES], [0f32; LANES]);
    for l in 0..LANES {
        scale[l] = g[l] / (rv[l] + eps).sqrt();
        shift[l] = M::mul_add(-rm[l], scale[l], b[l]);
    }
    (scale, shift)
}

/// `y = x·scale + shift` on a block of every row (rows of `n`), from the
/// block's per-channel `scale` and `shift`.
#[inline(always)]
fn apply_block<M: Fma>(
    x: &[f32],
    scale: &[f32; LANES],
    shift: &[f32; LANES],
    y: &mut [f32],
    n: usize,
    block: Block,
    plane: usize,
) {
    for (j0, width) in block.tiles() {
        let offset = j0 - block.start;
        let (scale, shift) = (spread(scale, offset, plane), spread(shift, offset, plane));
        // Only this tile's positions of each row, as slices (a masked
        // 16-wide store would overlap the next row's load).
        for (xr, yr) in x.chunks_exact(n).zip(y.chunks_exact_mut(n)) {
            let (t, o) = (&xr[j0..j0 + width], &mut yr[j0..j0 + width]);
            if let (Ok(t), Ok(o)) = (
                <&[f32; LANES]>::try_from(t),
                <&mut [f32; LANES]>::try_from(&mut *o),
            ) {
                for l in 0..LANES {
                    o[l] = M::mul_add(t[l], scale[l], shift[l]);
                }
                continue;
            }
            for l in 0..width {
                o[l] = M::mul_add(t[l], scale[l], shift[l]);
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn backward_body<M: Fma>(
    dy: &[f32],
    xhat: &[f32],
    invstd: &[f32],
    gamma: Option<&[f32]>,
    dx: &mut [f32],
    dgamma: Option<&mut [f32]>,
    dbeta: Option<&mut [f32]>,
    fresh: Fresh,
    batch: usize,
    channels: impl Dim,
    plane: impl Dim,
) {
    let (channels, plane) = (channels.get(), plane.get());
    let n = channels * plane;
    if n == 0 || batch == 0 {
        fresh.clear([(0, Some(dx)), (1, dgamma), (2, dbeta)]);
        return;
    }
    let mut pass = BackwardPass {
        dy,
        xhat,
        invstd,
        gamma,
        dx,
        dgamma,
        dbeta,
        fresh,
        batch,
        n,
        plane,
    };
    over_groups!(backward_group::<M>(&mut pass), channels, plane);
}

/// The operands of a training backward, for each group of blocks.
struct BackwardPass<'a> {
    dy: &'a [f32],
    xhat: &'a [f32],
    invstd: &'a [f32],
    gamma: Option<&'a [f32]>,
    dx: &'a mut [f32],
    dgamma: Option<&'a mut [f32]>,
    dbeta: Option<&'a mut [f32]>,
    fresh: Fresh,
    batch: usize,
    n: usize,
    plane: usize,
}

/// The backward of `G` alike blocks from `first`: their sums of `dy`
/// and `dy·x̂` reduced side by side, then each block's `dx`.
#[inline(always)]
fn backward_group<M: Fma, const G: usize>(pass: &mut BackwardPass<'_>, first: Block) {
    let (dy, xhat, batch, n, plane) = (pass.dy, pass.xhat, pass.batch, pass.n, pass.plane);
    let blocks = group::<G>(first);
    let sums = GradientSums {
        dy,
        xhat,
        rows: Rows { batch, n },
    };
    let [sdy, sdyh] = group_sums::<M, G, 2>(&blocks, plane, &sums);
    each_block!(g < G => {
        backward_block::<M>(pass, blocks[g], &sdy[g], &sdyh[g]);
    });
}

/// One block's backward from its sums of `dy` and `dy·x̂`: `dγ`, `dβ`
/// and `dx`.
#[inline(always)]
fn backward_block<M: Fma>(
    pass: &mut BackwardPass<'_>,
    block: Block,
    sdy: &[f32; LANES],
    sdyh: &[f32; LANES],
) {
    let fresh = pass.fresh;
    let inv_count = 1.0 / (pass.batch * pass.plane) as f32;
    let (c0, mask) = (block.c0, block.mask());
    let sums = [
        (pass.dgamma.as_deref_mut(), sdyh, 1),
        (pass.dbeta.as_deref_mut(), sdy, 2),
    ];
    for (out, sum, i) in sums {
        let Some(out) = out else { continue };
        let mut d = simd::load_tile(out, c0);
        for l in 0..LANES {
            d[l] = Fresh::base(fresh.output(i), d[l]) + sum[l];
        }
        simd::store_tile(out, c0, &mask, &d);
    }
    let (g, _) = affine(pass.gamma, None, c0);
    let inv = simd::load_tile(pass.invstd, c0);
    let (mut scale, mut mean_dy, mut mean_dyh) = ([0f32; LANES], [0f32; LANES], [0f32; LANES]);
    for l in 0..LANES {
        scale[l] = g[l] * inv[l];
        mean_dy[l] = sdy[l] * inv_count;
        mean_dyh[l] = sdyh[l] * inv_count;
    }
    let terms = DxTerms {
        mean_dy,
        mean_dyh,
        scale,
    };
    // Two loops rather than a select per lane: with the choice inside,
    // LLVM cut the tile into scalar and 4-lane pieces (AVX2).
    if fresh.output(0) {
        dx_rows::<M, true>(pass, block, &terms);
    } else {
        dx_rows::<M, false>(pass, block, &terms);
    }
}

/// A block's per-channel terms of `dx`.
struct DxTerms {
    mean_dy: [f32; LANES],
    mean_dyh: [f32; LANES],
    scale: [f32; LANES],
}

/// `dx (+)= scale·(dy − mean(dy) − x̂·mean(dy·x̂))` on the block's
/// positions of every row, overwritten when `FRESH`.
#[inline(always)]
fn dx_rows<M: Fma, const FRESH: bool>(pass: &mut BackwardPass<'_>, block: Block, terms: &DxTerms) {
    let (dy, xhat, batch, n, plane) = (pass.dy, pass.xhat, pass.batch, pass.n, pass.plane);
    let dx = &mut *pass.dx;
    for (j0, width) in block.tiles() {
        let offset = j0 - block.start;
        let sdy = spread(&terms.mean_dy, offset, plane);
        let sdyh = spread(&terms.mean_dyh, offset, plane);
        let scale = spread(&terms.scale, offset, plane);
        for r in 0..batch {
            let off = r * n + j0;
            let full = (
                tile(dy, off, width),
                tile(xhat, off, width),
                full_tile(dx, off, width),
            );
            if let (Some(gt), Some(ht), Some(d)) = full {
                // Straight from and into the buffers, as in the forward.
                for l in 0..LANES {
                    let centred = M::mul_add(-ht[l], sdyh[l], gt[l] - sdy[l]);
                    d[l] = M::mul_add(centred, scale[l], Fresh::base(FRESH, d[l]));
                }
                continue;
            }
            // A ragged tile, as slices (see the forward).
            let (gt, ht) = (&dy[off..off + width], &xhat[off..off + width]);
            let d = &mut dx[off..off + width];
            for l in 0..width {
                let centred = M::mul_add(-ht[l], sdyh[l], gt[l] - sdy[l]);
                d[l] = M::mul_add(centred, scale[l], Fresh::base(FRESH, d[l]));
            }
        }
    }
}
