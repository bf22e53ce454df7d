//! Renderers turn diagnostics (data) into text for people and machines.
//!
//! Every renderer takes the same input, one [`FileDiagnostics`] per checked
//! file, and gets positions from the one [`LineIndex`], so the terminal and
//! JSON outputs always agree on lines and columns.

pub mod github;
pub mod json;
pub mod line_index;
pub mod sarif;
pub mod summary;
pub mod text;

pub use line_index::{LineIndex, Position};
pub use summary::Tally;

use crate::diagnostic::Diagnostic;

/// The diagnostics of one checked file, with the text their spans point into.
#[derive(Debug, Clone, Copy)]
pub struct FileDiagnostics<'a> {
    /// The path as the user wrote it; shown as is.
    pub path: &'a str,
    pub source: &'a str,
    pub diagnostics: &'a [Diagnostic],
}

impl<'a> FileDiagnostics<'a> {
    /// The diagnostics in source order (checks report in pass order, readers
    /// want top to bottom); ties keep the checker's order.
    pub fn in_source_order(&self) -> Vec<&'a Diagnostic> {
        let mut sorted: Vec<&Diagnostic> = self.diagnostics.iter().collect();
        sorted.sort_by_key(|diagnostic| (diagnostic.span.start, diagnostic.span.end));
        sorted
    }
}
