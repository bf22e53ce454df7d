//! Diagnostics as data: what was found, where, and how to fix it.
//! Rendering (terminal, JSON, proc-macro errors) is a separate step.

use crate::rules::Rule;
use crate::severity::Severity;
use crate::span::Span;

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

/// Whether a fix can be applied without a person looking at it (rustc's
/// `MachineApplicable` vs `MaybeIncorrect`, ruff's safe and unsafe fixes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FixSafety {
    /// The edit keeps what the user meant (`bias=false` before batchnorm).
    #[default]
    Safe,
    /// The edit is a guess (`bc1` → `bn1`): shown as a suggestion, applied
    /// by `--fix` only with `--unsafe-fixes`.
    Unsafe,
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
    pub fix_safety: FixSafety,
}

impl Diagnostic {
    /// A diagnostic of `rule` (its code, name and default severity) at
    /// `span`; every check builds its diagnostics through this.
    pub fn new(rule: &Rule, span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            code: rule.code,
            name: rule.name,
            severity: rule.severity,
            message: message.into(),
            span,
            span_label: String::new(),
            labels: Vec::new(),
            help: None,
            notes: Vec::new(),
            fix: Vec::new(),
            fix_safety: FixSafety::Safe,
        }
    }

    /// The text under the primary span.
    pub fn with_span_label(mut self, label: impl Into<String>) -> Self {
        self.span_label = label.into();
        self
    }

    /// A secondary span with its message.
    pub fn with_label(mut self, span: Span, message: impl Into<String>) -> Self {
        self.labels.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// A mechanical fix: replace `span` with `replacement`.
    pub fn with_fix(mut self, span: Span, replacement: impl Into<String>) -> Self {
        self.fix.push(Edit {
            span,
            replacement: replacement.into(),
        });
        self
    }

    /// A fix that guesses what the user meant (a did-you-mean rename):
    /// the same edit as [`Diagnostic::with_fix`], marked unsafe.
    pub fn with_guessed_fix(mut self, span: Span, replacement: impl Into<String>) -> Self {
        self.fix_safety = FixSafety::Unsafe;
        self.with_fix(span, replacement)
    }
}
