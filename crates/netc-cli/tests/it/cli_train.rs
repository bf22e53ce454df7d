//! `netc train` end to end on the small test data: the JSON lines of
//! docs/cli.md, determinism, gzip input, plots and checkpoints.

use crate::common;

use std::process::Output;

use common::{data, json_lines, path, stderr, stdout};
use serde_json::Value;

/// `netc ARGS`, which must succeed.
fn netc(args: &[&str]) -> Output {
    let output = common::netc(args);
    assert!(
        output.status.success(),
        "netc {args:?} failed:\n{}",
        stderr(&output)
    );
    output
}

fn train_json(model: &str, extra: &[&str]) -> Vec<Value> {
    let model = data(model);
    let mut args = vec!["train", path(&model), "--format", "json"];
    args.extend_from_slice(extra);
    json_lines(&netc(&args))
}

#[test]
fn json_has_one_line_per_epoch_and_a_final_line() {
    let lines = train_json("tiny.nn", &[]);
    assert_eq!(lines.len(), 6, "5 epochs and the final line");
    for (i, line) in lines[..5].iter().enumerate() {
        assert_eq!(line["epoch"], i + 1);
        for key in ["train_loss", "val_loss", "train_acc", "val_acc", "seconds"] {
            assert!(line[key].is_number(), "{key} in {line}");
        }
        for key in ["val_precision", "val_recall", "val_f1", "train_f1"] {
            assert!(line[key].is_number(), "binary metric {key} in {line}");
        }
        assert!(line["grad_norm"]["fc.weight"].as_f64().expect("norm") > 0.0);
        assert!(line["grad_norm"]["fc.bias"].is_number());
        assert!(line["health"].is_array());
        assert!(line.get("final").is_none());
    }
    let last = &lines[5];
    assert_eq!(last["final"], true);
    assert_eq!(last["epoch"], 5);
    assert_eq!(last["val_loss"], lines[4]["val_loss"]);
    let best = last["best_epoch"].as_u64().expect("best epoch");
    assert!((1..=5).contains(&best));
}

fn without_seconds(mut lines: Vec<Value>) -> Vec<Value> {
    for line in &mut lines {
        line.as_object_mut().expect("object").remove("seconds");
    }
    lines
}

#[test]
fn the_same_seed_gives_identical_json() {
    let a = without_seconds(train_json("wider.nn", &["--seed", "7", "--epochs", "4"]));
    let b = without_seconds(train_json("wider.nn", &["--seed", "7", "--epochs", "4"]));
    let c = without_seconds(train_json("wider.nn", &["--seed", "8", "--epochs", "4"]));
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn overrides_change_the_run() {
    let lines = train_json(
        "tiny.nn",
        &["--epochs", "2", "--lr", "0.5", "--val-split", "0"],
    );
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["lr"], 0.5);
    assert!(lines[0]["val_loss"].is_null(), "no validation split");
}

#[test]
fn a_batch_beyond_the_data_and_memory_is_one_batch_of_every_row() {
    // The buffers follow the training rows, not the flag: a batch of 10¹²
    // rows would need terabytes.
    let huge = without_seconds(train_json(
        "tiny.nn",
        &[
            "--epochs",
            "2",
            "--batch",
            "1000000000000",
            "--allow",
            "warnings",
        ],
    ));
    let all_rows = without_seconds(train_json(
        "tiny.nn",
        &["--epochs", "2", "--batch", "32", "--allow", "warnings"],
    ));
    assert_eq!(huge, all_rows);
}

#[test]
fn regression_reports_rmse_and_r2_but_no_accuracy() {
    let lines = train_json("regress.nn", &["--epochs", "2"]);
    let last = lines.last().expect("final line");
    assert!(last["val_rmse"].is_number() && last["val_r2"].is_number());
    assert!(last["val_acc"].is_null());
    assert!(last.get("val_f1").is_none());
}

#[test]
fn multiclass_reports_accuracy_without_binary_metrics() {
    let lines = train_json("three.nn", &[]);
    let last = lines.last().expect("final line");
    assert!(last["val_acc"].is_number());
    assert!(last.get("val_f1").is_none());
}

#[test]
fn gzip_data_trains_like_the_plain_file() {
    let gz = data("tiny.csv.gz");
    let plain = without_seconds(train_json("tiny.nn", &[]));
    let zipped = without_seconds(train_json("tiny.nn", &["--data", path(&gz)]));
    assert_eq!(plain, zipped);
}

#[test]
fn no_shuffle_and_no_standardize_are_honoured() {
    let shuffled = without_seconds(train_json("tiny.nn", &[]));
    let ordered = without_seconds(train_json("tiny.nn", &["--no-shuffle"]));
    let raw = without_seconds(train_json("tiny.nn", &["--no-standardize"]));
    assert_ne!(shuffled, ordered);
    assert_ne!(shuffled, raw);
}

#[test]
fn text_mode_prints_a_line_per_epoch_and_a_summary() {
    let model = data("tiny.nn");
    let output = netc(&["train", path(&model)]);
    let stdout = stdout(&output);
    assert!(stdout.starts_with("training `Tiny` on "), "{stdout}");
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("epoch ")).count(),
        5
    );
    assert!(stdout.contains("best epoch "), "{stdout}");
}

#[test]
fn plots_are_written_as_svg_and_png() {
    let dir = tempfile::tempdir().expect("temp dir");
    let plots = dir.path().join("plots");
    let model = data("wider.nn");
    netc(&["train", path(&model), "--plot", path(&plots)]);
    for name in ["loss", "grad_norm"] {
        let svg = std::fs::read_to_string(plots.join(format!("{name}.svg"))).expect("svg");
        assert!(svg.contains("<svg") && svg.contains("epoch"), "{name}.svg");
        let png = std::fs::read(plots.join(format!("{name}.png"))).expect("png");
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "{name}.png");
    }
    let grad = std::fs::read_to_string(plots.join("grad_norm.svg")).expect("svg");
    assert!(grad.contains("fc1.weight") && grad.contains("fc2.weight"));
}

#[test]
fn save_writes_weights_and_a_sidecar() {
    let dir = tempfile::tempdir().expect("temp dir");
    let weights = dir.path().join("tiny.safetensors");
    let model = data("tiny.nn");
    netc(&[
        "train",
        path(&model),
        "--save",
        path(&weights),
        "--format",
        "json",
    ]);
    let bytes = std::fs::read(&weights).expect("weights");
    // safetensors: an 8-byte header length, then a JSON header.
    let header_len = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes")) as usize;
    let header: Value = serde_json::from_slice(&bytes[8..8 + header_len]).expect("header");
    assert_eq!(header["fc.weight"]["shape"], serde_json::json!([1, 2]));
    let sidecar: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("tiny.json")).expect("sidecar"),
    )
    .expect("json");
    assert_eq!(sidecar["model"], "Tiny");
    assert_eq!(sidecar["loss"], "bce_with_logits");
    assert_eq!(sidecar["classes"], 2);
    assert_eq!(
        sidecar["preprocessing"]["features"],
        serde_json::json!(["a", "b"])
    );
    assert_eq!(sidecar["preprocessing"]["target"], "label");
    assert_eq!(sidecar["model_sha256"].as_str().map(str::len), Some(64));
    assert_eq!(sidecar["metrics"]["final"], true);
}

#[test]
fn init_weights_start_from_a_checkpoint() {
    let dir = tempfile::tempdir().expect("temp dir");
    let weights = dir.path().join("w.safetensors");
    let model = data("tiny.nn");
    netc(&["train", path(&model), "--save", path(&weights)]);
    let fresh = train_json("tiny.nn", &["--epochs", "1"]);
    let resumed = train_json(
        "tiny.nn",
        &["--epochs", "1", "--init-weights", path(&weights)],
    );
    assert!(
        resumed[0]["train_loss"].as_f64() < fresh[0]["train_loss"].as_f64(),
        "a trained start has a lower first loss: {} vs {}",
        resumed[0]["train_loss"],
        fresh[0]["train_loss"]
    );
}

#[test]
fn dead_relu_units_are_reported_with_rule_codes() {
    let model = data("dead.nn");
    let output = netc(&["train", path(&model), "--format", "json"]);
    let lines = json_lines(&output);
    let codes: Vec<&str> = lines[0]["health"]
        .as_array()
        .expect("health array")
        .iter()
        .map(|h| h["code"].as_str().expect("code"))
        .collect();
    assert!(
        codes.contains(&"NN016") && codes.contains(&"NN023"),
        "{codes:?}"
    );
    let stderr = stderr(&netc(&["train", path(&model)]));
    assert!(
        stderr.contains(
            "warning[NN023]: epoch 1: gradients vanishing: ‖∇fc1.weight‖/‖∇out.weight‖ = 0.00e0"
        ),
        "{stderr}"
    );
    assert!(
        stderr
            .contains("warning[NN016]: epoch 1: dying ReLU: 100% of the gradient of `fc1.weight`"),
        "{stderr}"
    );
    // Each finding is worded once, not every epoch.
    assert_eq!(stderr.matches("warning[NN023]").count(), 1, "{stderr}");
}

#[test]
fn the_model_with_a_train_block_is_the_default() {
    let lines = train_json("two.nn", &[]);
    assert!(
        lines[0]["grad_norm"]["hidden.weight"].is_number(),
        "{}",
        lines[0]
    );
}

#[test]
fn model_flag_picks_another_model_which_then_needs_data() {
    let model = data("two.nn");
    let output = common::netc(&["train", path(&model), "--model", "NoBlock"]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(err.contains("model `NoBlock` names no data"), "{err}");

    let csv = data("tiny.csv");
    // Without a train block the target defaults to the last column.
    let lines = train_json("two.nn", &["--model", "NoBlock", "--data", path(&csv)]);
    assert!(
        lines[0]["grad_norm"]["fc.weight"].is_number(),
        "{}",
        lines[0]
    );

    let output = common::netc(&["train", path(&model), "--model", "Nope"]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(err.contains("no model `Nope`"), "{err}");
}
