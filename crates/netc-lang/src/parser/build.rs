//! pest pairs → AST. The grammar guarantees each pair's shape, so the
//! builder only walks; it still never indexes blindly, and answers a shape
//! it does not expect with an empty node rather than a panic.

use pest::iterators::{Pair, Pairs};

use super::Rule;
use crate::ast::{
    Arg, BinOp, Call, Chain, Expr, ExprKind, File, ForwardBlock, Ident, InputDecl, Item, LayerDecl,
    Model, Number, Operation, Statement, StatementKind, TrainBlock, TrainEntry,
};
use crate::span::Span;

/// Builds the AST of the text pest parsed. Recovery may have appended a
/// closing brace past the user's text; `source_len` clamps spans back into
/// the source.
pub(super) struct Builder {
    pub(super) source_len: usize,
}

/// Pairs that carry meaning (keywords and punctuation are only there for
/// error messages).
fn meaningful(pairs: Pairs<'_, Rule>) -> impl Iterator<Item = Pair<'_, Rule>> {
    pairs.filter(|pair| {
        !matches!(
            pair.as_rule(),
            Rule::kw_model
                | Rule::kw_input
                | Rule::kw_forward
                | Rule::kw_train
                | Rule::kw_return
                | Rule::lbrace
                | Rule::rbrace
                | Rule::lparen
                | Rule::rparen
                | Rule::comma
                | Rule::colon
                | Rule::eq
                | Rule::plus
                | Rule::EOI
        )
    })
}

impl Builder {
    /// The pair's span without trailing whitespace or comments: pest's
    /// implicit whitespace before an optional or repeated part that then
    /// matches nothing stays inside the enclosing rule's span, so a
    /// rule's true end is the end of its last token.
    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let start = pair.as_span().start();
        let mut last = pair.clone();
        while let Some(inner) = last.clone().into_inner().last() {
            last = inner;
        }
        let end = last.as_span().end();
        Span::new(start.min(self.source_len), end.min(self.source_len))
    }

    fn ident(&self, pair: &Pair<'_, Rule>) -> Ident {
        Ident {
            name: pair.as_str().to_string(),
            span: self.span(pair),
        }
    }

    fn keyword_span(&self, pair: &Pair<'_, Rule>) -> Span {
        pair.clone()
            .into_inner()
            .next()
            .map_or_else(|| self.span(pair), |kw| self.span(&kw))
    }

    pub(super) fn file(&self, file: Pair<'_, Rule>) -> File {
        let span = self.span(&file);
        let models = meaningful(file.into_inner())
            .filter(|pair| pair.as_rule() == Rule::model)
            .filter_map(|pair| self.model(pair))
            .collect();
        File {
            models,
            span,
            dropped: Vec::new(),
        }
    }

    fn model(&self, model: Pair<'_, Rule>) -> Option<Model> {
        let span = self.span(&model);
        let mut inner = meaningful(model.into_inner());
        let name = self.ident(&inner.next()?);
        let items = inner.filter_map(|item| self.item(item)).collect();
        Some(Model { name, items, span })
    }

    fn item(&self, item: Pair<'_, Rule>) -> Option<Item> {
        let span = self.span(&item);
        let rule = item.as_rule();
        let keyword = self.keyword_span(&item);
        let mut inner = meaningful(item.into_inner());
        Some(match rule {
            Rule::input_decl => Item::Input(InputDecl {
                name: self.ident(&inner.next()?),
                width: self.expr(inner.next()?),
                span,
            }),
            Rule::layer_decl => Item::Layer(LayerDecl {
                name: self.ident(&inner.next()?),
                value: self.expr(inner.next()?),
                span,
            }),
            Rule::forward_block => Item::Forward(ForwardBlock {
                keyword,
                statements: inner.filter_map(|stmt| self.statement(stmt)).collect(),
                span,
            }),
            Rule::train_block => Item::Train(TrainBlock {
                keyword,
                entries: inner.filter_map(|entry| self.train_entry(entry)).collect(),
                span,
            }),
            _ => return None,
        })
    }

    fn statement(&self, stmt: Pair<'_, Rule>) -> Option<Statement> {
        let span = self.span(&stmt);
        let rule = stmt.as_rule();
        let mut inner = meaningful(stmt.into_inner());
        let kind = match rule {
            Rule::assign_stmt => StatementKind::Assign {
                target: self.ident(&inner.next()?),
                value: self.expr(inner.next()?),
            },
            Rule::return_stmt => StatementKind::Return(self.expr(inner.next()?)),
            _ => return None,
        };
        Some(Statement { kind, span })
    }

    fn train_entry(&self, entry: Pair<'_, Rule>) -> Option<TrainEntry> {
        let span = self.span(&entry);
        let mut inner = meaningful(entry.into_inner());
        Some(TrainEntry {
            key: self.ident(&inner.next()?),
            value: self.expr(inner.next()?),
            span,
        })
    }

    /// `expr` (a `+` chain) or any term rule.
    fn expr(&self, pair: Pair<'_, Rule>) -> Expr {
        let span = self.span(&pair);
        let kind = match pair.as_rule() {
            Rule::expr => {
                let mut terms: Vec<Expr> = meaningful(pair.into_inner())
                    .map(|term| self.expr(term))
                    .collect();
                if terms.len() == 1 {
                    return terms.pop().unwrap_or_else(|| empty_tuple(span));
                }
                ExprKind::Add(terms)
            }
            Rule::arith | Rule::product => return self.chain(pair),
            Rule::term => {
                return match meaningful(pair.into_inner()).next() {
                    Some(inner) => self.expr(inner),
                    None => empty_tuple(span),
                };
            }
            Rule::call => {
                let mut inner = meaningful(pair.into_inner());
                let Some(callee) = inner.next() else {
                    return empty_tuple(span);
                };
                ExprKind::Call(Call {
                    callee: self.ident(&callee),
                    args: inner.map(|arg| self.arg(arg)).collect(),
                })
            }
            Rule::tuple => ExprKind::Tuple(
                meaningful(pair.into_inner())
                    .map(|e| self.expr(e))
                    .collect(),
            ),
            Rule::number => {
                let text = pair.as_str().to_string();
                // The grammar only admits what f64's parser reads; an
                // exponent too large for f64 parses to infinity.
                let value = text.parse::<f64>().unwrap_or(f64::NAN);
                ExprKind::Number(Number { value, text })
            }
            Rule::string => {
                let quoted = pair.as_str();
                let text = quoted
                    .strip_prefix('"')
                    .and_then(|s| s.strip_suffix('"'))
                    .unwrap_or(quoted);
                ExprKind::Str(text.to_string())
            }
            Rule::boolean => ExprKind::Bool(pair.as_str() == "true"),
            _ => ExprKind::Name(pair.as_str().to_string()),
        };
        Expr { kind, span }
    }

    /// One precedence level: its single operand, a sum ([`ExprKind::Add`],
    /// as a `+` chain in `forward` is) or a [`Chain`].
    fn chain(&self, pair: Pair<'_, Rule>) -> Expr {
        let span = self.span(&pair);
        let mut operands: Vec<Expr> = Vec::new();
        let mut ops: Vec<(BinOp, Span)> = Vec::new();
        for part in pair.into_inner() {
            let op = match part.as_rule() {
                Rule::plus => BinOp::Add,
                Rule::minus => BinOp::Sub,
                Rule::star => BinOp::Mul,
                Rule::floor_div => BinOp::FloorDiv,
                _ => {
                    operands.push(self.expr(part));
                    continue;
                }
            };
            ops.push((op, self.span(&part)));
        }
        if ops.is_empty() {
            return operands.pop().unwrap_or_else(|| empty_tuple(span));
        }
        if ops.iter().all(|(op, _)| *op == BinOp::Add) {
            return Expr {
                kind: ExprKind::Add(operands),
                span,
            };
        }
        let mut operands = operands.into_iter();
        let Some(first) = operands.next() else {
            return empty_tuple(span);
        };
        let rest = ops
            .into_iter()
            .zip(operands)
            .map(|((op, op_span), operand)| Operation {
                op,
                op_span,
                operand,
            })
            .collect();
        Expr {
            kind: ExprKind::Arith(Chain {
                first: Box::new(first),
                rest,
            }),
            span,
        }
    }

    fn arg(&self, arg: Pair<'_, Rule>) -> Arg {
        let span = self.span(&arg);
        let mut key = None;
        let mut value = None;
        for part in meaningful(arg.into_inner()) {
            if part.as_rule() == Rule::arg_key {
                key = Some(self.ident(&part));
            } else {
                value = Some(self.expr(part));
            }
        }
        Arg {
            key,
            value: value.unwrap_or_else(|| empty_tuple(span)),
            span,
        }
    }
}

/// Stands in for a node the grammar always provides.
fn empty_tuple(span: Span) -> Expr {
    Expr {
        kind: ExprKind::Tuple(Vec::new()),
        span,
    }
}
