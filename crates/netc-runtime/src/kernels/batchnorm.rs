//! `nn.BatchNorm1d` over `[batch, n]`: per-feature statistics over the
//! batch, PyTorch's running-statistics update.
//!
//! Features are processed in blocks of [`BLOCK`] so the per-feature sums
//! live in stack arrays and every inner loop runs along a contiguous row
//! (vectorised across features, no heap scratch).

use crate::simd::{multiversion, Fma, Isa};

const BLOCK: usize = 64;

/// Training-mode forward. Normalises with the biased batch variance; the
/// running variance receives the unbiased one. `momentum: None` is the
/// cumulative average with factor 1/num_batches_tracked (incremented
/// first). A batch of 1 gives a NaN running variance: PyTorch refuses it,
/// so callers must too.
#[allow(clippy::too_many_arguments)]
pub fn batchnorm_forward_train(
    x: &[f32],
    gamma: Option<&[f32]>,
    beta: Option<&[f32]>,
    y: &mut [f32],
    xhat: &mut [f32],
    mean: &mut [f32],
    invstd: &mut [f32],
    running_mean: &mut [f32],
    running_var: &mut [f32],
    num_batches_tracked: &mut i64,
    momentum: Option<f32>,
    eps: f32,
    batch: usize,
    n: usize,
) {
    debug_assert!(x.len() == batch * n && y.len() == x.len() && xhat.len() == x.len());
    debug_assert!(mean.len() == n && invstd.len() == n);
    debug_assert!(running_mean.len() == n && running_var.len() == n);
    debug_assert!(gamma.is_none_or(|g| g.len() == n) && beta.is_none_or(|b| b.len() == n));
    *num_batches_tracked += 1;
    let factor = match momentum {
        Some(m) => f64::from(m),
        None => 1.0 / *num_batches_tracked as f64,
    };
    let stats = Stats {
        mean,
        invstd,
        running_mean,
        running_var,
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

/// Eval-mode forward with the running statistics.
#[allow(clippy::too_many_arguments)]
pub fn batchnorm_forward_eval(
    x: &[f32],
    gamma: Option<&[f32]>,
    beta: Option<&[f32]>,
    running_mean: &[f32],
    running_var: &[f32],
    eps: f32,
    y: &mut [f32],
    batch: usize,
    n: usize,
) {
    debug_assert!(x.len() == batch * n && y.len() == x.len());
    debug_assert!(running_mean.len() == n && running_var.len() == n);
    debug_assert!(gamma.is_none_or(|g| g.len() == n) && beta.is_none_or(|b| b.len() == n));
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

/// Training-mode backward from the saved `xhat` and `invstd`:
/// `dx += γ·invstd·(dy − mean(dy) − x̂·mean(dy·x̂))`, `dγ += Σ dy·x̂`,
/// `dβ += Σ dy`.
#[allow(clippy::too_many_arguments)]
pub fn batchnorm_backward(
    dy: &[f32],
    xhat: &[f32],
    invstd: &[f32],
    gamma: Option<&[f32]>,
    dx: &mut [f32],
    dgamma: Option<&mut [f32]>,
    dbeta: Option<&mut [f32]>,
    batch: usize,
    n: usize,
) {
    debug_assert!(dy.len() == batch * n && xhat.len() == dy.len() && dx.len() == dy.len());
    debug_assert!(invstd.len() == n && gamma.is_none_or(|g| g.len() == n));
    debug_assert!(dgamma.as_ref().is_none_or(|d| d.len() == n));
    debug_assert!(dbeta.as_ref().is_none_or(|d| d.len() == n));
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

multiversion! {
    /// [`batchnorm_forward_train`] on a chosen path (tests and benchmarks);
    /// `factor` is the resolved running-average factor.
    pub fn batchnorm_forward_train_with(
        x: &[f32],
        gamma: Option<&[f32]>,
        beta: Option<&[f32]>,
        y: &mut [f32],
        xhat: &mut [f32],
        stats: Stats<'_>,
        factor: f64,
        eps: f32,
        batch: usize,
        n: usize,
    ) => train_body;
}

multiversion! {
    /// [`batchnorm_forward_eval`] on a chosen path (tests and benchmarks).
    pub fn batchnorm_forward_eval_with(
        x: &[f32],
        gamma: Option<&[f32]>,
        beta: Option<&[f32]>,
        running_mean: &[f32],
        running_var: &[f32],
        eps: f32,
        y: &mut [f32],
        batch: usize,
        n: usize,
    ) => eval_body;
}

multiversion! {
    /// [`batchnorm_backward`] on a chosen path (tests and benchmarks).
    pub fn batchnorm_backward_with(
        dy: &[f32],
        xhat: &[f32],
        invstd: &[f32],
        gamma: Option<&[f32]>,
        dx: &mut [f32],
        dgamma: Option<&mut [f32]>,
        dbeta: Option<&mut [f32]>,
        batch: usize,
        n: usize,
    ) => backward_body;
}

/// Feature blocks `[j0, j0 + w)`.
#[inline(always)]
fn blocks(n: usize) -> impl Iterator<Item = (usize, usize)> {
    (0..n).step_by(BLOCK).map(move |j0| (j0, BLOCK.min(n - j0)))
}

#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(crate) fn train_body<M: Fma>(
    x: &[f32],
    gamma: Option<&[f32]>,
    beta: Option<&[f32]>,
    y: &mut [f32],
    xhat: &mut [f32],
    stats: Stats<'_>,
    factor: f64,
    eps: f32,
    batch: usize,
    n: usize,
) {
    if n == 0 || batch == 0 {
        return;
    }
    let inv_b = 1.0 / batch as f32;
    let unbias = batch as f64 / (batch as f64 - 1.0);
    for (j0, w) in blocks(n) {
        let mut sum = [0f32; BLOCK];
        for row in x.chunks_exact(n) {
            for (s, &v) in sum[..w].iter_mut().zip(&row[j0..j0 + w]) {
                *s += v;
            }
        }
        let mut mu = [0f32; BLOCK];
        for (m, &s) in mu[..w].iter_mut().zip(&sum[..w]) {
            *m = s * inv_b;
        }
        // Two-pass variance, as PyTorch's CPU kernel: no cancellation.
        let mut sq = [0f32; BLOCK];
        for row in x.chunks_exact(n) {
            for ((q, &v), &m) in sq[..w].iter_mut().zip(&row[j0..j0 + w]).zip(&mu[..w]) {
                let d = v - m;
                *q = M::mul_add(d, d, *q);
            }
        }
        let mut inv = [0f32; BLOCK];
        for j in 0..w {
            let var = sq[j] * inv_b;
            inv[j] = 1.0 / (var + eps).sqrt();
            stats.mean[j0 + j] = mu[j];
            stats.invstd[j0 + j] = inv[j];
            let rm = &mut stats.running_mean[j0 + j];
            *rm = ((1.0 - factor) * f64::from(*rm) + factor * f64::from(mu[j])) as f32;
            let rv = &mut stats.running_var[j0 + j];
            let unbiased = f64::from(sq[j]) / batch as f64 * unbias;
            *rv = ((1.0 - factor) * f64::from(*rv) + factor * unbiased) as f32;
        }
        let (g, b) = affine(gamma, beta, j0, w);
        let rows = x.chunks_exact(n).zip(xhat.chunks_exact_mut(n));
        for ((xr, hr), yr) in rows.zip(y.chunks_exact_mut(n)) {
            let (xr, hr, yr) = (&xr[j0..j0 + w], &mut hr[j0..j0 + w], &mut yr[j0..j0 + w]);
            for j in 0..w {
                let h = (xr[j] - mu[j]) * inv[j];
                hr[j] = h;
                yr[j] = M::mul_add(h, g[j], b[j]);
            }
        }
    }
}

/// γ and β of a block, 1 and 0 when the layer is not affine.
#[inline(always)]
fn affine(
    gamma: Option<&[f32]>,
    beta: Option<&[f32]>,
    j0: usize,
    w: usize,
) -> ([f32; BLOCK], [f32; BLOCK]) {
    let mut g = [1f32; BLOCK];
    let mut b = [0f32; BLOCK];
    if let Some(gamma) = gamma {
        g[..w].copy_from_slice(&gamma[j0..j0 + w]);
    }
    if let Some(beta) = beta {
        b[..w].copy_from_slice(&beta[j0..j0 + w]);
    }
    (g, b)
}

#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(crate) fn eval_body<M: Fma>(
    x: &[f32],
    gamma: Option<&[f32]>,
    beta: Option<&[f32]>,
    running_mean: &[f32],
    running_var: &[f32],
    eps: f32,
    y: &mut [f32],
    _batch: usize,
    n: usize,
) {
    if n == 0 {
        return;
    }
    for (j0, w) in blocks(n) {
        let (g, b) = affine(gamma, beta, j0, w);
        // y = x·scale + shift with scale = γ/√(var+ε), shift = β − mean·scale,
        // as PyTorch's CPU eval kernel folds it.
        let mut scale = [0f32; BLOCK];
        let mut shift = [0f32; BLOCK];
        for j in 0..w {
            scale[j] = g[j] / (running_var[j0 + j] + eps).sqrt();
            shift[j] = b[j] - running_mean[j0 + j] * scale[j];
        }
        for (xr, yr) in x.chunks_exact(n).zip(y.chunks_exact_mut(n)) {
            let (xr, yr) = (&xr[j0..j0 + w], &mut yr[j0..j0 + w]);
            for j in 0..w {
                yr[j] = M::mul_add(xr[j], scale[j], shift[j]);
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(crate) fn backward_body<M: Fma>(
    dy: &[f32],
    xhat: &[f32],
    invstd: &[f32],
    gamma: Option<&[f32]>,
    dx: &mut [f32],
    mut dgamma: Option<&mut [f32]>,
    mut dbeta: Option<&mut [f32]>,
    batch: usize,
    n: usize,
) {
    if n == 0 || batch == 0 {
        return;
    }
    let inv_b = 1.0 / batch as f32;
    for (j0, w) in blocks(n) {
        let mut sdy = [0f32; BLOCK];
        let mut sdyh = [0f32; BLOCK];
        for (gr, hr) in dy.chunks_exact(n).zip(xhat.chunks_exact(n)) {
            let (gr, hr) = (&gr[j0..j0 + w], &hr[j0..j0 + w]);
            for j in 0..w {
                sdy[j] += gr[j];
                sdyh[j] = M::mul_add(gr[j], hr[j], sdyh[j]);
            }
        }
        if let Some(dg) = dgamma.as_deref_mut() {
            for (d, &s) in dg[j0..j0 + w].iter_mut().zip(&sdyh[..w]) {
                *d += s;
            }
        }
        if let Some(db) = dbeta.as_deref_mut() {
            for (d, &s) in db[j0..j0 + w].iter_mut().zip(&sdy[..w]) {
                *d += s;
            }
        }
        let (g, _) = affine(gamma, None, j0, w);
        let mut scale = [0f32; BLOCK];
        for j in 0..w {
            scale[j] = g[j] * invstd[j0 + j];
            sdy[j] *= inv_b;
            sdyh[j] *= inv_b;
        }
        let rows = dy.chunks_exact(n).zip(xhat.chunks_exact(n));
        for ((gr, hr), dr) in rows.zip(dx.chunks_exact_mut(n)) {
            let (gr, hr, dr) = (&gr[j0..j0 + w], &hr[j0..j0 + w], &mut dr[j0..j0 + w]);
            for j in 0..w {
                let centred = M::mul_add(-hr[j], sdyh[j], gr[j] - sdy[j]);
                dr[j] = M::mul_add(centred, scale[j], dr[j]);
            }
        }
    }
}
