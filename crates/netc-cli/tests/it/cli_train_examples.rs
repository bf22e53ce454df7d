//! The shipped examples train from a fresh clone with their own train
//! blocks and reach the quality the data allows (reference figures in
//! data/README.md).

use crate::common;

use common::{path, stderr, stdout};
use netc_testkit::workspace_path;
use serde_json::Value;

/// The final JSON line of `netc train EXAMPLE --format json`.
fn final_metrics(name: &str) -> Value {
    let example = workspace_path("examples").join(name);
    let output = common::netc(&["train", path(&example), "--format", "json"]);
    assert!(output.status.success(), "{name}: {}", stderr(&output));
    let stdout = stdout(&output);
    let last = stdout.lines().last().expect("a final line");
    let value: Value = serde_json::from_str(last).expect("json");
    assert_eq!(value["final"], true);
    value
}

fn metric(value: &Value, key: &str) -> f64 {
    value[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} in {value}"))
}

#[test]
fn water_reaches_the_reference_accuracy() {
    // Majority class 0.610; a 9-16-8-1 MLP 0.61-0.66 in scikit-learn.
    let m = final_metrics("water.nn");
    assert!(metric(&m, "val_acc") >= 0.61, "{m}");
}

#[test]
fn breast_cancer_reaches_95_percent() {
    let m = final_metrics("breast_cancer.nn");
    assert!(metric(&m, "val_acc") >= 0.95, "{m}");
}

#[test]
fn digits_reach_95_percent() {
    let m = final_metrics("digits.nn");
    assert!(metric(&m, "val_acc") >= 0.95, "{m}");
}

#[test]
fn regression_explains_most_of_the_variance() {
    let m = final_metrics("regression.nn");
    assert!(metric(&m, "val_r2") >= 0.8, "{m}");
}
