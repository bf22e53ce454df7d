//! A forgiving tokenizer for half-typed text: completion reads the
//! context before the cursor from it when the parser cannot.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Name,
    Number,
    Str,
    Punct,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token<'t> {
    pub kind: Kind,
    pub text: &'t str,
    pub start: usize,
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The tokens of `text`, comments skipped (those `netc_lang::lexical`
/// finds, so the `//` of `784 // 2` is two `/` tokens, not a comment);
/// any character that starts no token is a one-character punctuation
/// token.
pub fn tokens(text: &str) -> Vec<Token<'_>> {
    let comments = netc_lang::lexical::comments(text);
    let mut comments = comments.iter().peekable();
    let mut tokens = Vec::new();
    let mut at = 0;
    while let Some(c) = text[at..].chars().next() {
        let rest = &text[at..];
        let (kind, len) = if c.is_whitespace() || c == '\u{feff}' {
            at += c.len_utf8();
            continue;
        } else if let Some(comment) = comments.next_if(|comment| comment.start == at) {
            at = comment.end;
            continue;
        } else if c == '"' {
            let len = rest[1..].find(['"', '\n']).map_or(rest.len(), |n| {
                n + 1 + usize::from(rest[1 + n..].starts_with('"'))
            });
            (Kind::Str, len)
        } else if c.is_ascii_alphabetic() || c == '_' {
            (
                Kind::Name,
                rest.find(|c| !is_name_char(c)).unwrap_or(rest.len()),
            )
        } else if starts_number(rest) {
            (Kind::Number, number_len(rest))
        } else {
            (Kind::Punct, c.len_utf8())
        };
        tokens.push(Token {
            kind,
            text: &rest[..len],
            start: at,
        });
        at += len;
    }
    tokens
}

/// A digit or `.` starts a number, and so does a `-` before one (`5 - 1`
/// subtracts).
fn starts_number(rest: &str) -> bool {
    let unsigned = rest.strip_prefix('-').unwrap_or(rest);
    unsigned.starts_with(|c: char| c.is_ascii_digit() || c == '.')
}

/// The length of the number at the start of `rest`: digits, letters,
/// `.`, and a sign right after an exponent's `e`.
fn number_len(rest: &str) -> usize {
    let mut previous = ' ';
    for (at, c) in rest.char_indices().skip(1) {
        let exponent_sign = matches!(c, '+' | '-') && matches!(previous, 'e' | 'E');
        if !(is_name_char(c) || c == '.' || exponent_sign) {
            return at;
        }
        previous = c;
    }
    rest.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_typed_text_tokenizes() {
        let kinds: Vec<(Kind, &str)> = tokens("fc1 = linear(9, \"é\n// c\n1e-3 é")
            .iter()
            .map(|t| (t.kind, t.text))
            .collect();
        assert_eq!(
            kinds,
            [
                (Kind::Name, "fc1"),
                (Kind::Punct, "="),
                (Kind::Name, "linear"),
                (Kind::Punct, "("),
                (Kind::Number, "9"),
                (Kind::Punct, ","),
                (Kind::Str, "\"é"),
                (Kind::Number, "1e-3"),
                (Kind::Punct, "é"),
            ]
        );
    }

    proptest::proptest! {
        /// Tokens and the comments of `netc_lang::lexical` partition the
        /// text: no token inside a comment, no code outside a token.
        #[test]
        fn tokens_and_comments_cover_the_text_apart(
            pieces in proptest::collection::vec(
                proptest::sample::select(vec![
                    "(", ")", "//", "/", " ", "\n", "9", "x", "-", ",", "\"", "*", "é",
                ]),
                0..40,
            )
        ) {
            let text: String = pieces.concat();
            let comments = netc_lang::lexical::comments(&text);
            let mut covered = vec![false; text.len()];
            for token in tokens(&text) {
                let end = token.start + token.text.len();
                for comment in &comments {
                    proptest::prop_assert!(end <= comment.start || comment.end <= token.start, "{text:?}");
                }
                covered[token.start..end].fill(true);
            }
            for comment in &comments {
                covered[comment.start..comment.end].fill(true);
            }
            for (at, c) in text.char_indices() {
                proptest::prop_assert!(covered[at] || c.is_whitespace(), "{text:?} at {at}");
            }
        }
    }

    #[test]
    fn division_and_subtraction_are_punctuation() {
        let kinds: Vec<(Kind, &str)> = tokens("f(784 // 2 - 1, -3) // 2 more")
            .iter()
            .map(|t| (t.kind, t.text))
            .collect();
        assert_eq!(
            kinds,
            [
                (Kind::Name, "f"),
                (Kind::Punct, "("),
                (Kind::Number, "784"),
                (Kind::Punct, "/"),
                (Kind::Punct, "/"),
                (Kind::Number, "2"),
                (Kind::Punct, "-"),
                (Kind::Number, "1"),
                (Kind::Punct, ","),
                (Kind::Number, "-3"),
                (Kind::Punct, ")"),
            ]
        );
    }
}
