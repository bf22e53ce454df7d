//! Every SIMD kernel against its scalar path, on every ISA this CPU runs,
//! at sizes that exercise full vectors, remainders and tiny rows.

use crate::common;

use netc_ops::{Activation, Loss};
use netc_runtime::clip::{clip_grad_norm_with, global_grad_norm_with};
use netc_runtime::kernels::*;
use netc_runtime::loss::{loss_backward_with, loss_forward_with};
use netc_runtime::rng::Rng;
use netc_runtime::simd::Isa;

use common::{elementwise_activations, uniform};

const SIZES: [(usize, usize); 6] = [(1, 1), (3, 7), (4, 16), (5, 33), (32, 9), (9, 130)];

/// FMA paths round `a·b + c` once, the scalar path twice: allow a few ulps
/// of the magnitudes involved (`scale`), and require NaN where NaN.
fn assert_same(what: &str, simd: &[f32], scalar: &[f32], scale: f32) {
    assert_eq!(simd.len(), scalar.len());
    for (i, (&a, &b)) in simd.iter().zip(scalar).enumerate() {
        if b.is_nan() || a.is_nan() {
            assert!(a.is_nan() && b.is_nan(), "{what}[{i}]: {a} vs {b}");
            continue;
        }
        if b.is_infinite() || a.is_infinite() {
            assert_eq!(a, b, "{what}[{i}]");
            continue;
        }
        let tol = 2e-6 * (b.abs() + scale);
        assert!((a - b).abs() <= tol, "{what}[{i}]: simd {a} vs scalar {b}");
    }
}

fn simd_paths() -> Vec<Isa> {
    Isa::available().filter(|&i| i != Isa::Scalar).collect()
}

fn activations() -> Vec<Activation> {
    let mut acts = elementwise_activations();
    acts.extend([Activation::Softmax, Activation::LogSoftmax]);
    acts
}

#[test]
fn detection_picks_a_supported_path() {
    let detected = Isa::detect();
    assert!(detected.is_supported());
    assert!(Isa::available().any(|i| i == Isa::Scalar));
    assert!(Isa::available().any(|i| i == detected));
    eprintln!(
        "detected {}; available: {:?}",
        detected.name(),
        Isa::available().map(Isa::name).collect::<Vec<_>>()
    );
}

#[test]
fn activations_agree_across_paths_including_special_values() {
    let mut rng = Rng::seed_from_u64(21);
    for &(rows, width) in &SIZES {
        let n = rows * width;
        let mut x = uniform(n, -30.0, 30.0, &mut rng);
        // Special values land in the vector body and the remainder alike.
        for (k, v) in [
            f32::NAN,
            f32::INFINITY,
            f32::NEG_INFINITY,
            0.0,
            -0.0,
            1e-30,
            95.0,
            -120.0,
        ]
        .into_iter()
        .enumerate()
        {
            if n > 8 {
                x[(k * 5 + 1) % n] = v;
            }
        }
        let dy = uniform(n, -1.0, 1.0, &mut rng);
        for act in activations() {
            let mut y0 = vec![0.0; n];
            activation_forward_with(Isa::Scalar, &act, &x, &mut y0, width);
            let mut dx0 = vec![0.5; n];
            activation_backward_with(
                Isa::Scalar,
                &act,
                Some(&x),
                Some(&y0),
                &dy,
                &mut dx0,
                width,
                false,
            );
            for isa in simd_paths() {
                let what = format!("{} {rows}x{width} on {}", act.name(), isa.name());
                let mut y = vec![0.0; n];
                activation_forward_with(isa, &act, &x, &mut y, width);
                // Absolute floor 2e-11: GELU's far tail (Φ < 3e-7) is only absolutely
                // accurate (see `math::normal_cdf`).
                assert_same(&format!("{what} forward"), &y, &y0, 1e-5);
                let mut dx = vec![0.5; n];
                activation_backward_with(
                    isa,
                    &act,
                    Some(&x),
                    Some(&y0),
                    &dy,
                    &mut dx,
                    width,
                    false,
                );
                assert_same(&format!("{what} backward"), &dx, &dx0, 1.0);
            }
        }
    }
}

#[test]
fn linear_loop_kernel_agrees_across_paths() {
    let mut rng = Rng::seed_from_u64(22);
    for &(batch, in_f) in &SIZES {
        // 64: several column tiles and the deep workload's width.
        for out_f in [1, 5, 16, 17, 64] {
            let x = uniform(batch * in_f, -1.0, 1.0, &mut rng);
            let w = uniform(out_f * in_f, -1.0, 1.0, &mut rng);
            let b = uniform(out_f, -1.0, 1.0, &mut rng);
            let dy = uniform(batch * out_f, -1.0, 1.0, &mut rng);
            let run = |isa: Isa| {
                let mut y = vec![0.0; batch * out_f];
                linear_forward_with(isa, &x, &w, Some(&b), &mut y, batch, in_f, out_f);
                let (mut dx, mut dw, mut db) =
                    (vec![0.1; x.len()], vec![0.1; w.len()], vec![0.1; out_f]);
                linear_backward_with(
                    isa,
                    &x,
                    &w,
                    &dy,
                    Some(&mut dx),
                    &mut dw,
                    Some(&mut db),
                    batch,
                    in_f,
                    out_f,
                    Fresh::NONE,
                );
                (y, dx, dw, db)
            };
            let reference = run(Isa::Scalar);
            for isa in simd_paths() {
                let got = run(isa);
                let what = format!("linear {batch}x{in_f}->{out_f} on {}", isa.name());
                let scale = (in_f.max(batch) as f32).sqrt();
                assert_same(&format!("{what} y"), &got.0, &reference.0, scale);
                assert_same(&format!("{what} dx"), &got.1, &reference.1, scale);
                assert_same(&format!("{what} dw"), &got.2, &reference.2, scale);
                assert_same(&format!("{what} db"), &got.3, &reference.3, scale);
            }
        }
    }
}

#[test]
fn norms_agree_across_paths() {
    let mut rng = Rng::seed_from_u64(23);
    for &(batch, n) in SIZES.iter().filter(|(b, _)| *b > 1) {
        let x = uniform(batch * n, -3.0, 5.0, &mut rng);
        let g = uniform(n, 0.5, 1.5, &mut rng);
        let be = uniform(n, -1.0, 1.0, &mut rng);
        let dy = uniform(batch * n, -1.0, 1.0, &mut rng);
        let bn = |isa: Isa| {
            let (mut y, mut xh) = (vec![0.0; x.len()], vec![0.0; x.len()]);
            let (mut mean, mut inv, mut rm, mut rv) =
                (vec![0.0; n], vec![0.0; n], vec![0.2; n], vec![1.5; n]);
            let stats = Stats {
                mean: &mut mean,
                invstd: &mut inv,
                running_mean: &mut rm,
                running_var: &mut rv,
            };
            batchnorm_forward_train_with(
                isa,
                &x,
                Some(&g),
                Some(&be),
                &mut y,
                &mut xh,
                stats,
                0.1,
                1e-5,
                batch,
                n,
                1,
            );
            let (mut dx, mut dg, mut db) = (vec![0.0; x.len()], vec![0.0; n], vec![0.0; n]);
            batchnorm_backward_with(
                isa,
                &dy,
                &xh,
                &inv,
                Some(&g),
                &mut dx,
                Some(&mut dg),
                Some(&mut db),
                Fresh::NONE,
                batch,
                n,
                1,
            );
            let mut ye = vec![0.0; x.len()];
            batchnorm_forward_eval_with(
                isa,
                &x,
                Some(&g),
                Some(&be),
                &rm,
                &rv,
                1e-5,
                &mut ye,
                batch,
                n,
                1,
            );
            [y, xh, mean, inv, rm, rv, dx, dg, db, ye]
        };
        let ln = |isa: Isa| {
            let (mut y, mut xh, mut inv) =
                (vec![0.0; x.len()], vec![0.0; x.len()], vec![0.0; batch]);
            layernorm_forward_with(
                isa,
                &x,
                Some(&g),
                Some(&be),
                &mut y,
                &mut xh,
                &mut inv,
                1e-5,
                batch,
                n,
            );
            let (mut dx, mut dg, mut db) = (vec![0.0; x.len()], vec![0.0; n], vec![0.0; n]);
            layernorm_backward_with(
                isa,
                &dy,
                &xh,
                &inv,
                Some(&g),
                &mut dx,
                Some(&mut dg),
                Some(&mut db),
                Fresh::NONE,
                batch,
                n,
            );
            [y, xh, inv, dx, dg, db]
        };
        let (bn0, ln0) = (bn(Isa::Scalar), ln(Isa::Scalar));
        for isa in simd_paths() {
            let scale = (batch.max(n) as f32).sqrt() * 4.0;
            for (k, (a, b)) in bn(isa).iter().zip(&bn0).enumerate() {
                assert_same(
                    &format!("batchnorm {batch}x{n} output {k} on {}", isa.name()),
                    a,
                    b,
                    scale,
                );
            }
            for (k, (a, b)) in ln(isa).iter().zip(&ln0).enumerate() {
                assert_same(
                    &format!("layernorm {batch}x{n} output {k} on {}", isa.name()),
                    a,
                    b,
                    scale,
                );
            }
        }
    }
}

#[test]
fn elementwise_and_losses_agree_across_paths() {
    let mut rng = Rng::seed_from_u64(24);
    for &(batch, width) in &SIZES {
        let n = batch * width;
        let a = uniform(n, -2.0, 2.0, &mut rng);
        let b = uniform(n, -2.0, 2.0, &mut rng);
        let probs = uniform(n, 0.01, 0.99, &mut rng);
        let labels: Vec<f32> = (0..n).map(|i| (i % 2) as f32).collect();
        let classes: Vec<f32> = (0..batch).map(|i| (i % width) as f32).collect();
        let losses: [(Loss, &[f32], &[f32]); 7] = [
            (Loss::Mse, &a, &b),
            (Loss::L1, &a, &b),
            (Loss::Huber { delta: 1.0 }, &a, &b),
            (Loss::Bce, &probs, &labels),
            (Loss::BceWithLogits, &a, &labels),
            (Loss::CrossEntropy, &a, &classes),
            (Loss::BceWithLogits, &b, &probs),
        ];
        for isa in simd_paths() {
            let what = format!("{batch}x{width} on {}", isa.name());
            let (mut y0, mut y) = (vec![0.0; n], vec![0.0; n]);
            add_forward_with(Isa::Scalar, &a, &b, &mut y0);
            add_forward_with(isa, &a, &b, &mut y);
            assert_eq!(y, y0, "add {what}");
            accumulate_with(Isa::Scalar, &mut y0, &a, false);
            accumulate_with(isa, &mut y, &a, false);
            assert_eq!(y, y0, "accumulate {what}");
            let (mut d0, mut d) = (b.clone(), b.clone());
            dropout_backward_with(Isa::Scalar, &a, &probs, &mut d0, false);
            dropout_backward_with(isa, &a, &probs, &mut d, false);
            assert_same(&format!("dropout backward {what}"), &d, &d0, 1.0);
            for (loss, pred, target) in &losses {
                let l0 = loss_forward_with(Isa::Scalar, loss, pred, target, batch, width);
                let l = loss_forward_with(isa, loss, pred, target, batch, width);
                assert_same(&format!("{} {what}", loss.name()), &[l], &[l0], 1e-6);
                let (mut g0, mut g) = (vec![0.0; n], vec![0.0; n]);
                loss_backward_with(Isa::Scalar, loss, pred, target, &mut g0, batch, width);
                loss_backward_with(isa, loss, pred, target, &mut g, batch, width);
                assert_same(
                    &format!("{} backward {what}", loss.name()),
                    &g,
                    &g0,
                    1.0 / n as f32,
                );
            }
        }
    }
}

#[test]
fn dropout_forward_and_clipping_agree_across_paths() {
    let mut rng = Rng::seed_from_u64(25);
    for n in [1, 15, 16, 17, 1000] {
        let x = uniform(n, -3.0, 3.0, &mut rng);
        let g = uniform(n, -3.0, 3.0, &mut rng);
        let (mut y0, mut m0) = (vec![0.0; n], vec![0.0; n]);
        dropout_forward_with(
            Isa::Scalar,
            &x,
            &mut y0,
            &mut m0,
            0.4,
            &mut Rng::seed_from_u64(n as u64),
        );
        let norm0 = global_grad_norm_with(Isa::Scalar, &[&x, &g]);
        let (mut a0, mut b0) = (x.clone(), g.clone());
        let total0 = clip_grad_norm_with(Isa::Scalar, &mut [&mut a0, &mut b0], 0.5);
        for isa in simd_paths() {
            let (mut y, mut m) = (vec![0.0; n], vec![0.0; n]);
            dropout_forward_with(
                isa,
                &x,
                &mut y,
                &mut m,
                0.4,
                &mut Rng::seed_from_u64(n as u64),
            );
            assert_eq!((&y, &m), (&y0, &m0), "dropout {n} on {}", isa.name());
            let norm = global_grad_norm_with(isa, &[&x, &g]);
            assert_same(
                &format!("norm {n} on {}", isa.name()),
                &[norm],
                &[norm0],
                0.0,
            );
            let (mut a, mut b) = (x.clone(), g.clone());
            let total = clip_grad_norm_with(isa, &mut [&mut a, &mut b], 0.5);
            assert_same(
                &format!("clip total {n} on {}", isa.name()),
                &[total],
                &[total0],
                0.0,
            );
            assert_same(&format!("clipped {n} on {}", isa.name()), &a, &a0, 0.0);
            assert_same(&format!("clipped {n} on {}", isa.name()), &b, &b0, 0.0);
        }
    }
}

#[test]
fn one_row_gets_the_bits_it_gets_inside_a_batch() {
    // Batch 1 takes the matrix-vector path; larger batches the tiled one.
    let mut rng = Rng::seed_from_u64(23);
    for (in_f, out_f) in [(9, 16), (16, 8), (8, 1), (64, 64), (33, 50), (512, 3)] {
        let batch = 11;
        let x = uniform(batch * in_f, -1.0, 1.0, &mut rng);
        let w = uniform(out_f * in_f, -1.0, 1.0, &mut rng);
        let b = uniform(out_f, -1.0, 1.0, &mut rng);
        for isa in Isa::available() {
            let mut all = vec![0.0; batch * out_f];
            linear_forward_with(isa, &x, &w, Some(&b), &mut all, batch, in_f, out_f);
            for (row, want) in x.chunks(in_f).zip(all.chunks(out_f)) {
                let mut one = vec![0.0; out_f];
                linear_forward_with(isa, row, &w, Some(&b), &mut one, 1, in_f, out_f);
                assert_eq!(one, want, "{in_f}->{out_f} on {}", isa.name());
            }
        }
    }
}
