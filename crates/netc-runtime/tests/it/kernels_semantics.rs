//! Forward semantics that finite differences cannot see: activation values
//! against the f64 definitions, the softmax family's stability, batchnorm's
//! running statistics and eval mode, dropout's mask.

use netc_ops::scalar::ScalarActivation;
use netc_ops::Activation;
use netc_runtime::kernels::*;
use netc_runtime::rng::Rng;
use netc_runtime::simd::Isa;

fn grid(lo: f32, hi: f32, n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| lo + (hi - lo) * i as f32 / (n - 1) as f32)
        .collect()
}

#[test]
fn activation_values_match_the_f64_definitions_on_every_path() {
    // Every elementwise activation with PyTorch's defaults, then with
    // other parameters.
    let defaults = Activation::ALL.into_iter().filter(|a| !a.is_row_wise());
    let acts = defaults.chain([
        Activation::LeakyRelu {
            negative_slope: 0.2,
        },
        Activation::Elu { alpha: 0.7 },
        Activation::Softplus {
            beta: 3.0,
            threshold: 2.0,
        },
    ]);
    let x = grid(-12.0, 12.0, 4801);
    for act in acts {
        let scalar = ScalarActivation::new(act).expect("elementwise");
        for isa in Isa::available() {
            let mut y = vec![0.0; x.len()];
            activation_forward_with(isa, &act, &x, &mut y, x.len());
            for (&v, &got) in x.iter().zip(&y) {
                let want = scalar.value(f64::from(v));
                let err = (f64::from(got) - want).abs();
                assert!(
                    err <= 1e-6 * want.abs() + 1e-9,
                    "{} on {}: f({v}) = {got}, want {want}",
                    act.name(),
                    isa.name()
                );
            }
        }
    }
}

#[test]
fn softplus_returns_the_input_above_the_threshold() {
    let act = Activation::Softplus {
        beta: 2.0,
        threshold: 10.0,
    };
    let x = [5.01f32, 7.0, 100.0];
    let mut y = [0.0; 3];
    activation_forward(&act, &x, &mut y, 3);
    assert_eq!(y, x);
}

#[test]
fn relu_propagates_nan() {
    let mut y = [0.0; 2];
    activation_forward(&Activation::Relu, &[f32::NAN, -1.0], &mut y, 2);
    assert!(y[0].is_nan());
    assert_eq!(y[1], 0.0);
}

#[test]
fn softmax_rows_are_stable_for_huge_logits() {
    let x = [1000.0, 1001.0, 999.0, -1000.0, 0.0, 1000.0];
    for isa in Isa::available() {
        let (mut p, mut lp) = ([0.0; 6], [0.0; 6]);
        activation_forward_with(isa, &Activation::Softmax, &x, &mut p, 3);
        activation_forward_with(isa, &Activation::LogSoftmax, &x, &mut lp, 3);
        for row in 0..2 {
            let r = &x[row * 3..row * 3 + 3];
            let m = r
                .iter()
                .cloned()
                .fold(f64::NEG_INFINITY, |a, b| a.max(f64::from(b)));
            let s: f64 = r.iter().map(|&v| (f64::from(v) - m).exp()).sum();
            for j in 0..3 {
                let want_log = f64::from(r[j]) - m - s.ln();
                let (got_p, got_lp) = (p[row * 3 + j], lp[row * 3 + j]);
                assert!((f64::from(got_lp) - want_log).abs() < 1e-5 * (1.0 + want_log.abs()));
                assert!((f64::from(got_p) - want_log.exp()).abs() < 1e-6);
            }
        }
        let total: f32 = p[..3].iter().sum();
        assert!((total - 1.0).abs() < 1e-6, "{}", isa.name());
    }
}

/// Per-feature f64 mean and biased/unbiased variance of a [batch, n] batch.
fn column_stats(x: &[f32], batch: usize, n: usize) -> Vec<(f64, f64, f64)> {
    (0..n)
        .map(|j| {
            let col: Vec<f64> = (0..batch).map(|r| f64::from(x[r * n + j])).collect();
            let mean = col.iter().sum::<f64>() / batch as f64;
            let ss: f64 = col.iter().map(|v| (v - mean).powi(2)).sum();
            (mean, ss / batch as f64, ss / (batch as f64 - 1.0))
        })
        .collect()
}

fn train_step(
    x: &[f32],
    rm: &mut [f32],
    rv: &mut [f32],
    nbt: &mut i64,
    momentum: Option<f32>,
    batch: usize,
    n: usize,
) -> Vec<f32> {
    let (mut y, mut xhat) = (vec![0.0; x.len()], vec![0.0; x.len()]);
    let (mut mean, mut invstd) = (vec![0.0; n], vec![0.0; n]);
    batchnorm_forward_train(
        x,
        None,
        None,
        &mut y,
        &mut xhat,
        Stats {
            mean: &mut mean,
            invstd: &mut invstd,
            running_mean: rm,
            running_var: rv,
        },
        nbt,
        momentum,
        1e-5,
        batch,
        n,
        1,
    );
    // Saved statistics are the batch's own.
    for (j, (m, _, var)) in column_stats(x, batch, n).into_iter().enumerate() {
        assert!((f64::from(mean[j]) - m).abs() < 1e-5);
        let want_inv = 1.0 / (var * (batch as f64 - 1.0) / batch as f64 + 1e-5).sqrt();
        assert!((f64::from(invstd[j]) - want_inv).abs() < 1e-5 * want_inv);
    }
    y
}

#[test]
fn batchnorm_running_statistics_follow_pytorch_with_momentum() {
    let (batch, n) = (8, 3);
    let mut rng = Rng::seed_from_u64(5);
    let batches: Vec<Vec<f32>> = (0..3)
        .map(|_| {
            (0..batch * n)
                .map(|_| rng.uniform(-1.0, 4.0) as f32)
                .collect()
        })
        .collect();
    let (mut rm, mut rv, mut nbt) = (vec![0.0; n], vec![1.0; n], 0i64);
    let (mut want_m, mut want_v) = (vec![0.0f64; n], vec![1.0f64; n]);
    for x in &batches {
        train_step(x, &mut rm, &mut rv, &mut nbt, Some(0.1), batch, n);
        for (j, (m, _, unbiased)) in column_stats(x, batch, n).into_iter().enumerate() {
            want_m[j] = 0.9 * want_m[j] + 0.1 * m;
            want_v[j] = 0.9 * want_v[j] + 0.1 * unbiased;
        }
    }
    assert_eq!(nbt, 3);
    for j in 0..n {
        assert!(
            (f64::from(rm[j]) - want_m[j]).abs() < 1e-6,
            "running_mean[{j}]"
        );
        assert!(
            (f64::from(rv[j]) - want_v[j]).abs() < 1e-6,
            "running_var[{j}]"
        );
    }
}

#[test]
fn batchnorm_momentum_none_is_the_cumulative_average() {
    let (batch, n) = (5, 2);
    let mut rng = Rng::seed_from_u64(6);
    let (mut rm, mut rv, mut nbt) = (vec![0.0; n], vec![1.0; n], 0i64);
    let mut sums = vec![(0.0f64, 0.0f64); n];
    for k in 1..=4 {
        let x: Vec<f32> = (0..batch * n)
            .map(|_| rng.uniform(-2.0, 2.0) as f32)
            .collect();
        train_step(&x, &mut rm, &mut rv, &mut nbt, None, batch, n);
        assert_eq!(nbt, k);
        for (j, (m, _, unbiased)) in column_stats(&x, batch, n).into_iter().enumerate() {
            sums[j].0 += m;
            sums[j].1 += unbiased;
            // The initial 0 / 1 carry weight 0 from the first step on.
            assert!((f64::from(rm[j]) - sums[j].0 / k as f64).abs() < 1e-6);
            assert!((f64::from(rv[j]) - sums[j].1 / k as f64).abs() < 1e-6);
        }
    }
}

#[test]
fn batchnorm_eval_uses_running_statistics() {
    let (batch, n) = (3, 4);
    let x: Vec<f32> = (0..batch * n).map(|i| i as f32 * 0.5 - 2.0).collect();
    let gamma = [1.0, 2.0, 0.5, -1.0];
    let beta = [0.0, 0.1, -0.2, 0.3];
    let rm = [0.5, -1.0, 2.0, 0.0];
    let rv = [1.0, 4.0, 0.25, 2.0];
    for isa in Isa::available() {
        let mut y = vec![0.0; x.len()];
        batchnorm_forward_eval_with(
            isa,
            &x,
            Some(&gamma),
            Some(&beta),
            &rm,
            &rv,
            1e-5,
            &mut y,
            batch,
            n,
            1,
        );
        for r in 0..batch {
            for j in 0..n {
                let v = f64::from(x[r * n + j]);
                let want = (v - f64::from(rm[j])) / (f64::from(rv[j]) + 1e-5).sqrt()
                    * f64::from(gamma[j])
                    + f64::from(beta[j]);
                assert!(
                    (f64::from(y[r * n + j]) - want).abs() < 1e-5,
                    "{}",
                    isa.name()
                );
            }
        }
    }
}

#[test]
fn layernorm_rows_are_normalised() {
    let (batch, n) = (3, 50);
    let mut rng = Rng::seed_from_u64(8);
    let x: Vec<f32> = (0..batch * n)
        .map(|_| rng.uniform(5.0, 9.0) as f32)
        .collect();
    let (mut y, mut xhat, mut inv) = (vec![0.0; x.len()], vec![0.0; x.len()], vec![0.0; batch]);
    layernorm_forward(&x, None, None, &mut y, &mut xhat, &mut inv, 1e-5, batch, n);
    for row in y.chunks(n) {
        let mean: f64 = row.iter().map(|&v| f64::from(v)).sum::<f64>() / n as f64;
        let var: f64 = row
            .iter()
            .map(|&v| (f64::from(v) - mean).powi(2))
            .sum::<f64>()
            / n as f64;
        assert!(
            mean.abs() < 1e-5 && (var - 1.0).abs() < 1e-3,
            "{mean} {var}"
        );
    }
    assert_eq!(y, xhat);
}

#[test]
fn dropout_mask_is_zero_or_scaled_with_the_right_rate() {
    let n = 200_000;
    let x: Vec<f32> = (0..n).map(|i| (i % 13) as f32 - 6.0).collect();
    let (mut y, mut mask) = (vec![0.0; n], vec![0.0; n]);
    let mut rng = Rng::seed_from_u64(9);
    let p = 0.3f32;
    dropout_forward(&x, &mut y, &mut mask, p, &mut rng);
    let scale = 1.0 / (1.0 - p);
    assert!(mask.iter().all(|&m| m == 0.0 || m == scale));
    for ((&xv, &yv), &m) in x.iter().zip(&y).zip(&mask) {
        assert_eq!(yv, xv * m);
    }
    let kept = mask.iter().filter(|&&m| m != 0.0).count() as f64 / n as f64;
    // Binomial standard deviation √(p(1−p)/n) ≈ 1e-3: five of them.
    assert!((kept - 0.7).abs() < 5e-3, "kept fraction {kept}");

    // The same seed draws the same mask.
    let mut again = vec![0.0; n];
    dropout_forward(&x, &mut y, &mut again, p, &mut Rng::seed_from_u64(9));
    assert_eq!(mask, again);
}

#[test]
fn dropout_extremes_keep_or_drop_everything() {
    let x = [1.0f32, -2.0, 3.0];
    let (mut y, mut mask) = ([0.0; 3], [0.0; 3]);
    let mut rng = Rng::seed_from_u64(10);
    let before = rng.clone().next_u64();
    dropout_forward(&x, &mut y, &mut mask, 0.0, &mut rng);
    assert_eq!((y, mask), (x, [1.0; 3]));
    assert_eq!(rng.next_u64(), before, "p = 0 draws nothing");
    dropout_forward(&x, &mut y, &mut mask, 1.0, &mut rng);
    assert_eq!((y, mask), ([0.0; 3], [0.0; 3]));
}
