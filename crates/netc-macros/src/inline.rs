//! `model! { model Net { ... } }`: the model text rebuilt from the tokens'
//! positions, checked by the same front end as model files, every
//! diagnostic mapped back onto the token(s) its byte range covers.

use proc_macro::{Delimiter, Span, TokenStream, TokenTree};
use proc_macro2::{Span as Span2, TokenStream as TokenStream2};

use crate::output::{finish, Placed, PlacedSpan};

pub fn expand(input: TokenStream) -> TokenStream2 {
    let rebuilt = Rebuilt::from_tokens(input);
    let checked = netc_lang::check_file(rebuilt.text.as_bytes(), &netc_lang::LintLevels::default());
    let place = |diagnostic: &netc_lang::Diagnostic| Placed {
        span: rebuilt.locate(diagnostic.span.start, diagnostic.span.end),
        message: headline(diagnostic),
    };
    finish(&checked, place, Span2::call_site())
}

/// The one-line headline of a diagnostic with its label, help and notes,
/// for an error shown on the token itself.
fn headline(diagnostic: &netc_lang::Diagnostic) -> String {
    let mut text = format!(
        "{} [{} {}]",
        diagnostic.message, diagnostic.code, diagnostic.name
    );
    if !diagnostic.span_label.is_empty() {
        text.push_str(&format!(": {}", diagnostic.span_label));
    }
    for label in &diagnostic.labels {
        text.push_str(&format!("\nnote: {}", label.message));
    }
    if let Some(help) = &diagnostic.help {
        text.push_str(&format!("\nhelp: {help}"));
    }
    for note in &diagnostic.notes {
        text.push_str(&format!("\nnote: {note}"));
    }
    text
}

/// Source text with each token at its line and column, and the byte range
/// each token occupies in it.
struct Rebuilt {
    text: String,
    tokens: Vec<(usize, usize, Span)>,
    line: usize,
    column: usize,
}

impl Rebuilt {
    fn from_tokens(input: TokenStream) -> Rebuilt {
        let mut rebuilt = Rebuilt {
            text: String::new(),
            tokens: Vec::new(),
            line: 1,
            column: 1,
        };
        rebuilt.walk(input);
        rebuilt
    }

    fn walk(&mut self, stream: TokenStream) {
        let tokens: Vec<TokenTree> = stream.into_iter().collect();
        let mut index = 0;
        while let Some(token) = tokens.get(index) {
            index += 1;
            match token {
                TokenTree::Group(group) => {
                    let (open, close) = match group.delimiter() {
                        Delimiter::Parenthesis => ("(", ")"),
                        Delimiter::Brace => ("{", "}"),
                        Delimiter::Bracket => ("[", "]"),
                        Delimiter::None => ("", ""),
                    };
                    self.place(open, group.span_open());
                    self.walk(group.stream());
                    self.place(close, group.span_close());
                }
                TokenTree::Punct(punct) => {
                    // rustc turns `///` and `//!` comments (netc comments)
                    // into `#[doc = ..]` / `#![doc = ..]`: drop them.
                    if punct.as_char() == '#' {
                        if let Some(skip) = doc_attribute_len(&tokens[index..]) {
                            index += skip;
                            continue;
                        }
                    }
                    self.place(&punct.as_char().to_string(), punct.span());
                }
                TokenTree::Ident(ident) => self.place(&ident.to_string(), ident.span()),
                TokenTree::Literal(literal) => self.place(&literal.to_string(), literal.span()),
            }
        }
    }

    /// Pads to the token's position (1-based line, 1-based char column)
    /// and appends it.
    fn place(&mut self, text: &str, span: Span) {
        if text.is_empty() {
            return;
        }
        let (line, column) = (span.line(), span.column());
        if line > self.line {
            self.text.push_str(&"\n".repeat(line - self.line));
            self.line = line;
            self.column = 1;
        }
        if line == self.line && column > self.column {
            self.text.push_str(&" ".repeat(column - self.column));
            self.column = column;
        } else if !self.text.is_empty() && !self.text.ends_with(char::is_whitespace) {
            // Positions that go backwards (tokens from another macro):
            // keep the tokens apart.
            self.text.push(' ');
            self.column += 1;
        }
        let start = self.text.len();
        self.text.push_str(text);
        self.tokens.push((start, self.text.len(), span));
        for c in text.chars() {
            if c == '\n' {
                self.line += 1;
                self.column = 1;
            } else {
                self.column += 1;
            }
        }
    }

    /// The token(s) covering bytes `[start, end)`; an empty range (such
    /// as the end of the input) takes the token at or after it.
    fn locate(&self, start: usize, end: usize) -> PlacedSpan {
        let Some(last_index) = self.tokens.len().checked_sub(1) else {
            return PlacedSpan::One(Span2::call_site());
        };
        let first = self
            .tokens
            .iter()
            .position(|(_, token_end, _)| *token_end > start)
            .unwrap_or(last_index);
        let last = self
            .tokens
            .iter()
            .rposition(|(token_start, _, _)| *token_start < end)
            .map_or(first, |last| last.max(first));
        let span = |index: usize| Span2::from(self.tokens[index].2);
        if last == first {
            PlacedSpan::One(span(first))
        } else {
            PlacedSpan::Range(span(first), span(last))
        }
    }
}

/// After a `#`: the number of tokens of a following `[doc = ..]` or
/// `![doc = ..]`, if that is what follows.
fn doc_attribute_len(rest: &[TokenTree]) -> Option<usize> {
    let (bang, group) = match rest {
        [TokenTree::Punct(p), TokenTree::Group(g), ..] if p.as_char() == '!' => (1, g),
        [TokenTree::Group(g), ..] => (0, g),
        _ => return None,
    };
    let is_doc = group.delimiter() == Delimiter::Bracket
        && matches!(group.stream().into_iter().next(), Some(TokenTree::Ident(i)) if i.to_string() == "doc");
    is_doc.then_some(bang + 1)
}
