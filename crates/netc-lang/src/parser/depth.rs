//! The nesting guard: pest descends one native stack frame group per
//! parenthesis, so a file of 100 000 `(` would overflow the stack. The
//! guard rejects deep nesting before pest sees the text.

use super::lexical::for_each_code_byte;
use crate::diagnostic::Diagnostic;
use crate::rules;
use crate::span::Span;

/// Deepest parenthesis nesting accepted; real models nest a handful.
pub const MAX_NESTING: usize = 256;

/// NN000 at the first parenthesis that opens level `MAX_NESTING + 1`.
pub(super) fn check_nesting(text: &str) -> Option<Diagnostic> {
    let mut depth = 0usize;
    let mut too_deep = None;
    for_each_code_byte(text, |offset, byte| match byte {
        b'(' if too_deep.is_none() => {
            depth += 1;
            if depth > MAX_NESTING {
                too_deep = Some(offset);
            }
        }
        b')' => depth = depth.saturating_sub(1),
        _ => {}
    });
    too_deep.map(|offset| {
        Diagnostic::new(
            &rules::SYNTAX_ERROR,
            Span::new(offset, offset + 1),
            format!("nesting deeper than {MAX_NESTING} levels"),
        )
        .with_span_label(format!("level {} opens here", MAX_NESTING + 1))
        .with_help("split the expression into several statements")
    })
}
