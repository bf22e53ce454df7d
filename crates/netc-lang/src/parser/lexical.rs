//! A byte-level view of the source that knows what is code: strings and
//! comments (by the one rule of [`crate::lexical`]) are skipped. The
//! nesting guard and error recovery run on text pest has not (or could
//! not) parse, so they cannot use the grammar.

use crate::lexical::{scan, Lexeme};

/// Calls `visit(offset, byte)` for every byte outside strings and comments.
pub(super) fn for_each_code_byte(text: &str, mut visit: impl FnMut(usize, u8)) {
    let bytes = text.as_bytes();
    scan(text, |lexeme| {
        if let Lexeme::Code(at) = lexeme {
            visit(at, bytes[at]);
        }
    });
}

/// Offset of the start of the line holding `offset`.
pub(super) fn line_start(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |nl| nl + 1)
}

/// Offset just past the end of the line holding `offset` (its `\n`
/// excluded).
pub(super) fn line_end(text: &str, offset: usize) -> usize {
    text.as_bytes()[offset..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(text.len(), |nl| offset + nl)
}

/// The span of the token starting at `offset`: a whole word or number, one
/// character otherwise, empty at the end of the text.
pub(super) fn token_at(text: &str, offset: usize) -> (usize, usize) {
    let rest = &text[offset..];
    let Some(first) = rest.chars().next() else {
        return (offset, offset);
    };
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '.';
    if is_word(first) {
        let len = rest.find(|c: char| !is_word(c)).unwrap_or(rest.len());
        (offset, offset + len)
    } else {
        (offset, offset + first.len_utf8())
    }
}
