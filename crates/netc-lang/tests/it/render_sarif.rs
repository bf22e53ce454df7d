//! The SARIF renderer: a valid 2.1.0 log code-scanning services import.

use netc_lang::ir::Span;
use netc_lang::render::{sarif, FileDiagnostics};
use netc_lang::{rules, Diagnostic, Label, Severity};
use serde_json::Value;

const SOURCE: &str =
    "// é→\nmodel Net2 {\n    bn1 = batchnorm(16)\n    forward { return bc1(x) }\n}\n";

fn at(needle: &str) -> Span {
    let start = SOURCE.find(needle).expect("needle in SOURCE");
    Span::new(start, start + needle.len())
}

fn diagnostics() -> Vec<Diagnostic> {
    vec![
        Diagnostic {
            code: "NN001",
            name: "undefined-layer",
            severity: Severity::Error,
            message: "undefined layer `bc1`".into(),
            span: at("bc1"),
            span_label: "not declared in this model".into(),
            labels: vec![Label {
                span: at("bn1"),
                message: "`bn1` is declared here".into(),
            }],
            help: Some("a layer with a similar name exists: `bn1`".into()),
            notes: vec![],
            fix: vec![],
            fix_safety: netc_lang::FixSafety::Safe,
        },
        Diagnostic {
            code: "NN018",
            name: "bias-before-batchnorm",
            severity: Severity::Info,
            message: "bias cancelled".into(),
            span: at("batchnorm"),
            span_label: String::new(),
            labels: vec![],
            help: None,
            notes: vec!["a note".into()],
            fix: vec![],
            fix_safety: netc_lang::FixSafety::Safe,
        },
    ]
}

fn log() -> Value {
    let diagnostics = diagnostics();
    let file = FileDiagnostics {
        path: "models/my net.nn",
        source: SOURCE,
        diagnostics: &diagnostics,
    };
    serde_json::from_str(&sarif::render(&[file])).expect("SARIF is JSON")
}

#[test]
fn a_sarif_2_1_0_log_with_one_netc_run() {
    let log = log();
    assert_eq!(log["version"], "2.1.0");
    assert!(log["$schema"]
        .as_str()
        .unwrap_or("")
        .contains("sarif-2.1.0"));
    let runs = log["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0]["tool"]["driver"]["name"], "netc");
    assert_eq!(runs[0]["columnKind"], "unicodeCodePoints");
}

#[test]
fn the_whole_registry_is_the_tool_s_rule_list() {
    let log = log();
    let listed = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules");
    assert_eq!(listed.len(), rules::ALL.len());
    for (descriptor, rule) in listed.iter().zip(rules::ALL) {
        assert_eq!(descriptor["id"], rule.code);
        assert_eq!(descriptor["name"], rule.name);
        assert_eq!(descriptor["help"]["markdown"], rule.doc);
    }
    assert_eq!(listed[1]["defaultConfiguration"]["level"], "error");
    assert_eq!(listed[2]["defaultConfiguration"]["level"], "warning");
}

#[test]
fn results_as_snapshotted() {
    let log = log();
    let results = &log["runs"][0]["results"];
    // In source order: the batchnorm on line 3 before `bc1` on line 4.
    assert_eq!(results[0]["ruleIndex"], 18);
    assert_eq!(results[0]["level"], "note");
    assert_eq!(results[1]["ruleIndex"], 1);
    assert_eq!(results[1]["level"], "error");
    insta::assert_snapshot!(serde_json::to_string_pretty(&sorted_keys(results)).expect("JSON"));
}

/// The value with every object's keys in sorted order, whether or not
/// serde_json's `preserve_order` feature is on in this build (another crate
/// of the workspace turns it on), so the snapshot is the same either way.
fn sorted_keys(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            Value::Object(
                keys.into_iter()
                    .map(|key| (key.clone(), sorted_keys(&map[key])))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted_keys).collect()),
        other => other.clone(),
    }
}
