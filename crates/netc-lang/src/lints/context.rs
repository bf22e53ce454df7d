//! What every rule reads: the checked model, its syntax tree for exact
//! spans, the gradient-flow analysis, and graph navigation.

use netc_ops::{Activation, Loss};

use super::locate::Locator;
use crate::analysis::{analyze, Analysis, Weights};
use crate::ast;
use crate::ir::{Handle, Layer, Model, Node, NodeKind};
use crate::layers::LayerKind;
use crate::span::Span;

/// A layer with a weight matrix (linear or conv2d): its handle, the layer
/// and its weights.
pub type WeightLayer<'a> = (Handle<Layer>, &'a Layer, Weights);

/// Batchnorm over features or over channels.
pub fn is_batchnorm(kind: &LayerKind) -> bool {
    matches!(kind, LayerKind::BatchNorm(_) | LayerKind::BatchNorm2d(_))
}

pub struct LintContext<'a> {
    pub model: &'a Model,
    pub source: Locator<'a>,
    pub analysis: Analysis,
    users: Vec<Vec<Handle<Node>>>,
}

impl<'a> LintContext<'a> {
    pub fn new(model: &'a Model, syntax: &'a ast::Model) -> Self {
        let mut users = vec![Vec::new(); model.nodes.len()];
        for (handle, node) in model.nodes.iter() {
            for operand in node.kind.operands() {
                users[operand.index()].push(handle);
            }
        }
        LintContext {
            model,
            source: Locator::new(syntax),
            analysis: analyze(model),
            users,
        }
    }

    pub fn users(&self, node: Handle<Node>) -> &[Handle<Node>] {
        &self.users[node.index()]
    }

    /// The only user of `node`, if it has exactly one.
    pub fn sole_user(&self, node: Handle<Node>) -> Option<Handle<Node>> {
        match self.users(node) {
            [user] => Some(*user),
            _ => None,
        }
    }

    pub fn node(&self, node: Handle<Node>) -> &'a Node {
        &self.model.nodes[node]
    }

    pub fn node_span(&self, node: Handle<Node>) -> Span {
        self.model.nodes.span(node)
    }

    /// The layer a node calls, if it is a layer call.
    pub fn called_layer(&self, node: Handle<Node>) -> Option<(Handle<Layer>, &'a Layer)> {
        match self.node(node).kind {
            NodeKind::Call { layer, .. } => Some((layer, &self.model.layers[layer])),
            _ => None,
        }
    }

    /// Whether `node` calls a linear or conv2d layer.
    pub fn is_weight_call(&self, node: Handle<Node>) -> bool {
        self.called_layer(node)
            .is_some_and(|(_, layer)| Weights::of(&layer.kind).is_some())
    }

    pub fn activation(&self, node: Handle<Node>) -> Option<Activation> {
        match self.node(node).kind {
            NodeKind::Activation { activation, .. } => Some(activation),
            _ => None,
        }
    }

    /// The span of a layer's declaration (`fc1 = linear(9, 16)`), from
    /// the name to the end of the value: the declaration's own span runs on
    /// over the whitespace after it.
    pub fn layer_span(&self, layer: Handle<Layer>) -> Span {
        let name = &self.model.layers[layer].name;
        self.source.layer_decl(name).map_or_else(
            || self.model.layers.span(layer),
            |decl| Span::new(decl.name.span.start, decl.value.span.end),
        )
    }

    /// The span of a layer's keyword argument's value, else its declaration.
    pub fn layer_keyword_span(&self, layer: Handle<Layer>, key: &str) -> Span {
        let name = &self.model.layers[layer].name;
        self.source
            .layer_keyword(name, key)
            .map_or_else(|| self.layer_span(layer), |arg| arg.value.span)
    }

    /// A train key's value, else the train block, else the model name.
    pub fn train_value_span(&self, key: &str) -> Span {
        self.source
            .train_entry(key)
            .map(|entry| entry.value.span)
            .or(self.model.train_span)
            .unwrap_or(self.model.name_span)
    }

    pub fn loss(&self) -> Option<Loss> {
        self.model.train.as_ref().map(|train| train.loss)
    }

    pub fn output(&self) -> Option<Handle<Node>> {
        self.model.output
    }

    /// The first activation applied to `node`'s value, looking through
    /// the layers without weights (`fc1 → bn1 → elu` gives elu).
    pub fn next_activation(&self, mut node: Handle<Node>) -> Option<(Handle<Node>, Activation)> {
        loop {
            let user = self.sole_user(node)?;
            if let Some(activation) = self.activation(user) {
                return Some((user, activation));
            }
            let (_, layer) = self.called_layer(user)?;
            if Weights::of(&layer.kind).is_some() {
                return None;
            }
            node = user;
        }
    }

    /// Whether a batchnorm or layernorm lies on the single-user path from
    /// `from` to `to`.
    pub fn normalised_between(&self, mut from: Handle<Node>, to: Handle<Node>) -> bool {
        while let Some(user) = self.sole_user(from) {
            if user == to {
                return false;
            }
            let normalises = self.called_layer(user).is_some_and(|(_, layer)| {
                is_batchnorm(&layer.kind) || matches!(layer.kind, LayerKind::LayerNorm(_))
            });
            if normalises {
                return true;
            }
            from = user;
        }
        false
    }

    /// The weight layer (linear or conv2d) that produces the model's
    /// output (through final activations, dropout, normalisation, pooling
    /// and flatten), which several rules treat differently from the
    /// hidden ones.
    pub fn output_layer(&self) -> Option<Handle<Layer>> {
        let mut node = self.output()?;
        loop {
            match self.node(node).kind {
                NodeKind::Call { layer, arg } => {
                    match Weights::of(&self.model.layers[layer].kind) {
                        Some(_) => return Some(layer),
                        None => node = arg,
                    }
                }
                NodeKind::Activation { arg, .. } => node = arg,
                NodeKind::Input | NodeKind::Add { .. } => return None,
            }
        }
    }

    /// Every linear and conv2d layer, in declaration order.
    pub fn weight_layers(&self) -> impl Iterator<Item = WeightLayer<'a>> + 'a {
        self.model.layers.iter().filter_map(|(handle, layer)| {
            Weights::of(&layer.kind).map(|weights| (handle, layer, weights))
        })
    }

    /// The weight layers other than [`output_layer`](Self::output_layer),
    /// which the init rules judge as hidden layers.
    pub fn hidden_weight_layers(&self) -> impl Iterator<Item = WeightLayer<'a>> + 'a {
        let output = self.output_layer();
        self.weight_layers()
            .filter(move |(handle, ..)| Some(*handle) != output)
    }

    /// Every call of a linear or conv2d layer, with the layer it calls.
    pub fn weight_calls(&self) -> impl Iterator<Item = (Handle<Node>, WeightLayer<'a>)> + 'a {
        let model = self.model;
        model.nodes.iter().filter_map(move |(node, n)| {
            let NodeKind::Call { layer, .. } = n.kind else {
                return None;
            };
            let weights = Weights::of(&model.layers[layer].kind)?;
            Some((node, (layer, &model.layers[layer], weights)))
        })
    }

    pub fn has_layer_kind(&self, matches: impl Fn(&LayerKind) -> bool) -> bool {
        self.model
            .layers
            .iter()
            .any(|(_, layer)| matches(&layer.kind))
    }

    /// The name of the layer that produced `node`, for messages.
    pub fn producer_name(&self, node: Handle<Node>) -> Option<&'a str> {
        self.called_layer(node)
            .map(|(_, layer)| layer.name.as_str())
    }
}

/// Edits that unwrap `outer(inner, ...)` to `inner`: delete the text before
/// and after the first argument.
pub fn unwrap_call(ctx: &LintContext, call_node: Handle<Node>) -> Option<[(Span, String); 2]> {
    let call_span = ctx.node_span(call_node);
    let call = ctx.source.call_at(call_span)?;
    let inner = call.args.first()?.value.span;
    Some([
        (Span::new(call_span.start, inner.start), String::new()),
        (Span::new(inner.end, call_span.end), String::new()),
    ])
}
