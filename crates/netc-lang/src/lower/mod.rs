//! AST → IR, with every front-end check: names (NN001, NN003, NN036),
//! widths (NN004, NN005), structure (NN034, NN035), values (NN037), train
//! keys (NN038) and unused layers (NN002).

mod args;
mod forward;
mod init;
mod layer;
mod train;
mod unused;

use std::collections::HashMap;

use crate::ast::{self, Item};
use crate::diagnostic::Diagnostic;
use crate::ir::{Arena, Input, Layer, Model, Program, Span};
use crate::rules;
use forward::{ForwardLowering, LayerEntry};

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

fn duplicate(what: &str, name: &ast::Ident, first: Span) -> Diagnostic {
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
struct Items<'m> {
    input: Option<&'m ast::InputDecl>,
    layers: Vec<&'m ast::LayerDecl>,
    forward: Option<&'m ast::ForwardBlock>,
    train: Option<&'m ast::TrainBlock>,
}

fn sort_items<'m>(model: &'m ast::Model, diags: &mut Vec<Diagnostic>) -> Items<'m> {
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

/// `dropped`: text of this model that error recovery removed; names it
/// mentions are neither undefined nor unused, and blocks it held are not
/// missing.
fn lower_model(
    model: &ast::Model,
    dropped: &[&ast::Dropped],
    diags: &mut Vec<Diagnostic>,
) -> Model {
    let items = sort_items(model, diags);
    let mentioned = |word: &str| dropped.iter().any(|d| d.mentions(word));
    let in_forward = |d: &&&ast::Dropped| {
        items
            .forward
            .is_some_and(|f| d.span.start >= f.span.start && d.span.start < f.span.end)
    };
    let input_width = items
        .input
        .and_then(|input| args::width(&input.width, "input width", diags));
    if items.input.is_none() && !mentioned("input") {
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
    let mut ir = Model {
        name: model.name.name.clone(),
        name_span: model.name.span,
        input: Input {
            name: items
                .input
                .map_or_else(String::new, |i| i.name.name.clone()),
            width: input_width.unwrap_or(0),
            span: items.input.map_or(model.name.span, |i| i.span),
        },
        layers: Arena::new(),
        nodes: Arena::new(),
        output: None,
        train: None,
        train_span: None,
    };

    let mut entries: Vec<LayerEntry> = items
        .layers
        .iter()
        .map(|decl| LayerEntry {
            name: decl.name.name.clone(),
            span: decl.name.span,
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
    for d in dropped.iter().filter(|d| !in_forward(d)) {
        if let Some(name) = &d.assigned {
            if !entries.iter().any(|e| e.name == name.name) {
                entries.push(LayerEntry {
                    name: name.name.clone(),
                    span: name.span,
                    lowered: None,
                    called: false,
                });
            }
        }
    }
    for entry in &mut entries {
        entry.called |= mentioned(&entry.name);
    }

    let mut output_span = None;
    match items.forward {
        // A dropped block may have been the `forward` (misspelt, say).
        None if dropped.iter().any(|d| d.block || d.mentions("forward")) => {}
        None => diags.push(
            Diagnostic::new(
                &rules::MISSING_FORWARD,
                model.name.span,
                format!("model `{}` has no `forward` block", model.name.name),
            )
            .with_span_label("no `forward`")
            .with_help("add `forward { ... return ... }` saying how the layers are applied"),
        ),
        Some(block) => {
            let input = items
                .input
                .map(|decl| (&decl.name, input_width, decl.width.span));
            let poisoned: Vec<&ast::Ident> = dropped
                .iter()
                .filter(in_forward)
                .filter_map(|d| d.assigned.as_ref())
                .collect();
            let outcome = ForwardLowering::new(&mut ir, &mut entries, input, diags)
                .with_dropped_names(
                    dropped
                        .iter()
                        .flat_map(|d| d.names.iter().map(String::as_str)),
                )
                .lower(block, &poisoned);
            let forward_dropped = dropped.iter().any(|d| in_forward(&d));
            output_span = block.statements.iter().find_map(|s| match &s.kind {
                ast::StatementKind::Return(value) => Some(value.span),
                ast::StatementKind::Assign { .. } => None,
            });
            let return_dropped = dropped
                .iter()
                .any(|d| in_forward(&d) && d.mentions("return"));
            if output_span.is_none() && !return_dropped {
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
            uninferred_inputs(&entries, diags);
            let clean = outcome.clean && !forward_dropped;
            diags.extend(unused::unused_layers(&ir, &entries, clean));
        }
    }

    if let Some(block) = items.train {
        let lowered = train::lower_train(block, diags);
        if let (Some(loss_span), Some(output), Some(returned)) =
            (lowered.loss_span, ir.output, output_span)
        {
            let width = ir.nodes[output].width;
            if let Some(diag) = loss_fits_output(&lowered.config.loss, width, loss_span, returned) {
                diags.push(diag);
            }
        }
        ir.train = Some(lowered.config);
        ir.train_span = Some(block.span);
    }
    ir
}

/// NN037 for `linear(out)` layers never called: nothing fixes their input
/// width.
fn uninferred_inputs(entries: &[LayerEntry], diags: &mut Vec<Diagnostic>) {
    for entry in entries {
        if let Some((_, widths)) = entry.lowered {
            if widths.input.is_none() && widths.output.is_some() && !entry.called {
                diags.push(
                    Diagnostic::new(
                        &rules::INVALID_VALUE,
                        entry.span,
                        format!("cannot infer the input width of `{}`", entry.name),
                    )
                    .with_span_label("declared without `in_features` and never called")
                    .with_help(
                        "give the input width, `linear(in, out)`, or call the layer in `forward`",
                    ),
                );
            }
        }
    }
}

/// NN005: cross_entropy needs two or more logits, bce one output.
fn loss_fits_output(
    loss: &netc_ops::Loss,
    width: usize,
    loss_span: Span,
    returned: Span,
) -> Option<Diagnostic> {
    use netc_ops::Loss;
    let (message, help) = match loss {
        Loss::CrossEntropy if width < 2 => (
            format!("`cross_entropy` needs at least 2 outputs (one logit per class), but `forward` returns {width}"),
            "for two classes use one output with `bce_with_logits`, or return one logit per class",
        ),
        Loss::Bce | Loss::BceWithLogits if width > 1 => (
            format!("`{}` needs 1 output per sample, but `forward` returns {width}", loss.name()),
            "for several classes use `cross_entropy` on one logit per class",
        ),
        _ => return None,
    };
    Some(
        Diagnostic::new(&rules::LOSS_OUTPUT_MISMATCH, loss_span, message)
            .with_span_label(format!("`{}`", loss.name()))
            .with_label(returned, format!("this has width {width}"))
            .with_help(help),
    )
}
