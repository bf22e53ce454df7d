//! `forward { ... }` → the IR's node graph, inferring every value's shape
//! and checking that each layer can take the value it is called on
//! (NN004, NN041, NN042; the rules are `shape.rs`), that names resolve
//! (NN001, NN036) and that values are used as values (NN037).

use std::collections::{HashMap, HashSet};

use netc_ops::Activation;

use netc_ops::image::ImageShape;

use super::shape::{Derivation, Output};
use super::shape_errors::{describe, Origin, Refused};
use super::{activation, args};
use crate::ast::{Call, Expr, ExprKind, ForwardBlock, Ident, StatementKind};
use crate::diagnostic::Diagnostic;
use crate::ir::{Handle, Layer, Model, Node, NodeKind};
use crate::layers::{FixedBy, Size, Widths};
use crate::layers::{LayerKind, LayerType};
use crate::rules;
use crate::shape::Shape;
use crate::span::Span;
use crate::suggest::did_you_mean;

/// A declared layer as `forward` sees it.
pub(crate) struct LayerEntry {
    pub name: String,
    /// The name in the declaration.
    pub span: Span,
    /// The layer kind's name in the declaration (`linear` of
    /// `fc = linear(9, 16)`).
    pub kind_span: Span,
    /// `None` when the declaration itself had errors.
    pub lowered: Option<(Handle<Layer>, Widths)>,
    /// Called somewhere in `forward`.
    pub called: bool,
}

/// `flatten(x)` in `forward`: `nn.Flatten()` without a declaration.
const FLATTEN: &str = LayerType::Flatten.name();

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
    /// The layer `flatten(x)` calls, added to the model at its first use:
    /// stateless, so one serves every call.
    flatten: Option<Handle<Layer>>,
    diags: &'a mut Vec<Diagnostic>,
}

/// A layer applied to a lowered argument.
struct Application<'c> {
    layer: Handle<Layer>,
    name: &'c str,
    widths: Widths,
    kind_span: Option<Span>,
    arg: Handle<Node>,
    arg_expr: &'c Expr,
    callee: Span,
    span: Span,
}

impl<'a> ForwardLowering<'a> {
    /// `input` is the declared input (name, shape and the span of the
    /// shape; `None` shape when its declaration had an error).
    pub(crate) fn new(
        model: &'a mut Model,
        layers: &'a mut [LayerEntry],
        input: Option<(&Ident, Option<Shape>, Span)>,
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
            flatten: None,
            diags,
        };
        if let Some((name, shape, shape_span)) = input {
            let node = shape.map(|shape| {
                let message = match shape {
                    Shape::Flat(width) => format!("`{}` has {width} features", name.name),
                    Shape::Image(_) => format!("`{}` has shape {shape}", name.name),
                };
                lowering.push_node(
                    NodeKind::Input,
                    shape,
                    name.span,
                    Origin::new(shape_span, message),
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
        shape: Shape,
        span: Span,
        origin: Origin,
    ) -> Handle<Node> {
        self.origins.push(origin);
        self.model.nodes.append(Node { kind, shape }, span)
    }

    fn shape(&self, node: Handle<Node>) -> Shape {
        self.model.nodes[node].shape
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
        } else if let Some(what) = function_kind(name) {
            Diagnostic::new(
                &rules::INVALID_VALUE,
                span,
                format!("`{name}` is {what}, not a value"),
            )
            .with_span_label(format!("{what} must be called"))
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
        if callee == FLATTEN {
            return self.flatten(call, span);
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
        let arg_expr = self.value_argument(bound.get(0), "layer ", &name, span)?;
        let arg = self.expr(arg_expr)?;
        let (layer, widths) = self.layers[index].lowered?;
        let widths = self.infer_input(index, layer, widths, arg, call.callee.span);
        self.apply(Application {
            layer,
            name: &name,
            widths,
            kind_span: Some(self.layers[index].kind_span),
            arg,
            arg_expr,
            callee: call.callee.span,
            span,
        })
    }

    /// `flatten(x)`: the implicit `flatten` layer applied to `x`.
    fn flatten(&mut self, call: &Call, span: Span) -> Option<Handle<Node>> {
        let bound = args::bind(call, FLATTEN, &["input"], 1, self.diags);
        let arg_expr = self.value_argument(bound.get(0), "", FLATTEN, span)?;
        let arg = self.expr(arg_expr)?;
        let layers = &mut self.model.layers;
        let layer = *self.flatten.get_or_insert_with(|| {
            let flatten = Layer {
                name: FLATTEN.to_string(),
                kind: LayerKind::Flatten,
            };
            layers.append(flatten, call.callee.span)
        });
        self.apply(Application {
            layer,
            name: FLATTEN,
            widths: Widths::ANY,
            kind_span: None,
            arg,
            arg_expr,
            callee: call.callee.span,
            span,
        })
    }

    /// The value `name` (a layer, an activation or `flatten`, `what` says
    /// which: "layer ", "activation ", "") is called on, or NN037 when it
    /// is called on nothing.
    fn value_argument<'e>(
        &mut self,
        value: Option<&'e Expr>,
        what: &str,
        name: &str,
        span: Span,
    ) -> Option<&'e Expr> {
        if value.is_none() {
            self.diags.push(
                Diagnostic::new(
                    &rules::INVALID_VALUE,
                    span,
                    format!("{what}`{name}` is called without a value"),
                )
                .with_span_label("nothing to apply it to")
                .with_help(format!("call it on a value: `{name}(x)`")),
            );
        }
        value
    }

    /// `linear(out)`: its first call on a flat value fixes its input
    /// width. Returns the layer's widths as they now stand.
    fn infer_input(
        &mut self,
        index: usize,
        layer: Handle<Layer>,
        widths: Widths,
        arg: Handle<Node>,
        callee: Span,
    ) -> Widths {
        let received = self.shape(arg);
        let kind = &mut self.model.layers.get_mut(layer).kind;
        let (LayerKind::Linear(spec), None, Shape::Flat(width)) = (kind, widths.input, received)
        else {
            return widths;
        };
        spec.in_features = width;
        let fixed = Widths {
            input: Some(Size {
                value: width,
                span: callee,
                by: FixedBy::FirstCall,
            }),
            ..widths
        };
        self.layers[index].lowered = Some((layer, fixed));
        fixed
    }

    /// The node of a layer applied to its argument, or the diagnostic of
    /// the layer refusing the argument's shape.
    fn apply(&mut self, call: Application<'_>) -> Option<Handle<Node>> {
        let received = self.shape(call.arg);
        let kind = &self.model.layers[call.layer].kind;
        let Output { shape, derivation } = match kind.apply(received) {
            Ok(output) => output,
            Err(refusal) => {
                let origin = self.origin(call.arg);
                let diag = Refused {
                    name: call.name,
                    kind,
                    widths: call.widths,
                    kind_span: call.kind_span,
                    callee: call.callee,
                    arg: call.arg_expr.span,
                    received,
                    origin: &origin,
                    flattened: self.flattened(call.arg),
                    can_flatten: self.flatten_is_the_function(),
                }
                .diagnostic(refusal);
                self.diags.push(diag);
                return None;
            }
        };
        let name = call.name;
        let gives = |arithmetic: Option<String>| {
            let message = match (shape, arithmetic) {
                // `16·4·4 = 256` ends with the width itself.
                (Shape::Flat(_), Some(arithmetic)) => format!("`{name}` gives {arithmetic}"),
                (_, Some(arithmetic)) => format!("`{name}` gives {shape}: {arithmetic}"),
                (_, None) => format!("`{name}` gives {shape}"),
            };
            Origin::new(call.callee, message)
        };
        let origin = match derivation {
            Derivation::Kept => self.origin(call.arg),
            Derivation::Declared => match call.widths.output {
                Some((out, out_span)) => Origin::new(out_span, format!("`{name}` produces {out}")),
                None => gives(None),
            },
            Derivation::Computed(arithmetic) => gives(arithmetic).after(&self.origin(call.arg)),
        };
        Some(self.push_node(
            NodeKind::Call {
                layer: call.layer,
                arg: call.arg,
            },
            shape,
            call.span,
            origin,
        ))
    }

    /// The image `node` flattens, when it is a flatten of one.
    fn flattened(&self, node: Handle<Node>) -> Option<ImageShape> {
        match self.model.nodes[node].kind {
            NodeKind::Call { layer, arg }
                if self.model.layers[layer].kind == LayerKind::Flatten =>
            {
                self.shape(arg).image()
            }
            _ => None,
        }
    }

    /// Whether `flatten(...)` here flattens: no declared layer of that
    /// name shadows the function (or the one declared is a flatten).
    fn flatten_is_the_function(&self) -> bool {
        self.by_name.get(FLATTEN).is_none_or(|&i| {
            self.layers[i]
                .lowered
                .is_some_and(|(layer, _)| self.model.layers[layer].kind == LayerKind::Flatten)
        })
    }

    fn activation(&mut self, call: &Call, span: Span) -> Option<Handle<Node>> {
        let name = call.callee.name.as_str();
        let default = Activation::from_name(name)?;
        let params = activation::params(&default);
        let bound = args::bind(call, name, &params, params.len(), self.diags);
        let input = self.value_argument(bound.get(0), "activation ", name, span)?;
        let arg = self.expr(input);
        let activation = activation::read(default, &bound, self.diags)?;
        let arg = arg?;
        let shape = self.shape(arg);
        let origin = self.origin(arg);
        Some(self.push_node(
            NodeKind::Activation { activation, arg },
            shape,
            span,
            origin,
        ))
    }

    fn add(&mut self, terms: &[Expr], span: Span) -> Option<Handle<Node>> {
        let nodes: Vec<Option<Handle<Node>>> = terms.iter().map(|t| self.expr(t)).collect();
        let nodes: Vec<Handle<Node>> = nodes.into_iter().collect::<Option<_>>()?;
        let (&first, rest) = nodes.split_first()?;
        let shape = self.shape(first);
        if let Some(pos) = rest.iter().position(|&n| self.shape(n) != shape) {
            let other = rest[pos];
            let other_shape = self.shape(other);
            let (message, needs) = match (shape, other_shape) {
                (Shape::Flat(a), Shape::Flat(b)) => {
                    (format!("cannot add values of widths {a} and {b}"), "widths")
                }
                (Shape::Image(_), Shape::Image(_)) => (
                    format!("cannot add values of shapes {shape} and {other_shape}"),
                    "shapes",
                ),
                _ => (
                    format!(
                        "cannot add values of {} and {}",
                        describe(shape),
                        describe(other_shape)
                    ),
                    "shapes",
                ),
            };
            let mut diag = Diagnostic::new(&rules::SHAPE_MISMATCH, span, message)
                .with_span_label(format!("residual `+` needs equal {needs}"))
                .with_label(terms[0].span, describe(shape))
                .with_label(terms[pos + 1].span, describe(other_shape));
            let shown: Vec<Span> = terms.iter().map(|t| t.span).collect();
            for node in [first, other] {
                diag = self.origin(node).label(diag, &shown);
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
                shape,
                partial,
                origin.clone(),
            );
        }
        Some(sum)
    }
}

/// What kind of function `name` names in `forward`, if any: activations
/// and `flatten` are called there without a declaration.
fn function_kind(name: &str) -> Option<&'static str> {
    if Activation::NAMES.contains(&name) {
        Some("an activation")
    } else if name == FLATTEN {
        Some("a function")
    } else {
        None
    }
}
