//! `--threads`: the same bits for any thread count, from `netc train`'s
//! losses and weight files to `netc predict`'s output.

use std::path::{Path, PathBuf};

use crate::common;
use common::{data, json_lines, netc, path, stderr, stdout};
use serde_json::Value;

/// Trains `wide_tiny.nn` on `threads` threads into `dir`: the JSON lines
/// (without their timings) and the weight file.
fn train(dir: &Path, threads: &str) -> (Vec<Value>, PathBuf) {
    let weights = dir.join(format!("w{threads}.safetensors"));
    let model = data("wide_tiny.nn");
    let output = netc(&[
        "train",
        path(&model),
        "--format",
        "json",
        "--threads",
        threads,
        "--save",
        path(&weights),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let mut lines = json_lines(&output);
    for line in &mut lines {
        line.as_object_mut().expect("object").remove("seconds");
    }
    (lines, weights)
}

/// `netc predict` of tiny.csv with `weights` on `threads` threads.
fn predict(weights: &Path, threads: &str) -> String {
    predict_csv(weights, &data("tiny.csv"), threads)
}

/// `netc predict` of `csv` with `weights` on `threads` threads.
fn predict_csv(weights: &Path, csv: &Path, threads: &str) -> String {
    let model = data("wide_tiny.nn");
    let output = netc(&[
        "predict",
        path(&model),
        "--weights",
        path(weights),
        "--data",
        path(csv),
        "--threads",
        threads,
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    stdout(&output)
}

#[test]
fn training_and_prediction_are_the_same_bits_on_any_thread_count() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (lines, weights) = train(dir.path(), "1");
    let predictions = predict(&weights, "1");
    assert_eq!(predictions.lines().count(), 41, "a header and 40 rows");
    for threads in ["2", "3"] {
        let (other_lines, other_weights) = train(dir.path(), threads);
        assert_eq!(other_lines, lines, "{threads} threads: other losses");
        // The file, not only the tensors: its metadata once came out in
        // an order of its own on every run.
        let bytes = |path: &Path| std::fs::read(path).expect("weights written");
        assert!(
            bytes(&other_weights) == bytes(&weights),
            "{threads} threads: another weight file"
        );
        // Printed with every digit: equal text is equal bits.
        assert_eq!(
            predict(&other_weights, threads),
            predictions,
            "{threads} threads: other weights or predictions"
        );
    }
}

#[test]
fn a_thread_count_outside_1_to_64_is_a_usage_error() {
    let model = data("tiny.nn");
    for threads in ["0", "65", "many"] {
        let output = netc(&["train", path(&model), "--threads", threads]);
        assert_eq!(output.status.code(), Some(2), "--threads {threads}");
        assert!(stderr(&output).contains("--threads"), "{}", stderr(&output));
    }
}

#[test]
fn a_netc_num_threads_that_is_not_a_thread_count_is_a_usage_error() {
    let model = data("tiny.nn");
    for value in ["0", "65", "many"] {
        let output = common::run(
            common::command()
                .env("NETC_NUM_THREADS", value)
                .args(["train", path(&model)]),
        );
        assert_eq!(output.status.code(), Some(2), "NETC_NUM_THREADS={value}");
        let err = stderr(&output);
        assert!(
            err.contains(&format!("NETC_NUM_THREADS is `{value}`")) && err.contains("--threads"),
            "{err}"
        );
    }
    // The flag decides when given; a blank variable counts as unset.
    for (value, args) in [("many", &["--threads", "2"][..]), ("", &[][..])] {
        let output = common::run(
            common::command()
                .env("NETC_NUM_THREADS", value)
                .args(["train", path(&model), "--epochs", "1"])
                .args(args),
        );
        assert!(output.status.success(), "{value:?}: {}", stderr(&output));
    }
}

#[test]
fn many_blocks_of_rows_are_predicted_alike_on_any_thread_count() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (_, weights) = train(dir.path(), "1");
    // tiny.csv 20 times over: 800 rows, blocks of 256, 256, 256 and 32,
    // shared out unevenly over 3 threads and one each over 4.
    let tiny = std::fs::read_to_string(data("tiny.csv")).expect("tiny.csv");
    let (header, rows) = tiny.split_once('\n').expect("a header");
    let csv = dir.path().join("many.csv");
    std::fs::write(&csv, format!("{header}\n{}", rows.repeat(20))).expect("csv written");
    let one = predict_csv(&weights, &csv, "1");
    assert_eq!(one.lines().count(), 801, "a header and 800 rows");
    for threads in ["2", "3", "4", "7"] {
        assert_eq!(
            predict_csv(&weights, &csv, threads),
            one,
            "{threads} threads"
        );
    }
}
