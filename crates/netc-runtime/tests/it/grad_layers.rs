//! Backward of linear, batchnorm (train), layernorm, dropout (fixed mask)
//! and add against central finite differences of independent f64 forwards,
//! on every ISA path. Every gradient output is accumulated, so each runs
//! on a pre-filled buffer.

use crate::common;

use netc_runtime::kernels::{
    accumulate_with, add_forward_with, batchnorm_backward_with, batchnorm_forward_train_with,
    dropout_backward_with, dropout_forward, layernorm_backward_with, layernorm_forward_with,
    linear_backward, linear_backward_with, linear_forward, linear_forward_with, Fresh, Stats,
    BLOCKED_MIN_MACS,
};
use netc_runtime::rng::Rng;
use netc_runtime::simd::Isa;

use common::uniform;

pub(crate) const PREFILL: f32 = -0.5;

pub(crate) fn widen(v: &[f32]) -> Vec<f64> {
    v.iter().map(|&x| f64::from(x)).collect()
}

pub(crate) fn weighted(y: &[f64], dy: &[f32]) -> f64 {
    y.iter().zip(dy).map(|(a, &g)| a * f64::from(g)).sum()
}

/// ∇ objective at `at` by central differences in f64.
pub(crate) fn finite_difference(objective: impl Fn(&[f64]) -> f64, at: &[f32]) -> Vec<f64> {
    let base = widen(at);
    (0..base.len())
        .map(|i| {
            let h = 1e-5 * base[i].abs().max(1.0);
            let mut p = base.clone();
            p[i] = base[i] + h;
            let up = objective(&p);
            p[i] = base[i] - h;
            let down = objective(&p);
            (up - down) / (2.0 * h)
        })
        .collect()
}

pub(crate) fn prefilled(n: usize) -> Vec<f32> {
    vec![PREFILL; n]
}

pub(crate) fn assert_grad(what: &str, accumulated: &[f32], want: &[f64]) {
    assert_eq!(accumulated.len(), want.len(), "{what}: length");
    let scale = want.iter().fold(0f64, |m, v| m.max(v.abs()));
    for (i, (&acc, &w)) in accumulated.iter().zip(want).enumerate() {
        let g = f64::from(acc) - f64::from(PREFILL);
        assert!(
            (g - w).abs() <= 1e-3 * w.abs() + 1e-4 * scale + 1e-6,
            "{what}: element {i}: analytic {g}, finite difference {w}"
        );
    }
}

fn linear_f64(
    x: &[f64],
    w: &[f64],
    b: Option<&[f64]>,
    batch: usize,
    i_n: usize,
    o_n: usize,
) -> Vec<f64> {
    let mut y = vec![0.0; batch * o_n];
    for r in 0..batch {
        for o in 0..o_n {
            let dot: f64 = (0..i_n).map(|i| x[r * i_n + i] * w[o * i_n + i]).sum();
            y[r * o_n + o] = dot + b.map_or(0.0, |b| b[o]);
        }
    }
    y
}

fn check_linear(batch: usize, in_f: usize, out_f: usize, with_bias: bool) {
    let mut rng = Rng::seed_from_u64((batch * 1000 + in_f * 10 + out_f) as u64);
    let x = uniform(batch * in_f, -1.0, 1.0, &mut rng);
    let w = uniform(out_f * in_f, -0.5, 0.5, &mut rng);
    let b = uniform(out_f, -0.5, 0.5, &mut rng);
    let dy = uniform(batch * out_f, -1.0, 1.0, &mut rng);
    let bias = with_bias.then_some(b.as_slice());
    let (x64, w64, b64) = (widen(&x), widen(&w), widen(&b));
    let b64 = with_bias.then_some(b64.as_slice());
    let fd_x = finite_difference(
        |p| weighted(&linear_f64(p, &w64, b64, batch, in_f, out_f), &dy),
        &x,
    );
    let fd_w = finite_difference(
        |p| weighted(&linear_f64(&x64, p, b64, batch, in_f, out_f), &dy),
        &w,
    );
    let fd_b = finite_difference(
        |p| weighted(&linear_f64(&x64, &w64, Some(p), batch, in_f, out_f), &dy),
        &b,
    );
    let y_ref = linear_f64(&x64, &w64, b64, batch, in_f, out_f);
    let what = format!("linear {batch}x{in_f}->{out_f} bias={with_bias}");

    let check_outputs = |path: &str, y: &[f32], dx: &[f32], dw: &[f32], db: &[f32]| {
        for (i, (&g, &r)) in y.iter().zip(&y_ref).enumerate() {
            assert!(
                (f64::from(g) - r).abs() < 1e-5 * (1.0 + r.abs()),
                "{what} {path}: y[{i}]"
            );
        }
        assert_grad(&format!("{what} {path}: dx"), dx, &fd_x);
        assert_grad(&format!("{what} {path}: dw"), dw, &fd_w);
        if with_bias {
            assert_grad(&format!("{what} {path}: db"), db, &fd_b);
        }
    };

    // The public entry (the blocked product above the threshold) ...
    let mut y = vec![0.0; batch * out_f];
    linear_forward(&x, &w, bias, &mut y, batch, in_f, out_f);
    let (mut dx, mut dw, mut db) = (prefilled(x.len()), prefilled(w.len()), prefilled(out_f));
    let db_arg = with_bias.then_some(db.as_mut_slice());
    linear_backward(
        &x,
        &w,
        &dy,
        Some(&mut dx),
        &mut dw,
        db_arg,
        batch,
        in_f,
        out_f,
    );
    check_outputs("public", &y, &dx, &dw, &db);
    // ... and the loop kernel on every ISA path, at any size.
    for isa in Isa::available() {
        let mut y = vec![0.0; batch * out_f];
        linear_forward_with(isa, &x, &w, bias, &mut y, batch, in_f, out_f);
        let (mut dx, mut dw, mut db) = (prefilled(x.len()), prefilled(w.len()), prefilled(out_f));
        let db_arg = with_bias.then_some(db.as_mut_slice());
        linear_backward_with(
            isa,
            &x,
            &w,
            &dy,
            Some(&mut dx),
            &mut dw,
            db_arg,
            batch,
            in_f,
            out_f,
            Fresh::NONE,
        );
        check_outputs(isa.name(), &y, &dx, &dw, &db);
    }
}

#[test]
fn linear_backward_matches_finite_differences_small() {
    check_linear(3, 5, 4, true);
    check_linear(32, 9, 16, true);
    check_linear(2, 17, 3, false);
    check_linear(4, 1, 1, true);
    // A long reduction in the thread's panel, then one too long for it: the
    // dot/axpy fallback.
    check_linear(2, 300, 40, true);
    check_linear(2, 600, 3, true);
}

/// `linear`'s gradients are linear in its inputs, so the f64 reference
/// products `dy·W`, `dyᵀ·x` and `Σ dy` are exact: at sizes where finite
/// differences would take minutes.
fn check_linear_products(batch: usize, in_f: usize, out_f: usize) {
    let mut rng = Rng::seed_from_u64((batch * 131 + in_f * 7 + out_f) as u64);
    let x = uniform(batch * in_f, -1.0, 1.0, &mut rng);
    let w = uniform(out_f * in_f, -0.5, 0.5, &mut rng);
    let b = uniform(out_f, -0.5, 0.5, &mut rng);
    let dy = uniform(batch * out_f, -1.0, 1.0, &mut rng);
    let (x64, w64, dy64) = (widen(&x), widen(&w), widen(&dy));
    let y_ref = linear_f64(&x64, &w64, Some(&widen(&b)), batch, in_f, out_f);
    let mut dx_ref = vec![0.0; batch * in_f];
    let mut dw_ref = vec![0.0; out_f * in_f];
    let mut db_ref = vec![0.0; out_f];
    for r in 0..batch {
        for o in 0..out_f {
            let g = dy64[r * out_f + o];
            db_ref[o] += g;
            for i in 0..in_f {
                dx_ref[r * in_f + i] += g * w64[o * in_f + i];
                dw_ref[o * in_f + i] += g * x64[r * in_f + i];
            }
        }
    }
    let what = format!("linear {batch}x{in_f}->{out_f}");
    let check = |path: &str, y: &[f32], dx: &[f32], dw: &[f32], db: &[f32]| {
        let close = |name: &str, got: &[f32], want: &[f64], prefill: f64| {
            for (i, (&g, &r)) in got.iter().zip(want).enumerate() {
                let g = f64::from(g) - prefill;
                assert!(
                    (g - r).abs() < 1e-4 * (1.0 + r.abs()),
                    "{what} {path}: {name}[{i}] = {g}, want {r}"
                );
            }
        };
        close("y", y, &y_ref, 0.0);
        close("dx", dx, &dx_ref, f64::from(PREFILL));
        close("dw", dw, &dw_ref, f64::from(PREFILL));
        close("db", db, &db_ref, f64::from(PREFILL));
    };

    let mut y = vec![0.0; batch * out_f];
    linear_forward(&x, &w, Some(&b), &mut y, batch, in_f, out_f);
    let (mut dx, mut dw, mut db) = (prefilled(x.len()), prefilled(w.len()), prefilled(out_f));
    let grads = (Some(&mut dx[..]), &mut dw[..], Some(&mut db[..]));
    linear_backward(&x, &w, &dy, grads.0, grads.1, grads.2, batch, in_f, out_f);
    check("public", &y, &dx, &dw, &db);
    for isa in Isa::available() {
        let mut y = vec![0.0; batch * out_f];
        linear_forward_with(isa, &x, &w, Some(&b), &mut y, batch, in_f, out_f);
        let (mut dx, mut dw, mut db) = (prefilled(x.len()), prefilled(w.len()), prefilled(out_f));
        let grads = (Some(&mut dx[..]), &mut dw[..], Some(&mut db[..]));
        linear_backward_with(
            isa,
            &x,
            &w,
            &dy,
            grads.0,
            grads.1,
            grads.2,
            batch,
            in_f,
            out_f,
            Fresh::NONE,
        );
        check(isa.name(), &y, &dx, &dw, &db);
    }
}

#[test]
fn linear_products_match_f64_on_the_gemm_path() {
    let (batch, in_f, out_f) = (64, 128, 128);
    assert!(batch * in_f * out_f >= BLOCKED_MIN_MACS);
    check_linear_products(batch, in_f, out_f);
}

#[test]
fn linear_products_match_f64_on_mid_sizes_below_gemm() {
    // The deep workload's 64-wide layers, ragged tiles and row blocks, and
    // a reduction at the panel's limit.
    for (batch, in_f, out_f) in [(64, 64, 64), (67, 33, 50), (9, 512, 20), (512, 17, 3)] {
        assert!(batch * in_f * out_f < BLOCKED_MIN_MACS);
        check_linear_products(batch, in_f, out_f);
    }
}

#[test]
fn linear_backward_gives_the_weight_gradient_without_dx_or_db() {
    let (batch, in_f, out_f) = (2, 3, 2);
    let x = [1.0, 2.0, 3.0, -1.0, 0.5, 0.0];
    let w = [0.1, 0.2, 0.3, -0.4, 0.5, -0.6];
    let dy = [1.0, -1.0, 0.5, 2.0];
    let mut dw = vec![0.0; 6];
    linear_backward(&x, &w, &dy, None, &mut dw, None, batch, in_f, out_f);
    // dw[o,i] = Σ_b dy[b,o]·x[b,i]
    let want = [0.5, 2.25, 3.0, -3.0, -1.0, -3.0];
    for (g, w) in dw.iter().zip(want) {
        assert!((g - w).abs() < 1e-6, "{dw:?}");
    }
}

/// Batchnorm training forward in f64 over `[batch, n, plane]` (biased
/// variance; plane 1 is BatchNorm1d).
fn batchnorm_f64(
    x: &[f64],
    g: Option<&[f64]>,
    b: Option<&[f64]>,
    shape: (usize, usize, usize),
    eps: f64,
) -> Vec<f64> {
    let (batch, n, plane) = shape;
    let mut y = vec![0.0; x.len()];
    let at = |r: usize, j: usize, p: usize| (r * n + j) * plane + p;
    let positions = |j| (0..batch).flat_map(move |r| (0..plane).map(move |p| at(r, j, p)));
    let count = (batch * plane) as f64;
    for j in 0..n {
        let mean = positions(j).map(|i| x[i]).sum::<f64>() / count;
        let var = positions(j).map(|i| (x[i] - mean).powi(2)).sum::<f64>() / count;
        for i in positions(j) {
            let h = (x[i] - mean) / (var + eps).sqrt();
            y[i] = h * g.map_or(1.0, |g| g[j]) + b.map_or(0.0, |b| b[j]);
        }
    }
    y
}

/// LayerNorm over the last axis in f64.
fn layernorm_f64(x: &[f64], g: Option<&[f64]>, b: Option<&[f64]>, n: usize, eps: f64) -> Vec<f64> {
    let mut y = Vec::with_capacity(x.len());
    for row in x.chunks(n) {
        let mean = row.iter().sum::<f64>() / n as f64;
        let var = row.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64;
        for (j, v) in row.iter().enumerate() {
            let h = (v - mean) / (var + eps).sqrt();
            y.push(h * g.map_or(1.0, |g| g[j]) + b.map_or(0.0, |b| b[j]));
        }
    }
    y
}

#[derive(Clone, Copy)]
enum Norm {
    Batch,
    Layer,
}

/// `norm` over `[batch, n, plane]` (a layernorm's plane is 1).
fn check_norm(norm: Norm, batch: usize, n: usize, plane: usize, affine: bool) {
    let eps = 1e-5f32;
    let mut rng = Rng::seed_from_u64((batch * 100 + n * 10 + plane) as u64);
    let x = uniform(batch * n * plane, -2.0, 3.0, &mut rng);
    let gamma = uniform(n, 0.5, 1.5, &mut rng);
    let beta = uniform(n, -0.5, 0.5, &mut rng);
    let dy = uniform(x.len(), -1.0, 1.0, &mut rng);
    let (x64, g64, b64) = (widen(&x), widen(&gamma), widen(&beta));
    let forward = |x: &[f64], g: Option<&[f64]>, b: Option<&[f64]>| match norm {
        Norm::Batch => batchnorm_f64(x, g, b, (batch, n, plane), f64::from(eps)),
        Norm::Layer => layernorm_f64(x, g, b, n, f64::from(eps)),
    };
    let (g_opt, b_opt) = if affine {
        (Some(g64.as_slice()), Some(b64.as_slice()))
    } else {
        (None, None)
    };
    let fd_x = finite_difference(|p| weighted(&forward(p, g_opt, b_opt), &dy), &x);
    let fd_g = finite_difference(|p| weighted(&forward(&x64, Some(p), b_opt), &dy), &gamma);
    let fd_b = finite_difference(|p| weighted(&forward(&x64, g_opt, Some(p)), &dy), &beta);
    let y_ref = forward(&x64, g_opt, b_opt);
    let (gamma_arg, beta_arg) = if affine {
        (Some(gamma.as_slice()), Some(beta.as_slice()))
    } else {
        (None, None)
    };
    let name = match norm {
        Norm::Batch => "batchnorm",
        Norm::Layer => "layernorm",
    };
    for isa in Isa::available() {
        let what = format!(
            "{name} {batch}x{n}x{plane} affine={affine} on {}",
            isa.name()
        );
        let mut y = vec![0.0; x.len()];
        let mut xhat = vec![0.0; x.len()];
        let stats_len = match norm {
            Norm::Batch => n,
            Norm::Layer => batch,
        };
        let mut invstd = vec![0.0; stats_len];
        match norm {
            Norm::Batch => {
                let (mut mean, mut rm, mut rv) = (vec![0.0; n], vec![0.0; n], vec![1.0; n]);
                let stats = Stats {
                    mean: &mut mean,
                    invstd: &mut invstd,
                    running_mean: &mut rm,
                    running_var: &mut rv,
                };
                batchnorm_forward_train_with(
                    isa, &x, gamma_arg, beta_arg, &mut y, &mut xhat, stats, 0.1, eps, batch, n,
                    plane,
                );
            }
            Norm::Layer => layernorm_forward_with(
                isa,
                &x,
                gamma_arg,
                beta_arg,
                &mut y,
                &mut xhat,
                &mut invstd,
                eps,
                batch,
                n,
            ),
        }
        for (i, (&g, &r)) in y.iter().zip(&y_ref).enumerate() {
            assert!(
                (f64::from(g) - r).abs() < 1e-4 * (1.0 + r.abs()),
                "{what}: y[{i}] {g} vs {r}"
            );
        }
        let (mut dx, mut dg, mut db) = (prefilled(x.len()), prefilled(n), prefilled(n));
        let (dg_arg, db_arg) = if affine {
            (Some(dg.as_mut_slice()), Some(db.as_mut_slice()))
        } else {
            (None, None)
        };
        match norm {
            Norm::Batch => batchnorm_backward_with(
                isa,
                &dy,
                &xhat,
                &invstd,
                gamma_arg,
                &mut dx,
                dg_arg,
                db_arg,
                Fresh::NONE,
                batch,
                n,
                plane,
            ),
            Norm::Layer => layernorm_backward_with(
                isa,
                &dy,
                &xhat,
                &invstd,
                gamma_arg,
                &mut dx,
                dg_arg,
                db_arg,
                Fresh::NONE,
                batch,
                n,
            ),
        }
        assert_grad(&format!("{what}: dx"), &dx, &fd_x);
        if affine {
            assert_grad(&format!("{what}: dgamma"), &dg, &fd_g);
            assert_grad(&format!("{what}: dbeta"), &db, &fd_b);
        }
    }
}

#[test]
fn batchnorm_train_backward_matches_finite_differences() {
    check_norm(Norm::Batch, 8, 5, 1, true);
    check_norm(Norm::Batch, 32, 16, 1, true);
    check_norm(Norm::Batch, 3, 70, 1, true);
    check_norm(Norm::Batch, 6, 3, 1, false);
}

/// Batchnorm2d: planes narrower than a tile (several channels per
/// block, a tile across two channels), one tile wide, and several tiles
/// with a ragged last one.
#[test]
fn batchnorm2d_train_backward_matches_finite_differences() {
    check_norm(Norm::Batch, 4, 7, 3, true);
    check_norm(Norm::Batch, 3, 5, 6, true);
    check_norm(Norm::Batch, 2, 3, 16, true);
    check_norm(Norm::Batch, 2, 3, 25, true);
    check_norm(Norm::Batch, 3, 2, 9, false);
}

#[test]
fn layernorm_backward_matches_finite_differences() {
    check_norm(Norm::Layer, 4, 7, 1, true);
    check_norm(Norm::Layer, 3, 40, 1, true);
    check_norm(Norm::Layer, 5, 6, 1, false);
}

#[test]
fn dropout_backward_with_a_fixed_mask_matches_finite_differences() {
    let mut rng = Rng::seed_from_u64(3);
    let x = uniform(64, -1.0, 1.0, &mut rng);
    let dy = uniform(64, -1.0, 1.0, &mut rng);
    let (mut y, mut mask) = (vec![0.0; 64], vec![0.0; 64]);
    dropout_forward(&x, &mut y, &mut mask, 0.3, &mut rng);
    let mask64 = widen(&mask);
    let fd = finite_difference(
        |p| {
            let y: Vec<f64> = p.iter().zip(&mask64).map(|(a, m)| a * m).collect();
            weighted(&y, &dy)
        },
        &x,
    );
    for isa in Isa::available() {
        let mut dx = prefilled(64);
        dropout_backward_with(isa, &dy, &mask, &mut dx, false);
        assert_grad(&format!("dropout on {}", isa.name()), &dx, &fd);
    }
}

#[test]
fn add_backward_matches_finite_differences() {
    let mut rng = Rng::seed_from_u64(4);
    let a = uniform(33, -1.0, 1.0, &mut rng);
    let b = uniform(33, -1.0, 1.0, &mut rng);
    let dy = uniform(33, -1.0, 1.0, &mut rng);
    let b64 = widen(&b);
    let a64 = widen(&a);
    let add = |u: &[f64], v: &[f64]| u.iter().zip(v).map(|(p, q)| p + q).collect::<Vec<_>>();
    let fd_a = finite_difference(|p| weighted(&add(p, &b64), &dy), &a);
    let fd_b = finite_difference(|p| weighted(&add(&a64, p), &dy), &b);
    for isa in Isa::available() {
        let mut y = vec![0.0; 33];
        add_forward_with(isa, &a, &b, &mut y);
        for ((&s, &p), &q) in y.iter().zip(&a).zip(&b) {
            assert_eq!(s, p + q);
        }
        let (mut da, mut db) = (prefilled(33), prefilled(33));
        accumulate_with(isa, &mut da, &dy, false);
        accumulate_with(isa, &mut db, &dy, false);
        assert_grad(&format!("add a on {}", isa.name()), &da, &fd_a);
        assert_grad(&format!("add b on {}", isa.name()), &db, &fd_b);
    }
}
