//! Bad input to `netc train`: each case exits 1 (2 for usage) with one
//! line naming the file and, where one applies, the CSV line and column.

use crate::common;

use std::process::Output;

use common::{data, netc, path, stderr};

/// Trains `model` from tests/data on `csv` (also from tests/data) with
/// extra flags.
fn train(model: &str, csv: &str, extra: &[&str]) -> Output {
    let model = data(model);
    let csv = data(csv);
    let mut args = vec!["train", path(&model), "--data", path(&csv)];
    args.extend_from_slice(extra);
    netc(&args)
}

/// The exit code and the single stderr line.
fn failure(output: &Output) -> (i32, String) {
    let stderr = stderr(output);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line on stderr, got:\n{stderr}");
    (
        output.status.code().expect("exit code"),
        lines[0].to_string(),
    )
}

#[test]
fn non_numeric_cell() {
    let (code, line) = failure(&train("tiny.nn", "bad_cell.csv", &[]));
    assert_eq!(code, 1);
    assert!(
        line.ends_with("bad_cell.csv:3: column `b`: `abc` is not a number"),
        "{line}"
    );
}

#[test]
fn ragged_row() {
    let (code, line) = failure(&train("tiny.nn", "ragged.csv", &[]));
    assert_eq!(code, 1);
    assert!(
        line.ends_with("ragged.csv:4: the row has 2 fields, but the header has 3"),
        "{line}"
    );
}

#[test]
fn empty_file() {
    let (code, line) = failure(&train("tiny.nn", "empty.csv", &[]));
    assert_eq!(code, 1);
    assert!(
        line.ends_with("empty.csv: the file is empty (no header row)"),
        "{line}"
    );
}

#[test]
fn target_column_that_does_not_exist() {
    let (code, line) = failure(&train("tiny.nn", "tiny.csv", &["--target", "colour"]));
    assert_eq!(code, 1);
    assert!(
        line.ends_with("tiny.csv: no column `colour` (the header has: a, b, label)"),
        "{line}"
    );
}

#[test]
fn class_label_outside_the_output_range() {
    let (code, line) = failure(&train("three.nn", "three_bad_label.csv", &[]));
    assert_eq!(code, 1);
    assert!(
        line.ends_with(
            "three_bad_label.csv:7: column `class`: label 3 is not a class index 0..=2 (the model has 3 outputs)"
        ),
        "{line}"
    );
}

#[test]
fn binary_label_that_is_not_zero_or_one() {
    let (code, line) = failure(&train("tiny.nn", "three.csv", &["--target", "class"]));
    assert_eq!(code, 1);
    assert!(
        line.contains("three.csv:4: column `class`: label 2 is not 0 or 1"),
        "{line}"
    );
}

#[test]
fn feature_count_that_does_not_match_the_input() {
    let (code, line) = failure(&train("tiny.nn", "three_features.csv", &[]));
    assert_eq!(code, 1);
    assert!(
        line.ends_with("three_features.csv: 3 feature columns, but the model's input takes 2"),
        "{line}"
    );
}

#[test]
fn unwritable_save_path() {
    let dir = tempfile::tempdir().expect("temp dir");
    let save = dir.path().join("no_such_dir/out.safetensors");
    let (code, line) = failure(&train(
        "tiny.nn",
        "tiny.csv",
        &["--save", save.to_str().expect("utf-8 path")],
    ));
    assert_eq!(code, 1);
    assert!(
        line.contains("cannot write `") && line.contains("out.safetensors`"),
        "{line}"
    );
    assert!(!save.exists());
}

#[test]
fn a_failed_run_leaves_an_existing_weight_file_untouched() {
    let dir = tempfile::tempdir().expect("temp dir");
    let save = dir.path().join("out.safetensors");
    std::fs::write(&save, b"the previous weights").expect("write");
    std::fs::write(dir.path().join("out.json"), b"the previous sidecar").expect("write");
    let output = train(
        "regress.nn",
        "tiny.csv",
        &[
            "--lr",
            "1e30",
            // NN029 rightly warns about this rate; only the failure is
            // looked at here.
            "--allow",
            "learning-rate-range",
            "--save",
            save.to_str().expect("utf-8 path"),
        ],
    );
    let (code, line) = failure(&output);
    assert_eq!(code, 1);
    assert!(
        line.contains("training diverged") && line.contains("non-finite value first in `"),
        "{line}"
    );
    assert_eq!(std::fs::read(&save).expect("read"), b"the previous weights");
    assert_eq!(
        std::fs::read(dir.path().join("out.json")).expect("read"),
        b"the previous sidecar"
    );
}

#[test]
fn weight_file_of_another_model_names_the_tensor() {
    let dir = tempfile::tempdir().expect("temp dir");
    let weights = dir.path().join("wider.safetensors");
    let trained = train(
        "wider.nn",
        "tiny.csv",
        &["--save", weights.to_str().expect("utf-8 path")],
    );
    assert!(trained.status.success(), "{}", stderr(&trained));
    let (code, line) = failure(&train(
        "tiny.nn",
        "tiny.csv",
        &["--init-weights", weights.to_str().expect("utf-8 path")],
    ));
    assert_eq!(code, 1);
    assert!(line.contains("wider.safetensors: tensor `fc"), "{line}");
}

#[test]
fn data_file_that_does_not_exist_is_a_usage_error() {
    let (code, line) = failure(&train("tiny.nn", "no_such.csv", &[]));
    assert_eq!(code, 2);
    assert!(
        line.contains("data file `") && line.contains("no_such.csv` does not exist"),
        "{line}"
    );
}

#[test]
fn model_file_that_does_not_exist_is_a_usage_error() {
    let output = netc(&["train", "no/such/model.nn"]);
    let (code, line) = failure(&output);
    assert_eq!(code, 2);
    assert!(line.contains("no/such/model.nn"), "{line}");
}

#[test]
fn bad_flag_values_are_usage_errors() {
    for flags in [
        &["--val-split", "1.5"][..],
        &["--batch", "0"],
        &["--lr", "-1"],
        &["--missing", "zero"],
    ] {
        let output = train("tiny.nn", "tiny.csv", flags);
        assert_eq!(output.status.code(), Some(2), "{flags:?}");
    }
}

#[test]
fn model_with_check_errors_prints_diagnostics_and_exits_1() {
    let model = data("broken.nn");
    let output = netc(&["train", model.to_str().expect("utf-8 path")]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = stderr(&output);
    assert!(stderr.contains("error[NN001]"), "{stderr}");
    assert!(output.stdout.is_empty());
}

#[test]
fn missing_values_under_missing_error_name_the_cell() {
    let dir = tempfile::tempdir().expect("temp dir");
    let csv = dir.path().join("gaps.csv");
    std::fs::write(&csv, "a,b,label\n0.1,0.2,0\n0.3,,1\n").expect("write");
    let model = data("tiny.nn");
    let output = netc(&[
        "train",
        model.to_str().expect("utf-8 path"),
        "--data",
        csv.to_str().expect("utf-8 path"),
        "--missing",
        "error",
    ]);
    let (code, line) = failure(&output);
    assert_eq!(code, 1);
    assert!(
        line.ends_with("gaps.csv:3: column `b`: missing value (--missing error)"),
        "{line}"
    );
}

#[test]
fn model_too_large_for_memory_is_refused_before_allocating() {
    let dir = tempfile::tempdir().expect("temp dir");
    let model = dir.path().join("huge.nn");
    std::fs::write(
        &model,
        "model Huge {\n    input x: 2\n    fc1 = linear(2, 1000000)\n    \
         fc2 = linear(1000000, 1000000)\n    fc3 = linear(1000000, 1)\n    \
         forward { return fc3(relu(fc2(relu(fc1(x))))) }\n    \
         train { loss = bce_with_logits optimizer = adam(lr=1e-3) batch = 8 epochs = 1 }\n}\n",
    )
    .expect("write");
    let csv = data("tiny.csv");
    let output = netc(&[
        "train",
        path(&model),
        "--data",
        path(&csv),
        "--allow",
        "warnings",
    ]);
    let (code, line) = failure(&output);
    assert_eq!(code, 1);
    assert!(
        line.contains("model `Huge` needs 14901.") && line.contains("refuses models over 8.0 GiB"),
        "{line}"
    );
    assert!(output.stdout.is_empty());
}

#[test]
fn unwritable_plot_directory_fails_before_training() {
    // A directory cannot be created under a regular file.
    let plots = data("tiny.csv").join("plots");
    let output = train("tiny.nn", "tiny.csv", &["--plot", path(&plots)]);
    let (code, line) = failure(&output);
    assert_eq!(code, 1);
    assert!(
        line.contains("cannot create `") && line.contains("plots`"),
        "{line}"
    );
    assert!(output.stdout.is_empty(), "no epoch was trained");
}

#[test]
fn a_file_without_models_is_bad_input_for_train_and_emit() {
    let dir = tempfile::tempdir().expect("temp dir");
    let model = dir.path().join("empty.nn");
    std::fs::write(&model, "// nothing here yet\n").expect("write");
    let csv = data("tiny.csv");
    for args in [
        &["train", path(&model), "--data", path(&csv)][..],
        &["emit", path(&model)],
    ] {
        let (code, line) = failure(&netc(args));
        assert_eq!(code, 1, "{args:?}");
        assert!(
            line.ends_with("empty.nn: the file defines no model"),
            "{line}"
        );
    }
}

#[test]
fn negative_numbers_are_refused_with_the_reason() {
    for (flag, value, reason) in [
        ("--lr", "-1", "`-1` is not a positive number"),
        ("--val-split", "-0.5", "`-0.5` is not a fraction in [0, 1)"),
    ] {
        let output = train("tiny.nn", "tiny.csv", &[flag, value]);
        assert_eq!(output.status.code(), Some(2), "{flag} {value}");
        let err = stderr(&output);
        assert!(err.contains(reason), "{err}");
    }
}

#[test]
fn a_regression_output_wider_than_one_target_column_is_refused_before_training() {
    let dir = tempfile::tempdir().expect("temp dir");
    let model = dir.path().join("wide.nn");
    std::fs::write(
        &model,
        "model Wide {\n    input x: 2\n    fc = linear(2, 3)\n    forward { return fc(x) }\n    \
         train { loss = mse optimizer = sgd(lr=1e-2) batch = 8 epochs = 1 }\n}\n",
    )
    .expect("write");
    let csv = data("tiny.csv");
    let output = netc(&["train", path(&model), "--data", path(&csv)]);
    let (code, line) = failure(&output);
    assert_eq!(code, 1);
    assert!(
        line.ends_with(
            "wide.nn: model `Wide` returns 3 values per row and `mse` compares each with a target, \
             but netc trains on one target column; end `forward` with a layer of width 1"
        ),
        "{line}"
    );
    assert!(output.stdout.is_empty(), "no start line");
}

#[test]
fn a_directory_given_as_data_or_weights_is_named_as_one() {
    let dir = tempfile::tempdir().expect("temp dir");
    let folder = path(dir.path());
    for (flags, what) in [
        (&["--data", folder][..], "data file `"),
        (&["--init-weights", folder], "weight file `"),
    ] {
        let model = data("tiny.nn");
        let mut args = vec!["train", path(&model)];
        args.extend_from_slice(flags);
        let (code, line) = failure(&netc(&args));
        assert_eq!(code, 2, "{flags:?}");
        assert!(
            line.contains(what) && line.ends_with("` is a directory, not a file"),
            "{line}"
        );
    }
}

#[test]
fn a_train_block_data_path_that_does_not_exist_names_the_model_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let model = dir.path().join("lost.nn");
    let text = std::fs::read_to_string(data("tiny.nn"))
        .expect("model")
        .replace("\"tiny.csv\"", "\"data/lost.csv\"");
    std::fs::write(&model, text).expect("write");
    let (code, line) = failure(&netc(&["train", path(&model)]));
    assert_eq!(code, 2);
    assert!(
        line.contains("lost.nn: the train block's data file `")
            && line.ends_with("data/lost.csv` does not exist"),
        "{line}"
    );
}
