//! The terminal renderer on hand-made diagnostics: the exact text a user
//! sees, snapshotted (colorless) so any change to it is reviewed.

use netc_lang::ir::Span;
use netc_lang::render::{text, FileDiagnostics};
use netc_lang::{Diagnostic, Edit, Label, Severity};

const SOURCE: &str = "\
model Net2 {
    input x: 9
    fc1 = linear(9, 16)
    bn1 = batchnorm(16)
    fc2 = linear(16, 1)
    drop = dropout(0.5)

    forward {
        x = elu(bc1(fc1(x)))
        return sigmoid(fc2(x))
    }
}
";

fn span_of(needle: &str, nth: usize) -> Span {
    let start = SOURCE
        .match_indices(needle)
        .nth(nth)
        .map(|(at, _)| at)
        .expect("needle in SOURCE");
    Span::new(start, start + needle.len())
}

fn undefined_layer() -> Diagnostic {
    Diagnostic {
        code: "NN001",
        name: "undefined-layer",
        severity: Severity::Error,
        message: "undefined layer `bc1`".into(),
        span: span_of("bc1", 0),
        span_label: "not declared in `Net2`".into(),
        labels: vec![Label {
            span: span_of("bn1", 0),
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
        message: "layer `drop` is declared but never used".into(),
        span: span_of("drop", 0),
        span_label: String::new(),
        labels: vec![],
        help: Some("remove it, or call it in `forward`".into()),
        notes: vec!["its parameters would still be trained and saved".into()],
        fix: vec![],
        fix_safety: netc_lang::FixSafety::Safe,
    }
}

fn file(diagnostics: &[Diagnostic]) -> FileDiagnostics<'_> {
    FileDiagnostics {
        path: "models/net2.nn",
        source: SOURCE,
        diagnostics,
    }
}

#[test]
fn error_with_secondary_label_and_help() {
    let diagnostics = [undefined_layer()];
    insta::assert_snapshot!(text::render(&[file(&diagnostics)], false));
}

#[test]
fn warning_without_primary_label_with_help_and_note() {
    let diagnostics = [unused_layer()];
    insta::assert_snapshot!(text::render(&[file(&diagnostics)], false));
}

#[test]
fn diagnostics_print_in_source_order_with_one_summary() {
    // Reported out of order on purpose: the renderer sorts.
    let diagnostics = [undefined_layer(), unused_layer()];
    let rendered = text::render(&[file(&diagnostics)], false);
    let warning_at = rendered.find("warning[NN002]").expect("warning rendered");
    let error_at = rendered.find("error[NN001]").expect("error rendered");
    assert!(warning_at < error_at, "{rendered}");
    assert!(rendered.ends_with(
        "error: could not check `models/net2.nn` due to 1 previous error; 1 warning emitted\n\n"
    ));
}

#[test]
fn empty_span_at_end_of_file_renders() {
    let diagnostic = Diagnostic {
        code: "NN000",
        name: "syntax-error",
        severity: Severity::Error,
        message: "unexpected end of file".into(),
        span: Span::new(SOURCE.len(), SOURCE.len()),
        span_label: "expected `}`".into(),
        labels: vec![],
        help: None,
        notes: vec![],
        fix: vec![],
        fix_safety: netc_lang::FixSafety::Safe,
    };
    insta::assert_snapshot!(text::render(&[file(&[diagnostic])], false));
}

#[test]
fn out_of_range_and_mid_character_spans_do_not_panic() {
    let source = "model É {}";
    let diagnostic = Diagnostic {
        span: Span::new(7, 500),
        labels: vec![Label {
            span: Span::new(600, 3),
            message: "odd".into(),
        }],
        ..undefined_layer()
    };
    let diagnostics = [diagnostic];
    let file = FileDiagnostics {
        path: "x.nn",
        source,
        diagnostics: &diagnostics,
    };
    let rendered = text::render(&[file], false);
    assert!(rendered.contains("--> x.nn:1:7"), "{rendered}");
}

#[test]
fn columns_in_the_header_count_characters() {
    let source = "// é→\nmodel Ünïcödé { bc1 }\n";
    let start = source.find("bc1").expect("bc1");
    let diagnostics = [Diagnostic {
        span: Span::new(start, start + 3),
        labels: vec![],
        ..undefined_layer()
    }];
    let file = FileDiagnostics {
        path: "u.nn",
        source,
        diagnostics: &diagnostics,
    };
    let rendered = text::render(&[file], false);
    assert!(rendered.contains("--> u.nn:2:17"), "{rendered}");
}

#[test]
fn color_only_when_asked() {
    let diagnostics = [undefined_layer()];
    let plain = text::render(&[file(&diagnostics)], false);
    let styled = text::render(&[file(&diagnostics)], true);
    assert!(!plain.contains('\u{1b}'));
    assert!(styled.contains('\u{1b}'));
}

#[test]
fn info_severity_has_its_own_header_and_no_summary() {
    let diagnostics = [Diagnostic {
        code: "NN018",
        name: "bias-before-batchnorm",
        severity: Severity::Info,
        message: "the bias of `fc1` is cancelled by `bn1`".into(),
        span: span_of("linear(9, 16)", 0),
        span_label: String::new(),
        labels: vec![],
        help: None,
        notes: vec![],
        fix: vec![],
        fix_safety: netc_lang::FixSafety::Safe,
    }];
    let rendered = text::render(&[file(&diagnostics)], false);
    assert!(rendered.starts_with("info[NN018]: the bias"), "{rendered}");
    assert!(!rendered.contains("generated"), "{rendered}");
}

fn with_fix(fix: Vec<Edit>) -> Diagnostic {
    Diagnostic {
        fix,
        ..undefined_layer()
    }
}

#[test]
fn a_fix_renders_as_a_suggestion_titled_by_the_help() {
    let diagnostics = [with_fix(vec![Edit {
        span: span_of("bc1", 0),
        replacement: "bn1".into(),
    }])];
    let rendered = text::render(&[file(&diagnostics)], false);
    assert!(!rendered.contains("= help"), "{rendered}");
    insta::assert_snapshot!(rendered);
}

#[test]
fn overlapping_edits_show_only_the_consistent_prefix() {
    let bc1 = span_of("bc1", 0);
    let diagnostics = [with_fix(vec![
        Edit {
            span: Span::new(bc1.start + 1, bc1.end + 4),
            replacement: "xx".into(),
        },
        Edit {
            span: bc1,
            replacement: "bn1".into(),
        },
    ])];
    let rendered = text::render(&[file(&diagnostics)], false);
    assert!(rendered.contains("x = elu(bn1(fc1(x)))"), "{rendered}");
    assert!(!rendered.contains("xx"), "{rendered}");
}
