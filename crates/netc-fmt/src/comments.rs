//! The `//` comments of a model file, which the syntax tree does not keep.
//! The scan knows strings, so a `//` inside `data = "a//b.csv"` is no
//! comment.

/// One comment: where it is and its text (from `//` to the end of the
/// line, without trailing whitespace or a CR).
#[derive(Debug, Clone, PartialEq)]
pub struct Comment<'s> {
    pub start: usize,
    pub end: usize,
    pub text: &'s str,
}

/// Every comment of `source`, in order. A string ends at its closing quote
/// or at the end of its line, as in the grammar.
pub fn scan(source: &str) -> Vec<Comment<'_>> {
    let bytes = source.as_bytes();
    let mut comments = Vec::new();
    let mut in_string = false;
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at] {
            b'\n' => in_string = false,
            b'"' => in_string = !in_string,
            b'/' if !in_string && bytes.get(at + 1) == Some(&b'/') => {
                let end = source[at..].find('\n').map_or(source.len(), |n| at + n);
                comments.push(Comment {
                    start: at,
                    end,
                    text: source[at..end].trim_end(),
                });
                at = end;
                continue;
            }
            _ => {}
        }
        at += 1;
    }
    comments
}

/// The offset of the first byte at or after `at` that is neither
/// whitespace nor part of a comment: the next token.
pub fn next_token(source: &str, mut at: usize) -> usize {
    let bytes = source.as_bytes();
    while at < bytes.len() {
        if source[at..].starts_with("//") {
            at = source[at..].find('\n').map_or(source.len(), |n| at + n);
        } else if let Some(c) = source[at..].chars().next().filter(|&c| is_blank(c)) {
            at += c.len_utf8();
        } else {
            break;
        }
    }
    at
}

/// The grammar's whitespace, a byte-order mark included.
pub fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n' | '\u{feff}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_double_slash_in_a_string_is_no_comment() {
        let source = "data = \"a//b.csv\" // real\n";
        let comments = scan(source);
        assert_eq!(comments.len(), 1);
        assert_eq!(comments[0].text, "// real");
        assert_eq!(&source[comments[0].start..comments[0].end], "// real");
    }

    #[test]
    fn comment_text_loses_trailing_whitespace_and_cr() {
        let comments = scan("// a  \r\nx");
        assert_eq!(comments[0].text, "// a");
    }

    #[test]
    fn next_token_skips_whitespace_and_comments() {
        let source = "a  // c\n \u{feff} {";
        assert_eq!(next_token(source, 1), source.len() - 1);
    }
}
