//! Statement-level error recovery. pest stops at the first error, so after
//! each error the statement that caused it is blanked out (replaced by
//! spaces, keeping every byte offset) and the file is parsed again: the
//! rest of the file still parses and still gets its semantic checks.

use super::lexical::{for_each_code_byte, line_end, line_start};

/// What one recovery step did.
#[derive(Debug, PartialEq)]
pub(super) enum Recovery {
    /// Blanked `[start, end)`.
    Blanked(usize, usize),
    /// Appended a `}` to close a block the file left open.
    Closed,
    /// Nothing left to change: recovery is over.
    Stuck,
}

/// Blanks the statement responsible for a syntax error found at `offset`,
/// or closes the braces left open at the end of the file.
pub(super) fn recover(text: &mut String, offset: usize, expects_close_brace: bool) -> Recovery {
    let offset = offset.min(text.len());
    if text[offset..].trim().is_empty() {
        // The file ended inside a block: close it and parse what is there.
        if expects_close_brace {
            text.push('}');
            return Recovery::Closed;
        }
        return Recovery::Stuck;
    }
    let (start, end) = culprit(text, offset);
    blank(text, start, end)
}

/// The lines `[start, end)` of the statement an error at `offset` belongs
/// to. An error at the first token of a line usually means the statement
/// before it is unfinished (an unclosed `(`, a dangling `=` or `,`): then
/// that statement is the culprit, not the intact line the error points at.
fn culprit(text: &str, offset: usize) -> (usize, usize) {
    let mut open_parens: Vec<usize> = Vec::new();
    let mut last_code: Option<(usize, u8)> = None;
    for_each_code_byte(&text[..offset], |at, byte| {
        match byte {
            b'(' => open_parens.push(at),
            b')' => {
                open_parens.pop();
            }
            _ => {}
        }
        if !byte.is_ascii_whitespace() {
            last_code = Some((at, byte));
        }
    });
    let error_line = line_start(text, offset);
    let at_line_start = text[error_line..offset].trim().is_empty();
    let statement_start = match (open_parens.first(), last_code) {
        (Some(&paren), _) => line_start(text, paren),
        (None, Some((at, b'=' | b'+' | b':' | b','))) => line_start(text, at),
        _ => error_line,
    };
    let end = if at_line_start && statement_start < error_line {
        error_line.saturating_sub(1)
    } else {
        line_end(text, offset)
    };
    (statement_start, end.max(statement_start))
}

/// Replaces `[start, end)` with spaces, widened so braces stay balanced: a
/// `{` opened inside is blanked together with its block, and a `}` that
/// closes an enclosing block is kept.
fn blank(text: &mut String, start: usize, end: usize) -> Recovery {
    let mut remove: Vec<(usize, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut run_start = start;
    let mut stop = end;
    let mut closed_outer: Vec<usize> = Vec::new();
    for_each_code_byte(&text[start..], |rel, byte| {
        let at = start + rel;
        if at >= stop && depth == 0 {
            return;
        }
        match byte {
            b'{' => depth += 1,
            b'}' if depth == 0 => closed_outer.push(at),
            b'}' => {
                depth -= 1;
                if depth == 0 && at >= stop {
                    stop = at + 1;
                }
            }
            _ => {}
        }
    });
    if depth > 0 {
        // An unclosed block swallows the rest of the file.
        stop = text.len();
    }
    for &keep in &closed_outer {
        remove.push((run_start, keep));
        run_start = keep + 1;
    }
    remove.push((run_start, stop.max(run_start)));
    let mut changed = false;
    // Blank bytewise: a multi-byte character becomes as many spaces as it
    // had bytes, so later offsets do not move.
    let mut bytes = std::mem::take(text).into_bytes();
    for (from, to) in remove {
        for byte in &mut bytes[from..to] {
            if !byte.is_ascii_whitespace() {
                *byte = b' ';
                changed = true;
            }
        }
    }
    *text = String::from_utf8(bytes).unwrap_or_default();
    if changed {
        Recovery::Blanked(start, stop.max(start))
    } else {
        Recovery::Stuck
    }
}

#[cfg(test)]
mod tests {
    use super::{recover, Recovery};

    fn recovered(text: &str, offset: usize) -> String {
        let mut text = text.to_string();
        assert!(matches!(
            recover(&mut text, offset, false),
            Recovery::Blanked(..)
        ));
        text
    }

    #[test]
    fn blanks_the_line_of_a_mid_line_error() {
        let text = "a = f(1 2)\nb = g(3)\n";
        assert_eq!(recovered(text, 8), "          \nb = g(3)\n");
    }

    #[test]
    fn blanks_the_unfinished_statement_before_the_error() {
        let text = "a = f(1\nb = g(3)\n";
        assert_eq!(recovered(text, 8), "       \nb = g(3)\n");
    }

    #[test]
    fn blanks_a_block_opened_on_the_culprit_line() {
        let text = "forwrd {\n x = f(x)\n}\nc = d(1)\n";
        let out = recovered(text, 7);
        assert_eq!(out, "        \n         \n \nc = d(1)\n");
    }

    #[test]
    fn keeps_a_brace_that_closes_an_outer_block() {
        let text = "  x = } ";
        assert_eq!(recovered(text, 6), "      } ");
    }

    #[test]
    fn closes_a_block_left_open_at_the_end() {
        let mut text = "model A {\n".to_string();
        assert_eq!(recover(&mut text, 10, true), Recovery::Closed);
        assert_eq!(text, "model A {\n}");
        let mut done = "model A {\n".to_string();
        assert_eq!(recover(&mut done, 10, false), Recovery::Stuck);
    }
}
