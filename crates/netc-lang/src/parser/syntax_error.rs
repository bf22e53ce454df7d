//! pest errors in words: "expected `)` or `,`", with the primary span on
//! the offending token.

use pest::error::{Error, ErrorVariant, InputLocation};

use super::lexical::{for_each_code_byte, line_start, token_at};
use super::Rule;
use crate::diagnostic::Diagnostic;
use crate::rules;
use crate::span::Span;

/// What a grammar rule looks like to a user.
fn phrase(rule: Rule) -> &'static str {
    match rule {
        Rule::EOI => "end of file",
        Rule::file => "`model`",
        Rule::model | Rule::kw_model => "`model`",
        Rule::model_name => "a model name",
        Rule::input_decl | Rule::kw_input => "`input`",
        Rule::input_name => "an input name",
        Rule::layer_decl | Rule::layer_name => "a layer name",
        Rule::forward_block | Rule::kw_forward => "`forward`",
        Rule::assign_stmt | Rule::var_name => "a variable name",
        Rule::return_stmt | Rule::kw_return => "`return`",
        Rule::train_block | Rule::kw_train => "`train`",
        Rule::train_entry | Rule::train_key => "a train setting",
        Rule::expr | Rule::term | Rule::arith | Rule::product => "a value",
        Rule::call | Rule::callee => "a call",
        Rule::arg => "an argument",
        Rule::arg_key => "an argument name",
        Rule::tuple => "a tuple",
        Rule::number => "a number",
        Rule::string => "a string",
        Rule::boolean => "`true` or `false`",
        Rule::name => "a name",
        Rule::lbrace => "`{`",
        Rule::rbrace => "`}`",
        Rule::lparen => "`(`",
        Rule::rparen => "`)`",
        Rule::comma => "`,`",
        Rule::colon => "`:`",
        Rule::eq => "`=`",
        Rule::plus => "`+`",
        // After a complete argument the likely omission is a `,` or `)`:
        // the other operators would bury it (`+` is listed as it always
        // was).
        Rule::minus | Rule::star | Rule::floor_div => "",
        // Silent rules: pest never reports them as expected.
        Rule::WHITESPACE | Rule::ident_start | Rule::ident_char | Rule::name_chars => "",
    }
}

/// The order phrases are listed in: what starts an item before what
/// continues or closes one.
const ORDER: &[&str] = &[
    "`model`",
    "a model name",
    "`input`",
    "an input name",
    "a layer name",
    "`forward`",
    "`train`",
    "a train setting",
    "`return`",
    "a variable name",
    "a value",
    "a call",
    "a tuple",
    "a number",
    "a string",
    "`true` or `false`",
    "a name",
    "an argument",
    "an argument name",
    "`:`",
    "`=`",
    "`(`",
    "`)`",
    "`,`",
    "`+`",
    "`{`",
    "`}`",
    "end of file",
];

/// "a, b or c".
fn join_alternatives(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// The furthest position pest reached and the phrases it expected there.
pub(super) fn expected_at(error: &Error<Rule>) -> (usize, Vec<&'static str>) {
    let offset = match error.location {
        InputLocation::Pos(pos) => pos,
        InputLocation::Span((start, _)) => start,
    };
    let mut phrases: Vec<&'static str> = Vec::new();
    if let ErrorVariant::ParsingError { positives, .. } = &error.variant {
        for &rule in positives {
            let words = phrase(rule);
            if !words.is_empty() && !phrases.contains(&words) {
                phrases.push(words);
            }
        }
    }
    // pest lists rules in the order it tried them; a fixed order reads
    // better and keeps messages stable when the grammar is reordered.
    phrases.sort_by_key(|words| ORDER.iter().position(|w| w == words).unwrap_or(ORDER.len()));
    (offset, phrases)
}

/// NN000 for one pest error on `text`.
pub(super) fn to_diagnostic(error: &Error<Rule>, text: &str) -> Diagnostic {
    let (offset, phrases) = expected_at(error);
    let offset = offset.min(text.len());
    let (start, end) = token_at(text, offset);
    let found = if start == end {
        "end of file".to_string()
    } else {
        format!("`{}`", &text[start..end])
    };
    let message = if phrases.is_empty() {
        format!("unexpected {found}")
    } else {
        format!("expected {}", join_alternatives(&phrases))
    };
    let diagnostic = Diagnostic::new(&rules::SYNTAX_ERROR, Span::new(start, end), message)
        .with_span_label(format!("unexpected {found}"));
    // A missing `)` is found only at the next token, often on the next
    // line: point at the parenthesis that is still open too.
    match unclosed_paren(text, offset) {
        Some(paren)
            if phrases.contains(&"`)`") && line_start(text, paren) < line_start(text, offset) =>
        {
            diagnostic.with_label(Span::new(paren, paren + 1), "this `(` is never closed")
        }
        _ => diagnostic,
    }
}

/// The innermost `(` still open at `offset`.
fn unclosed_paren(text: &str, offset: usize) -> Option<usize> {
    let mut open: Vec<usize> = Vec::new();
    for_each_code_byte(&text[..offset], |at, byte| match byte {
        b'(' => open.push(at),
        b')' => {
            open.pop();
        }
        _ => {}
    });
    open.pop()
}

#[cfg(test)]
mod tests {
    use super::{join_alternatives, phrase, ORDER};
    use crate::parser::Rule;

    #[test]
    fn every_phrase_has_a_place_in_the_order() {
        for &rule in Rule::all_rules() {
            let words = phrase(rule);
            assert!(
                words.is_empty() || ORDER.contains(&words),
                "{rule:?}: {words}"
            );
        }
    }

    #[test]
    fn alternatives_read_as_a_list() {
        assert_eq!(join_alternatives(&["`)`"]), "`)`");
        assert_eq!(join_alternatives(&["`)`", "`,`"]), "`)` or `,`");
        assert_eq!(
            join_alternatives(&["a layer name", "`forward`", "`train`"]),
            "a layer name, `forward` or `train`"
        );
    }
}
