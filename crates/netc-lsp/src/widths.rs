//! The inferred shapes a reader would otherwise compute by hand: what
//! each layer takes and gives, and each `forward` statement's value (a
//! width, or an image's `(C, H, W)`).

use std::collections::HashMap;

use netc_lang::ast::{self, ExprKind, Span, StatementKind};
use netc_lang::ir::{self, NodeKind, Shape};

/// The IR of a model of the syntax tree (matched by where its name is
/// written, so two models of one name stay apart).
pub fn ir_model<'p>(program: &'p ir::Program, model: &ast::Model) -> Option<&'p ir::Model> {
    program
        .models
        .iter()
        .find(|m| m.name_span == model.name.span)
}

/// A layer's input and output shape: from its first call, else from its
/// arguments (a dropout or an image layer that is never called has none).
pub fn layer_io(model: &ir::Model, layer: ir::Handle<ir::Layer>) -> Option<(Shape, Shape)> {
    let called = model.nodes.iter().find_map(|(_, node)| match node.kind {
        NodeKind::Call { layer: l, arg } if l == layer => {
            Some((model.nodes[arg].shape, node.shape))
        }
        _ => None,
    });
    called.or_else(|| {
        let (input, output) = model.layers[layer].kind.widths()?;
        Some((Shape::Flat(input), Shape::Flat(output)))
    })
}

pub fn layer_named<'m>(
    model: &'m ir::Model,
    name: &str,
) -> Option<(ir::Handle<ir::Layer>, &'m ir::Layer)> {
    model.layers.iter().find(|(_, layer)| layer.name == name)
}

/// The shape of each `forward` statement's value, with the statement's
/// span, for the statements the checker could type.
pub fn statements(block: &ast::ForwardBlock, model: &ir::Model) -> Vec<(Span, Shape)> {
    let by_span: HashMap<Span, Shape> = model
        .nodes
        .iter()
        .map(|(handle, node)| (model.nodes.span(handle), node.shape))
        .collect();
    let mut variables: HashMap<&str, Shape> = HashMap::new();
    variables.insert(model.input.name.as_str(), model.input.shape);
    let mut shapes = Vec::new();
    for statement in &block.statements {
        let (target, value) = match &statement.kind {
            StatementKind::Assign { target, value } => (Some(target), value),
            StatementKind::Return(value) => (None, value),
        };
        let value = value.ungrouped();
        let shape = match &value.kind {
            ExprKind::Name(name) => variables.get(name.as_str()).copied(),
            _ => by_span.get(&value.span).copied(),
        };
        if let Some(shape) = shape {
            if let Some(target) = target {
                variables.insert(target.name.as_str(), shape);
            }
            shapes.push((statement.span, shape));
        }
    }
    shapes
}
