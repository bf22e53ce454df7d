//! Shared by the `lint_*` tests: check a model text, pick diagnostics by
//! code, read the text under a span, apply fixes, generate deep chains.

#![allow(dead_code)] // each test file uses a different subset

use netc_lang::{Diagnostic, Severity};

/// The lint catalogue's codes; everything else comes from the checker.
fn is_lint(code: &str) -> bool {
    let number: u32 = code[2..].parse().expect("codes are NNxxx");
    (6..=33).contains(&number) || number == 39
}

pub struct Linted {
    pub source: String,
    pub diagnostics: Vec<Diagnostic>,
}

/// Checks `source`, which must pass the checker (lints only run then).
pub fn lint(source: &str) -> Linted {
    let (_, diagnostics) = netc_lang::check_source(source);
    let checker_errors: Vec<_> = diagnostics
        .iter()
        .filter(|d| !is_lint(d.code) && d.severity == Severity::Error)
        .collect();
    assert!(
        checker_errors.is_empty(),
        "the model must check cleanly: {checker_errors:#?}"
    );
    Linted {
        source: source.to_string(),
        diagnostics,
    }
}

impl Linted {
    pub fn all(&self, code: &str) -> Vec<&Diagnostic> {
        self.diagnostics.iter().filter(|d| d.code == code).collect()
    }

    /// The one diagnostic with `code`.
    pub fn one(&self, code: &str) -> &Diagnostic {
        match self.all(code).as_slice() {
            [d] => d,
            other => panic!(
                "expected one {code}, got {}: {:#?}",
                other.len(),
                self.diagnostics
            ),
        }
    }

    pub fn none(&self, code: &str) {
        let found = self.all(code);
        assert!(found.is_empty(), "expected no {code}: {found:#?}");
    }

    pub fn text(&self, diagnostic: &Diagnostic) -> &str {
        &self.source[diagnostic.span.start..diagnostic.span.end]
    }

    /// The source with the diagnostic's edits applied.
    pub fn fixed(&self, diagnostic: &Diagnostic) -> String {
        assert!(!diagnostic.fix.is_empty(), "no fix on {diagnostic:#?}");
        let mut edits = diagnostic.fix.clone();
        edits.sort_by_key(|e| std::cmp::Reverse(e.span.start));
        let mut text = self.source.clone();
        for edit in edits {
            text.replace_range(edit.span.start..edit.span.end, &edit.replacement);
        }
        text
    }
}

/// `depth` linear layers of `width`, `activation` after all but the last,
/// every layer declared with `layer_args` (e.g. `bias=false, init=...`).
pub fn chain(
    width: usize,
    depth: usize,
    activation: &str,
    layer_args: &str,
    train: &str,
) -> String {
    let mut text = format!("model Chain {{\n    input x: {width}\n");
    let args = if layer_args.is_empty() {
        String::new()
    } else {
        format!(", {layer_args}")
    };
    for i in 1..=depth {
        text += &format!("    fc{i} = linear({width}, {width}{args})\n");
    }
    text += "    forward {\n";
    for i in 1..depth {
        text += &format!("        x = {activation}(fc{i}(x))\n");
    }
    text += &format!("        return fc{depth}(x)\n    }}\n{train}}}\n");
    text
}
