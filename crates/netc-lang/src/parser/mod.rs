//! Model text → AST, through the pest grammar in `grammar/netc.pest`.
//!
//! Parsing never fails: it returns the AST of everything that parsed and
//! one NN000 per syntax error found (up to [`MAX_SYNTAX_ERRORS`]).

mod build;
mod depth;
mod dropped;
mod lexical;
mod recovery;
mod syntax_error;

use pest::Parser;

use crate::ast;
use crate::diagnostic::Diagnostic;
use crate::span::Span;

pub use depth::MAX_NESTING;

#[derive(pest_derive::Parser)]
#[grammar = "../../grammar/netc.pest"]
struct NetcParser;

/// Syntax errors reported (and recoveries tried) per file before giving up.
pub const MAX_SYNTAX_ERRORS: usize = 32;

/// Parses a model file; see the module docs.
pub fn parse(source: &str) -> (ast::File, Vec<Diagnostic>) {
    let empty = ast::File {
        models: Vec::new(),
        span: Span::new(0, source.len()),
        dropped: Vec::new(),
    };
    if let Some(too_deep) = depth::check_nesting(source) {
        return (empty, vec![too_deep]);
    }
    let builder = build::Builder {
        source_len: source.len(),
    };
    // `//` is a comment or a division by the text around it, which pest
    // cannot see: the one scanner decides, and pest parses what is left.
    let mut text = crate::lexical::without_comments(source);
    let mut diagnostics: Vec<Diagnostic> = Vec::new();
    let mut dropped: Vec<ast::Dropped> = Vec::new();
    for _ in 0..MAX_SYNTAX_ERRORS {
        let error = match NetcParser::parse(Rule::file, &text) {
            Ok(mut pairs) => {
                let mut file = pairs.next().map_or(empty, |file| builder.file(file));
                file.dropped = dropped;
                return (file, diagnostics);
            }
            Err(error) => error,
        };
        let (offset, expected) = syntax_error::expected_at(&error);
        let mut diagnostic = syntax_error::to_diagnostic(&error, &text);
        diagnostic.span = clamp(diagnostic.span, source.len());
        if !diagnostics.iter().any(|d| d.span == diagnostic.span) {
            diagnostics.push(diagnostic);
        }
        let expects_close_brace = expected.contains(&"`}`");
        let before = text.clone();
        match recovery::recover(&mut text, offset, expects_close_brace) {
            recovery::Recovery::Blanked(start, end) => {
                let mut removed = dropped::describe(&before, start, end);
                removed.span = clamp(removed.span, source.len());
                dropped.push(removed);
            }
            recovery::Recovery::Closed => {}
            recovery::Recovery::Stuck => break,
        }
    }
    (empty, diagnostics)
}

fn clamp(span: Span, len: usize) -> Span {
    Span::new(span.start.min(len), span.end.min(len))
}
