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

use annotate_snippets::{AnnotationKind, Level, Patch, Renderer, Snippet};

use super::{FileDiagnostics, LineIndex, Tally};
use crate::diagnostic::{Diagnostic, Edit};
use crate::severity::Severity;
use crate::span::Span;

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

    let edits = applicable_edits(&diagnostic.fix, index);
    // With a fix, the help becomes the title of a suggestion showing the
    // changed lines (as rustc does); without one it stays a footer.
    let footer_help = diagnostic.help.as_deref().filter(|_| edits.is_empty());
    let group = level(diagnostic.severity)
        .primary_title(diagnostic.message.as_str())
        .id(diagnostic.code)
        .element(snippet)
        .elements(footer_help.map(|help| Level::HELP.message(help)))
        .elements(
            diagnostic
                .notes
                .iter()
                .map(|note| Level::NOTE.message(note.as_str())),
        );
    let mut groups = vec![group];
    if !edits.is_empty() {
        let title = diagnostic.help.as_deref().unwrap_or("apply this fix");
        let patches = edits
            .iter()
            .map(|edit| Patch::new(edit.span.start..edit.span.end, edit.replacement.as_str()));
        groups.push(
            Level::HELP.secondary_title(title).element(
                Snippet::source(file.source)
                    .path(file.path)
                    .patches(patches),
            ),
        );
    }
    renderer.render(&groups)
}

/// The edits of a fix, clamped to the text, in order, without overlaps: a
/// fix whose edits overlap is inconsistent, so only the edits before the
/// first overlap are shown rather than a garbled line.
fn applicable_edits(edits: &[Edit], index: &LineIndex<'_>) -> Vec<Edit> {
    let mut clamped: Vec<Edit> = edits
        .iter()
        .map(|edit| Edit {
            span: index.clamp_span(edit.span),
            replacement: edit.replacement.clone(),
        })
        .collect();
    clamped.sort_by_key(|edit| (edit.span.start, edit.span.end));
    let mut applicable: Vec<Edit> = Vec::with_capacity(clamped.len());
    for edit in clamped {
        if applicable
            .last()
            .is_some_and(|previous| previous.span.end > edit.span.start)
        {
            break;
        }
        applicable.push(edit);
    }
    applicable
}

fn level(severity: Severity) -> Level<'static> {
    match severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
        Severity::Info => Level::INFO,
    }
}
