//! The terminal renderer, in rustc's style (annotate-snippets, the renderer
//! rustc itself uses):
//!
//! ```text
//! error[NN001]: undefined layer `bc1`
//!   --> seed.nn:14:18
//!    |
//! 10 |     bn1 = batchnorm(16)
//!    |     --- `bn1` is declared here
//! ...
//! 14 |         x = elu(bc1(fc1(x)))
//!    |                 ^^^ not declared in `Net2`
//!    |
//!    = help: a layer with a similar name exists: `bn1`
//! ```

use std::ops::Range;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

use super::{FileDiagnostics, LineIndex, Tally};
use crate::diagnostic::{Diagnostic, Severity};
use crate::ir::Span;

/// Renders the diagnostics of several files, each file's in source order
/// and followed by its summary line. `color` adds ANSI styles; the caller
/// decides (terminal or not, `NO_COLOR`).
pub fn render(files: &[FileDiagnostics<'_>], color: bool) -> String {
    let renderer = renderer(color);
    let mut out = String::new();
    for file in files {
        let index = LineIndex::new(file.source);
        for diagnostic in file.in_source_order() {
            out.push_str(&render_one(diagnostic, file, &index, &renderer));
            out.push_str("\n\n");
        }
        if let Some(line) = Tally::of(file.diagnostics).summary_line(file.path, &renderer) {
            out.push_str(&line);
            out.push_str("\n\n");
        }
    }
    out
}

fn renderer(color: bool) -> Renderer {
    if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    }
}

fn render_one(
    diagnostic: &Diagnostic,
    file: &FileDiagnostics<'_>,
    index: &LineIndex<'_>,
    renderer: &Renderer,
) -> String {
    let range = |span: Span| -> Range<usize> {
        let span = index.clamp_span(span);
        span.start..span.end
    };

    let primary = AnnotationKind::Primary.span(range(diagnostic.span));
    let primary = if diagnostic.span_label.is_empty() {
        primary
    } else {
        primary.label(diagnostic.span_label.as_str())
    };
    let snippet = Snippet::source(file.source)
        .path(file.path)
        .annotation(primary)
        .annotations(diagnostic.labels.iter().map(|label| {
            AnnotationKind::Context
                .span(range(label.span))
                .label(label.message.as_str())
        }));

    let group = level(diagnostic.severity)
        .primary_title(diagnostic.message.as_str())
        .id(diagnostic.code)
        .element(snippet)
        .elements(
            diagnostic
                .help
                .iter()
                .map(|help| Level::HELP.message(help.as_str())),
        )
        .elements(
            diagnostic
                .notes
                .iter()
                .map(|note| Level::NOTE.message(note.as_str())),
        );
    renderer.render(&[group] as &[Group<'_>])
}

fn level(severity: Severity) -> Level<'static> {
    match severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
        Severity::Info => Level::INFO,
    }
}
