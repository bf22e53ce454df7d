//! AST → IR, with every front-end check: names (NN001, NN003, NN036),
//! shapes (NN004, NN005, NN041, NN042), structure (NN034, NN035), values
//! (NN037, NN043, NN044), train keys (NN038) and unused layers (NN002).

mod activation;
pub(crate) mod args;
mod forward;
pub(crate) mod init;
mod items;
pub(crate) mod layer;
mod model_checks;
pub(crate) mod shape;
mod shape_errors;
mod train;
mod unused;

use std::collections::HashMap;

use crate::ast;
use crate::diagnostic::Diagnostic;
use crate::ir::{Arena, Input, Layer, Model, Program};
use crate::rules;
use crate::shape::Shape;
use crate::span::Span;
use forward::{ForwardLowering, LayerEntry};
use items::{duplicate, sort_items};
use model_checks::{loss_fits_output, uninferred_inputs};

/// Lowers every model of the file; diagnostics are appended to `diags`.
pub(crate) fn lower(file: &ast::File, diags: &mut Vec<Diagnostic>) -> Program {
    let mut program = Program::default();
    let mut seen: HashMap<&str, Span> = HashMap::new();
    for model in &file.models {
        if let Some(&first) = seen.get(model.name.name.as_str()) {
            diags.push(duplicate("model", &model.name, first));
        } else {
            seen.insert(&model.name.name, model.name.span);
        }
        let dropped: Vec<&ast::Dropped> = file
            .dropped
            .iter()
            .filter(|d| d.span.start >= model.span.start && d.span.start < model.span.end)
            .collect();
        program.models.push(lower_model(model, &dropped, diags));
    }
    program
}

/// Text of one model that error recovery removed: names it mentions are
/// neither undefined nor unused, and blocks it held are not missing.
struct Recovered<'a> {
    dropped: &'a [&'a ast::Dropped],
    /// The span of the model's `forward` block, if one parsed.
    forward: Option<Span>,
}

impl Recovered<'_> {
    fn mentions(&self, word: &str) -> bool {
        self.dropped.iter().any(|d| d.mentions(word))
    }

    fn in_forward(&self, d: &ast::Dropped) -> bool {
        self.forward
            .is_some_and(|f| d.span.start >= f.start && d.span.start < f.end)
    }

    /// A dropped block may have been the `forward` (misspelt, say).
    fn may_have_held_forward(&self) -> bool {
        self.dropped
            .iter()
            .any(|d| d.block || d.mentions("forward"))
    }
}

fn lower_model(
    model: &ast::Model,
    dropped: &[&ast::Dropped],
    diags: &mut Vec<Diagnostic>,
) -> Model {
    let items = sort_items(model, diags);
    let recovered = Recovered {
        dropped,
        forward: items.forward.map(|f| f.span),
    };
    let input_shape = lower_input(model, &items, &recovered, diags);
    let mut ir = Model {
        name: model.name.name.clone(),
        name_span: model.name.span,
        input: Input {
            name: items
                .input
                .map_or_else(String::new, |i| i.name.name.clone()),
            shape: input_shape.unwrap_or(Shape::Flat(0)),
            span: items.input.map_or(model.name.span, |i| i.span),
        },
        layers: Arena::new(),
        nodes: Arena::new(),
        output: None,
        train: None,
        train_span: None,
    };
    let mut entries = declare_layers(&mut ir, &items, &recovered, diags);
    let output_span = match items.forward {
        Some(block) => {
            let input = items
                .input
                .map(|decl| (&decl.name, input_shape, decl.width.span));
            lower_forward(&mut ir, &mut entries, block, input, &recovered, diags)
        }
        None if recovered.may_have_held_forward() => None,
        None => {
            diags.push(
                Diagnostic::new(
                    &rules::MISSING_FORWARD,
                    model.name.span,
                    format!("model `{}` has no `forward` block", model.name.name),
                )
                .with_span_label("no `forward`")
                .with_help("add `forward { ... return ... }` saying how the layers are applied"),
            );
            None
        }
    };
    if let Some(block) = items.train {
        let lowered = train::lower_train(block, diags);
        if let (Some(loss_span), Some(output), Some(returned)) =
            (lowered.loss_span, ir.output, output_span)
        {
            let width = ir.nodes[output].width();
            diags.extend(loss_fits_output(
                &lowered.config.loss,
                width,
                loss_span,
                returned,
            ));
        }
        ir.train = Some(lowered.config);
        ir.train_span = Some(block.span);
    }
    ir
}

/// The input's shape; NN037 when it is invalid or not declared.
fn lower_input(
    model: &ast::Model,
    items: &items::Items<'_>,
    recovered: &Recovered<'_>,
    diags: &mut Vec<Diagnostic>,
) -> Option<Shape> {
    if let Some(input) = items.input {
        return input_shape(&input.width, diags);
    }
    if !recovered.mentions("input") {
        diags.push(
            Diagnostic::new(
                &rules::INVALID_VALUE,
                model.name.span,
                format!("model `{}` declares no input", model.name.name),
            )
            .with_span_label("no `input` line")
            .with_help("declare the input and its width first, e.g. `input x: 9`"),
        );
    }
    None
}

/// `input x: 9` (a width) or `input x: (1, 28, 28)` (channels, height,
/// width, at most `MAX_WIDTH` floats in all).
fn input_shape(expr: &ast::Expr, diags: &mut Vec<Diagnostic>) -> Option<Shape> {
    let ast::ExprKind::Tuple(sizes) = &expr.ungrouped().kind else {
        return args::width(expr, "input width", diags).map(Shape::Flat);
    };
    let [channels, height, width] = sizes.as_slice() else {
        diags.push(
            args::invalid(
                expr,
                format!(
                    "the input's shape is a width or (channels, height, width), found {} sizes",
                    sizes.len()
                ),
            )
            .with_span_label("expected 3 sizes")
            .with_help(
                "declare an image as `input x: (1, 28, 28)`, a flat input as `input x: 784`",
            ),
        );
        return None;
    };
    let channels = args::width(channels, "channels", diags);
    let height = args::width(height, "height", diags);
    let width = args::width(width, "width", diags);
    let (channels, height, width) = (channels?, height?, width?);
    match shape::sized(channels, height, width) {
        Ok(image) => Some(Shape::Image(image)),
        Err(_) => {
            diags.push(
                args::invalid(
                    expr,
                    format!("the input ({channels}, {height}, {width}) has more than 2^24 values per sample"),
                )
                .with_span_label("too large"),
            );
            None
        }
    }
}

/// Lowers each layer declaration into `ir.layers`; layers whose
/// declaration error recovery dropped are known by name only.
fn declare_layers(
    ir: &mut Model,
    items: &items::Items<'_>,
    recovered: &Recovered<'_>,
    diags: &mut Vec<Diagnostic>,
) -> Vec<LayerEntry> {
    let mut entries: Vec<LayerEntry> = items
        .layers
        .iter()
        .map(|decl| LayerEntry {
            name: decl.name.name.clone(),
            span: decl.name.span,
            kind_span: args::callee_span(&decl.value),
            lowered: layer::lower_layer(&decl.value, diags).map(|lowered| {
                let handle = ir.layers.append(
                    Layer {
                        name: decl.name.name.clone(),
                        kind: lowered.kind,
                    },
                    decl.name.span,
                );
                (handle, lowered.widths)
            }),
            called: false,
        })
        .collect();
    for d in recovered
        .dropped
        .iter()
        .filter(|d| !recovered.in_forward(d))
    {
        if let Some(name) = &d.assigned {
            if !entries.iter().any(|e| e.name == name.name) {
                entries.push(LayerEntry {
                    name: name.name.clone(),
                    span: name.span,
                    kind_span: name.span,
                    lowered: None,
                    called: false,
                });
            }
        }
    }
    for entry in &mut entries {
        entry.called |= recovered.mentions(&entry.name);
    }
    entries
}

/// Lowers `forward` and runs the checks that need its graph (NN035, NN002,
/// uninferred widths). Returns the span of the returned expression.
fn lower_forward(
    ir: &mut Model,
    entries: &mut [LayerEntry],
    block: &ast::ForwardBlock,
    input: Option<(&ast::Ident, Option<Shape>, Span)>,
    recovered: &Recovered<'_>,
    diags: &mut Vec<Diagnostic>,
) -> Option<Span> {
    let in_block: Vec<&ast::Dropped> = recovered
        .dropped
        .iter()
        .copied()
        .filter(|d| recovered.in_forward(d))
        .collect();
    let poisoned: Vec<&ast::Ident> = in_block
        .iter()
        .filter_map(|d| d.assigned.as_ref())
        .collect();
    let names = recovered
        .dropped
        .iter()
        .flat_map(|d| d.names.iter().map(String::as_str));
    let outcome = ForwardLowering::new(ir, entries, input, diags)
        .with_dropped_names(names)
        .lower(block, &poisoned);
    let output_span = block.statements.iter().find_map(|s| match &s.kind {
        ast::StatementKind::Return(value) => Some(value.span),
        ast::StatementKind::Assign { .. } => None,
    });
    if output_span.is_none() && !in_block.iter().any(|d| d.mentions("return")) {
        let help = match &outcome.last_assigned {
            Some(var) => format!("end `forward` with `return {var}`"),
            None => "end `forward` with `return` and the value it computes".to_string(),
        };
        diags.push(
            Diagnostic::new(
                &rules::MISSING_RETURN,
                block.keyword,
                "`forward` never returns a value",
            )
            .with_span_label("no `return` in this block")
            .with_help(help),
        );
    }
    uninferred_inputs(entries, diags);
    let clean = outcome.clean && in_block.is_empty();
    diags.extend(unused::unused_layers(ir, entries, clean));
    output_span
}
