//! What is code, string and comment in model text: the one place the rule
//! for `//` is written. Every reader of model text goes through it — the
//! parser (which blanks comments before pest runs), error recovery and the
//! nesting guard, suppression comments, the formatter and the language
//! server's tokenizer — so none of them can disagree about a `//`.
//!
//! `//` is both a comment and floor division (`(k - 1) // 2`). It divides
//! when all three hold:
//!
//! 1. it stands inside parentheses (a call's arguments or a tuple);
//! 2. the last thing before it on its line ends a value: a letter, digit,
//!    `_`, `.` or `)`;
//! 3. the first thing after it on its line (spaces and tabs skipped) starts
//!    a number or a group: a digit or `(`.
//!
//! Anywhere else it starts a comment that runs to the end of the line. So a
//! comment after a statement (`epochs = 10 // 5 more`), on a line of its
//! own, or after the `(` or `,` of a call spread over lines stays a
//! comment. Before arithmetic existed the only text this reads differently
//! is a comment that follows a value inside parentheses and begins with a
//! digit or `(`: `linear(9, 16 // 2 layers` is now a syntax error (`layers`
//! after `16 // 2`), and only a comment that is itself arithmetic
//! (`16 // 2` then a line break) changes a value.

use crate::span::Span;

/// One piece of model text, as [`scan`] reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lexeme {
    /// A byte of code (whitespace included), by offset.
    Code(usize),
    /// A string, quotes included; an unclosed one ends at the end of its
    /// line, as in the grammar.
    Str(Span),
    /// A `//` comment up to the end of its line, the line break (and a CR
    /// before it) excluded.
    Comment(Span),
}

/// Walks `source` in order, reporting every code byte, string and comment.
pub fn scan(source: &str, mut visit: impl FnMut(Lexeme)) {
    let bytes = source.as_bytes();
    let mut depth = 0usize;
    // The last non-blank byte of code on the current line.
    let mut last_on_line: Option<u8> = None;
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at] {
            b'"' => {
                let end = bytes[at + 1..]
                    .iter()
                    .position(|&b| b == b'"' || b == b'\n')
                    .map_or(bytes.len(), |n| at + 1 + n);
                let end = if bytes.get(end) == Some(&b'"') {
                    end + 1
                } else {
                    end
                };
                visit(Lexeme::Str(Span::new(at, end)));
                last_on_line = Some(b'"');
                at = end;
            }
            b'/' if bytes.get(at + 1) == Some(&b'/') => {
                if divides(bytes, at, depth, last_on_line) {
                    visit(Lexeme::Code(at));
                    visit(Lexeme::Code(at + 1));
                    last_on_line = Some(b'/');
                    at += 2;
                } else {
                    let end = line_end(bytes, at);
                    let end = if end > at && bytes[end - 1] == b'\r' {
                        end - 1
                    } else {
                        end
                    };
                    visit(Lexeme::Comment(Span::new(at, end)));
                    at = end;
                }
            }
            byte => {
                visit(Lexeme::Code(at));
                match byte {
                    b'(' => depth += 1,
                    b')' => depth = depth.saturating_sub(1),
                    _ => {}
                }
                match byte {
                    b'\n' => last_on_line = None,
                    b' ' | b'\t' | b'\r' => {}
                    _ => last_on_line = Some(byte),
                }
                at += 1;
            }
        }
    }
}

/// Whether the `//` at `at` is floor division (the module docs' rule).
fn divides(bytes: &[u8], at: usize, depth: usize, last_on_line: Option<u8>) -> bool {
    let ends_value = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b')');
    let next = bytes[at + 2..]
        .iter()
        .find(|&&b| b != b' ' && b != b'\t')
        .copied();
    depth > 0
        && last_on_line.is_some_and(ends_value)
        && next.is_some_and(|b| b.is_ascii_digit() || b == b'(')
}

fn line_end(bytes: &[u8], at: usize) -> usize {
    bytes[at..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |n| at + n)
}

/// Every comment of `source`, in order.
pub fn comments(source: &str) -> Vec<Span> {
    let mut found = Vec::new();
    scan(source, |lexeme| {
        if let Lexeme::Comment(span) = lexeme {
            found.push(span);
        }
    });
    found
}

/// `source` with every comment replaced by spaces: the text pest parses,
/// with every byte offset kept.
pub fn without_comments(source: &str) -> String {
    let mut text = String::with_capacity(source.len());
    let mut at = 0;
    for span in comments(source) {
        text.push_str(&source[at..span.start]);
        // One space per byte: every later offset stays where it was.
        text.extend(std::iter::repeat_n(' ', span.end - span.start));
        at = span.end;
    }
    text.push_str(&source[at..]);
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(source: &str) -> Vec<&str> {
        comments(source)
            .iter()
            .map(|span| &source[span.start..span.end])
            .collect()
    }

    #[test]
    fn division_needs_parentheses_a_value_before_and_a_number_after() {
        assert_eq!(texts("linear(784 // 2, 10)"), Vec::<&str>::new());
        assert_eq!(texts("f(x) // 2 layers"), ["// 2 layers"]);
        assert_eq!(texts("epochs = 10 // 5 more"), ["// 5 more"]);
        assert_eq!(texts("f(9, // 2 of them\n 3)"), ["// 2 of them"]);
        assert_eq!(texts("f(9 // width\n)"), ["// width"]);
        assert_eq!(texts("f(9\n // 2\n)"), ["// 2"]);
        assert_eq!(texts("f((9) //(2))"), Vec::<&str>::new());
        assert_eq!(texts("f(\"a\" // 2)"), ["// 2)"]);
        assert_eq!(texts("f(9 // -2)"), ["// -2)"]);
    }

    #[test]
    fn slashes_in_strings_are_no_comment_and_crlf_is_not_part_of_one() {
        assert_eq!(texts("data = \"a//b.csv\" // real\r\n"), ["// real"]);
        assert_eq!(texts("x = \"open\n// comment\n"), ["// comment"]);
    }

    #[test]
    fn blanking_keeps_offsets_and_characters() {
        let source = "f(1 // 2) // é\nx";
        let blank = without_comments(source);
        assert_eq!(blank.len(), source.len());
        assert_eq!(blank, format!("f(1 // 2){}\nx", " ".repeat(6)));
    }
}
