//! Diagnostics as data: what was found, where, and how to fix it.
//! Rendering (terminal, JSON, proc-macro errors) is a separate step.

use crate::ir::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// A secondary span with its message ("`bn1` is declared here").
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

/// A mechanical fix: replace `span` with `replacement`.
#[derive(Debug, Clone, PartialEq)]
pub struct Edit {
    pub span: Span,
    pub replacement: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    /// `NN001`.
    pub code: &'static str,
    /// `undefined-layer`.
    pub name: &'static str,
    pub severity: Severity,
    pub message: String,
    pub span: Span,
    /// Label text under the primary span (may be empty).
    pub span_label: String,
    pub labels: Vec<Label>,
    pub help: Option<String>,
    pub notes: Vec<String>,
    /// Edits that fix the problem, when the fix is mechanical.
    pub fix: Vec<Edit>,
}
