//! Every loss: the mean value against an independent f64 definition and
//! its gradient against central finite differences, on every ISA path.

use netc_ops::Loss;
use netc_runtime::loss::{loss_backward_with, loss_forward_with};
use netc_runtime::rng::Rng;
use netc_runtime::simd::Isa;

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// PyTorch's definitions with mean reduction, in f64.
fn loss_f64(loss: &Loss, pred: &[f64], target: &[f32], width: usize) -> f64 {
    let pairs = || pred.iter().zip(target.iter().map(|&t| f64::from(t)));
    let mean = |total: f64| total / pred.len() as f64;
    match *loss {
        Loss::Mse => mean(pairs().map(|(p, t)| (p - t).powi(2)).sum()),
        Loss::L1 => mean(pairs().map(|(p, t)| (p - t).abs()).sum()),
        Loss::Huber { delta } => mean(
            pairs()
                .map(|(p, t)| {
                    let a = (p - t).abs();
                    if a < delta {
                        0.5 * a * a
                    } else {
                        delta * (a - 0.5 * delta)
                    }
                })
                .sum(),
        ),
        Loss::Bce => mean(
            pairs()
                .map(|(p, t)| -(t * p.ln().max(-100.0) + (1.0 - t) * (1.0 - p).ln().max(-100.0)))
                .sum(),
        ),
        Loss::BceWithLogits => mean(
            pairs()
                .map(|(x, t)| -(t * sigmoid(*x).ln() + (1.0 - t) * (1.0 - sigmoid(*x)).ln()))
                .sum(),
        ),
        Loss::CrossEntropy => {
            let rows = pred.chunks(width).zip(target);
            let total: f64 = rows
                .map(|(row, &t)| {
                    let lse = row.iter().map(|v| v.exp()).sum::<f64>().ln();
                    lse - row[t as usize]
                })
                .sum();
            total / (pred.len() / width) as f64
        }
    }
}

struct Case {
    loss: Loss,
    pred: Vec<f32>,
    target: Vec<f32>,
    width: usize,
}

fn cases() -> Vec<Case> {
    let mut rng = Rng::seed_from_u64(11);
    let (batch, width) = (6, 3);
    let n = batch * width;
    let mut uniform = |n: usize, lo: f64, hi: f64| -> Vec<f32> {
        (0..n).map(|_| rng.uniform(lo, hi) as f32).collect()
    };
    let regression_pred = uniform(n, -2.0, 2.0);
    let regression_target = uniform(n, -2.0, 2.0);
    let probs = uniform(n, 0.05, 0.95);
    let logits = uniform(n, -4.0, 4.0);
    let labels: Vec<f32> = (0..n).map(|i| [0.0, 1.0, 0.3][i % 3]).collect();
    let ce_logits = uniform(n, -3.0, 3.0);
    let classes: Vec<f32> = (0..batch).map(|b| (b % width) as f32).collect();
    vec![
        Case {
            loss: Loss::Mse,
            pred: regression_pred.clone(),
            target: regression_target.clone(),
            width,
        },
        Case {
            loss: Loss::L1,
            pred: regression_pred.clone(),
            target: regression_target.clone(),
            width,
        },
        Case {
            loss: Loss::Huber { delta: 1.0 },
            pred: regression_pred.clone(),
            target: regression_target.clone(),
            width,
        },
        Case {
            loss: Loss::Huber { delta: 0.4 },
            pred: regression_pred,
            target: regression_target,
            width,
        },
        Case {
            loss: Loss::Bce,
            pred: probs,
            target: labels.clone(),
            width,
        },
        Case {
            loss: Loss::BceWithLogits,
            pred: logits,
            target: labels,
            width,
        },
        Case {
            loss: Loss::CrossEntropy,
            pred: ce_logits,
            target: classes,
            width,
        },
    ]
}

#[test]
fn loss_values_match_the_f64_definitions() {
    for case in cases() {
        let pred64: Vec<f64> = case.pred.iter().map(|&p| f64::from(p)).collect();
        let want = loss_f64(&case.loss, &pred64, &case.target, case.width);
        let batch = case.pred.len() / case.width;
        for isa in Isa::available() {
            let got =
                loss_forward_with(isa, &case.loss, &case.pred, &case.target, batch, case.width);
            assert!(
                (f64::from(got) - want).abs() <= 2e-6 * want.abs() + 1e-7,
                "{} on {}: {got} vs {want}",
                case.loss.name(),
                isa.name()
            );
        }
    }
}

#[test]
fn loss_gradients_match_finite_differences() {
    for case in cases() {
        let batch = case.pred.len() / case.width;
        let base: Vec<f64> = case.pred.iter().map(|&p| f64::from(p)).collect();
        let fd: Vec<f64> = (0..base.len())
            .map(|i| {
                let h = 1e-6 * base[i].abs().max(1.0);
                let mut p = base.clone();
                p[i] += h;
                let up = loss_f64(&case.loss, &p, &case.target, case.width);
                p[i] -= 2.0 * h;
                let down = loss_f64(&case.loss, &p, &case.target, case.width);
                (up - down) / (2.0 * h)
            })
            .collect();
        let scale = fd.iter().fold(0f64, |m, v| m.max(v.abs()));
        for isa in Isa::available() {
            // Overwritten, not accumulated: start from garbage.
            let mut dpred = vec![7.0; case.pred.len()];
            loss_backward_with(
                isa,
                &case.loss,
                &case.pred,
                &case.target,
                &mut dpred,
                batch,
                case.width,
            );
            for (i, (&g, &w)) in dpred.iter().zip(&fd).enumerate() {
                assert!(
                    (f64::from(g) - w).abs() <= 1e-3 * w.abs() + 1e-5 * scale,
                    "{} on {}: element {i}: analytic {g}, finite difference {w}",
                    case.loss.name(),
                    isa.name()
                );
            }
        }
    }
}

#[test]
fn bce_clamps_log_at_minus_100_like_pytorch() {
    let loss = Loss::Bce;
    // p = 0 with target 1 and p = 1 with target 0: each term is clamped.
    let got = loss_forward_with(Isa::Scalar, &loss, &[0.0, 1.0], &[1.0, 0.0], 2, 1);
    assert_eq!(got, 100.0);
    let mut d = [0.0; 2];
    loss_backward_with(Isa::Scalar, &loss, &[0.0, 1.0], &[1.0, 0.0], &mut d, 2, 1);
    // (p − t)/max(p(1−p), 1e-12)/N
    assert_eq!(d, [-0.5e12, 0.5e12]);
}

#[test]
fn bce_with_logits_is_finite_for_huge_logits() {
    let loss = Loss::BceWithLogits;
    for isa in Isa::available() {
        let got = loss_forward_with(isa, &loss, &[200.0, -200.0], &[0.0, 1.0], 2, 1);
        assert!((got - 200.0).abs() < 1e-4, "{got}");
        let right = loss_forward_with(isa, &loss, &[200.0, -200.0], &[1.0, 0.0], 2, 1);
        assert!(right.abs() < 1e-6, "{right}");
    }
}

#[test]
fn l1_gradient_is_zero_where_prediction_equals_target() {
    let mut d = [9.0; 3];
    loss_backward_with(
        Isa::Scalar,
        &Loss::L1,
        &[1.0, 2.0, 3.0],
        &[1.0, 1.0, 4.0],
        &mut d,
        3,
        1,
    );
    assert_eq!(d, [0.0, 1.0 / 3.0, -1.0 / 3.0]);
}

#[test]
fn cross_entropy_with_an_invalid_class_is_nan_not_a_panic() {
    let logits = [0.1, 0.2, 0.3, 0.4];
    for bad in [2.0, -1.0, 0.5] {
        let got = loss_forward_with(Isa::Scalar, &Loss::CrossEntropy, &logits, &[0.0, bad], 2, 2);
        assert!(got.is_nan(), "class {bad}: {got}");
    }
}
