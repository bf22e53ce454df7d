//! `netc fmt`: model text → the one canonical layout.
//!
//! The layout follows rustfmt and ruff format: 4-space indentation, one
//! declaration or statement per line, spaces around `=` and `+` and after
//! `,`, keyword arguments written `name=value`, at most one blank line kept
//! between lines of a block (none at a block's start or end), one blank
//! line between models, comments kept (a trailing comment two spaces after
//! its code), no trailing whitespace, one final newline. A call that does
//! not fit in [`MAX_WIDTH`] columns, or that holds comments, gets one
//! argument per line with a trailing comma.
//!
//! Formatting prints the syntax tree, so it cannot change what a model
//! means; a file with syntax errors is refused rather than guessed at.

mod comments;
mod expr;
mod printer;

use netc_lang::{ast, Diagnostic};

/// Lines longer than this (in characters, indentation included, trailing
/// comments excluded) break a call into one argument per line.
pub const MAX_WIDTH: usize = 100;

/// Why a file could not be formatted: its syntax errors (NN000), which the
/// formatter will not guess past.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntaxErrors {
    pub diagnostics: Vec<Diagnostic>,
}

/// The canonical layout of `source`, or its syntax errors.
pub fn format(source: &str) -> Result<String, SyntaxErrors> {
    let (file, diagnostics) = netc_lang::parse(source);
    if !diagnostics.is_empty() {
        return Err(SyntaxErrors { diagnostics });
    }
    Ok(printer::print(source, &file))
}

/// One expression in the canonical one-line spelling
/// (`kaiming_uniform(nonlinearity=relu)`), for tools that show a value.
pub fn format_expr(expr: &ast::Expr) -> String {
    expr::flat(expr)
}
