//! `netc train` reports the lints `netc check` reports (same levels and
//! suppressions), plus the lints that need the data: NN010, NN019, NN032.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{stderr, stdout};

fn model(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/train_lints")
        .join(name)
}

fn train(path: &Path, extra: &[&str]) -> Output {
    common::run(common::command().arg("train").arg(path).args(extra))
}

/// A copy of a model from tests/train_lints with `from` replaced by `to`,
/// in a temporary folder beside a copy of the data it names.
fn edited(name: &str, from: &str, to: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = std::fs::read_to_string(model(name)).expect("model");
    assert!(text.contains(from), "`{from}` is not in {name}");
    let edited = text
        .replace(from, to)
        .replace("../data/tiny.csv", "tiny.csv");
    let path = dir.path().join(name);
    std::fs::write(&path, edited).expect("write model");
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/tiny.csv");
    std::fs::copy(data, dir.path().join("tiny.csv")).expect("copy data");
    (dir, path)
}

#[test]
fn the_model_lints_come_before_training_as_netc_check_prints_them() {
    let output = train(&model("batchnorm.nn"), &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(
        err.contains("info[NN018]: bias of fc1 is cancelled"),
        "{err}"
    );
    let check = common::run(common::command().arg("check").arg(model("batchnorm.nn")));
    assert!(err.starts_with(&stderr(&check)), "{err}");
    assert!(stdout(&output).contains("training `Norm`"));
}

#[test]
fn json_lines_stay_json_and_diagnostics_go_to_stderr() {
    let output = train(&model("batchnorm.nn"), &["--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let out = stdout(&output);
    assert!(!out.is_empty());
    for line in out.lines() {
        serde_json::from_str::<serde_json::Value>(line)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
    }
    assert!(stderr(&output).contains("info[NN018]"));
}

#[test]
fn an_error_level_stops_before_training() {
    let output = train(&model("batchnorm.nn"), &["--deny", "bias-before-batchnorm"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("error[NN018]"),
        "{}",
        stderr(&output)
    );
    assert_eq!(stdout(&output), "");
}

#[test]
fn unknown_lint_is_a_usage_error() {
    let output = train(
        &model("batchnorm.nn"),
        &["--allow", "bias-before-batchnrom"],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("did you mean `bias-before-batchnorm` (NN018)?"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_last_batch_of_one_under_batchnorm_is_nn019_and_stops() {
    // 32 training rows in batches of 31 leave one row over.
    let output = train(&model("batchnorm.nn"), &["--batch", "31"]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains("error[NN019]: batchnorm needs >1 value per channel in training: 32 samples in batches of 31 leave a last batch of 1"),
        "{err}"
    );
    assert!(
        err.contains("the batch size 31 comes from --batch"),
        "{err}"
    );
    assert_eq!(stdout(&output), "", "no training");
}

#[test]
fn nn019_cannot_be_allowed_in_train() {
    let output = train(
        &model("batchnorm.nn"),
        &["--batch", "31", "--allow", "batchnorm-batch-one"],
    );
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(!err.contains("error[NN019]"), "{err}");
    assert!(
        err.contains("batchnorm cannot train on a batch of one sample")
            && err.contains("change --batch"),
        "{err}"
    );
    assert_eq!(stdout(&output), "", "no training");
}

#[test]
fn a_batch_of_one_from_the_command_line_is_nn019() {
    let output = train(&model("batchnorm.nn"), &["--batch", "1"]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(err.contains("error[NN019]"), "{err}");
    assert!(err.contains("with this run's training settings"), "{err}");
}

#[test]
fn a_batch_larger_than_the_data_warns_and_trains_on_one_batch() {
    let output = train(&model("batchnorm.nn"), &["--batch", "100"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(
        err.contains("warning[NN032]: batch_size 100 > dataset size 32"),
        "{err}"
    );
    assert!(
        stdout(&output).contains("32 training rows, 8 validation rows, 2 epochs, batch 32"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn a_suppressed_data_lint_is_silent_and_its_comment_used() {
    let (_dir, path) = edited(
        "batchnorm.nn",
        "        batch = 8\n",
        "        // netc: allow(train-hyperparameters)\n        batch = 8\n",
    );
    let output = train(&path, &["--batch", "100"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(!err.contains("NN032") && !err.contains("NN040"), "{err}");
}

#[test]
fn an_unused_suppression_is_reported_after_the_data_lints() {
    let (_dir, path) = edited(
        "batchnorm.nn",
        "        batch = 8\n",
        "        // netc: allow(train-hyperparameters)\n        batch = 8\n",
    );
    let output = train(&path, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(err.contains("warning[NN040]"), "{err}");
    assert_eq!(err.matches("NN040]").count(), 1, "{err}");
}

#[test]
fn negative_targets_under_a_final_relu_are_nn010() {
    let output = train(&model("relu_regress.nn"), &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(
        err.contains("warning[NN010]: final relu cannot produce negative targets"),
        "{err}"
    );
}

#[test]
fn a_default_batch_larger_than_the_data_is_not_blamed_on_the_batch_flag() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("untrained.nn");
    std::fs::write(
        &path,
        "model Untrained {\n    input x: 2\n    fc = linear(2, 1)\n    forward { return fc(x) }\n}\n",
    )
    .expect("write model");
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/tiny.csv");
    let data = data.to_str().expect("utf-8 path");
    // 20 training rows, fewer than the default batch.
    let output = train(&path, &["--data", data, "--val-split", "0.5"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(
        err.contains("warning[NN032]: batch_size 32 > dataset size"),
        "{err}"
    );
    assert!(
        err.contains("the batch size 32 is netc's default; the model sets no `batch`"),
        "{err}"
    );
    assert!(!err.contains("--batch"), "{err}");
}

#[test]
fn training_one_model_does_not_list_the_other_models_warnings() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("two.nn");
    let logits = "model Logits {\n    input x: 2\n    fc = linear(2, 1)\n    forward { return fc(x) }\n    \
                  train { loss = bce_with_logits optimizer = adam(lr=1e-3) batch = 8 epochs = 1 }\n}\n";
    let probabilities = "model Probabilities {\n    input x: 2\n    fc = linear(2, 1)\n    \
                         forward { return sigmoid(fc(x)) }\n    \
                         train { loss = bce optimizer = adam(lr=1e-3) batch = 8 epochs = 1 }\n}\n";
    std::fs::write(&path, format!("{logits}{probabilities}")).expect("write model");
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/tiny.csv");
    let data = data.to_str().expect("utf-8 path");
    let other = train(&path, &["--data", data, "--target", "label"]);
    assert_eq!(other.status.code(), Some(0), "{}", stderr(&other));
    assert!(!stderr(&other).contains("NN009"), "{}", stderr(&other));
    let own = train(
        &path,
        &[
            "--data",
            data,
            "--target",
            "label",
            "--model",
            "Probabilities",
        ],
    );
    assert_eq!(own.status.code(), Some(0), "{}", stderr(&own));
    assert!(stderr(&own).contains("warning[NN009]"), "{}", stderr(&own));
}
