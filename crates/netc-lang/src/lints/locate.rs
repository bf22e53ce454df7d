//! Finds the exact source spans lints point at (an `init=` argument, a
//! train key's value, an activation call's argument) in the syntax tree;
//! the IR keeps only one span per layer and per value.

use crate::ast::{self, Arg, Call, Expr, ExprKind, Item, LayerDecl, StatementKind, TrainEntry};
use crate::span::Span;

/// Span lookups in one model's syntax tree.
#[derive(Debug, Clone, Copy)]
pub struct Locator<'a> {
    syntax: &'a ast::Model,
}

impl<'a> Locator<'a> {
    pub fn new(syntax: &'a ast::Model) -> Self {
        Locator { syntax }
    }

    pub fn layer_decl(&self, name: &str) -> Option<&'a LayerDecl> {
        self.syntax.items.iter().find_map(|item| match item {
            Item::Layer(decl) if decl.name.name == name => Some(decl),
            _ => None,
        })
    }

    /// The call on the right of `name = kind(...)`.
    pub fn layer_call(&self, name: &str) -> Option<&'a Call> {
        match &self.layer_decl(name)?.value.ungrouped().kind {
            ExprKind::Call(call) => Some(call),
            _ => None,
        }
    }

    /// The value of keyword argument `key` of a layer declaration.
    pub fn layer_keyword(&self, name: &str, key: &str) -> Option<&'a Arg> {
        keyword(self.layer_call(name)?, key)
    }

    /// Keyword `key`, else the positional argument at `position`.
    pub fn layer_argument(&self, name: &str, key: &str, position: usize) -> Option<&'a Arg> {
        let call = self.layer_call(name)?;
        keyword(call, key).or_else(|| call.args.iter().filter(|a| a.key.is_none()).nth(position))
    }

    /// An empty span right after the last argument of a layer's call,
    /// where `, key=value` goes: before a trailing comma, a comment or a
    /// line break, so each stays valid and where it was.
    pub fn layer_call_end(&self, name: &str) -> Option<Span> {
        let end = self.layer_call(name)?.args.last()?.span.end;
        Some(Span::new(end, end))
    }

    pub fn train_block(&self) -> Option<&'a ast::TrainBlock> {
        self.syntax.items.iter().find_map(|item| match item {
            Item::Train(block) => Some(block),
            _ => None,
        })
    }

    pub fn train_entry(&self, key: &str) -> Option<&'a TrainEntry> {
        self.train_block()?
            .entries
            .iter()
            .find(|entry| entry.key.name == key)
    }

    /// The value of keyword `key` in the train block's `optimizer = ...`.
    pub fn optimizer_keyword(&self, key: &str) -> Option<&'a Arg> {
        match &self.train_entry("optimizer")?.value.ungrouped().kind {
            ExprKind::Call(call) => keyword(call, key),
            _ => None,
        }
    }

    /// The call expression written exactly at `span` in `forward`.
    pub fn call_at(&self, span: Span) -> Option<&'a Call> {
        self.forward_exprs().find_map(|expr| find_call(expr, span))
    }

    fn forward_exprs(&self) -> impl Iterator<Item = &'a Expr> + 'a {
        self.syntax
            .items
            .iter()
            .filter_map(|item| match item {
                Item::Forward(block) => Some(block),
                _ => None,
            })
            .flat_map(|block| block.statements.iter())
            .map(|statement| match &statement.kind {
                StatementKind::Assign { value, .. } => value,
                StatementKind::Return(value) => value,
            })
    }
}

fn keyword<'a>(call: &'a Call, key: &str) -> Option<&'a Arg> {
    call.args
        .iter()
        .find(|arg| arg.key.as_ref().is_some_and(|k| k.name == key))
}

fn find_call(expr: &Expr, span: Span) -> Option<&Call> {
    match &expr.kind {
        ExprKind::Call(call) if expr.span == span => Some(call),
        ExprKind::Call(call) => call.args.iter().find_map(|arg| find_call(&arg.value, span)),
        ExprKind::Tuple(items) | ExprKind::Add(items) => {
            items.iter().find_map(|item| find_call(item, span))
        }
        _ => None,
    }
}
