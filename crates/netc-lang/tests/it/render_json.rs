//! The JSON renderer: the exact shape docs/cli.md promises to scripts.

use netc_lang::ir::Span;
use netc_lang::render::{json, FileDiagnostics};
use netc_lang::{Diagnostic, Label, Severity};
use serde_json::Value;

const SOURCE: &str =
    "// é→ comment\nmodel Net2 {\n    bn1 = batchnorm(16)\n    forward { return bc1(x) }\n}\n";

fn at(needle: &str) -> Span {
    let start = SOURCE.find(needle).expect("needle in SOURCE");
    Span::new(start, start + needle.len())
}

fn undefined_layer() -> Diagnostic {
    Diagnostic {
        code: "NN001",
        name: "undefined-layer",
        severity: Severity::Error,
        message: "undefined layer `bc1`".into(),
        span: at("bc1"),
        span_label: "not declared".into(),
        labels: vec![Label {
            span: at("bn1"),
            message: "`bn1` is declared here".into(),
        }],
        help: Some("a layer with a similar name exists: `bn1`".into()),
        notes: vec![],
        fix: vec![],
        fix_safety: netc_lang::FixSafety::Safe,
    }
}

fn unused_layer() -> Diagnostic {
    Diagnostic {
        code: "NN002",
        name: "unused-layer",
        severity: Severity::Warning,
        message: "layer `bn1` is declared but never used".into(),
        span: at("bn1"),
        span_label: String::new(),
        labels: vec![],
        help: None,
        notes: vec!["a note".into()],
        fix: vec![],
        fix_safety: netc_lang::FixSafety::Safe,
    }
}

fn parse(files: &[FileDiagnostics<'_>]) -> Vec<Value> {
    let rendered = json::render(files);
    match serde_json::from_str(&rendered) {
        Ok(Value::Array(items)) => items,
        other => panic!("not a JSON array: {other:?}\n{rendered}"),
    }
}

#[test]
fn snapshot_of_one_file() {
    let diagnostics = [undefined_layer(), unused_layer()];
    let file = FileDiagnostics {
        path: "models/net2.nn",
        source: SOURCE,
        diagnostics: &diagnostics,
    };
    insta::assert_snapshot!(json::render(&[file]));
}

#[test]
fn exact_field_set_and_character_columns() {
    let diagnostics = [undefined_layer()];
    let file = FileDiagnostics {
        path: "a.nn",
        source: SOURCE,
        diagnostics: &diagnostics,
    };
    let items = parse(&[file]);
    let item = items[0].as_object().expect("object");
    let mut keys: Vec<&str> = item.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["code", "file", "help", "labels", "message", "name", "notes", "severity", "span"]
    );
    // `bc1` is on line 4 at character column 22 (the line has no multi-byte
    // characters); the `é→` on line 1 must not shift line 4's columns.
    assert_eq!(item["span"]["start"]["line"], 4);
    assert_eq!(item["span"]["start"]["column"], 22);
    assert_eq!(item["span"]["end"]["column"], 25);
    assert_eq!(
        item["span"]["end"]["offset"].as_u64(),
        Some(at("bc1").end as u64)
    );
    assert_eq!(item["labels"][0]["message"], "`bn1` is declared here");
    assert_eq!(item["labels"][0]["span"]["start"]["line"], 3);
}

#[test]
fn multi_byte_characters_count_as_one_column() {
    let source = "é→x";
    let diagnostics = [Diagnostic {
        span: Span::new(5, 6),
        labels: vec![],
        ..undefined_layer()
    }];
    let file = FileDiagnostics {
        path: "u.nn",
        source,
        diagnostics: &diagnostics,
    };
    let items = parse(&[file]);
    assert_eq!(items[0]["span"]["start"]["column"], 3);
    assert_eq!(items[0]["span"]["start"]["offset"], 5);
    assert_eq!(items[0]["span"]["end"]["column"], 4);
}

#[test]
fn sorted_by_file_then_position_and_null_help() {
    let first = [unused_layer(), undefined_layer()];
    let second = [undefined_layer(), unused_layer()];
    let files = [
        FileDiagnostics {
            path: "b.nn",
            source: SOURCE,
            diagnostics: &first,
        },
        FileDiagnostics {
            path: "a.nn",
            source: SOURCE,
            diagnostics: &second,
        },
    ];
    let items = parse(&files);
    let order: Vec<(String, String)> = items
        .iter()
        .map(|item| (item["file"].to_string(), item["code"].to_string()))
        .collect();
    let expected = [
        ("a.nn", "NN002"),
        ("a.nn", "NN001"),
        ("b.nn", "NN002"),
        ("b.nn", "NN001"),
    ]
    .map(|(file, code)| (format!("\"{file}\""), format!("\"{code}\"")));
    assert_eq!(order, expected);
    assert_eq!(items[0]["help"], Value::Null);
    assert_eq!(items[0]["notes"][0], "a note");
}

#[test]
fn no_diagnostics_is_an_empty_array() {
    assert_eq!(json::render(&[]), "[]");
}
