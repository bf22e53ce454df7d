//! The machine-readable renderer: one JSON array of diagnostics over all
//! files, in the shape docs/cli.md fixes for scripts and editors:
//! `{"code","name","severity","message","file","span":{"start","end"},
//! "labels":[{"span","message"}],"help","notes"}`, positions as
//! `{"line","column","offset"}` (1-based, character columns, `end`
//! exclusive), sorted by file, then position. Keys keep that order.

use serde::Serialize;

use super::{FileDiagnostics, LineIndex, Position};
use crate::diagnostic::Diagnostic;
use crate::span::Span;

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    code: &'a str,
    name: &'a str,
    severity: &'a str,
    message: &'a str,
    file: &'a str,
    span: JsonSpan,
    labels: Vec<JsonLabel<'a>>,
    help: Option<&'a str>,
    notes: &'a [String],
}

#[derive(Serialize)]
struct JsonSpan {
    start: Position,
    end: Position,
}

#[derive(Serialize)]
struct JsonLabel<'a> {
    span: JsonSpan,
    message: &'a str,
}

/// The diagnostics of all files as one pretty-printed JSON array.
pub fn render(files: &[FileDiagnostics<'_>]) -> String {
    let mut files: Vec<&FileDiagnostics<'_>> = files.iter().collect();
    // Stable, so two files given under the same path keep their order.
    files.sort_by_key(|file| file.path);
    let items: Vec<JsonDiagnostic<'_>> = files
        .into_iter()
        .flat_map(|file| {
            let index = LineIndex::new(file.source);
            file.in_source_order()
                .into_iter()
                .map(move |diagnostic| to_json(diagnostic, file.path, &index))
        })
        .collect();
    // Strings, integers and options of them always serialise; an error here
    // would be a bug in serde_json, not something the input can cause.
    serde_json::to_string_pretty(&items).expect("diagnostics serialise to JSON")
}

fn to_json<'a>(
    diagnostic: &'a Diagnostic,
    path: &'a str,
    index: &LineIndex<'_>,
) -> JsonDiagnostic<'a> {
    JsonDiagnostic {
        code: diagnostic.code,
        name: diagnostic.name,
        severity: diagnostic.severity.as_str(),
        message: &diagnostic.message,
        file: path,
        span: span(diagnostic.span, index),
        labels: diagnostic
            .labels
            .iter()
            .map(|label| JsonLabel {
                span: span(label.span, index),
                message: &label.message,
            })
            .collect(),
        help: diagnostic.help.as_deref(),
        notes: &diagnostic.notes,
    }
}

fn span(span: Span, index: &LineIndex<'_>) -> JsonSpan {
    let span = index.clamp_span(span);
    JsonSpan {
        start: index.position(span.start),
        end: index.position(span.end),
    }
}
