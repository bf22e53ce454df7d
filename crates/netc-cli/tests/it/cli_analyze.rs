//! `netc analyze` end to end: the report's JSON shape and numbers, the text
//! table, and the exit statuses (0 report, 1 model errors, 2 usage).

use crate::common;

use std::process::Output;

use netc_testkit::workspace_path;
use serde_json::Value;

/// `netc ARGS` in the workspace root, where the model paths below start.
fn netc(args: &[&str]) -> Output {
    common::netc_in(&workspace_path("."), args)
}

fn write_model(name: &str, text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join(name), text).expect("write model");
    dir
}

const SIGMOID_XAVIER: &str = "crates/netc-lang/tests/lint_models/sim/sigmoid_xavier.nn";

#[test]
fn json_report_has_the_documented_shape() {
    let output = netc(&["analyze", SIGMOID_XAVIER, "--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON on stdout");
    assert_eq!(report["model"], "SigmoidXavier");
    assert_eq!(report["verdict"], "vanishing");
    let r = report["R"].as_f64().expect("R");
    assert!((r / 7.08e-5 - 1.0).abs() < 0.01, "R = {r}");
    let layers = report["layers"].as_array().expect("layers");
    assert_eq!(layers.len(), 8);
    assert_eq!(layers[0]["name"], "fc1");
    for key in ["q", "Q", "D", "G"] {
        assert!(layers[0][key].as_f64().is_some(), "{key} in {}", layers[0]);
    }
    // Standardised inputs and xavier on a square matrix: q_1 = 1.
    assert!((layers[0]["q"].as_f64().expect("q") - 1.0).abs() < 1e-12);
}

#[test]
fn text_report_shows_every_layer_and_the_verdict() {
    let output = netc(&[
        "analyze",
        "crates/netc-lang/tests/lint_models/sim/relu_batchnorm.nn",
    ]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let text = common::stdout(&output);
    assert!(text.contains("fc1 "), "{text}");
    assert!(text.contains("bn9 "), "{text}");
    assert!(
        text.contains("R = sqrt(G_first / G_last) = 4.63e0: healthy"),
        "{text}"
    );
}

#[test]
fn exit_statuses() {
    let missing = netc(&["analyze", "no/such/model.nn"]);
    assert_eq!(missing.status.code(), Some(2));

    let dir = write_model(
        "broken.nn",
        "model M {\n    input x: 4\n    fc1 = linear(4, 2)\n    forward {\n        return fc2(x)\n    }\n}\n",
    );
    let path = dir.path().join("broken.nn");
    let broken = netc(&["analyze", path.to_str().expect("utf-8 path")]);
    assert_eq!(broken.status.code(), Some(1));
    assert!(common::stderr(&broken).contains("NN001"));

    let unknown = netc(&["analyze", SIGMOID_XAVIER, "--model", "Nope"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(common::stderr(&unknown).contains("SigmoidXavier"));
}

#[test]
fn a_file_without_models_is_bad_input_naming_the_file() {
    let dir = write_model("comments.nn", "// only a comment\n");
    let path = dir.path().join("comments.nn");
    let output = netc(&["analyze", path.to_str().expect("utf-8 path")]);
    assert_eq!(output.status.code(), Some(1));
    let err = common::stderr(&output);
    assert!(
        err.trim_end()
            .ends_with("comments.nn: the file defines no model")
            && err.lines().count() == 1,
        "{err}"
    );
}

/// An image model's report: conv2d, batchnorm2d and max-pool rows in
/// forward order, each with its moments (pooling's second moment from the
/// expected maximum of its window), and the verdict.
#[test]
fn image_model_report_has_a_row_per_image_layer() {
    let output = netc(&["analyze", "examples/lenet.nn"]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    insta::assert_snapshot!(common::stdout(&output));
}
