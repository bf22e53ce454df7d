//! `nn.LayerNorm(n)` over the last axis of `[batch, n]`: per-row
//! statistics with the biased variance, as PyTorch.

use super::Fresh;
use crate::simd::{self, multiversion, Fma, Isa, LANES};

/// `y = γ·x̂ + β`, saving `x̂` and the per-row `invstd` for backward.
#[allow(clippy::too_many_arguments)]
pub fn layernorm_forward(
    x: &[f32],
    gamma: Option<&[f32]>,
    beta: Option<&[f32]>,
    y: &mut [f32],
    xhat: &mut [f32],
    invstd: &mut [f32],
    eps: f32,
    batch: usize,
    n: usize,
) {
    debug_assert!(x.len() == batch * n && y.len() == x.len() && xhat.len() == x.len());
    debug_assert!(invstd.len() == batch);
    debug_assert!(gamma.is_none_or(|g| g.len() == n) && beta.is_none_or(|b| b.len() == n));
    layernorm_forward_with(
        Isa::detect(),
        x,
        gamma,
        beta,
        y,
        xhat,
        invstd,
        eps,
        batch,
        n,
    );
}

/// `dx += invstd·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂))` with `dx̂ = γ·dy`;
/// `dγ += Σ_b dy·x̂`, `dβ += Σ_b dy`.
#[allow(clippy::too_many_arguments)]
pub fn layernorm_backward(
    dy: &[f32],
    xhat: &[f32],
    invstd: &[f32],
    gamma: Option<&[f32]>,
    dx: &mut [f32],
    dgamma: Option<&mut [f32]>,
    dbeta: Option<&mut [f32]>,
    fresh: Fresh,
    batch: usize,
    n: usize,
) {
    debug_assert!(dy.len() == batch * n && xhat.len() == dy.len() && dx.len() == dy.len());
    debug_assert!(invstd.len() == batch && gamma.is_none_or(|g| g.len() == n));
    debug_assert!(dgamma.as_ref().is_none_or(|d| d.len() == n));
    debug_assert!(dbeta.as_ref().is_none_or(|d| d.len() == n));
    layernorm_backward_with(
        Isa::detect(),
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
    );
}

multiversion! {
    /// [`layernorm_forward`] on a chosen path (tests and benchmarks).
    pub fn layernorm_forward_with(
        x: &[f32],
        gamma: Option<&[f32]>,
        beta: Option<&[f32]>,
        y: &mut [f32],
        xhat: &mut [f32],
        invstd: &mut [f32],
        eps: f32,
        batch: usize,
        n: usize,
    ) => forward_body;
}

multiversion! {
    /// [`layernorm_backward`] on a chosen path (tests and benchmarks).
    pub fn layernorm_backward_with(
        dy: &[f32],
        xhat: &[f32],
        invstd: &[f32],
        gamma: Option<&[f32]>,
        dx: &mut [f32],
        dgamma: Option<&mut [f32]>,
        dbeta: Option<&mut [f32]>,
        fresh: Fresh,
        batch: usize,
        n: usize,
    ) => backward_body;
}

#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn forward_body<M: Fma>(
    x: &[f32],
    gamma: Option<&[f32]>,
    beta: Option<&[f32]>,
    y: &mut [f32],
    xhat: &mut [f32],
    invstd: &mut [f32],
    eps: f32,
    _batch: usize,
    n: usize,
) {
    if n == 0 {
        return;
    }
    let inv_n = 1.0 / n as f32;
    let rows = x.chunks_exact(n).zip(xhat.chunks_exact_mut(n));
    for (((xr, hr), yr), inv) in rows.zip(y.chunks_exact_mut(n)).zip(invstd.iter_mut()) {
        let mean = simd::sum(xr) * inv_n;
        let var = simd::sum_sq_dev::<M>(xr, mean) * inv_n;
        let r = 1.0 / (var + eps).sqrt();
        *inv = r;
        for (h, &v) in hr.iter_mut().zip(xr) {
            *h = (v - mean) * r;
        }
        match (gamma, beta) {
            (Some(g), Some(b)) => {
                for (((o, &h), &gv), &bv) in yr.iter_mut().zip(hr.iter()).zip(g).zip(b) {
                    *o = M::mul_add(h, gv, bv);
                }
            }
            (Some(g), None) => {
                for ((o, &h), &gv) in yr.iter_mut().zip(hr.iter()).zip(g) {
                    *o = h * gv;
                }
            }
            (None, Some(b)) => {
                for ((o, &h), &bv) in yr.iter_mut().zip(hr.iter()).zip(b) {
                    *o = h + bv;
                }
            }
            (None, None) => yr.copy_from_slice(hr),
        }
    }
}

/// Σ a·b·c with [`LANES`] partial sums.
#[inline(always)]
fn dot3<M: Fma>(a: &[f32], b: &[f32], c: &[f32]) -> f32 {
    let mut acc = [0f32; LANES];
    let main = a.len() / LANES * LANES;
    let chunks = a[..main]
        .chunks_exact(LANES)
        .zip(b[..main].chunks_exact(LANES))
        .zip(c[..main].chunks_exact(LANES));
    for ((ca, cb), cc) in chunks {
        for l in 0..LANES {
            acc[l] = M::mul_add(ca[l] * cb[l], cc[l], acc[l]);
        }
    }
    let mut tail = 0f32;
    for ((&x, &y), &z) in a[main..].iter().zip(&b[main..]).zip(&c[main..]) {
        tail = M::mul_add(x * y, z, tail);
    }
    simd::hsum(&acc) + tail
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
    fresh: Fresh,
    _batch: usize,
    n: usize,
) {
    // dγ and dβ sum over the rows in place: fresh, the first row
    // starts them from zero (and no row leaves them as they were).
    let (fresh_dg, fresh_db) = (fresh.output(1), fresh.output(2));
    if dy.is_empty() {
        fresh.clear([(0, Some(dx)), (1, dgamma), (2, dbeta)]);
        return;
    }
    if n == 0 {
        return;
    }
    let inv_n = 1.0 / n as f32;
    let fresh_dx = fresh.output(0);
    let rows = dy.chunks_exact(n).zip(xhat.chunks_exact(n));
    for (row, (((gr, hr), dr), &r)) in rows.zip(dx.chunks_exact_mut(n)).zip(invstd).enumerate() {
        if let Some(dg) = dgamma.as_deref_mut() {
            let fresh = fresh_dg && row == 0;
            for ((d, &g), &h) in dg.iter_mut().zip(gr).zip(hr) {
                *d = M::mul_add(g, h, Fresh::base(fresh, *d));
            }
        }
        if let Some(db) = dbeta.as_deref_mut() {
            let fresh = fresh_db && row == 0;
            for (d, &g) in db.iter_mut().zip(gr) {
                *d = Fresh::base(fresh, *d) + g;
            }
        }
        match gamma {
            Some(gm) => {
                let m1 = simd::dot::<M>(gr, gm) * inv_n;
                let m2 = dot3::<M>(gr, gm, hr) * inv_n;
                for (((d, &g), &gv), &h) in dr.iter_mut().zip(gr).zip(gm).zip(hr) {
                    let centred = M::mul_add(-h, m2, M::mul_add(g, gv, -m1));
                    *d = M::mul_add(centred, r, Fresh::base(fresh_dx, *d));
                }
            }
            None => {
                let m1 = simd::sum(gr) * inv_n;
                let m2 = simd::dot::<M>(gr, hr) * inv_n;
                for ((d, &g), &h) in dr.iter_mut().zip(gr).zip(hr) {
                    let centred = M::mul_add(-h, m2, g - m1);
                    *d = M::mul_add(centred, r, Fresh::base(fresh_dx, *d));
                }
            }
        }
    }
}
