//! The inferred widths a reader would otherwise compute by hand: what
//! each layer takes and gives, and each `forward` statement's value.

use std::collections::HashMap;

use netc_lang::ast::{self, ExprKind, Span, StatementKind};
use netc_lang::ir::{self, NodeKind};

/// The IR of a model of the syntax tree (matched by where its name is
/// written, so two models of one name stay apart).
pub fn ir_model<'p>(program: &'p ir::Program, model: &ast::Model) -> Option<&'p ir::Model> {
    program
        .models
        .iter()
        .find(|m| m.name_span == model.name.span)
}

/// A layer's input and output width: from its first call, else from its
/// arguments (a dropout that is never called has none).
pub fn layer_io(model: &ir::Model, layer: ir::Handle<ir::Layer>) -> Option<(usize, usize)> {
    let called = model.nodes.iter().find_map(|(_, node)| match node.kind {
        NodeKind::Call { layer: l, arg } if l == layer => {
            Some((model.nodes[arg].width(), node.width()))
        }
        _ => None,
    });
    called.or_else(|| model.layers[layer].kind.widths())
}

pub fn layer_named<'m>(
    model: &'m ir::Model,
    name: &str,
) -> Option<(ir::Handle<ir::Layer>, &'m ir::Layer)> {
    model.layers.iter().find(|(_, layer)| layer.name == name)
}

/// The width of each `forward` statement's value, with the statement's
/// span, for the statements the checker could type.
pub fn statements(block: &ast::ForwardBlock, model: &ir::Model) -> Vec<(Span, usize)> {
    let by_span: HashMap<Span, usize> = model
        .nodes
        .iter()
        .map(|(handle, node)| (model.nodes.span(handle), node.width()))
        .collect();
    let mut variables: HashMap<&str, usize> = HashMap::new();
    variables.insert(model.input.name.as_str(), model.input.width());
    let mut widths = Vec::new();
    for statement in &block.statements {
        let (target, value) = match &statement.kind {
            StatementKind::Assign { target, value } => (Some(target), value),
            StatementKind::Return(value) => (None, value),
        };
        let value = value.ungrouped();
        let width = match &value.kind {
            ExprKind::Name(name) => variables.get(name.as_str()).copied(),
            _ => by_span.get(&value.span).copied(),
        };
        if let Some(width) = width {
            if let Some(target) = target {
                variables.insert(target.name.as_str(), width);
            }
            widths.push((statement.span, width));
        }
    }
    widths
}
