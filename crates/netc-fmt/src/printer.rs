//! Prints a syntax tree in the canonical layout, putting back the comments
//! the tree does not hold. Comments are taken in source order: every one
//! that starts before the next thing printed comes out first, on its own
//! line; one that follows code on the same source line stays after that
//! code.

use netc_lang::ast::{self, Call, Expr, ExprKind, File, Item, StatementKind};

use crate::comments::{self, Comment};
use crate::expr;
use crate::MAX_WIDTH;

const INDENT: &str = "    ";

pub fn print(source: &str, file: &File) -> String {
    let mut printer = Printer {
        source,
        comments: comments::scan(source),
        next_comment: 0,
        out: String::with_capacity(source.len()),
        last_end: 0,
        block_start: true,
    };
    for (i, model) in file.models.iter().enumerate() {
        printer.model(model, i > 0);
    }
    printer.leading_comments(source.len(), 0, false);
    printer.out
}

struct Printer<'s> {
    source: &'s str,
    comments: Vec<Comment<'s>>,
    next_comment: usize,
    out: String,
    /// Where in the source the last printed thing ended.
    last_end: usize,
    /// Nothing printed yet in the current block: no blank line goes here.
    block_start: bool,
}

impl<'s> Printer<'s> {
    fn model(&mut self, model: &ast::Model, after_another: bool) {
        // The blank line between models goes above the comments that
        // introduce the next one.
        let introduced = self.leading_comments(model.span.start, 0, after_another);
        self.separate(model.span.start, after_another && !introduced);
        let open = comments::next_token(self.source, &self.comments, model.name.span.end);
        let header = format!("model {} {{", model.name.name);
        let close = model.span.end.saturating_sub(1);
        self.block(0, header, open, close, |printer| {
            for item in &model.items {
                printer.item(item);
            }
        });
    }

    fn item(&mut self, item: &Item) {
        let indent = 1;
        match item {
            Item::Input(decl) => {
                let prefix = format!("input {}: ", decl.name.name);
                self.statement(indent, decl.span, prefix, &decl.width);
            }
            Item::Layer(decl) => {
                let prefix = format!("{} = ", decl.name.name);
                self.statement(indent, decl.span, prefix, &decl.value);
            }
            Item::Forward(block) => {
                self.block_item(indent, "forward", block.keyword, block.span, |printer| {
                    for statement in &block.statements {
                        let (prefix, value) = match &statement.kind {
                            StatementKind::Assign { target, value } => {
                                (format!("{} = ", target.name), value)
                            }
                            StatementKind::Return(value) => ("return ".to_string(), value),
                        };
                        printer.statement(indent + 1, statement.span, prefix, value);
                    }
                });
            }
            Item::Train(block) => {
                self.block_item(indent, "train", block.keyword, block.span, |printer| {
                    for entry in &block.entries {
                        let prefix = format!("{} = ", entry.key.name);
                        printer.statement(indent + 1, entry.span, prefix, &entry.value);
                    }
                });
            }
        }
    }

    /// `forward { ... }` or `train { ... }` inside a model.
    fn block_item(
        &mut self,
        indent: usize,
        keyword: &str,
        keyword_span: ast::Span,
        span: ast::Span,
        body: impl FnOnce(&mut Self),
    ) {
        self.leading_comments(span.start, indent, false);
        self.separate(span.start, false);
        let open = comments::next_token(self.source, &self.comments, keyword_span.end);
        let close = span.end.saturating_sub(1);
        self.block(indent, format!("{keyword} {{"), open, close, body);
    }

    /// A braced block whose header line is `header` (ending in `{`, at
    /// source offset `open`) and whose `}` is at `close`. An empty block
    /// without comments is printed `header}`.
    fn block(
        &mut self,
        indent: usize,
        header: String,
        open: usize,
        close: usize,
        body: impl FnOnce(&mut Self),
    ) {
        let before = self.out.len();
        self.last_end = open + 1;
        self.line(indent, header);
        self.block_start = true;
        let body_start = self.out.len();
        body(self);
        self.leading_comments(close, indent + 1, false);
        if self.out.len() == body_start && self.out[before..].ends_with("{\n") {
            // Nothing inside: `forward {}`.
            self.out.truncate(self.out.len() - 1);
        } else {
            self.out.push_str(&INDENT.repeat(indent));
        }
        self.out.push('}');
        self.last_end = close + 1;
        self.end_line();
        self.block_start = false;
    }

    /// `prefix value` on one line, or with the value's call broken into
    /// one argument per line when it does not fit or holds comments.
    fn statement(&mut self, indent: usize, span: ast::Span, prefix: String, value: &Expr) {
        self.leading_comments(span.start, indent, false);
        let flat = format!("{prefix}{}", expr::flat(value));
        let broken_call = match &value.kind {
            ExprKind::Call(call) if !call.args.is_empty() => {
                let open = comments::next_token(self.source, &self.comments, call.callee.span.end);
                let too_wide = INDENT.len() * indent + flat.chars().count() > MAX_WIDTH;
                let holds_comments = self.comment_within(open, value.span.end);
                (too_wide || holds_comments).then_some((call, open))
            }
            _ => None,
        };
        // Comments inside what will be one line go above it.
        let first_line_end = broken_call.map_or(span.end, |(_, open)| open);
        self.leading_comments(first_line_end, indent, false);
        self.separate(span.start, false);
        match broken_call {
            Some((call, open)) => self.broken_call(indent, span, prefix, call, open),
            None => {
                self.last_end = span.end;
                self.line(indent, flat);
            }
        }
    }

    /// `prefix callee(` / one argument per line / `)`.
    fn broken_call(
        &mut self,
        indent: usize,
        span: ast::Span,
        prefix: String,
        call: &Call,
        open: usize,
    ) {
        self.last_end = open + 1;
        self.line(indent, format!("{prefix}{}(", call.callee.name));
        for arg in &call.args {
            // A comment inside the argument goes above it with the ones
            // before it.
            self.leading_comments(arg.span.end, indent + 1, false);
            self.last_end = arg.span.end;
            self.line(indent + 1, format!("{},", expr::arg(arg)));
        }
        let close = span.end.saturating_sub(1);
        self.leading_comments(close, indent + 1, false);
        self.last_end = span.end;
        self.line(indent, ")".to_string());
    }

    /// Prints, each on its own line at `indent`, the comments that start
    /// before `before`; whether there were any. `force_blank` puts a blank
    /// line before the first.
    fn leading_comments(&mut self, before: usize, indent: usize, mut force_blank: bool) -> bool {
        let first = self.next_comment;
        while let Some(comment) = self.comments.get(self.next_comment) {
            if comment.start >= before {
                break;
            }
            let comment = comment.clone();
            self.next_comment += 1;
            self.separate(comment.start, force_blank);
            force_blank = false;
            self.last_end = comment.end;
            self.out.push_str(&INDENT.repeat(indent));
            self.out.push_str(comment.text);
            self.out.push('\n');
        }
        self.next_comment > first
    }

    /// A blank line before what starts at `start`, when the source had one
    /// there (or `force`), unless it would open a block.
    fn separate(&mut self, start: usize, force: bool) {
        let gap = self.source.get(self.last_end..start).unwrap_or("");
        let had_blank = gap
            .split('\n')
            .skip(1)
            .collect::<Vec<_>>()
            .split_last()
            .is_some_and(|(_, interior)| interior.iter().any(|line| line.trim().is_empty()));
        let after_blank = self.out.is_empty() || self.out.ends_with("\n\n");
        if !self.block_start && !after_blank && (force || had_blank) {
            self.out.push('\n');
        }
        self.block_start = false;
    }

    /// `text` at `indent`, with the trailing comment that follows
    /// `last_end` on its source line.
    fn line(&mut self, indent: usize, text: String) {
        self.out.push_str(&INDENT.repeat(indent));
        self.out.push_str(&text);
        self.end_line();
        self.block_start = false;
    }

    /// Ends the current output line, after the trailing comment if the
    /// source has one on the line where the last printed thing ended: with
    /// nothing but whitespace and a comma before it, and no line break
    /// after the comma (`16\n, // in` trails `16`).
    fn end_line(&mut self) {
        if let Some(comment) = self.comments.get(self.next_comment) {
            let between = self
                .source
                .get(self.last_end..comment.start)
                .unwrap_or("\n");
            let after_comma = between.rsplit(',').next().unwrap_or(between);
            let trails = between.chars().all(|c| c == ',' || comments::is_blank(c))
                && !after_comma.contains('\n');
            if comment.start >= self.last_end && trails {
                self.out.push_str("  ");
                self.out.push_str(comment.text);
                self.last_end = comment.end;
                self.next_comment += 1;
            }
        }
        self.out.push('\n');
    }

    /// Whether an unprinted comment starts inside `(from, to)`.
    fn comment_within(&self, from: usize, to: usize) -> bool {
        self.comments[self.next_comment..]
            .iter()
            .any(|comment| from < comment.start && comment.start < to)
    }
}
