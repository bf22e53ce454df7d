//! GitHub Actions workflow commands: one `::error`/`::warning`/`::notice`
//! line per diagnostic, which Actions turns into an annotation on the
//! file and line in the pull request's diff.
//!
//! ```text
//! ::error file=seed.nn,line=28,col=13,endLine=28,endColumn=16,title=NN001 (undefined-layer)::undefined layer `bc1`
//! ```

use super::{FileDiagnostics, LineIndex};
use crate::diagnostic::Diagnostic;
use crate::severity::Severity;

/// One workflow command per diagnostic, sorted by file then position, each
/// ending in a newline.
pub fn render(files: &[FileDiagnostics<'_>]) -> String {
    let mut files: Vec<&FileDiagnostics<'_>> = files.iter().collect();
    files.sort_by_key(|file| file.path);
    let mut out = String::new();
    for file in files {
        let index = LineIndex::new(file.source);
        for diagnostic in file.in_source_order() {
            out.push_str(&command(diagnostic, file.path, &index));
            out.push('\n');
        }
    }
    out
}

fn command(diagnostic: &Diagnostic, path: &str, index: &LineIndex<'_>) -> String {
    let span = index.clamp_span(diagnostic.span);
    let start = index.position(span.start);
    let end = index.position(span.end);
    let kind = match diagnostic.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    };
    // The annotation shows only the message: help and notes go with it.
    let mut message = diagnostic.message.clone();
    if let Some(help) = &diagnostic.help {
        message.push_str(&format!("\nhelp: {help}"));
    }
    for note in &diagnostic.notes {
        message.push_str(&format!("\nnote: {note}"));
    }
    format!(
        "::{kind} file={},line={},col={},endLine={},endColumn={},title={}::{}",
        escape_property(path),
        start.line,
        start.column,
        end.line,
        end.column,
        escape_property(&format!("{} ({})", diagnostic.code, diagnostic.name)),
        escape_data(&message),
    )
}

/// The runner's escaping for a command's message (actions/toolkit
/// `escapeData`): without it a newline would end the command.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// The runner's escaping for a property value (actions/toolkit
/// `escapeProperty`): `:` and `,` separate properties.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_escapes_percent_first_then_line_breaks() {
        assert_eq!(escape_data("50%\r\nnext"), "50%25%0D%0Anext");
    }

    #[test]
    fn properties_also_escape_separators() {
        assert_eq!(escape_property("C:\\a,b.nn"), "C%3A\\a%2Cb.nn");
    }
}
