//! The compiler's front half: model text → AST → checked IR + diagnostics.

pub mod analysis;
pub mod ast;
pub mod diagnostic;
pub mod ir;
pub mod lints;
mod lower;
mod parser;
pub mod render;
pub mod rules;
pub mod suggest;

pub use diagnostic::{Diagnostic, Edit, Label, Severity};

pub use parser::{parse, MAX_NESTING, MAX_SYNTAX_ERRORS};

/// Parses and checks a model file: the IR of everything that could be
/// lowered, and every diagnostic found, sorted by where it starts. Never
/// panics; when no diagnostic is an error the IR is valid (see [`ir`]).
pub fn check_source(source: &str) -> (ir::Program, Vec<Diagnostic>) {
    let (file, mut diagnostics) = parse(source);
    let program = lower::lower(&file, &mut diagnostics);
    let lints = lints::run_clean_models(&program, &file, &diagnostics);
    diagnostics.extend(lints);
    // Stable: diagnostics at one position keep the order they were found.
    diagnostics.sort_by_key(|d| d.span.start);
    (program, diagnostics)
}

/// [`check_source`] on raw bytes: text that is not UTF-8 gets one NN000
/// naming the offset of the first invalid byte, and an empty program.
pub fn check_bytes(bytes: &[u8]) -> (ir::Program, Vec<Diagnostic>) {
    match std::str::from_utf8(bytes) {
        Ok(source) => check_source(source),
        Err(error) => {
            let offset = error.valid_up_to();
            let len = error.error_len().unwrap_or(bytes.len() - offset);
            let diagnostic = Diagnostic::new(
                &rules::SYNTAX_ERROR,
                ir::Span::new(offset, offset + len),
                format!("the file is not valid UTF-8: invalid byte at offset {offset}"),
            )
            .with_span_label("invalid UTF-8")
            .with_help("save the model file as UTF-8");
            (ir::Program::default(), vec![diagnostic])
        }
    }
}

/// Whether any diagnostic is an error (warnings and infos do not stop a
/// build).
pub fn has_errors(diagnostics: &[Diagnostic]) -> bool {
    diagnostics.iter().any(|d| d.severity == Severity::Error)
}
