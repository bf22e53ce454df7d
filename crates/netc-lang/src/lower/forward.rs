//! `forward { ... }` → the IR's node graph, inferring every width and
//! checking that widths agree (NN004), that names resolve (NN001, NN036)
//! and that values are used as values (NN037).

use std::collections::{HashMap, HashSet};

use netc_ops::Activation;

use super::layer::Widths;
use super::{activation, args};
use crate::ast::{Call, Expr, ExprKind, ForwardBlock, Ident, StatementKind};
use crate::diagnostic::Diagnostic;
use crate::ir::{Handle, LayerKind, Model, Node, NodeKind, Shape, Span};
use crate::rules;
use crate::suggest::did_you_mean;

/// A declared layer as `forward` sees it.
pub(crate) struct LayerEntry {
    pub name: String,
    /// The name in the declaration.
    pub span: Span,
    /// `None` when the declaration itself had errors.
    pub lowered: Option<(Handle<crate::ir::Layer>, Widths)>,
    /// Called somewhere in `forward`.
    pub called: bool,
}

/// Where a value's width came from, for NN004's labels.
#[derive(Clone)]
struct Origin {
    span: Span,
    message: String,
}

/// A variable: its value (`None` when the expression assigned to it had an
/// error, so later uses stay quiet) and where it was assigned.
struct Var {
    node: Option<Handle<Node>>,
    span: Span,
}

/// What lowering `forward` found.
pub(crate) struct ForwardOutcome {
    /// Lowering reported no diagnostic.
    pub clean: bool,
    /// The variable assigned last, for NN035's help.
    pub last_assigned: Option<String>,
}

pub(crate) struct ForwardLowering<'a> {
    model: &'a mut Model,
    layers: &'a mut [LayerEntry],
    by_name: HashMap<String, usize>,
    origins: Vec<Origin>,
    vars: HashMap<String, Var>,
    /// Names in text that error recovery dropped: unknown, but not
    /// undefined (their definition may be what was dropped).
    dropped_names: HashSet<&'a str>,
    diags: &'a mut Vec<Diagnostic>,
}

impl<'a> ForwardLowering<'a> {
    /// `input` is the declared input (name and width, `None` width when its
    /// declaration had an error).
    pub(crate) fn new(
        model: &'a mut Model,
        layers: &'a mut [LayerEntry],
        input: Option<(&Ident, Option<usize>, Span)>,
        diags: &'a mut Vec<Diagnostic>,
    ) -> Self {
        let by_name = layers
            .iter()
            .enumerate()
            .map(|(i, entry)| (entry.name.clone(), i))
            .collect();
        let mut lowering = ForwardLowering {
            model,
            layers,
            by_name,
            origins: Vec::new(),
            vars: HashMap::new(),
            dropped_names: HashSet::new(),
            diags,
        };
        if let Some((name, width, width_span)) = input {
            let node = width.map(|width| {
                lowering.push_node(
                    NodeKind::Input,
                    width,
                    name.span,
                    Origin {
                        span: width_span,
                        message: format!("`{}` has {width} features", name.name),
                    },
                )
            });
            lowering.vars.insert(
                name.name.clone(),
                Var {
                    node,
                    span: name.span,
                },
            );
        }
        lowering
    }

    /// Names from text that error recovery dropped.
    pub(crate) fn with_dropped_names(mut self, names: impl IntoIterator<Item = &'a str>) -> Self {
        self.dropped_names.extend(names);
        self
    }

    /// Lowers the block's statements; sets `model.output` at `return`.
    /// `poisoned`: targets of assignments that error recovery dropped; from
    /// where they were, their variables hold no value (and stay quiet).
    pub(crate) fn lower(mut self, block: &ForwardBlock, poisoned: &[&Ident]) -> ForwardOutcome {
        let before = self.diags.len();
        let mut last_assigned = None;
        let mut returned: Option<Span> = None;
        let mut poisoned = poisoned.iter().peekable();
        for statement in &block.statements {
            while let Some(target) = poisoned.next_if(|t| t.span.start < statement.span.start) {
                self.vars.insert(
                    target.name.clone(),
                    Var {
                        node: None,
                        span: target.span,
                    },
                );
            }
            if let Some(return_span) = returned {
                self.diags.push(
                    Diagnostic::new(
                        &rules::SYNTAX_ERROR,
                        statement.span,
                        "statement after `return`",
                    )
                    .with_span_label("never runs")
                    .with_label(return_span, "`forward` returns here")
                    .with_help("`return` must be the last statement of `forward`"),
                );
                continue;
            }
            match &statement.kind {
                StatementKind::Assign { target, value } => {
                    if let Some(&i) = self.by_name.get(&target.name) {
                        self.diags.push(
                            Diagnostic::new(
                                &rules::DUPLICATE_NAME,
                                target.span,
                                format!("`{}` is a layer and cannot be assigned", target.name),
                            )
                            .with_span_label("assigned here")
                            .with_label(self.layers[i].span, "declared here as a layer")
                            .with_help("give the value another name"),
                        );
                    }
                    let node = self.expr(value);
                    self.vars.insert(
                        target.name.clone(),
                        Var {
                            node,
                            span: target.span,
                        },
                    );
                    last_assigned = Some(target.name.clone());
                }
                StatementKind::Return(value) => {
                    self.model.output = self.expr(value);
                    returned = Some(statement.span);
                }
            }
        }
        ForwardOutcome {
            clean: self.diags.len() == before,
            last_assigned,
        }
    }

    fn push_node(
        &mut self,
        kind: NodeKind,
        width: usize,
        span: Span,
        origin: Origin,
    ) -> Handle<Node> {
        self.origins.push(origin);
        self.model.nodes.append(
            Node {
                kind,
                shape: Shape::Flat(width),
            },
            span,
        )
    }

    fn width(&self, node: Handle<Node>) -> usize {
        self.model.nodes[node].width()
    }

    fn origin(&self, node: Handle<Node>) -> Origin {
        self.origins[node.index()].clone()
    }

    fn expr(&mut self, expr: &Expr) -> Option<Handle<Node>> {
        let expr = expr.ungrouped();
        match &expr.kind {
            ExprKind::Name(name) => self.name(name, expr.span),
            ExprKind::Call(call) => self.call(call, expr.span),
            ExprKind::Add(terms) => self.add(terms, expr.span),
            _ => {
                self.diags.push(
                    args::invalid(expr, format!("expected a value, found {}", expr.describe()))
                        .with_span_label("not a value")
                        .with_help("`forward` computes with the input, variables, layer calls and activations"),
                );
                None
            }
        }
    }

    fn name(&mut self, name: &str, span: Span) -> Option<Handle<Node>> {
        if let Some(var) = self.vars.get(name) {
            return var.node;
        }
        if self.dropped_names.contains(name) {
            return None;
        }
        let diag = if let Some(&i) = self.by_name.get(name) {
            self.layers[i].called = true;
            Diagnostic::new(
                &rules::INVALID_VALUE,
                span,
                format!("`{name}` is a layer, not a value"),
            )
            .with_span_label("a layer must be called")
            .with_help(format!("call it on a value: `{name}(x)`"))
        } else if Activation::NAMES.contains(&name) {
            Diagnostic::new(
                &rules::INVALID_VALUE,
                span,
                format!("`{name}` is an activation, not a value"),
            )
            .with_span_label("an activation must be called")
            .with_help(format!("call it on a value: `{name}(x)`"))
        } else {
            let diag = Diagnostic::new(
                &rules::UNDEFINED_LAYER,
                span,
                format!("undefined variable `{name}`"),
            );
            match did_you_mean(name, self.vars.keys().map(String::as_str)) {
                Some(similar) => {
                    let declared = self.vars.get(similar).map(|v| v.span);
                    let diag = diag
                        .with_span_label("not defined")
                        .with_help(format!(
                            "a variable with a similar name exists: `{similar}`"
                        ))
                        .with_guessed_fix(span, similar);
                    match declared {
                        Some(at) => diag.with_label(at, format!("`{similar}` is defined here")),
                        None => diag,
                    }
                }
                None => diag.with_span_label("not defined"),
            }
        };
        self.diags.push(diag);
        None
    }

    fn call(&mut self, call: &Call, span: Span) -> Option<Handle<Node>> {
        let callee = call.callee.name.as_str();
        if let Some(&i) = self.by_name.get(callee) {
            return self.layer_call(i, call, span);
        }
        if Activation::NAMES.contains(&callee) {
            return self.activation(call, span);
        }
        // Resolve the arguments anyway: their own errors are worth
        // reporting, and the layers they call are used.
        for arg in &call.args {
            self.expr(&arg.value);
        }
        if self.dropped_names.contains(callee) {
            return None;
        }
        if let Some(var) = self.vars.get(callee) {
            self.diags.push(
                Diagnostic::new(
                    &rules::INVALID_VALUE,
                    call.callee.span,
                    format!("`{callee}` is a value, not a layer or activation"),
                )
                .with_span_label("cannot be called")
                .with_label(var.span, format!("`{callee}` is assigned here")),
            );
            return None;
        }
        if LayerKind::NAMES.contains(&callee) {
            self.diags.push(
                Diagnostic::new(
                    &rules::UNKNOWN_NAME,
                    call.callee.span,
                    format!("`{callee}` is a layer kind, not a layer"),
                )
                .with_span_label("layers are declared before `forward`")
                .with_help(format!(
                    "declare it in the model, `name = {callee}(...)`, and call `name(x)` here"
                )),
            );
            return None;
        }
        self.diags.push(self.unknown_callee(&call.callee));
        None
    }

    /// NN001 for an unknown layer, or NN036 when the name is a typo of an
    /// activation rather than of a layer.
    fn unknown_callee(&self, callee: &Ident) -> Diagnostic {
        let name = callee.name.as_str();
        let layer_names = self.layers.iter().map(|l| l.name.as_str());
        if let Some(similar) = did_you_mean(name, layer_names) {
            let declared = self.by_name.get(similar).map(|&i| self.layers[i].span);
            let diag = Diagnostic::new(
                &rules::UNDEFINED_LAYER,
                callee.span,
                format!("undefined layer `{name}`"),
            )
            .with_span_label("not declared in this model")
            .with_help(format!("a layer with a similar name exists: `{similar}`"))
            .with_guessed_fix(callee.span, similar);
            return match declared {
                Some(at) => diag.with_label(at, format!("`{similar}` is declared here")),
                None => diag,
            };
        }
        if did_you_mean(name, Activation::NAMES.iter().copied()).is_some() {
            return args::unknown_name("activation", name, callee.span, Activation::NAMES, "");
        }
        Diagnostic::new(
            &rules::UNDEFINED_LAYER,
            callee.span,
            format!("undefined layer `{name}`"),
        )
        .with_span_label("not declared in this model")
        .with_help(format!(
            "declare it before `forward`, e.g. `{name} = linear(...)`, or call an activation: {}",
            Activation::NAMES.join(", ")
        ))
    }

    fn layer_call(&mut self, index: usize, call: &Call, span: Span) -> Option<Handle<Node>> {
        self.layers[index].called = true;
        let name = self.layers[index].name.clone();
        let bound = args::bind(call, &name, &["input"], 1, self.diags);
        let Some(arg_expr) = bound.get(0) else {
            self.diags.push(
                Diagnostic::new(
                    &rules::INVALID_VALUE,
                    span,
                    format!("layer `{name}` is called without a value"),
                )
                .with_span_label("nothing to apply it to")
                .with_help(format!("call it on a value: `{name}(x)`")),
            );
            return None;
        };
        let arg = self.expr(arg_expr)?;
        let (layer, widths) = self.layers[index].lowered?;
        let received = self.width(arg);
        let is_linear = matches!(self.model.layers[layer].kind, LayerKind::Linear(_));
        match (is_linear, widths.input) {
            (true, None) => {
                // `linear(out)`: the first call fixes the input width.
                if let LayerKind::Linear(spec) = &mut self.model.layers.get_mut(layer).kind {
                    spec.in_features = received;
                }
                let fixed = Widths {
                    input: Some((received, call.callee.span)),
                    ..widths
                };
                self.layers[index].lowered = Some((layer, fixed));
            }
            (_, Some(expected)) if expected.0 != received => {
                let diag = self.width_mismatch(index, layer, expected, arg, arg_expr, call);
                self.diags.push(diag);
                return None;
            }
            _ => {}
        }
        let (width, origin) = match widths.output {
            Some((out, out_span)) => (
                out,
                Origin {
                    span: out_span,
                    message: format!("`{name}` produces {out}"),
                },
            ),
            None => (received, self.origin(arg)),
        };
        Some(self.push_node(NodeKind::Call { layer, arg }, width, span, origin))
    }

    /// NN004 for layer `index` called on `arg` (written `arg_expr`), whose
    /// width differs from the layer's input width `expected` (fixed at its
    /// span).
    fn width_mismatch(
        &self,
        index: usize,
        layer: Handle<crate::ir::Layer>,
        (expected, fixed_at): (usize, Span),
        arg: Handle<Node>,
        arg_expr: &Expr,
        call: &Call,
    ) -> Diagnostic {
        let name = self.layers[index].name.as_str();
        let received = self.width(arg);
        let (message, declared) = match &self.model.layers[layer].kind {
            LayerKind::Linear(_) => (
                format!("`{name}` expects {expected} inputs but receives {received}"),
                format!("`{name}` takes {expected} inputs"),
            ),
            _ => (
                format!("`{name}` normalises {expected} features but receives {received}"),
                format!("`{name}` is declared for {expected} features"),
            ),
        };
        let origin = self.origin(arg);
        let mut diag = Diagnostic::new(&rules::SHAPE_MISMATCH, call.callee.span, message)
            .with_span_label(format!("expects width {expected}"))
            .with_label(arg_expr.span, format!("this value has width {received}"));
        if origin.span != arg_expr.span {
            diag = diag.with_label(origin.span, origin.message);
        }
        diag.with_label(fixed_at, declared)
    }

    fn activation(&mut self, call: &Call, span: Span) -> Option<Handle<Node>> {
        let name = call.callee.name.as_str();
        let default = Activation::from_name(name)?;
        let params = activation::params(&default);
        let bound = args::bind(call, name, &params, params.len(), self.diags);
        let Some(input) = bound.get(0) else {
            self.diags.push(
                Diagnostic::new(
                    &rules::INVALID_VALUE,
                    span,
                    format!("activation `{name}` is called without a value"),
                )
                .with_span_label("nothing to apply it to")
                .with_help(format!("call it on a value: `{name}(x)`")),
            );
            return None;
        };
        let arg = self.expr(input);
        let activation = activation::read(default, &bound, self.diags)?;
        let arg = arg?;
        let width = self.width(arg);
        let origin = self.origin(arg);
        Some(self.push_node(
            NodeKind::Activation { activation, arg },
            width,
            span,
            origin,
        ))
    }

    fn add(&mut self, terms: &[Expr], span: Span) -> Option<Handle<Node>> {
        let nodes: Vec<Option<Handle<Node>>> = terms.iter().map(|t| self.expr(t)).collect();
        let nodes: Vec<Handle<Node>> = nodes.into_iter().collect::<Option<_>>()?;
        let (&first, rest) = nodes.split_first()?;
        let width = self.width(first);
        if let Some(pos) = rest.iter().position(|&n| self.width(n) != width) {
            let other = rest[pos];
            let other_width = self.width(other);
            let mut diag = Diagnostic::new(
                &rules::SHAPE_MISMATCH,
                span,
                format!("cannot add values of widths {width} and {other_width}"),
            )
            .with_span_label("residual `+` needs equal widths")
            .with_label(terms[0].span, format!("width {width}"))
            .with_label(terms[pos + 1].span, format!("width {other_width}"));
            for node in [first, other] {
                let origin = self.origin(node);
                if !terms.iter().any(|t| t.span == origin.span) {
                    diag = diag.with_label(origin.span, origin.message);
                }
            }
            self.diags.push(diag);
            return None;
        }
        let origin = self.origin(first);
        let mut sum = first;
        for (&rhs, term) in rest.iter().zip(&terms[1..]) {
            // Each partial sum spans from the first term to this one.
            let partial = Span::new(span.start, term.span.end);
            sum = self.push_node(
                NodeKind::Add { lhs: sum, rhs },
                width,
                partial,
                origin.clone(),
            );
        }
        Some(sum)
    }
}
