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
//! On a pool a large batchnorm splits in two halves: the statistics (or
//! the gradient's sums) by whole blocks of channels, each channel's sums
//! in the order one thread takes, then what is elementwise given them
//! (`x̂` and `y`, or `dx`) by rows. One thread runs both halves a group of
//! blocks at a time, while its rows are in cache; the bits are the same.
//! The eval forward is elementwise, split by rows.

use std::cell::RefCell;
use std::ops::Range;

use super::{grown, Fresh};
use crate::dim::{Const, Dim};
use crate::parallel::{self, part_range, scaled, PartsMut, MIN_ELEMENTS_PER_PART};
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
    let parts = parts(batch, width, plane.get());
    if parts == 1 {
        on_plane!(
            batchnorm_forward_train_with(
                isa, x, gamma, beta, y, xhat, stats, factor, eps, batch, n
            ),
            plane
        );
        return;
    }
    train_split(
        isa, parts, x, gamma, beta, y, xhat, stats, factor, eps, batch, n, plane,
    );
}

/// [`batchnorm_forward_train`] over `parts` parts of the pool: the
/// statistics by channels, then x̂ and y by rows. Kept out of line, so
/// that a small layer's call, inlined into generated code, stays small.
#[allow(clippy::too_many_arguments)]
#[inline(never)]
fn train_split(
    isa: Isa,
    parts: usize,
    x: &[f32],
    gamma: Option<&[f32]>,
    beta: Option<&[f32]>,
    y: &mut [f32],
    xhat: &mut [f32],
    stats: Stats<'_>,
    factor: f64,
    eps: f32,
    batch: usize,
    n: impl Dim,
    plane: impl Dim,
) {
    let width = n.get();
    let channels = |p| part_range(width, parts, p, per_block(plane.get()));
    let Stats {
        mean,
        invstd,
        running_mean,
        running_var,
    } = stats;
    let [means, invstds, running_means, running_vars] =
        [&mut *mean, &mut *invstd, running_mean, running_var]
            .map(|stat| PartsMut::new(stat, parts, channels));
    parallel::split(parts, &|p| {
        let part = Stats {
            mean: means.take(p),
            invstd: invstds.take(p),
            running_mean: running_means.take(p),
            running_var: running_vars.take(p),
        };
        on_plane!(
            stats_with(isa, x, part, channels(p), factor, eps, batch, n),
            plane
        );
    });
    let (mean, invstd) = (&*mean, &*invstd);
    let rows = row_parts(batch, width * plane.get(), parts);
    let [xhats, ys] = [xhat, y].map(|out| PartsMut::new(out, parts, &rows));
    parallel::split(parts, &|p| {
        let (range, xhat, y) = (rows(p), xhats.take(p), ys.take(p));
        let count = range.len() / (width * plane.get());
        on_plane!(
            normalize_with(isa, &x[range], mean, invstd, gamma, beta, xhat, y, count, n),
            plane
        );
    });
}

/// Parts a batchnorm of `batch` rows of `channels × plane` splits into
/// over the current pool: whole blocks of channels for the statistics
/// (each channel's sums in the one-thread order), whole rows for what is
/// elementwise given them.
fn parts(batch: usize, channels: usize, plane: usize) -> usize {
    let blocks = channels.div_ceil(per_block(plane));
    let len = batch * channels * plane;
    parallel::parts_for(len, MIN_ELEMENTS_PER_PART, blocks.min(batch))
}

/// The element range of each of `parts` parts of `batch` rows of `width`.
fn row_parts(batch: usize, width: usize, parts: usize) -> impl Fn(usize) -> Range<usize> {
    move |p| scaled(part_range(batch, parts, p, 1), width)
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
    // Rows on their own: each part folds the statistics itself.
    parallel::by_rows(y, width * plane.get(), &|range, y| {
        let (x, rows) = (
            &x[range.clone()],
            range.len() / (width * plane.get()).max(1),
        );
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
                rows,
                n
            ),
            plane
        );
    });
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
    parallel::by_rows(y, width * plane.get(), &|range, y| {
        let (x, rows) = (
            &x[range.clone()],
            range.len() / (width * plane.get()).max(1),
        );
        apply_with(isa, x, scale, shift, y, rows, n, plane);
    });
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
    let parts = parts(batch, width, plane.get());
    if parts == 1 {
        on_plane!(
            batchnorm_backward_with(
                isa, dy, xhat, invstd, gamma, dx, dgamma, dbeta, fresh, batch, n
            ),
            plane
        );
        return;
    }
    let grads = [dgamma, dbeta];
    backward_split(
        isa, parts, dy, xhat, invstd, gamma, dx, grads, fresh, batch, n, plane,
    );
}

/// [`batchnorm_backward`] over `parts` parts of the pool: the sums by
/// channels (each channel's two means kept in a per-thread scratch), then
/// `dx` by rows. Out of line, as [`train_split`].
#[allow(clippy::too_many_arguments)]
#[inline(never)]
fn backward_split(
    isa: Isa,
    parts: usize,
    dy: &[f32],
    xhat: &[f32],
    invstd: &[f32],
    gamma: Option<&[f32]>,
    dx: &mut [f32],
    grads: [Option<&mut [f32]>; 2],
    fresh: Fresh,
    batch: usize,
    n: impl Dim,
    plane: impl Dim,
) {
    let width = n.get();
    CHANNEL_MEANS.with(|scratch| {
        let mut scratch = scratch.borrow_mut();
        let (mean_dy, mean_dyh) = grown(&mut scratch, 2 * width).split_at_mut(width);
        let channels = |p| part_range(width, parts, p, per_block(plane.get()));
        let [dgammas, dbetas] = grads.map(|d| d.map(|d| PartsMut::new(d, parts, channels)));
        let [dys, dyhs] =
            [&mut *mean_dy, &mut *mean_dyh].map(|m| PartsMut::new(m, parts, channels));
        parallel::split(parts, &|p| {
            let dgamma = dgammas.as_ref().map(|d| d.take(p));
            let dbeta = dbetas.as_ref().map(|d| d.take(p));
            let means = [dys.take(p), dyhs.take(p)];
            on_plane!(
                grad_sums_with(
                    isa,
                    dy,
                    xhat,
                    dgamma,
                    dbeta,
                    means,
                    channels(p),
                    fresh,
                    batch,
                    n
                ),
                plane
            );
        });
        let means = [&*mean_dy, &*mean_dyh];
        let rows = row_parts(batch, width * plane.get(), parts);
        let dxs = PartsMut::new(dx, parts, &rows);
        parallel::split(parts, &|p| {
            let range = rows(p);
            let count = range.len() / (width * plane.get());
            let (dy, xhat) = (&dy[range.clone()], &xhat[range]);
            let fresh = fresh.output(0);
            on_plane!(
                dx_with(
                    isa,
                    dy,
                    xhat,
                    invstd,
                    gamma,
                    means,
                    dxs.take(p),
                    fresh,
                    count,
                    n
                ),
                plane
            );
        });
    });
}

thread_local! {
    /// A split backward's per-channel `mean(dy)` and `mean(dy·x̂)`,
    /// between its two halves: grown to the widest layer a thread has
    /// seen, then reused, so a step allocates nothing for them.
    static CHANNEL_MEANS: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
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
    fn stats_with<N: Dim, P: Dim>(
        x: &[f32],
        stats: Stats<'_>,
        channels: Range<usize>,
        factor: f64,
        eps: f32,
        batch: usize,
        n: N,
        plane: P,
    ) => stats_body;
}

multiversion! {
    fn normalize_with<N: Dim, P: Dim>(
        x: &[f32],
        mean: &[f32],
        invstd: &[f32],
        gamma: Option<&[f32]>,
        beta: Option<&[f32]>,
        xhat: &mut [f32],
        y: &mut [f32],
        batch: usize,
        n: N,
        plane: P,
    ) => normalize_body;
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

multiversion! {
    fn grad_sums_with<N: Dim, P: Dim>(
        dy: &[f32],
        xhat: &[f32],
        dgamma: Option<&mut [f32]>,
        dbeta: Option<&mut [f32]>,
        means: [&mut [f32]; 2],
        channels: Range<usize>,
        fresh: Fresh,
        batch: usize,
        n: N,
        plane: P,
    ) => grad_sums_body;
}

multiversion! {
    fn dx_with<N: Dim, P: Dim>(
        dy: &[f32],
        xhat: &[f32],
        invstd: &[f32],
        gamma: Option<&[f32]>,
        means: [&[f32]; 2],
        dx: &mut [f32],
        fresh: bool,
        batch: usize,
        n: N,
        plane: P,
    ) => dx_body;
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
    /// The blocks of the channels `channels` (from a multiple of
    /// [`per_block`]) of a row of `plane` positions per channel.
    #[inline(always)]
    fn all(channels: Range<usize>, plane: usize) -> impl Iterator<Item = Block> {
        let per_block = per_block(plane);
        let end = channels.end;
        channels.step_by(per_block).map(move |c0| {
            let count = per_block.min(end - c0);
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
    fn groups(
        channels: Range<usize>,
        plane: usize,
        most: usize,
    ) -> impl Iterator<Item = (Block, usize)> {
        let alike = channels.len() / per_block(plane);
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

/// Channels per block: as many whole channels as fit a tile, at least one.
#[inline(always)]
fn per_block(plane: usize) -> usize {
    (LANES / plane).max(1)
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
        moments: Moments {
            x,
            stats,
            first: 0,
            factor,
            eps,
            batch,
            n,
            plane,
        },
        gamma,
        beta,
        y,
        xhat,
    };
    over_groups!(train_group::<M>(&mut pass), 0..channels, plane);
}

/// The statistics of the channels `channels` alone (into `stats`, which
/// hold those channels): the first half of a training forward split over
/// the pool.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn stats_body<M: Fma>(
    x: &[f32],
    stats: Stats<'_>,
    channels: Range<usize>,
    factor: f64,
    eps: f32,
    batch: usize,
    width: impl Dim,
    plane: impl Dim,
) {
    let plane = plane.get();
    let mut pass = Moments {
        x,
        stats,
        first: channels.start,
        factor,
        eps,
        batch,
        n: width.get() * plane,
        plane,
    };
    over_groups!(stats_group::<M>(&mut pass), channels, plane);
}

/// `x̂` and `y` of `batch` rows from the saved `mean` and `invstd`: the
/// second half of a training forward split over the pool.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn normalize_body<M: Fma>(
    x: &[f32],
    mean: &[f32],
    invstd: &[f32],
    gamma: Option<&[f32]>,
    beta: Option<&[f32]>,
    xhat: &mut [f32],
    y: &mut [f32],
    batch: usize,
    channels: impl Dim,
    plane: impl Dim,
) {
    let (channels, plane) = (channels.get(), plane.get());
    let rows = Rows {
        batch,
        n: channels * plane,
    };
    for block in Block::all(0..channels, plane) {
        let (mu, inv) = (
            simd::load_tile(mean, block.c0),
            simd::load_tile(invstd, block.c0),
        );
        let (g, b) = affine(gamma, beta, block.c0);
        normalize_block::<M>(x, xhat, y, rows, plane, block, [&mu, &inv, &g, &b]);
    }
}

/// What the statistics of a training forward read and write, for each
/// group of blocks; `stats` hold the channels from `first` on.
struct Moments<'a> {
    x: &'a [f32],
    stats: Stats<'a>,
    first: usize,
    factor: f64,
    eps: f32,
    batch: usize,
    n: usize,
    plane: usize,
}

/// The operands of a whole training forward on one thread.
struct TrainPass<'a> {
    moments: Moments<'a>,
    gamma: Option<&'a [f32]>,
    beta: Option<&'a [f32]>,
    y: &'a mut [f32],
    xhat: &'a mut [f32],
}

/// The training forward of `G` alike blocks from `first`: their
/// statistics reduced side by side, then each block normalised while its
/// rows are in cache.
#[inline(always)]
fn train_group<M: Fma, const G: usize>(pass: &mut TrainPass<'_>, first: Block) {
    let blocks = group::<G>(first);
    let (mu, sq) = group_moments::<M, G>(&pass.moments, &blocks);
    let (batch, n, plane) = (pass.moments.batch, pass.moments.n, pass.moments.plane);
    each_block!(g < G => {
        let inv = block_stats::<M>(&mut pass.moments, blocks[g], &mu[g], &sq[g]);
        let (gm, b) = affine(pass.gamma, pass.beta, blocks[g].c0);
        let (x, rows) = (pass.moments.x, Rows { batch, n });
        let operands = [&mu[g], &inv, &gm, &b];
        normalize_block::<M>(x, pass.xhat, pass.y, rows, plane, blocks[g], operands);
    });
}

/// The statistics of `G` alike blocks from `first`, without `x̂` and `y`.
#[inline(always)]
fn stats_group<M: Fma, const G: usize>(pass: &mut Moments<'_>, first: Block) {
    let blocks = group::<G>(first);
    let (mu, sq) = group_moments::<M, G>(pass, &blocks);
    each_block!(g < G => {
        block_stats::<M>(pass, blocks[g], &mu[g], &sq[g]);
    });
}

/// Per-lane batch means and sums of squared deviations of `G` blocks.
type GroupMoments<const G: usize> = ([[f32; LANES]; G], [[f32; LANES]; G]);

/// The blocks' batch means, then their sums of squared deviations from
/// them (two passes, as PyTorch's CPU kernel).
#[inline(always)]
fn group_moments<M: Fma, const G: usize>(
    pass: &Moments<'_>,
    blocks: &[Block; G],
) -> GroupMoments<G> {
    let (x, batch, n, plane) = (pass.x, pass.batch, pass.n, pass.plane);
    let inv_count = 1.0 / (batch * plane) as f32;
    let rows = Rows { batch, n };
    let [mut mu] = group_sums::<M, G, 1>(blocks, plane, &ColumnSums { x, rows });
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
    let [sq] = group_sums::<M, G, 1>(blocks, plane, &deviations);
    (mu, sq)
}

/// One block's statistics from its batch mean and Σ of squared
/// deviations: `mean`, `invstd` and the running statistics stored;
/// returns `invstd`.
#[inline(always)]
fn block_stats<M: Fma>(
    pass: &mut Moments<'_>,
    block: Block,
    mu: &[f32; LANES],
    sq: &[f32; LANES],
) -> [f32; LANES] {
    let count = pass.batch * pass.plane;
    let inv_count = 1.0 / count as f32;
    let unbias = count as f64 / (count as f64 - 1.0);
    let mut inv = [0f32; LANES];
    for l in 0..LANES {
        inv[l] = 1.0 / M::mul_add(sq[l], inv_count, pass.eps).sqrt();
    }
    let (c0, mask) = (block.c0 - pass.first, block.mask());
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
    inv
}

/// `x̂ = (x − mean)·invstd` and `y = γ·x̂ + β` on a block of every row;
/// `operands` are the block's per-channel mean, invstd, γ and β.
#[inline(always)]
fn normalize_block<M: Fma>(
    x: &[f32],
    xhat: &mut [f32],
    y: &mut [f32],
    rows: Rows,
    plane: usize,
    block: Block,
    operands: [&[f32; LANES]; 4],
) {
    let mut pass = Normalize { x, xhat, y };
    map_block::<M, 4>(&mut pass, rows, plane, block, operands);
}

/// The buffers of [`normalize_block`].
struct Normalize<'a> {
    x: &'a [f32],
    xhat: &'a mut [f32],
    y: &'a mut [f32],
}

impl BlockMap<4> for Normalize<'_> {
    #[inline(always)]
    fn tile<M: Fma>(&mut self, off: usize, width: usize, lanes: &[[f32; LANES]; 4]) {
        let [mu, inv, g, b] = lanes;
        let full = (
            tile(self.x, off, width),
            full_tile(self.xhat, off, width),
            full_tile(self.y, off, width),
        );
        if let (Some(t), Some(hd), Some(od)) = full {
            // Straight from and into the buffers: staging a tile in
            // arrays made LLVM split it and stall on store forwarding.
            for l in 0..LANES {
                hd[l] = (t[l] - mu[l]) * inv[l];
            }
            // γ and β as whole tiles: lane by lane, LLVM split the
            // product and the store into ymm, xmm and scalar pieces.
            *od = M::mul_add_tiles(hd, g, b);
            return;
        }
        // A ragged tile: only its own positions, as slices. A masked
        // 16-wide store would overlap the next row's load and stall
        // store forwarding on every row.
        let (t, hd, od) = (
            &self.x[off..off + width],
            &mut self.xhat[off..off + width],
            &mut self.y[off..off + width],
        );
        for l in 0..width {
            hd[l] = (t[l] - mu[l]) * inv[l];
            od[l] = M::mul_add(hd[l], g[l], b[l]);
        }
    }
}

/// An elementwise pass over a block's positions in every row, given
/// each lane's per-channel operands: what the normalisation, `dx` and
/// the eval forward share. A trait rather than a closure, so that the
/// body inlines into the ISA's kernel (as [`ColumnReduce`]).
trait BlockMap<const K: usize> {
    /// The `width` (at most [`LANES`]) positions from `off`, lane `l`
    /// with the operands `lanes[..][l]`.
    fn tile<M: Fma>(&mut self, off: usize, width: usize, lanes: &[[f32; LANES]; K]);
}

/// Runs `map` over `block`'s positions of `rows`, its per-channel
/// `operands` spread over the lanes: a tile of the block at a time down
/// the rows, or, when the block is the whole row and a tile holds whole
/// rows, a tile at a time along all the rows as one run, the operands
/// repeating every row. 8 features over 32 rows are then 16 whole tiles
/// instead of 32 half ones: the training forward 195 → 130 ns (AVX2 175
/// → 114), the backward 172 → 113 ns on AVX-512. Each position gets the
/// same operations either way.
#[inline(always)]
fn map_block<M: Fma, const K: usize>(
    map: &mut impl BlockMap<K>,
    rows: Rows,
    plane: usize,
    block: Block,
    operands: [&[f32; LANES]; K],
) {
    let Rows { batch, n } = rows;
    // A row of a whole tile, or a single row, is walked alike either way:
    // only several narrower rows gain from the run (tested first, before
    // the division a run-time `n` costs).
    let narrow_rows = batch > 1 && n < LANES && block.start == 0 && block.end == n;
    if narrow_rows && LANES.is_multiple_of(n) {
        let lanes = repeating_rows(operands, n, plane);
        // Whole tiles with a constant width, so that the full-tile
        // branch is the only one in their loop.
        let total = batch * n;
        let whole = total - total % LANES;
        for off in (0..whole).step_by(LANES) {
            map.tile::<M>(off, LANES, &lanes);
        }
        if whole < total {
            map.tile::<M>(whole, total - whole, &lanes);
        }
        return;
    }
    for (j0, width) in block.tiles() {
        let offset = j0 - block.start;
        let mut lanes = [[0f32; LANES]; K];
        for (lanes, per_channel) in lanes.iter_mut().zip(operands) {
            *lanes = spread(per_channel, offset, plane);
        }
        for r in 0..batch {
            map.tile::<M>(r * n + j0, width, &lanes);
        }
    }
}

/// The operands of a run of whole rows of `n` positions (`n` divides
/// [`LANES`]): lane `l` gets those of position `l mod n`'s channel.
/// Loops, not `array::map`: its closure stays a call, and the lanes it
/// returns then live in memory.
#[inline(always)]
fn repeating_rows<const K: usize>(
    operands: [&[f32; LANES]; K],
    n: usize,
    plane: usize,
) -> [[f32; LANES]; K] {
    let mut lanes = [[0f32; LANES]; K];
    for (lanes, per_channel) in lanes.iter_mut().zip(operands) {
        let row = spread(per_channel, 0, plane);
        // A wrapping position, not `l % n`: a run-time `n` (the
        // interpreter's) made that a division per lane.
        let mut at = 0;
        for lane in lanes.iter_mut() {
            *lane = row[at];
            at += 1;
            if at == n {
                at = 0;
            }
        }
    }
    lanes
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
    for block in Block::all(0..channels, plane) {
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
    for block in Block::all(0..channels, plane) {
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
    let rows = Rows {
        batch: x.len().min(y.len()) / n,
        n,
    };
    map_block::<M, 2>(&mut Apply { x, y }, rows, plane, block, [scale, shift]);
}

/// The buffers of [`apply_block`].
struct Apply<'a> {
    x: &'a [f32],
    y: &'a mut [f32],
}

impl BlockMap<2> for Apply<'_> {
    #[inline(always)]
    fn tile<M: Fma>(&mut self, off: usize, width: usize, lanes: &[[f32; LANES]; 2]) {
        let [scale, shift] = lanes;
        if let (Some(t), Some(o)) = (tile(self.x, off, width), full_tile(self.y, off, width)) {
            for l in 0..LANES {
                o[l] = M::mul_add(t[l], scale[l], shift[l]);
            }
            return;
        }
        // Only this tile's positions, as slices (a masked 16-wide store
        // would overlap the next row's load).
        let (t, o) = (&self.x[off..off + width], &mut self.y[off..off + width]);
        for l in 0..width {
            o[l] = M::mul_add(t[l], scale[l], shift[l]);
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
        sums: GradSums {
            dy,
            xhat,
            dgamma,
            dbeta,
            first: 0,
            fresh,
            batch,
            n,
            plane,
        },
        invstd,
        gamma,
        dx,
    };
    over_groups!(backward_group::<M>(&mut pass), 0..channels, plane);
}

/// The sums of the channels `channels` alone: `dγ` and `dβ` (which hold
/// those channels), and per channel `mean(dy)` and `mean(dy·x̂)` into
/// `means` for [`dx_body`]: the first half of a backward split over the
/// pool.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn grad_sums_body<M: Fma>(
    dy: &[f32],
    xhat: &[f32],
    dgamma: Option<&mut [f32]>,
    dbeta: Option<&mut [f32]>,
    means: [&mut [f32]; 2],
    channels: Range<usize>,
    fresh: Fresh,
    batch: usize,
    width: impl Dim,
    plane: impl Dim,
) {
    let plane = plane.get();
    let mut pass = SumsPass {
        sums: GradSums {
            dy,
            xhat,
            dgamma,
            dbeta,
            first: channels.start,
            fresh,
            batch,
            n: width.get() * plane,
            plane,
        },
        means,
    };
    over_groups!(grad_sums_group::<M>(&mut pass), channels, plane);
}

/// `dx` of `batch` rows from the channels' `means` ([`grad_sums_body`]):
/// the second half of a backward split over the pool.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn dx_body<M: Fma>(
    dy: &[f32],
    xhat: &[f32],
    invstd: &[f32],
    gamma: Option<&[f32]>,
    means: [&[f32]; 2],
    dx: &mut [f32],
    fresh: bool,
    batch: usize,
    channels: impl Dim,
    plane: impl Dim,
) {
    let (channels, plane) = (channels.get(), plane.get());
    let [mean_dy, mean_dyh] = means;
    let operands = DxOperands {
        dy,
        xhat,
        rows: Rows {
            batch,
            n: channels * plane,
        },
        plane,
    };
    for block in Block::all(0..channels, plane) {
        let terms = dx_terms(
            gamma,
            invstd,
            block.c0,
            simd::load_tile(mean_dy, block.c0),
            simd::load_tile(mean_dyh, block.c0),
        );
        dx_rows::<M>(&operands, dx, fresh, block, &terms);
    }
}

/// What the sums of a training backward read and write, for each group
/// of blocks; `dγ` and `dβ` hold the channels from `first` on.
struct GradSums<'a> {
    dy: &'a [f32],
    xhat: &'a [f32],
    dgamma: Option<&'a mut [f32]>,
    dbeta: Option<&'a mut [f32]>,
    first: usize,
    fresh: Fresh,
    batch: usize,
    n: usize,
    plane: usize,
}

/// The first half of a split backward: the sums, and the channels'
/// means kept for the second (from the channel `sums.first` on).
struct SumsPass<'a> {
    sums: GradSums<'a>,
    means: [&'a mut [f32]; 2],
}

/// The operands of a whole training backward on one thread.
struct BackwardPass<'a> {
    sums: GradSums<'a>,
    invstd: &'a [f32],
    gamma: Option<&'a [f32]>,
    dx: &'a mut [f32],
}

/// The backward of `G` alike blocks from `first`: their sums of `dy`
/// and `dy·x̂` reduced side by side, then each block's `dx` while its
/// rows are in cache.
#[inline(always)]
fn backward_group<M: Fma, const G: usize>(pass: &mut BackwardPass<'_>, first: Block) {
    let blocks = group::<G>(first);
    let [sdy, sdyh] = group_grad_sums::<M, G>(&pass.sums, &blocks);
    let sums = &pass.sums;
    let operands = DxOperands {
        dy: sums.dy,
        xhat: sums.xhat,
        rows: Rows {
            batch: sums.batch,
            n: sums.n,
        },
        plane: sums.plane,
    };
    let fresh = sums.fresh.output(0);
    each_block!(g < G => {
        let [mean_dy, mean_dyh] = block_grads(&mut pass.sums, blocks[g], &sdy[g], &sdyh[g]);
        let terms = dx_terms(pass.gamma, pass.invstd, blocks[g].c0, mean_dy, mean_dyh);
        dx_rows::<M>(&operands, pass.dx, fresh, blocks[g], &terms);
    });
}

/// The sums of `G` alike blocks from `first`, without `dx`.
#[inline(always)]
fn grad_sums_group<M: Fma, const G: usize>(pass: &mut SumsPass<'_>, first: Block) {
    let blocks = group::<G>(first);
    let [sdy, sdyh] = group_grad_sums::<M, G>(&pass.sums, &blocks);
    each_block!(g < G => {
        let means = block_grads(&mut pass.sums, blocks[g], &sdy[g], &sdyh[g]);
        let (c0, mask) = (blocks[g].c0 - pass.sums.first, blocks[g].mask());
        for (out, mean) in pass.means.iter_mut().zip(&means) {
            simd::store_tile(out, c0, &mask, mean);
        }
    });
}

/// Per-lane sums of `dy` and of `dy·x̂` over the batch of `G` blocks.
#[inline(always)]
fn group_grad_sums<M: Fma, const G: usize>(
    pass: &GradSums<'_>,
    blocks: &[Block; G],
) -> [[[f32; LANES]; G]; 2] {
    let sums = GradientSums {
        dy: pass.dy,
        xhat: pass.xhat,
        rows: Rows {
            batch: pass.batch,
            n: pass.n,
        },
    };
    group_sums::<M, G, 2>(blocks, pass.plane, &sums)
}

/// One block's `dγ` and `dβ` from its sums of `dy·x̂` and `dy`; returns
/// its `mean(dy)` and `mean(dy·x̂)`.
#[inline(always)]
fn block_grads(
    pass: &mut GradSums<'_>,
    block: Block,
    sdy: &[f32; LANES],
    sdyh: &[f32; LANES],
) -> [[f32; LANES]; 2] {
    let fresh = pass.fresh;
    let inv_count = 1.0 / (pass.batch * pass.plane) as f32;
    let (c0, mask) = (block.c0 - pass.first, block.mask());
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
    let (mut mean_dy, mut mean_dyh) = ([0f32; LANES], [0f32; LANES]);
    for l in 0..LANES {
        mean_dy[l] = sdy[l] * inv_count;
        mean_dyh[l] = sdyh[l] * inv_count;
    }
    [mean_dy, mean_dyh]
}

/// The channels from `c0`'s terms of `dx`, from their `mean(dy)` and
/// `mean(dy·x̂)`.
#[inline(always)]
fn dx_terms(
    gamma: Option<&[f32]>,
    invstd: &[f32],
    c0: usize,
    mean_dy: [f32; LANES],
    mean_dyh: [f32; LANES],
) -> DxTerms {
    let (g, _) = affine(gamma, None, c0);
    let inv = simd::load_tile(invstd, c0);
    let mut scale = [0f32; LANES];
    for l in 0..LANES {
        scale[l] = g[l] * inv[l];
    }
    DxTerms {
        mean_dy,
        mean_dyh,
        scale,
    }
}

/// A block's per-channel terms of `dx`.
struct DxTerms {
    mean_dy: [f32; LANES],
    mean_dyh: [f32; LANES],
    scale: [f32; LANES],
}

/// What `dx` reads: `dy` and `x̂` as rows of `n`.
struct DxOperands<'a> {
    dy: &'a [f32],
    xhat: &'a [f32],
    rows: Rows,
    plane: usize,
}

/// `dx (+)= scale·(dy − mean(dy) − x̂·mean(dy·x̂))` on the block's
/// positions of every row, overwritten when `fresh`.
#[inline(always)]
fn dx_rows<M: Fma>(
    operands: &DxOperands<'_>,
    dx: &mut [f32],
    fresh: bool,
    block: Block,
    terms: &DxTerms,
) {
    // Two loops rather than a select per lane: with the choice inside,
    // LLVM cut the tile into scalar and 4-lane pieces (AVX2).
    if fresh {
        dx_rows_onto::<M, true>(operands, dx, block, terms);
    } else {
        dx_rows_onto::<M, false>(operands, dx, block, terms);
    }
}

/// [`dx_rows`], from zero when `FRESH`.
#[inline(always)]
fn dx_rows_onto<M: Fma, const FRESH: bool>(
    operands: &DxOperands<'_>,
    dx: &mut [f32],
    block: Block,
    terms: &DxTerms,
) {
    let DxOperands {
        dy,
        xhat,
        rows,
        plane,
    } = *operands;
    let per_channel = [&terms.mean_dy, &terms.mean_dyh, &terms.scale];
    map_block::<M, 3>(
        &mut Dx::<FRESH> { dy, xhat, dx },
        rows,
        plane,
        block,
        per_channel,
    );
}

/// The buffers of [`dx_rows_onto`].
struct Dx<'a, const FRESH: bool> {
    dy: &'a [f32],
    xhat: &'a [f32],
    dx: &'a mut [f32],
}

impl<const FRESH: bool> BlockMap<3> for Dx<'_, FRESH> {
    #[inline(always)]
    fn tile<M: Fma>(&mut self, off: usize, width: usize, lanes: &[[f32; LANES]; 3]) {
        let [sdy, sdyh, scale] = lanes;
        let full = (
            tile(self.dy, off, width),
            tile(self.xhat, off, width),
            full_tile(self.dx, off, width),
        );
        if let (Some(gt), Some(ht), Some(d)) = full {
            // Straight from and into the buffers, as in the forward.
            for l in 0..LANES {
                let centred = M::mul_add(-ht[l], sdyh[l], gt[l] - sdy[l]);
                d[l] = M::mul_add(centred, scale[l], Fresh::base(FRESH, d[l]));
            }
            return;
        }
        // A ragged tile, as slices (see the forward).
        let (gt, ht) = (&self.dy[off..off + width], &self.xhat[off..off + width]);
        let d = &mut self.dx[off..off + width];
        for l in 0..width {
            let centred = M::mul_add(-ht[l], sdyh[l], gt[l] - sdy[l]);
            d[l] = M::mul_add(centred, scale[l], Fresh::base(FRESH, d[l]));
        }
    }
}
