//! `netc predict`: the checkpoint's preprocessing applied to new rows.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{data, netc, path, stderr, stdout};

/// Trains `model` into `dir/w.safetensors`.
fn checkpoint(model: &str, dir: &Path) -> PathBuf {
    let weights = dir.join("w.safetensors");
    let model = data(model);
    let output = netc(&[
        "train",
        path(&model),
        "--save",
        path(&weights),
        "--epochs",
        "30",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    weights
}

/// `netc predict MODEL --weights W --data CSV EXTRA...`.
fn predict(model: &Path, weights: &Path, csv: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "predict",
        path(model),
        "--weights",
        path(weights),
        "--data",
        path(csv),
    ];
    args.extend_from_slice(extra);
    netc(&args)
}

#[test]
fn binary_predictions_have_a_probability_and_a_class_per_row() {
    let dir = tempfile::tempdir().expect("temp dir");
    let weights = checkpoint("tiny.nn", dir.path());
    let out = dir.path().join("preds.csv");
    let model = data("tiny.nn");
    let csv = data("tiny.csv");
    let output = predict(&model, &weights, &csv, &["--out", path(&out)]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = std::fs::read_to_string(&out).expect("predictions");
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("probability,class"));
    let labels: Vec<u8> = std::fs::read_to_string(&csv)
        .expect("csv")
        .lines()
        .skip(1)
        .map(|l| {
            l.rsplit(',')
                .next()
                .and_then(|v| v.parse().ok())
                .expect("label")
        })
        .collect();
    let rows: Vec<(f64, u8)> = lines
        .map(|l| {
            let (p, c) = l.split_once(',').expect("two fields");
            (p.parse().expect("probability"), c.parse().expect("class"))
        })
        .collect();
    assert_eq!(rows.len(), labels.len());
    for &(p, c) in &rows {
        assert!((0.0..=1.0).contains(&p));
        assert_eq!(c, u8::from(p >= 0.5));
    }
    let correct = rows
        .iter()
        .zip(&labels)
        .filter(|((_, c), l)| c == *l)
        .count();
    assert!(
        correct * 10 >= labels.len() * 9,
        "{correct}/{}",
        labels.len()
    );
}

#[test]
fn multiclass_predictions_have_one_probability_per_class() {
    let dir = tempfile::tempdir().expect("temp dir");
    let weights = checkpoint("three.nn", dir.path());
    let model = data("three.nn");
    let csv = data("three.csv");
    let output = predict(&model, &weights, &csv, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    let stdout = stdout(&output);
    let mut lines = stdout.lines();
    assert_eq!(lines.next(), Some("prob_0,prob_1,prob_2,class"));
    for line in lines {
        let fields: Vec<f64> = line
            .split(',')
            .map(|f| f.parse().expect("number"))
            .collect();
        let sum: f64 = fields[..3].iter().sum();
        assert!((sum - 1.0).abs() < 1e-6, "{line}");
    }
}

#[test]
fn prediction_needs_the_feature_columns_by_name() {
    let dir = tempfile::tempdir().expect("temp dir");
    let weights = checkpoint("tiny.nn", dir.path());
    let csv = dir.path().join("other.csv");
    std::fs::write(&csv, "a,c\n1,2\n").expect("write");
    let model = data("tiny.nn");
    let output = predict(&model, &weights, &csv, &[]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = stderr(&output);
    assert!(stderr.contains("no column `b`"), "{stderr}");
}

#[test]
fn missing_weights_or_sidecar() {
    let dir = tempfile::tempdir().expect("temp dir");
    let model = data("tiny.nn");
    let csv = data("tiny.csv");
    let absent = dir.path().join("absent.safetensors");
    let output = predict(&model, &absent, &csv, &[]);
    assert_eq!(output.status.code(), Some(2));

    let weights = checkpoint("tiny.nn", dir.path());
    std::fs::remove_file(dir.path().join("w.json")).expect("remove sidecar");
    let output = predict(&model, &weights, &csv, &[]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("w.json"));
}

#[test]
fn a_reader_that_stops_early_is_not_a_crash() {
    let dir = tempfile::tempdir().expect("temp dir");
    let weights = checkpoint("tiny.nn", dir.path());
    // More predictions than a pipe buffers, so writing hits the closed pipe.
    let csv = dir.path().join("many.csv");
    let rows: String = (0..20_000)
        .map(|i| format!("{}.5,-{}.25,{}\n", i % 7, i % 5, i % 2))
        .collect();
    std::fs::write(&csv, format!("a,b,label\n{rows}")).expect("write");
    let model = data("tiny.nn");
    let mut child = common::command()
        .args(["predict", path(&model), "--weights", path(&weights)])
        .args(["--data", path(&csv)])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("netc runs");
    drop(child.stdout.take());
    let output = child.wait_with_output().expect("netc ends");
    let err = stderr(&output);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(output.status.code(), Some(0), "{err}");
}

#[test]
fn a_directory_as_weights_or_data_is_a_usage_error_saying_so() {
    let dir = tempfile::tempdir().expect("temp dir");
    let weights = checkpoint("tiny.nn", dir.path());
    let model = data("tiny.nn");
    let csv = data("tiny.csv");
    for (w, d) in [(dir.path(), csv.as_path()), (weights.as_path(), dir.path())] {
        let output = predict(&model, w, d, &[]);
        assert_eq!(output.status.code(), Some(2));
        let err = stderr(&output);
        assert!(err.contains("` is a directory, not a file"), "{err}");
    }
}

#[test]
fn predict_and_emit_show_only_the_chosen_models_warnings() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = std::fs::read_to_string(data("tiny.nn")).expect("model");
    // A second model after Tiny whose sigmoid before `bce` is NN009.
    let model = dir.path().join("two.nn");
    std::fs::write(
        &model,
        format!(
            "{text}\nmodel Probabilities {{\n    input x: 2\n    fc = linear(2, 1)\n    \
             forward {{ return sigmoid(fc(x)) }}\n    \
             train {{ loss = bce optimizer = adam(lr=1e-3) batch = 8 epochs = 1 }}\n}}\n"
        ),
    )
    .expect("write");
    let weights = checkpoint("tiny.nn", dir.path());
    let csv = data("tiny.csv");
    let predicted = predict(&model, &weights, &csv, &["--model", "Tiny"]);
    assert!(predicted.status.success(), "{}", stderr(&predicted));
    assert!(
        !stderr(&predicted).contains("NN009"),
        "{}",
        stderr(&predicted)
    );
    for (name, warned) in [("Tiny", false), ("Probabilities", true)] {
        let emitted = netc(&["emit", path(&model), "--model", name]);
        assert!(emitted.status.success(), "{}", stderr(&emitted));
        assert_eq!(
            stderr(&emitted).contains("warning[NN009]"),
            warned,
            "{name}"
        );
    }
}
