//! A model's items sorted by kind, with NN003 for names and blocks given
//! twice.

use std::collections::HashMap;

use crate::ast::{self, Item};
use crate::diagnostic::Diagnostic;
use crate::rules;
use crate::span::Span;

pub(super) fn duplicate(what: &str, name: &ast::Ident, first: Span) -> Diagnostic {
    Diagnostic::new(
        &rules::DUPLICATE_NAME,
        name.span,
        format!("{what} `{}` is defined twice", name.name),
    )
    .with_span_label("defined again here")
    .with_label(first, "first defined here")
    .with_help(format!("rename one of the two `{}`", name.name))
}

/// The items of a model, sorted by kind, with duplicates reported.
pub(super) struct Items<'m> {
    pub input: Option<&'m ast::InputDecl>,
    pub layers: Vec<&'m ast::LayerDecl>,
    pub forward: Option<&'m ast::ForwardBlock>,
    pub train: Option<&'m ast::TrainBlock>,
}

pub(super) fn sort_items<'m>(model: &'m ast::Model, diags: &mut Vec<Diagnostic>) -> Items<'m> {
    let mut items = Items {
        input: None,
        layers: Vec::new(),
        forward: None,
        train: None,
    };
    let mut names: HashMap<&str, Span> = HashMap::new();
    for item in &model.items {
        match item {
            Item::Input(input) => {
                if let Some(first) = items.input {
                    diags.push(repeated_block("input declaration", input.span, first.span));
                    continue;
                }
                if let Some(&first) = names.get(input.name.name.as_str()) {
                    diags.push(duplicate("name", &input.name, first));
                }
                names.insert(&input.name.name, input.name.span);
                items.input = Some(input);
            }
            Item::Layer(layer) => {
                if let Some(&first) = names.get(layer.name.name.as_str()) {
                    diags.push(duplicate("layer", &layer.name, first));
                    continue;
                }
                names.insert(&layer.name.name, layer.name.span);
                items.layers.push(layer);
            }
            Item::Forward(block) => match items.forward {
                Some(first) => diags.push(repeated_block(
                    "`forward` block",
                    block.keyword,
                    first.keyword,
                )),
                None => items.forward = Some(block),
            },
            Item::Train(block) => match items.train {
                Some(first) => diags.push(repeated_block(
                    "`train` block",
                    block.keyword,
                    first.keyword,
                )),
                None => items.train = Some(block),
            },
        }
    }
    items
}

fn repeated_block(what: &str, span: Span, first: Span) -> Diagnostic {
    Diagnostic::new(
        &rules::DUPLICATE_NAME,
        span,
        format!("a model has one {what}, this is the second"),
    )
    .with_span_label("second one")
    .with_label(first, "first one here")
    .with_help("merge the two")
}
