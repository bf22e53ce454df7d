//! Property tests: formatting any re-spaced, re-commented version of a
//! corpus model gives a fixed point that means what the model means.

use crate::common;

use proptest::prelude::*;

/// A piece of model text: whitespace between tokens may be replaced, the
/// rest is kept.
#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Space,
    Comment(String),
    Token(String),
}

/// Splits `source` into tokens, comments and the gaps between them.
/// Comments are the ones `netc_lang::lexical` finds (a dividing `//` is a
/// token). Punctuation other than `+` and `-` (which can sit inside a
/// number) is a token of its own, so a gap can be put next to it.
fn pieces(source: &str) -> Vec<Piece> {
    let comments = netc_lang::lexical::comments(source);
    let mut pieces = Vec::new();
    let mut at = 0;
    while let Some(c) = source[at..].chars().next() {
        let rest = &source[at..];
        let len = if let Some(comment) = comments.iter().find(|c| c.start == at) {
            pieces.push(Piece::Comment(source[at..comment.end].to_string()));
            comment.end - at
        } else if c.is_whitespace() {
            let len = rest
                .find(|c: char| !c.is_whitespace())
                .unwrap_or(rest.len());
            pieces.push(Piece::Space);
            len
        } else if c == '"' {
            let len = rest[1..].find('"').map_or(rest.len(), |n| n + 2);
            pieces.push(Piece::Token(rest[..len].to_string()));
            len
        } else if "(){}=,:".contains(c) {
            pieces.push(Piece::Token(c.to_string()));
            1
        } else {
            let len = rest
                .find(|c: char| c.is_whitespace() || "(){}=,:\"".contains(c))
                .unwrap_or(rest.len());
            pieces.push(Piece::Token(rest[..len].to_string()));
            len
        };
        at += len;
    }
    pieces
}

/// Whitespace that may stand between two tokens without making a blank
/// line (blank lines are kept, at most one).
fn inline_gap() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just(" ".to_string()),
        Just("   ".to_string()),
        Just("\t".to_string()),
        Just("\n".to_string()),
        Just(" \r\n ".to_string()),
    ]
}

/// Whitespace, blank lines or a comment between two tokens.
fn gap() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => inline_gap(),
        1 => Just("\n\n\n".to_string()),
        1 => Just("  // a note\n".to_string()),
        1 => Just("\n// a line of its own\n\n".to_string()),
    ]
}

/// `source` with every gap between tokens chosen by `gaps` (cycled). Two
/// word tokens keep a space between them, a comment its newline (and no
/// more: the gap after it loses its line breaks), and a dividing `//` its
/// operands on its line (the gaps around it are a space).
fn respaced(source: &str, gaps: &[String]) -> String {
    let mut out = String::new();
    let mut gaps = gaps.iter().cycle();
    let mut previous_word = false;
    let mut after_comment = false;
    let mut after_division = false;
    for piece in pieces(source) {
        match piece {
            Piece::Space => {}
            Piece::Comment(text) => {
                out.push(' ');
                out.push_str(&text);
                out.push('\n');
                previous_word = false;
                after_comment = true;
                continue;
            }
            Piece::Token(text) => {
                let word = text.starts_with(|c: char| c.is_alphanumeric() || "_.-\"".contains(c));
                let division = text.starts_with("//");
                let mut chosen = gaps.next().cloned().unwrap_or_default();
                if division || after_division {
                    chosen = " ".to_string();
                }
                after_division = division;
                if after_comment && !chosen.contains("//") {
                    chosen.retain(|c| c != '\n' && c != '\r');
                }
                if previous_word && word && chosen.is_empty() {
                    out.push(' ');
                }
                out.push_str(&chosen);
                after_comment = false;
                out.push_str(&text);
                previous_word = word;
            }
        }
    }
    out
}

/// The corpus without suppression directives: a `// netc: allow` after
/// code covers its line, so moving statements onto lines of their own
/// changes what it covers when re-spacing had put several on one line.
/// The snapshot and fixed-point tests cover the files with directives.
fn corpus() -> Vec<(std::path::PathBuf, String)> {
    common::corpus()
        .into_iter()
        .filter(|(_, text)| !text.contains("netc:"))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn formatting_is_idempotent_and_keeps_meaning(
        file in 0..corpus().len(),
        gaps in prop::collection::vec(gap(), 1..40),
    ) {
        let (path, source) = &corpus()[file];
        let perturbed = respaced(source, &gaps);
        let once = netc_fmt::format(&perturbed);
        prop_assert!(once.is_ok(), "{}: perturbed text does not parse:\n{perturbed}", path.display());
        let once = once.expect("checked above");
        let twice = netc_fmt::format(&once).expect("formatted text parses");
        prop_assert_eq!(&once, &twice, "{} not stable from:\n{}", path.display(), perturbed);
        prop_assert_eq!(common::meaning(&perturbed), common::meaning(&once), "{}", path.display());
        let comments = |text: &str| netc_lang::lexical::comments(text).len();
        prop_assert_eq!(comments(&perturbed), comments(&once), "a comment was lost");
    }

    #[test]
    fn whitespace_alone_never_changes_the_layout(
        file in 0..common::corpus().len(),
        gaps in prop::collection::vec(inline_gap(), 1..40),
    ) {
        let (path, source) = &common::corpus()[file];
        let perturbed = respaced(source, &gaps);
        let tight = respaced(source, &[String::new()]);
        prop_assert_eq!(
            netc_fmt::format(&perturbed).expect("re-spaced text parses"),
            netc_fmt::format(&tight).expect("re-spaced text parses"),
            "{} re-spaced:\n{}", path.display(), perturbed
        );
    }
}
