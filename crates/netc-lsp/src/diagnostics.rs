//! netc diagnostics as LSP diagnostics: the rule code in `code`, the
//! secondary labels as related information, help and notes after the
//! message.

use lsp_types::{
    Diagnostic as LspDiagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, DiagnosticTag,
    Location, NumberOrString, Url,
};
use netc_lang::{rules, Diagnostic, Severity};

use crate::position::LineMap;

pub const SOURCE: &str = "netc";

pub fn to_lsp(diagnostic: &Diagnostic, lines: &LineMap<'_>, uri: &Url) -> LspDiagnostic {
    let mut message = diagnostic.message.clone();
    if !diagnostic.span_label.is_empty() {
        message.push_str(&format!(" ({})", diagnostic.span_label));
    }
    if let Some(help) = &diagnostic.help {
        message.push_str(&format!("\nhelp: {help}"));
    }
    for note in &diagnostic.notes {
        message.push_str(&format!("\nnote: {note}"));
    }
    let related = diagnostic
        .labels
        .iter()
        .map(|label| DiagnosticRelatedInformation {
            location: Location::new(uri.clone(), lines.range(label.span)),
            message: label.message.clone(),
        })
        .collect::<Vec<_>>();
    // Unused code is shown faded by editors.
    let unnecessary = [rules::UNUSED_LAYER.code, rules::UNUSED_SUPPRESSION.code];
    LspDiagnostic {
        range: lines.range(diagnostic.span),
        severity: Some(severity(diagnostic.severity)),
        code: Some(NumberOrString::String(diagnostic.code.to_string())),
        code_description: None,
        source: Some(SOURCE.to_string()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags: unnecessary
            .contains(&diagnostic.code)
            .then(|| vec![DiagnosticTag::UNNECESSARY]),
        data: None,
    }
}

pub fn severity(severity: Severity) -> DiagnosticSeverity {
    match severity {
        Severity::Error => DiagnosticSeverity::ERROR,
        Severity::Warning => DiagnosticSeverity::WARNING,
        Severity::Info => DiagnosticSeverity::INFORMATION,
    }
}
