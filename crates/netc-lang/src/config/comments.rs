//! The `//` comments of a model file. The grammar skips comments, so the
//! suppression directives in them are found by scanning the text with the
//! one rule of [`crate::lexical`]: a `//` inside `data = "a//b.csv"` or
//! dividing in `linear(784 // 2, 10)` is no comment.

use crate::lexical;
use crate::span::Span;

/// One `//` comment.
#[derive(Debug, Clone, PartialEq)]
pub struct Comment {
    /// From the `//` to the end of the line (the newline excluded).
    pub span: Span,
    /// Whether only whitespace precedes it on its line.
    pub own_line: bool,
}

impl Comment {
    /// The text after the `//`, with its offset in the file.
    pub fn body<'s>(&self, source: &'s str) -> (usize, &'s str) {
        let start = self.span.start + 2;
        (start, &source[start..self.span.end])
    }
}

/// Every comment, in order.
pub fn scan(source: &str) -> Vec<Comment> {
    lexical::comments(source)
        .into_iter()
        .map(|span| Comment {
            span,
            own_line: source[line_of(source, span.start).start..span.start]
                .trim()
                .is_empty(),
        })
        .collect()
}

/// The byte range of the first line after the one holding `offset` that
/// has code on it (not blank, not only a comment), so stacked directive
/// comments all apply to the declaration below them.
pub fn next_code_line(source: &str, offset: usize) -> Option<Span> {
    let mut start = source[offset..].find('\n')? + offset + 1;
    loop {
        let end = source[start..]
            .find('\n')
            .map_or(source.len(), |n| start + n);
        // A `//` first on its line follows no value: always a comment.
        let text = source[start..end].trim();
        if !text.is_empty() && !text.starts_with("//") {
            return Some(Span::new(start, end));
        }
        if end == source.len() {
            return None;
        }
        start = end + 1;
    }
}

/// The byte range of the line holding `offset`.
pub fn line_of(source: &str, offset: usize) -> Span {
    let start = source[..offset].rfind('\n').map_or(0, |n| n + 1);
    let end = source[offset..]
        .find('\n')
        .map_or(source.len(), |n| offset + n);
    Span::new(start, end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(source: &str) -> Vec<(&str, bool)> {
        scan(source)
            .iter()
            .map(|c| (&source[c.span.start..c.span.end], c.own_line))
            .collect()
    }

    #[test]
    fn finds_own_line_and_trailing_comments() {
        let source = "// top\nmodel M { // after brace\n    x = 1\n}\n";
        assert_eq!(texts(source), [("// top", true), ("// after brace", false)]);
    }

    #[test]
    fn slashes_inside_a_string_are_not_a_comment() {
        let source = "data = \"a//b.csv\" // real\n";
        assert_eq!(texts(source), [("// real", false)]);
    }

    #[test]
    fn an_unclosed_string_ends_at_the_line_end() {
        let source = "x = \"open\n// comment\n";
        assert_eq!(texts(source), [("// comment", true)]);
    }

    #[test]
    fn crlf_is_not_part_of_the_comment() {
        assert_eq!(texts("// a\r\nb"), [("// a", true)]);
    }

    #[test]
    fn next_code_line_skips_blank_and_comment_lines() {
        let source = "// a\n\n   // b\n  fc1 = x\n";
        let line = next_code_line(source, 0).expect("a code line");
        assert_eq!(&source[line.start..line.end], "  fc1 = x");
        assert_eq!(next_code_line("// only\n", 0), None);
    }
}
