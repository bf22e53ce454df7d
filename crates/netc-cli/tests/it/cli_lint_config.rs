//! Lint levels on the command line (`--warn`, `--deny`, `--allow`, in
//! order) and suppression comments, through `netc check` and `netc
//! analyze`.

use crate::common;

use common::{netc, stderr};
use serde_json::Value;

const CLEAN: &str = "tests/models/clean.nn";
const UNUSED: &str = "tests/models/nn002_unused_layer.nn";
const SUPPRESSED: &str = "tests/lint_config/suppressed.nn";

/// `netc check --format json` with `flags`: the exit code and each
/// diagnostic's (code, severity).
fn json_check(file: &str, flags: &[&str]) -> (i32, Vec<(String, String)>) {
    let mut args = vec!["check", "--format", "json", file];
    args.extend_from_slice(flags);
    let output = netc(&args);
    let items: Vec<Value> = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", stderr(&output)));
    let found = items
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap_or_default().to_string(),
                d["severity"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    (output.status.code().expect("exit code"), found)
}

fn pair(code: &str, severity: &str) -> (String, String) {
    (code.to_string(), severity.to_string())
}

#[test]
fn levels_by_code_or_name_and_the_later_one_wins() {
    assert_eq!(json_check(UNUSED, &[]), (0, vec![pair("NN002", "warning")]));
    assert_eq!(
        json_check(UNUSED, &["--deny", "unused-layer"]),
        (1, vec![pair("NN002", "error")])
    );
    assert_eq!(
        json_check(UNUSED, &["--deny", "NN002", "--allow", "unused-layer"]),
        (0, vec![])
    );
    assert_eq!(
        json_check(UNUSED, &["-A", "NN002", "-D", "NN002"]),
        (1, vec![pair("NN002", "error")])
    );
}

#[test]
fn deny_warnings_respects_an_earlier_allow_and_a_later_warn() {
    assert_eq!(
        json_check(UNUSED, &["--allow", "NN002", "--deny", "warnings"]),
        (0, vec![])
    );
    assert_eq!(
        json_check(UNUSED, &["--deny", "warnings", "--warn", "NN002"]),
        (0, vec![pair("NN002", "warning")])
    );
}

#[test]
fn the_changed_level_is_explained_in_the_text() {
    let output = netc(&["check", UNUSED, "--deny", "unused-layer"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("= note: `--deny unused-layer` turns this warning into an error"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn unknown_lints_are_usage_errors_with_a_suggestion() {
    for flag in ["--warn", "--deny", "--allow"] {
        let output = netc(&["check", CLEAN, flag, "unused-layr"]);
        assert_eq!(output.status.code(), Some(2), "{flag}");
        assert!(
            stderr(&output).contains(&format!(
                "{flag} `unused-layr`: no lint has this code or name; did you mean `unused-layer` (NN002)?"
            )),
            "{}",
            stderr(&output)
        );
    }
}

#[test]
fn front_end_errors_cannot_be_allowed_or_warned() {
    for flag in ["--allow", "--warn"] {
        let output = netc(&["check", CLEAN, flag, "NN001"]);
        assert_eq!(output.status.code(), Some(2));
        assert!(
            stderr(&output).contains("`undefined-layer` is an error of the front end"),
            "{}",
            stderr(&output)
        );
    }
    let denied = netc(&[
        "check",
        "tests/models/nn001_undefined_layer.nn",
        "--deny",
        "NN001",
    ]);
    assert_eq!(denied.status.code(), Some(1));
}

#[test]
fn suppression_comments_apply_and_a_misspelt_one_is_nn040() {
    let (code, found) = json_check(SUPPRESSED, &[]);
    assert_eq!((code, found), (0, vec![pair("NN040", "warning")]));
    let output = netc(&["check", SUPPRESSED]);
    let err = stderr(&output);
    assert!(
        err.contains("warning[NN040]: `unused-layr` is not a rule code or name"),
        "{err}"
    );
    assert!(
        err.contains("did you mean `unused-layer` (NN002)?"),
        "{err}"
    );
    assert!(
        err.contains("7:34"),
        "span on the name in the comment: {err}"
    );
}

#[test]
fn unused_suppression_is_a_lint_like_the_others() {
    assert_eq!(
        json_check(SUPPRESSED, &["--allow", "unused-suppression"]),
        (0, vec![])
    );
    assert_eq!(json_check(SUPPRESSED, &["--deny", "NN040"]).0, 1);
}

#[test]
fn analyze_takes_the_same_levels() {
    assert_eq!(netc(&["analyze", UNUSED]).status.code(), Some(0));
    let denied = netc(&["analyze", UNUSED, "--deny", "warnings"]);
    assert_eq!(denied.status.code(), Some(1));
    assert!(
        stderr(&denied).contains("error[NN002]"),
        "{}",
        stderr(&denied)
    );
    assert_eq!(
        netc(&["analyze", UNUSED, "--allow", "unused-layr"])
            .status
            .code(),
        Some(2)
    );
}
