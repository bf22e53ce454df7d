//! The report lines `netc train` and the examples print, and the default
//! settings both derive from a train block.

use netc_ops::{Loss, Optimizer, TrainConfig};
use netc_train::data::{DataOptions, MissingPolicy, TargetKind};
use netc_train::text::{duration_text, epoch_line, metrics_text, summary_lines};
use netc_train::{EpochReport, Metrics, Task, TrainSettings, TrainSummary};

fn metrics(loss: f64) -> Metrics {
    Metrics {
        loss,
        accuracy: Some(0.75),
        f1: Some(0.5),
        ..Metrics::default()
    }
}

fn report(epoch: usize, train_loss: f64, val_loss: Option<f64>) -> EpochReport {
    EpochReport {
        epoch,
        lr: 0.01,
        train: metrics(train_loss),
        val: val_loss.map(metrics),
        grad_norm: Vec::new(),
        health: Vec::new(),
        seconds: 0.125,
    }
}

#[test]
fn metrics_show_the_fields_the_task_has() {
    let binary = Task::Binary { logits: true };
    assert_eq!(
        metrics_text(&metrics(0.61234), binary),
        "loss 0.6123 acc 0.7500 f1 0.5000"
    );
    let regression = Metrics {
        rmse: Some(1.5),
        r2: Some(0.25),
        ..metrics(2.0)
    };
    assert_eq!(
        metrics_text(&regression, Task::Regression),
        "loss 2.0000 f1 0.5000 rmse 1.5000 r2 0.2500"
    );
}

#[test]
fn epoch_line_has_train_then_validation_metrics() {
    let task = Task::Binary { logits: false };
    assert_eq!(
        epoch_line(&report(3, 0.5, Some(0.25)), task),
        "epoch   3  train loss 0.5000 acc 0.7500 f1 0.5000  val loss 0.2500 acc 0.7500 f1 0.5000  (125ms)"
    );
    assert_eq!(
        epoch_line(&report(12, 0.5, None), task),
        "epoch  12  train loss 0.5000 acc 0.7500 f1 0.5000  (125ms)"
    );
}

#[test]
fn durations_under_a_second_are_milliseconds() {
    assert_eq!(duration_text(0.000_004_2), "4µs");
    assert_eq!(duration_text(0.000_613), "613µs");
    assert_eq!(duration_text(0.004_25), "4.25ms");
    assert_eq!(duration_text(0.0421), "42ms");
    assert_eq!(duration_text(0.999), "999ms");
    assert_eq!(duration_text(1.5), "1.50s");
    assert_eq!(duration_text(83.0), "83.00s");
}

#[test]
fn summary_names_the_best_and_the_final_epoch() {
    let task = Task::Binary { logits: false };
    let summary = TrainSummary {
        epochs: vec![report(1, 0.9, Some(0.4)), report(2, 0.8, Some(0.6))],
        best_epoch: 1,
    };
    assert_eq!(
        summary_lines(&summary, task, 2.04).as_deref(),
        Some(
            "best epoch 1: val loss 0.4000 acc 0.7500 f1 0.5000\n\
             final epoch 2: val loss 0.6000 acc 0.7500 f1 0.5000 (2.04s in all)"
        )
    );
    let without_val = TrainSummary {
        epochs: vec![report(1, 0.9, None)],
        best_epoch: 1,
    };
    let lines = summary_lines(&without_val, task, 0.0).unwrap_or_default();
    assert!(
        lines.starts_with("best epoch 1: train loss 0.9000"),
        "{lines}"
    );
    let empty = TrainSummary {
        epochs: Vec::new(),
        best_epoch: 0,
    };
    assert_eq!(summary_lines(&empty, task, 0.0), None);
}

fn config() -> TrainConfig {
    TrainConfig {
        loss: Loss::Bce,
        optimizer: Optimizer::adam_default().with_lr(0.05),
        batch: 64,
        epochs: 7,
        seed: 11,
        target: Some("label".into()),
        ..TrainConfig::default()
    }
}

#[test]
fn settings_follow_the_train_block_and_fit_the_batch_to_the_rows() {
    let task = Task::Binary { logits: false };
    let settings = TrainSettings::for_config(&config(), task, 100, vec!["fc.weight".into()]);
    assert_eq!(
        (settings.epochs, settings.batch, settings.seed),
        (7, 64, 11)
    );
    assert_eq!(settings.lr, 0.05);
    assert!(settings.shuffle);
    assert_eq!(settings.layer_weights, ["fc.weight"]);
    let few_rows = TrainSettings::for_config(&config(), task, 40, Vec::new());
    assert_eq!(few_rows.batch, 40);
}

#[test]
fn data_options_are_netc_trains_defaults() {
    let options = DataOptions::for_config(&config(), TargetKind::Binary, 9);
    assert_eq!(options.target.as_deref(), Some("label"));
    assert_eq!(options.target_kind, TargetKind::Binary);
    assert_eq!(options.input_width, 9);
    assert_eq!(options.missing, MissingPolicy::Mean);
    assert!(options.standardize && options.shuffle);
    assert_eq!(options.val_split, DataOptions::DEFAULT_VAL_SPLIT);
    assert_eq!(options.seed, 11);
}
