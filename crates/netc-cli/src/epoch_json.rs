//! The JSON objects `netc train --format json` prints (docs/cli.md): one per
//! epoch, then a `{"final": true, ...}` line. Keys that do not apply to
//! the task (accuracy for regression, validation without a split) are
//! null, so every line has the same keys for the same model.

use netc_train::{EpochReport, Metrics, Task, TrainSummary};
use serde_json::{json, Map, Value};

use crate::health_text;

pub fn epoch(report: &EpochReport, task: Task) -> Value {
    let mut map = Map::new();
    map.insert("epoch".into(), json!(report.epoch));
    metrics(&mut map, report, task);
    map.insert("lr".into(), json!(report.lr));
    let grad_norm: Map<String, Value> = report
        .grad_norm
        .iter()
        .map(|(name, norm)| (name.clone(), json!(norm)))
        .collect();
    map.insert("grad_norm".into(), Value::Object(grad_norm));
    let health = report
        .health
        .iter()
        .map(|f| health_text::to_json(f, report.epoch))
        .collect();
    map.insert("health".into(), Value::Array(health));
    map.insert("seconds".into(), json!(report.seconds));
    Value::Object(map)
}

/// The last line: the final epoch's fields, `best_epoch`, every distinct
/// health finding of the run (at its first epoch) and the run's seconds.
pub fn last(summary: &TrainSummary, task: Task, seconds: f64) -> Value {
    let mut map = Map::new();
    map.insert("final".into(), json!(true));
    if let Some(Value::Object(fields)) = summary.last().map(|r| epoch(r, task)) {
        map.extend(fields);
    }
    map.insert("best_epoch".into(), json!(summary.best_epoch));
    map.insert("epochs".into(), json!(summary.epochs.len()));
    let mut seen = Vec::new();
    let mut health = Vec::new();
    for report in &summary.epochs {
        for finding in &report.health {
            let id = health_text::identity(finding);
            if !seen.contains(&id) {
                seen.push(id);
                health.push(health_text::to_json(finding, report.epoch));
            }
        }
    }
    map.insert("health".into(), Value::Array(health));
    map.insert("seconds".into(), json!(seconds));
    Value::Object(map)
}

/// A metric's JSON suffix comes with how to read it.
type MetricField = fn(&Metrics) -> Option<f64>;

fn metrics(map: &mut Map<String, Value>, report: &EpochReport, task: Task) {
    let splits = [("train", Some(&report.train)), ("val", report.val.as_ref())];
    for (split, m) in splits {
        map.insert(format!("{split}_loss"), json!(m.map(|m| m.loss)));
    }
    let classifier = !matches!(task, Task::Regression);
    for (split, m) in splits {
        map.insert(
            format!("{split}_acc"),
            json!(m.and_then(|m| m.accuracy).filter(|_| classifier)),
        );
    }
    let extra: &[(&str, MetricField)] = match task {
        Task::Regression => &[("rmse", |m| m.rmse), ("r2", |m| m.r2)],
        Task::Binary { .. } | Task::Multiclass { classes: 2 } => &[
            ("precision", |m| m.precision),
            ("recall", |m| m.recall),
            ("f1", |m| m.f1),
        ],
        Task::Multiclass { .. } => &[],
    };
    for (name, get) in extra {
        for (split, m) in splits {
            map.insert(format!("{split}_{name}"), json!(m.and_then(get)));
        }
    }
}
