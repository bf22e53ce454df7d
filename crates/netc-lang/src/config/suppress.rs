//! Suppression comments: `// netc: allow(unused-layer, NN018)`.
//!
//! Where the comment stands decides what it covers:
//! - before the first `model`: the whole file;
//! - inside a model, before its first declaration: that model;
//! - on a line of its own anywhere else: the next line with code on it
//!   (stacked directive lines all apply to it);
//! - after code on a line: that line.
//!
//! A diagnostic is suppressed when its primary span starts in the covered
//! range. Front-end errors (the model cannot be built) are never
//! suppressed. A directive that suppresses nothing, names an unknown rule
//! or a front-end code is itself reported: NN040 `unused-suppression`.

use super::comments::{self, Comment};
use super::is_front_end_error;
use crate::ast;
use crate::diagnostic::Diagnostic;
use crate::rules::{self, Rule, UNUSED_SUPPRESSION};
use crate::span::Span;

const DIRECTIVE: &str = "netc:";
const ALLOW: &str = "allow";

/// The rules one directive names, each with where its name is written.
#[derive(Debug, Clone)]
struct Named {
    rule: &'static Rule,
    span: Span,
    used: bool,
}

#[derive(Debug, Clone)]
struct Directive {
    covers: Span,
    names: Vec<Named>,
}

/// The suppression directives of one file, and which of them were used.
#[derive(Debug, Clone, Default)]
pub struct Suppressions {
    directives: Vec<Directive>,
    /// NN040s found while reading the directives: unknown or front-end
    /// names, malformed directives.
    malformed: Vec<Diagnostic>,
}

impl Suppressions {
    /// Reads the directives of `source`, whose syntax tree is `file`.
    pub fn scan(source: &str, file: &ast::File) -> Self {
        let mut suppressions = Suppressions::default();
        for comment in comments::scan(source) {
            let (offset, body) = comment.body(source);
            let trimmed = body.trim_start();
            let Some(rest) = trimmed.strip_prefix(DIRECTIVE) else {
                continue;
            };
            let rest_at = offset + (body.len() - rest.len());
            match parse_allow(rest, rest_at) {
                Ok(names) => {
                    let mut directive = Directive {
                        covers: covered(source, file, &comment),
                        names: Vec::new(),
                    };
                    for (name, span) in names {
                        match resolve(name, span) {
                            Ok(rule) => directive.names.push(Named {
                                rule,
                                span,
                                used: false,
                            }),
                            Err(diagnostic) => suppressions.malformed.push(*diagnostic),
                        }
                    }
                    suppressions.directives.push(directive);
                }
                Err(message) => suppressions.malformed.push(
                    Diagnostic::new(&UNUSED_SUPPRESSION, comment.span, message)
                        .with_help("write `// netc: allow(NAME, ...)` with rule names or codes"),
                ),
            }
        }
        suppressions
    }

    /// `diagnostics` without the suppressed ones; the directives that
    /// suppressed something are marked used.
    pub fn filter(&mut self, diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
        diagnostics
            .into_iter()
            .filter(|diagnostic| !self.suppress(diagnostic))
            .collect()
    }

    fn suppress(&mut self, diagnostic: &Diagnostic) -> bool {
        let mut suppressed = false;
        for directive in &mut self.directives {
            let start = diagnostic.span.start;
            if start < directive.covers.start || start > directive.covers.end {
                continue;
            }
            for named in &mut directive.names {
                if named.rule.code == diagnostic.code {
                    named.used = true;
                    suppressed = true;
                }
            }
        }
        suppressed
    }

    /// The NN040s: malformed directives, and (when `lints_ran`, i.e. the
    /// front end found no error, so every lint had its chance) the names
    /// that suppressed nothing. Directives naming NN040 itself apply to
    /// these and are never reported unused.
    pub fn finish(&mut self, lints_ran: bool) -> Vec<Diagnostic> {
        let mut found = std::mem::take(&mut self.malformed);
        if lints_ran {
            for directive in &self.directives {
                for named in &directive.names {
                    if !named.used && named.rule.code != UNUSED_SUPPRESSION.code {
                        found.push(unused(named));
                    }
                }
            }
        }
        self.filter(found)
    }
}

fn unused(named: &Named) -> Diagnostic {
    Diagnostic::new(
        &UNUSED_SUPPRESSION,
        named.span,
        format!(
            "`{}` ({}) is allowed here but nothing here triggers it",
            named.rule.name, named.rule.code
        ),
    )
    .with_span_label("suppresses nothing")
    .with_help("remove it from the directive")
}

/// The names of `allow(a, b)` with their spans; `rest` starts at `at`.
fn parse_allow(rest: &str, at: usize) -> Result<Vec<(&str, Span)>, String> {
    let after_space = rest.trim_start();
    let mut cursor = at + (rest.len() - after_space.len());
    let Some(after_allow) = after_space.strip_prefix(ALLOW) else {
        return Err("unknown `netc:` directive; the one directive is `allow(...)`".to_string());
    };
    cursor += ALLOW.len();
    let trimmed = after_allow.trim_start();
    cursor += after_allow.len() - trimmed.len();
    let Some(inner) = trimmed.strip_prefix('(') else {
        return Err("`netc: allow` needs its rules in parentheses".to_string());
    };
    cursor += 1;
    let Some(close) = inner.find(')') else {
        return Err("`netc: allow(` is not closed".to_string());
    };
    let mut names = Vec::new();
    let mut part_at = cursor;
    for part in inner[..close].split(',') {
        let name = part.trim();
        if !name.is_empty() {
            let start = part_at + (part.len() - part.trim_start().len());
            names.push((name, Span::new(start, start + name.len())));
        }
        part_at += part.len() + 1;
    }
    if names.is_empty() {
        return Err("`netc: allow()` names no rule".to_string());
    }
    Ok(names)
}

/// The rule `name` names, or the NN040 saying why it names none.
fn resolve(name: &str, span: Span) -> Result<&'static Rule, Box<Diagnostic>> {
    match rules::lookup(name) {
        Some(rule) if is_front_end_error(rule) => Err(Box::new(
            Diagnostic::new(
                &UNUSED_SUPPRESSION,
                span,
                format!(
                    "`{}` ({}) is an error of the front end and cannot be suppressed",
                    rule.name, rule.code
                ),
            )
            .with_span_label("cannot be suppressed")
            .with_help("fix the error; the model cannot be built while it stands"),
        )),
        Some(rule) => Ok(rule),
        None => {
            let diagnostic = Diagnostic::new(
                &UNUSED_SUPPRESSION,
                span,
                format!("`{name}` is not a rule code or name"),
            )
            .with_span_label("unknown rule");
            Err(Box::new(match rules::closest(name) {
                Some(rule) => diagnostic
                    .with_help(format!("did you mean `{}` ({})?", rule.name, rule.code))
                    .with_guessed_fix(span, rule.name),
                None => diagnostic.with_help("`netc explain CODE` shows what a rule is"),
            }))
        }
    }
}

/// The range a directive covers (see the module documentation).
fn covered(source: &str, file: &ast::File, comment: &Comment) -> Span {
    let whole = Span::new(0, source.len());
    let Some(first) = file.models.first() else {
        return whole;
    };
    if comment.span.start < first.span.start {
        return whole;
    }
    let inside = file
        .models
        .iter()
        .find(|m| m.span.start <= comment.span.start && comment.span.start < m.span.end);
    if let Some(model) = inside {
        let first_item = model.items.first().map_or(model.span.end, item_start);
        if model.name.span.end <= comment.span.start && comment.span.start < first_item {
            return model.span;
        }
    }
    if comment.own_line {
        // Past the last code line a directive covers nothing: an empty
        // range at the end of the file.
        comments::next_code_line(source, comment.span.start)
            .unwrap_or(Span::new(source.len() + 1, source.len() + 1))
    } else {
        comments::line_of(source, comment.span.start)
    }
}

fn item_start(item: &ast::Item) -> usize {
    match item {
        ast::Item::Input(decl) => decl.span.start,
        ast::Item::Layer(decl) => decl.span.start,
        ast::Item::Forward(block) => block.span.start,
        ast::Item::Train(block) => block.span.start,
    }
}
