//! The GitHub Actions renderer: workflow commands, one line each.

use netc_lang::ir::Span;
use netc_lang::render::{github, FileDiagnostics};
use netc_lang::{Diagnostic, Severity};

const SOURCE: &str = "// é→\nmodel Net2 {\n    forward { return bc1(x) }\n}\n";

fn undefined_layer() -> Diagnostic {
    let start = SOURCE.find("bc1").expect("bc1 in SOURCE");
    Diagnostic {
        code: "NN001",
        name: "undefined-layer",
        severity: Severity::Error,
        message: "undefined layer `bc1`".into(),
        span: Span::new(start, start + 3),
        span_label: String::new(),
        labels: vec![],
        help: Some("a layer with a similar name exists: `bn1`".into()),
        notes: vec!["100% sure".into()],
        fix: vec![],
        fix_safety: netc_lang::FixSafety::Safe,
    }
}

#[test]
fn one_escaped_command_per_diagnostic() {
    let warning = Diagnostic {
        code: "NN002",
        name: "unused-layer",
        severity: Severity::Warning,
        help: None,
        notes: vec![],
        message: "unused".into(),
        ..undefined_layer()
    };
    let info = Diagnostic {
        severity: Severity::Info,
        ..warning.clone()
    };
    let diagnostics = [undefined_layer(), warning, info];
    let file = FileDiagnostics {
        path: "models/a,b.nn",
        source: SOURCE,
        diagnostics: &diagnostics,
    };
    insta::assert_snapshot!(github::render(&[file]));
}
