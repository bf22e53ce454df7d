//! `nn.BatchNorm1d` over `[batch, n]`: per-feature statistics over the
//! batch, PyTorch's running-statistics update.
//!
//! Features are processed in fixed tiles of [`LANES`] so the per-feature
//! sums live in registers and every inner step is one vector operation
//! along a contiguous row (no heap scratch, no runtime-length inner loop).
//! The width `n` is a [`Dim`]: a constant width specialises the tiles.
//!
//! The eval forward can also run from a `scale`/`shift` kept while the
//! running statistics stay put ([`batchnorm_eval_affine`],
//! [`batchnorm_apply`]), with the same bits as [`batchnorm_forward_eval`].

use crate::dim::Dim;
use crate::simd::{self, multiversion, Fma, Isa, LANES};

/// Training-mode forward. Normalises with the biased batch variance; the
/// running variance receives the unbiased one. `momentum: None` is the
/// cumulative average with factor 1/num_batches_tracked (incremented
/// first). A batch of 1 gives a NaN running variance: PyTorch refuses it,
/// so callers must too.
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
) {
    let width = n.get();
    assert!(x.len() == batch * width && y.len() == x.len() && xhat.len() == x.len());
    stats.check(width);
    assert!(gamma.is_none_or(|g| g.len() == width) && beta.is_none_or(|b| b.len() == width));
    *num_batches_tracked += 1;
    let factor = match momentum {
        Some(m) => f64::from(m),
        None => 1.0 / *num_batches_tracked as f64,
    };
    batchnorm_forward_train_with(
        Isa::detect(),
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
) {
    let width = n.get();
    assert!(x.len() == batch * width && y.len() == x.len());
    check_features([Some(running_mean), Some(running_var), gamma, beta], width);
    batchnorm_forward_eval_with(
        Isa::detect(),
        x,
        gamma,
        beta,
        running_mean,
        running_var,
        eps,
        y,
        batch,
        n,
    );
}

/// `scale = γ/√(var+ε)`, `shift = β − mean·scale` (γ = 1, β = 0 when
/// absent), exactly as [`batchnorm_forward_eval`] computes them: kept by
/// an inference cache while the running statistics stay put.
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

/// `y = x·scale + shift` per feature, from [`batchnorm_eval_affine`]:
/// bit-identical to [`batchnorm_forward_eval`].
#[inline]
pub fn batchnorm_apply(
    x: &[f32],
    scale: &[f32],
    shift: &[f32],
    y: &mut [f32],
    batch: usize,
    n: impl Dim,
) {
    batchnorm_apply_on(Isa::detect(), x, scale, shift, y, batch, n);
}

/// [`batchnorm_apply`] on a chosen path (tests and benchmarks).
#[inline]
pub fn batchnorm_apply_on<N: Dim>(
    isa: Isa,
    x: &[f32],
    scale: &[f32],
    shift: &[f32],
    y: &mut [f32],
    batch: usize,
    n: N,
) {
    let width = n.get();
    assert!(
        x.len() == batch * width && y.len() == x.len(),
        "batchnorm: x/y is not [batch, n]"
    );
    assert!(
        scale.len() == width && shift.len() == width,
        "batchnorm: scale/shift is not [n]"
    );
    apply_with(isa, x, scale, shift, y, batch, n);
}

/// Training-mode backward from the saved `xhat` and `invstd`:
/// `dx += γ·invstd·(dy − mean(dy) − x̂·mean(dy·x̂))`, `dγ += Σ dy·x̂`,
/// `dβ += Σ dy`.
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
    batch: usize,
    n: impl Dim,
) {
    let width = n.get();
    assert!(dy.len() == batch * width && xhat.len() == dy.len() && dx.len() == dy.len());
    check_features([Some(invstd), gamma], width);
    assert!(dgamma.as_ref().is_none_or(|d| d.len() == width));
    assert!(dbeta.as_ref().is_none_or(|d| d.len() == width));
    batchnorm_backward_with(
        Isa::detect(),
        dy,
        xhat,
        invstd,
        gamma,
        dx,
        dgamma,
        dbeta,
        batch,
        n,
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
    pub fn batchnorm_forward_train_with<N: Dim>(
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
    ) => train_body;
}

multiversion! {
    /// [`batchnorm_forward_eval`] on a chosen path (tests and benchmarks).
    pub fn batchnorm_forward_eval_with<N: Dim>(
        x: &[f32],
        gamma: Option<&[f32]>,
        beta: Option<&[f32]>,
        running_mean: &[f32],
        running_var: &[f32],
        eps: f32,
        y: &mut [f32],
        batch: usize,
        n: N,
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
    fn apply_with<N: Dim>(
        x: &[f32],
        scale: &[f32],
        shift: &[f32],
        y: &mut [f32],
        batch: usize,
        n: N,
    ) => apply_body;
}

multiversion! {
    /// [`batchnorm_backward`] on a chosen path (tests and benchmarks).
    pub fn batchnorm_backward_with<N: Dim>(
        dy: &[f32],
        xhat: &[f32],
        invstd: &[f32],
        gamma: Option<&[f32]>,
        dx: &mut [f32],
        dgamma: Option<&mut [f32]>,
        dbeta: Option<&mut [f32]>,
        batch: usize,
        n: N,
    ) => backward_body;
}

/// The tile at `off` of a buffer with rows of `n` when all [`LANES`] of
/// it are features of this row (not the next row's, not past the end).
#[inline(always)]
fn full_tile(buf: &mut [f32], off: usize, n: usize) -> Option<&mut [f32; LANES]> {
    if off % n + LANES > n {
        return None;
    }
    buf.get_mut(off..off + LANES)?.try_into().ok()
}

/// [`full_tile`] for reading.
#[inline(always)]
fn tile(buf: &[f32], off: usize, n: usize) -> Option<&[f32; LANES]> {
    if off % n + LANES > n {
        return None;
    }
    buf.get(off..off + LANES)?.try_into().ok()
}

/// γ and β of the tile at `j0`, 1 and 0 when the layer is not affine
/// (padding lanes are harmless: their outputs are never stored).
#[inline(always)]
fn affine(gamma: Option<&[f32]>, beta: Option<&[f32]>, j0: usize) -> ([f32; LANES], [f32; LANES]) {
    let g = gamma.map_or([1.0; LANES], |g| simd::load_tile(g, j0));
    let b = beta.map_or([0.0; LANES], |b| simd::load_tile(b, j0));
    (g, b)
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
    n: impl Dim,
) {
    let n = n.get();
    if n == 0 || batch == 0 {
        return;
    }
    let inv_b = 1.0 / batch as f32;
    let unbias = batch as f64 / (batch as f64 - 1.0);
    for j0 in (0..n).step_by(LANES) {
        let width = LANES.min(n - j0);
        let mask = simd::lane_mask(width);
        let whole = simd::whole_windows(batch, n, j0);
        let mut sum = [0f32; LANES];
        for r in 0..whole {
            let t = simd::window(x, r * n + j0);
            for l in 0..LANES {
                sum[l] += t[l];
            }
        }
        for r in whole..batch {
            let t = simd::load_tile(x, r * n + j0);
            for l in 0..LANES {
                sum[l] += t[l];
            }
        }
        let mut mu = [0f32; LANES];
        for l in 0..LANES {
            mu[l] = sum[l] * inv_b;
        }
        // Two-pass variance, as PyTorch's CPU kernel: no cancellation.
        let mut sq = [0f32; LANES];
        for r in 0..whole {
            let t = simd::window(x, r * n + j0);
            for l in 0..LANES {
                let d = t[l] - mu[l];
                sq[l] = M::mul_add(d, d, sq[l]);
            }
        }
        for r in whole..batch {
            let t = simd::load_tile(x, r * n + j0);
            for l in 0..LANES {
                let d = t[l] - mu[l];
                sq[l] = M::mul_add(d, d, sq[l]);
            }
        }
        let mut inv = [0f32; LANES];
        for l in 0..LANES {
            inv[l] = 1.0 / M::mul_add(sq[l], inv_b, eps).sqrt();
        }
        simd::store_tile(stats.mean, j0, &mask, &mu);
        simd::store_tile(stats.invstd, j0, &mask, &inv);
        let running = stats.running_mean[j0..j0 + width]
            .iter_mut()
            .zip(&mut stats.running_var[j0..j0 + width]);
        for (l, (rm, rv)) in running.enumerate() {
            *rm = ((1.0 - factor) * f64::from(*rm) + factor * f64::from(mu[l])) as f32;
            let unbiased = f64::from(sq[l]) / batch as f64 * unbias;
            *rv = ((1.0 - factor) * f64::from(*rv) + factor * unbiased) as f32;
        }
        let (g, b) = affine(gamma, beta, j0);
        for r in 0..batch {
            let off = r * n + j0;
            let full = (
                tile(x, off, n),
                full_tile(xhat, off, n),
                full_tile(y, off, n),
            );
            if let (Some(t), Some(hd), Some(od)) = full {
                // Straight from and into the buffers: staging a tile in
                // arrays made LLVM split it and stall on store forwarding.
                for l in 0..LANES {
                    hd[l] = (t[l] - mu[l]) * inv[l];
                    od[l] = M::mul_add(hd[l], g[l], b[l]);
                }
                continue;
            }
            // A ragged tile: only its own features, as slices. A masked
            // 16-wide store would overlap the next row's load and stall
            // store forwarding on every row.
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
    n: impl Dim,
) {
    let n = n.get();
    if n == 0 {
        return;
    }
    for j0 in (0..n).step_by(LANES) {
        let (scale, shift) = eval_affine::<M>(gamma, beta, running_mean, running_var, eps, j0);
        apply_tile::<M>(x, &scale, &shift, y, n, j0);
    }
}

/// The eval forward's `(scale, shift)` per feature, for a caller that
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

/// `y = x·scale + shift` per feature: the eval forward from a kept
/// [`eval_affine_body`].
#[inline(always)]
fn apply_body<M: Fma>(
    x: &[f32],
    scale: &[f32],
    shift: &[f32],
    y: &mut [f32],
    _batch: usize,
    n: impl Dim,
) {
    let n = n.get();
    // Re-sliced to `n`, so that a constant width reaches the tile loads.
    let (scale, shift) = (&scale[..n], &shift[..n]);
    for j0 in (0..n).step_by(LANES) {
        let (sc, sh) = (simd::load_tile(scale, j0), simd::load_tile(shift, j0));
        apply_tile::<M>(x, &sc, &sh, y, n, j0);
    }
}

/// Scale and shift of the tile at `j0`: `scale = γ/√(var+ε)`,
/// `shift = β − mean·scale`, as PyTorch's CPU eval kernel folds them
/// (padding lanes are never stored).
#[inline(always)]
fn eval_affine<M: Fma>(
    gamma: Option<&[f32]>,
    beta: Option<&[f32]>,
    running_mean: &[f32],
    running_var: &[f32],
    eps: f32,
    j0: usize,
) -> ([f32; LANES], [f32; LANES]) {
    let (g, b) = affine(gamma, beta, j0);
    let (rm, rv) = (
        simd::load_tile(running_mean, j0),
        simd::load_tile(running_var, j0),
    );
    let (mut scale, mut shift) = ([0f32; LANES], [0f32; LANES]);
    for l in 0..LANES {
        scale[l] = g[l] / (rv[l] + eps).sqrt();
        shift[l] = M::mul_add(-rm[l], scale[l], b[l]);
    }
    (scale, shift)
}

/// `y = x·scale + shift` on the tile at `j0` of every row.
#[inline(always)]
fn apply_tile<M: Fma>(
    x: &[f32],
    scale: &[f32; LANES],
    shift: &[f32; LANES],
    y: &mut [f32],
    n: usize,
    j0: usize,
) {
    // Only this tile's features of each row, as slices (a masked
    // 16-wide store would overlap the next row's load).
    let width = LANES.min(n - j0);
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

#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn backward_body<M: Fma>(
    dy: &[f32],
    xhat: &[f32],
    invstd: &[f32],
    gamma: Option<&[f32]>,
    dx: &mut [f32],
    mut dgamma: Option<&mut [f32]>,
    mut dbeta: Option<&mut [f32]>,
    batch: usize,
    n: impl Dim,
) {
    let n = n.get();
    if n == 0 || batch == 0 {
        return;
    }
    let inv_b = 1.0 / batch as f32;
    for j0 in (0..n).step_by(LANES) {
        let width = LANES.min(n - j0);
        let mask = simd::lane_mask(width);
        let (mut sdy, mut sdyh) = ([0f32; LANES], [0f32; LANES]);
        let whole = simd::whole_windows(batch, n, j0);
        for r in 0..whole {
            let off = r * n + j0;
            let (g, h) = (simd::window(dy, off), simd::window(xhat, off));
            for l in 0..LANES {
                sdy[l] += g[l];
                sdyh[l] = M::mul_add(g[l], h[l], sdyh[l]);
            }
        }
        for r in whole..batch {
            let off = r * n + j0;
            let (g, h) = (simd::load_tile(dy, off), simd::load_tile(xhat, off));
            for l in 0..LANES {
                sdy[l] += g[l];
                sdyh[l] = M::mul_add(g[l], h[l], sdyh[l]);
            }
        }
        if let Some(dg) = dgamma.as_deref_mut() {
            let mut d = simd::load_tile(dg, j0);
            for l in 0..LANES {
                d[l] += sdyh[l];
            }
            simd::store_tile(dg, j0, &mask, &d);
        }
        if let Some(db) = dbeta.as_deref_mut() {
            let mut d = simd::load_tile(db, j0);
            for l in 0..LANES {
                d[l] += sdy[l];
            }
            simd::store_tile(db, j0, &mask, &d);
        }
        let (g, _) = affine(gamma, None, j0);
        let inv = simd::load_tile(invstd, j0);
        let mut scale = [0f32; LANES];
        for l in 0..LANES {
            scale[l] = g[l] * inv[l];
            sdy[l] *= inv_b;
            sdyh[l] *= inv_b;
        }
        for r in 0..batch {
            let off = r * n + j0;
            let full = (tile(dy, off, n), tile(xhat, off, n), full_tile(dx, off, n));
            if let (Some(gt), Some(ht), Some(d)) = full {
                // Straight from and into the buffers, as in the forward.
                for l in 0..LANES {
                    let centred = M::mul_add(-ht[l], sdyh[l], gt[l] - sdy[l]);
                    d[l] = M::mul_add(centred, scale[l], d[l]);
                }
                continue;
            }
            // A ragged tile, as slices (see the forward).
            let (gt, ht) = (&dy[off..off + width], &xhat[off..off + width]);
            let d = &mut dx[off..off + width];
            for l in 0..width {
                let centred = M::mul_add(-ht[l], sdyh[l], gt[l] - sdy[l]);
                d[l] = M::mul_add(centred, scale[l], d[l]);
            }
        }
    }
}
