//! The `//` comments of a model file, which the syntax tree does not keep.
//! They are the ones `netc_lang::lexical` finds, the rule the parser uses:
//! a `//` inside `data = "a//b.csv"` or dividing in `linear(784 // 2, 10)`
//! is no comment.

/// One comment: where it is and its text (from `//` to the end of the
/// line, without trailing whitespace or a CR).
#[derive(Debug, Clone, PartialEq)]
pub struct Comment<'s> {
    pub start: usize,
    pub end: usize,
    pub text: &'s str,
}

/// Every comment of `source`, in order.
pub fn scan(source: &str) -> Vec<Comment<'_>> {
    netc_lang::lexical::comments(source)
        .into_iter()
        .map(|span| Comment {
            start: span.start,
            end: span.end,
            text: source[span.start..span.end].trim_end(),
        })
        .collect()
}

/// The offset of the first byte at or after `at` that is neither
/// whitespace nor part of one of `comments` (all of `source`'s): the next
/// token.
pub fn next_token(source: &str, comments: &[Comment<'_>], mut at: usize) -> usize {
    while at < source.len() {
        if let Ok(i) = comments.binary_search_by_key(&at, |c| c.start) {
            at = comments[i].end;
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
        assert_eq!(next_token(source, &scan(source), 1), source.len() - 1);
    }

    #[test]
    fn a_division_is_no_comment() {
        let source = "fc1 = linear(784 // 2, 10) // half\n";
        let comments = scan(source);
        assert_eq!(comments.len(), 1);
        assert_eq!(comments[0].text, "// half");
    }
}
