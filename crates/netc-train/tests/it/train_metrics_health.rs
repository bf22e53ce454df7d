//! Metric formulas and the gradient health thresholds on known values.

use netc_train::{diagnose, GradientSummary, HealthFinding, MetricSums, Task};

#[test]
fn binary_precision_recall_f1_from_probabilities() {
    let mut sums = MetricSums::new(Task::Binary { logits: false });
    // predictions 1,1,0,0,1 against targets 1,0,1,0,1: tp 2, fp 1, fn 1.
    sums.add(
        &[0.9, 0.6, 0.4, 0.1, 0.5],
        &[1.0, 0.0, 1.0, 0.0, 1.0],
        1,
        0.3,
    );
    let m = sums.finish();
    assert!((m.loss - 0.3).abs() < 1e-12);
    assert_eq!(m.accuracy, Some(0.6));
    assert_eq!(m.precision, Some(2.0 / 3.0));
    assert_eq!(m.recall, Some(2.0 / 3.0));
    assert!((m.f1.expect("f1") - 2.0 / 3.0).abs() < 1e-12);
}

#[test]
fn logits_threshold_at_zero_and_no_positive_prediction_gives_zero() {
    let mut sums = MetricSums::new(Task::Binary { logits: true });
    sums.add(&[-0.1, -3.0], &[1.0, 0.0], 1, 1.0);
    let m = sums.finish();
    assert_eq!(m.accuracy, Some(0.5));
    assert_eq!(
        (m.precision, m.recall, m.f1),
        (Some(0.0), Some(0.0), Some(0.0))
    );
}

#[test]
fn multiclass_accuracy_is_argmax_and_loss_is_row_weighted() {
    let mut sums = MetricSums::new(Task::Multiclass { classes: 3 });
    sums.add(&[0.1, 2.0, 0.3, 5.0, 1.0, 0.0], &[1.0, 2.0], 3, 1.0);
    sums.add(&[0.0, 0.0, 9.0], &[2.0], 3, 4.0);
    let m = sums.finish();
    assert_eq!(m.accuracy, Some(2.0 / 3.0));
    assert!((m.loss - 2.0).abs() < 1e-12);
    assert_eq!(m.f1, None);
}

#[test]
fn regression_rmse_and_r2() {
    let mut sums = MetricSums::new(Task::Regression);
    sums.add(&[1.0, 2.0, 4.0], &[1.0, 3.0, 5.0], 1, 0.0);
    let m = sums.finish();
    // Squared errors 0, 1, 1; the targets' total sum of squares is 8.
    assert!((m.rmse.expect("rmse") - (2.0f64 / 3.0).sqrt()).abs() < 1e-12);
    assert!((m.r2.expect("r2") - 0.75).abs() < 1e-12);
}

fn summary(norms: &[(&str, f64)], zeros: &[(&str, f64)]) -> GradientSummary {
    let own = |pairs: &[(&str, f64)]| pairs.iter().map(|&(n, v)| (n.to_string(), v)).collect();
    GradientSummary {
        norms: own(norms),
        zero_fractions: own(zeros),
    }
}

fn layers() -> Vec<String> {
    vec![
        "fc1.weight".into(),
        "fc2.weight".into(),
        "fc3.weight".into(),
    ]
}

#[test]
fn healthy_gradients_give_no_finding() {
    let s = summary(
        &[("fc1.weight", 0.5), ("fc1.bias", 1e-9), ("fc3.weight", 1.0)],
        &[("fc1.weight", 0.2), ("fc3.weight", 0.0)],
    );
    assert!(diagnose(&s, &layers()).is_empty());
}

#[test]
fn vanishing_needs_both_the_ratio_and_a_tiny_first_norm() {
    let vanishing = summary(&[("fc1.weight", 1e-5), ("fc3.weight", 0.5)], &[]);
    let findings = diagnose(&vanishing, &layers());
    assert!(
        matches!(&findings[..], [HealthFinding::Vanishing { first, last, ratio, .. }]
            if first == "fc1.weight" && last == "fc3.weight" && (ratio - 2e-5).abs() < 1e-12),
        "{findings:?}"
    );
    // Same ratio, but the first layer's norm is not tiny on its own.
    let large = summary(&[("fc1.weight", 1e-3), ("fc3.weight", 10.0)], &[]);
    assert!(diagnose(&large, &layers()).is_empty());
}

#[test]
fn exploding_above_seventy_or_non_finite() {
    let big = summary(&[("fc1.weight", 71.0), ("fc3.weight", 1.0)], &[]);
    assert_eq!(diagnose(&big, &layers())[0].kind(), "exploding");
    let at_threshold = summary(&[("fc1.weight", 70.0), ("fc3.weight", 1.0)], &[]);
    assert!(diagnose(&at_threshold, &layers()).is_empty());
    let nan = summary(&[("fc1.weight", f64::NAN), ("fc3.weight", 1.0)], &[]);
    assert_eq!(diagnose(&nan, &layers())[0].kind(), "exploding");
}

#[test]
fn dying_relu_at_seventy_percent_zero_gradient() {
    let s = summary(
        &[("fc1.weight", 1.0), ("fc3.weight", 1.0)],
        &[("fc1.weight", 0.69), ("fc2.weight", 0.7), ("fc2.bias", 1.0)],
    );
    assert_eq!(
        diagnose(&s, &layers()),
        [HealthFinding::DyingRelu {
            parameter: "fc2.weight".into(),
            zero_fraction: 0.7
        }]
    );
}

#[test]
fn all_zero_gradients_are_vanishing() {
    let s = summary(&[("fc1.weight", 0.0), ("fc3.weight", 0.0)], &[]);
    let findings = diagnose(&s, &layers());
    assert!(
        matches!(&findings[..], [HealthFinding::Vanishing { ratio, .. }] if *ratio == 0.0),
        "{findings:?}"
    );
}

#[test]
fn a_single_layer_has_no_ratio() {
    let s = summary(&[("fc.weight", 1e-9)], &[]);
    assert!(diagnose(&s, &["fc.weight".to_string()]).is_empty());
}
