//! `netc check` end to end: the built binary on model files, its exit
//! status, its stderr (text) and stdout (JSON), snapshotted as users see
//! them.

use crate::common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Output;

use common::{stderr, stdout};
use netc_testkit::workspace_path;
use serde_json::Value;

/// Runs `netc` in `dir` so paths in its output are the relative ones
/// given; with `NO_COLOR` unset, so that piped output is shown uncolored
/// on its own.
fn netc_in(dir: &Path, args: &[&str]) -> Output {
    common::run(
        common::command()
            .current_dir(dir)
            .env_remove("NO_COLOR")
            .args(args),
    )
}

fn netc(args: &[&str]) -> Output {
    netc_in(Path::new(env!("CARGO_MANIFEST_DIR")), args)
}
fn json_array(output: &Output) -> Vec<Value> {
    match serde_json::from_slice(&output.stdout) {
        Ok(Value::Array(items)) => items,
        other => panic!("stdout is not a JSON array: {other:?}\n{}", stdout(output)),
    }
}

fn codes(items: &[Value]) -> BTreeSet<String> {
    items
        .iter()
        .map(|item| item["code"].as_str().expect("code is a string").to_string())
        .collect()
}

const POSITION_KEYS: [&str; 3] = ["column", "line", "offset"];

fn assert_span_shape(span: &Value) {
    let mut keys: Vec<&str> = span
        .as_object()
        .expect("span is an object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, ["end", "start"]);
    for end in ["start", "end"] {
        let position = span[end].as_object().expect("position is an object");
        let mut keys: Vec<&str> = position.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, POSITION_KEYS);
        assert!(position.values().all(Value::is_u64), "{span}");
    }
    assert!(span["start"]["line"].as_u64() >= Some(1));
    assert!(span["start"]["column"].as_u64() >= Some(1));
    assert!(span["start"]["offset"].as_u64() <= span["end"]["offset"].as_u64());
}

/// The exact field set docs/cli.md promises, with the right JSON types.
fn assert_diagnostic_shape(item: &Value) {
    let object = item.as_object().expect("diagnostic is an object");
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["code", "file", "help", "labels", "message", "name", "notes", "severity", "span"]
    );
    for key in ["code", "name", "message", "file"] {
        assert!(item[key].is_string(), "{key} in {item}");
    }
    assert!(["error", "warning", "info"].contains(&item["severity"].as_str().unwrap_or("")));
    assert!(item["help"].is_string() || item["help"].is_null(), "{item}");
    assert!(item["notes"]
        .as_array()
        .expect("notes")
        .iter()
        .all(Value::is_string));
    assert_span_shape(&item["span"]);
    for label in item["labels"].as_array().expect("labels is an array") {
        let mut keys: Vec<&str> = label
            .as_object()
            .expect("label")
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(keys, ["message", "span"]);
        assert!(label["message"].is_string());
        assert_span_shape(&label["span"]);
    }
}

/// Every front-end code has a model under `tests/models/` named after it;
/// each must produce that code, exit as its severity says (1 for an error,
/// 0 for a warning), and render as reviewed.
#[test]
fn every_front_end_code_renders_as_snapshotted() {
    insta::glob!("..", "models/nn*.nn", |path| {
        let file_name = path
            .file_name()
            .and_then(|name| name.to_str())
            .expect("utf-8 name");
        let relative = format!("tests/models/{file_name}");
        let code = file_name[..5].to_ascii_uppercase();
        let rule = netc_lang::rules::lookup(&code).expect("model named after a rule");
        let status = if rule.severity == netc_lang::Severity::Error {
            1
        } else {
            0
        };

        let text = netc(&["check", &relative]);
        assert_eq!(text.status.code(), Some(status), "{}", stderr(&text));
        assert!(
            stdout(&text).is_empty(),
            "text mode writes nothing on stdout"
        );
        assert!(
            stderr(&text).contains(&format!("[{code}]")),
            "{}",
            stderr(&text)
        );
        insta::assert_snapshot!("text", stderr(&text));

        let json = netc(&["check", "--format", "json", &relative]);
        assert_eq!(json.status.code(), Some(status));
        let items = json_array(&json);
        items.iter().for_each(assert_diagnostic_shape);
        assert!(
            codes(&items).contains(&code),
            "{code} missing from {}",
            stdout(&json)
        );
        insta::assert_snapshot!("json", stdout(&json));
    });
}

#[test]
fn the_seed_model_reports_its_four_bugs() {
    let text = netc_in(&workspace_path("."), &["check", "examples/seed.nn"]);
    assert_eq!(text.status.code(), Some(1));
    insta::assert_snapshot!("seed_text", stderr(&text));

    let json = netc_in(
        &workspace_path("."),
        &["check", "--format", "json", "examples/seed.nn"],
    );
    assert_eq!(json.status.code(), Some(1));
    let items = json_array(&json);
    items.iter().for_each(assert_diagnostic_shape);
    let expected: BTreeSet<String> = ["NN001", "NN002", "NN034", "NN035"]
        .map(String::from)
        .into();
    assert!(codes(&items).is_superset(&expected), "{}", stdout(&json));
    let bc1 = items
        .iter()
        .find(|item| item["code"] == "NN001")
        .expect("NN001 reported");
    assert!(
        bc1["message"].as_str().unwrap_or("").contains("bc1"),
        "{bc1}"
    );
    assert!(bc1["help"].as_str().unwrap_or("").contains("bn1"), "{bc1}");
    insta::assert_snapshot!("seed_json", stdout(&json));
}

#[test]
fn a_clean_model_exits_zero_silently() {
    let text = netc(&["check", "tests/models/clean.nn"]);
    assert_eq!(text.status.code(), Some(0), "{}", stderr(&text));
    assert!(!stderr(&text).contains("error"), "{}", stderr(&text));
    assert!(!stderr(&text).contains("warning"), "{}", stderr(&text));

    let json = netc(&["check", "--format", "json", "tests/models/clean.nn"]);
    assert_eq!(json.status.code(), Some(0));
    assert!(json_array(&json)
        .iter()
        .all(|item| item["severity"] == "info"));
}

#[test]
fn warnings_pass_unless_denied() {
    let model = "tests/models/nn002_unused_layer.nn";
    let allowed = netc(&["check", model]);
    assert_eq!(allowed.status.code(), Some(0), "{}", stderr(&allowed));
    assert!(stderr(&allowed).contains("warning[NN002]"));

    let denied = netc(&["check", "--deny", "warnings", model]);
    assert_eq!(denied.status.code(), Some(1), "{}", stderr(&denied));
    assert!(
        stderr(&denied).contains("error[NN002]"),
        "{}",
        stderr(&denied)
    );
    assert!(
        stderr(&denied).contains("--deny warnings"),
        "{}",
        stderr(&denied)
    );

    let json = netc(&["check", "--deny", "warnings", "--format", "json", model]);
    assert_eq!(json.status.code(), Some(1));
    let items = json_array(&json);
    assert!(
        items.iter().all(|item| item["severity"] == "error"),
        "{}",
        stdout(&json)
    );
}

#[test]
fn a_missing_file_is_a_usage_error_naming_the_path() {
    let output = netc(&["check", "tests/models/does-not-exist.nn"]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(
        message.starts_with("error: cannot read `tests/models/does-not-exist.nn`: "),
        "{message}"
    );
}

#[test]
fn a_missing_file_does_not_hide_the_others() {
    let output = netc(&[
        "check",
        "--format",
        "json",
        "tests/models/does-not-exist.nn",
        "tests/models/nn001_undefined_layer.nn",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(codes(&json_array(&output)).contains("NN001"));
}

#[test]
fn json_covers_all_files_in_one_array_sorted_by_file() {
    let output = netc(&[
        "check",
        "--format",
        "json",
        "tests/models/nn035_missing_return.nn",
        "tests/models/nn001_undefined_layer.nn",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let items = json_array(&output);
    let files: Vec<&str> = items
        .iter()
        .filter_map(|item| item["file"].as_str())
        .collect();
    let mut sorted = files.clone();
    sorted.sort_unstable();
    assert_eq!(files, sorted);
    assert!(files.contains(&"tests/models/nn001_undefined_layer.nn"));
    assert!(files.contains(&"tests/models/nn035_missing_return.nn"));
}

#[test]
fn non_utf8_input_is_a_diagnostic_not_a_crash() {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("latin1.nn");
    std::fs::write(&path, b"// caf\xe9\nmodel Net {}\n").expect("write temp model");
    let output = netc(&["check", "--format", "json", &path.display().to_string()]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        codes(&json_array(&output)).contains("NN000"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn usage_errors_exit_two() {
    assert_eq!(netc(&["check"]).status.code(), Some(2));
    let bad_format = netc(&["check", "--format", "xml", "tests/models/clean.nn"]);
    assert_eq!(bad_format.status.code(), Some(2));
    let bad_deny = netc(&["check", "--deny", "everything", "tests/models/clean.nn"]);
    assert_eq!(bad_deny.status.code(), Some(2));
}

#[test]
fn text_reports_files_in_the_order_given() {
    let output = netc(&[
        "check",
        "tests/models/nn035_missing_return.nn",
        "tests/models/does-not-exist.nn",
        "tests/models/nn001_undefined_layer.nn",
    ]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    let positions: Vec<usize> = ["[NN035]", "cannot read", "[NN001]"]
        .iter()
        .map(|needle| message.find(needle).expect(needle))
        .collect();
    assert!(
        positions.windows(2).all(|pair| pair[0] < pair[1]),
        "{message}"
    );
}

#[test]
fn sarif_is_a_log_with_one_result_per_diagnostic() {
    let model = "tests/models/nn001_undefined_layer.nn";
    let output = netc(&["check", "--format", "sarif", model]);
    assert_eq!(output.status.code(), Some(1));
    let log: Value = serde_json::from_slice(&output.stdout).expect("SARIF is JSON");
    assert_eq!(log["version"], "2.1.0");
    let results = log["runs"][0]["results"].as_array().expect("results");
    let json = json_array(&netc(&["check", "--format", "json", model]));
    assert_eq!(results.len(), json.len());
    assert_eq!(results[0]["ruleId"], "NN001");
    let region = &results[0]["locations"][0]["physicalLocation"]["region"];
    assert_eq!(region["startLine"], json[0]["span"]["start"]["line"]);
    assert_eq!(region["startColumn"], json[0]["span"]["start"]["column"]);
}

#[test]
fn github_annotations_point_at_the_span() {
    let output = netc(&[
        "check",
        "--format",
        "github",
        "tests/models/nn001_undefined_layer.nn",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(
        text.starts_with(
            "::error file=tests/models/nn001_undefined_layer.nn,line=9,col=17,endLine=9,endColumn=20,title=NN001 (undefined-layer)::undefined layer `bc1`"
        ),
        "{text}"
    );
}
