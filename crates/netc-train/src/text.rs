//! The lines `netc train` prints, so that every program training through
//! [`fit`](crate::fit) (the CLI and the `netc` examples) reports the same
//! metrics the same way.

use std::path::Path;

use crate::data::Prepared;
use crate::fit::{EpochReport, TrainSettings, TrainSummary};
use crate::metrics::{Metrics, Task};

/// ``training `Water` on water.csv: 800 training rows, 200 validation
/// rows, 10 epochs, batch 32``.
pub fn start_line(
    model: &str,
    data: &Path,
    prepared: &Prepared,
    settings: &TrainSettings,
) -> String {
    format!(
        "training `{model}` on {}: {} training rows, {} validation rows, {} epochs, batch {}",
        data.display(),
        prepared.train.rows(),
        prepared.val.as_ref().map_or(0, |v| v.rows()),
        settings.epochs,
        settings.batch,
    )
}

/// `epoch   3  train loss 0.6123 acc 0.6520  val loss 0.6301 acc 0.6400  (120ms)`.
pub fn epoch_line(report: &EpochReport, task: Task) -> String {
    let mut line = format!(
        "epoch {:>3}  train {}",
        report.epoch,
        metrics_text(&report.train, task)
    );
    if let Some(val) = &report.val {
        line.push_str(&format!("  val {}", metrics_text(val, task)));
    }
    line.push_str(&format!("  ({})", duration_text(report.seconds)));
    line
}

/// `1.25s`, milliseconds under a second and microseconds under a
/// millisecond: a small model's epoch takes well under 10 ms, which two
/// decimals of seconds would show as `0.00s`.
pub fn duration_text(seconds: f64) -> String {
    if seconds >= 1.0 {
        format!("{seconds:.2}s")
    } else if seconds >= 0.01 {
        format!("{:.0}ms", seconds * 1e3)
    } else if seconds >= 0.001 {
        format!("{:.2}ms", seconds * 1e3)
    } else {
        format!("{:.0}µs", seconds * 1e6)
    }
}

/// The best and the final epoch on two lines, by validation metrics when
/// there is a validation split; `None` when no epoch ran.
pub fn summary_lines(summary: &TrainSummary, task: Task, seconds: f64) -> Option<String> {
    let (best, last) = (summary.best()?, summary.last()?);
    let split = |r: &EpochReport| match &r.val {
        Some(val) => format!("val {}", metrics_text(val, task)),
        None => format!("train {}", metrics_text(&r.train, task)),
    };
    Some(format!(
        "best epoch {}: {}\nfinal epoch {}: {} ({} in all)",
        best.epoch,
        split(best),
        last.epoch,
        split(last),
        duration_text(seconds),
    ))
}

/// `loss 0.6123 acc 0.6520 f1 0.4100`, the fields the task has.
pub fn metrics_text(m: &Metrics, task: Task) -> String {
    let mut text = format!("loss {:.4}", m.loss);
    let fields = [
        ("acc", m.accuracy.filter(|_| task != Task::Regression)),
        ("f1", m.f1),
        ("rmse", m.rmse),
        ("r2", m.r2),
    ];
    for (name, value) in fields {
        if let Some(value) = value {
            text.push_str(&format!(" {name} {value:.4}"));
        }
    }
    text
}
