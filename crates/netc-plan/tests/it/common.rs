//! Builds checked-shape IR models by hand, as the front end would lower
//! them, so the Plan tests do not depend on the parser.
#![allow(dead_code)] // each test binary uses a different subset

use netc_lang::ir::{
    Arena, BatchNormSpec, DropoutSpec, Handle, Input, Layer, LayerKind, LayerNormSpec, LinearSpec,
    Model, Node, NodeKind, Span,
};
use netc_ops::{Activation, Loss, Optimizer, TrainConfig};

pub struct ModelBuilder {
    model: Model,
}

impl ModelBuilder {
    pub fn new(name: &str, input_width: usize) -> Self {
        let mut nodes = Arena::new();
        nodes.append(
            Node {
                kind: NodeKind::Input,
                width: input_width,
            },
            Span::default(),
        );
        ModelBuilder {
            model: Model {
                name: name.to_string(),
                name_span: Span::default(),
                input: Input {
                    name: "x".to_string(),
                    width: input_width,
                    span: Span::default(),
                },
                layers: Arena::new(),
                nodes,
                output: None,
                train: None,
                train_span: None,
            },
        }
    }

    pub fn input(&self) -> Handle<Node> {
        self.model.nodes.iter().next().expect("input node").0
    }

    fn layer(&mut self, name: &str, kind: LayerKind) -> Handle<Layer> {
        self.model.layers.append(
            Layer {
                name: name.to_string(),
                kind,
            },
            Span::default(),
        )
    }

    pub fn linear(&mut self, name: &str, in_features: usize, out_features: usize) -> Handle<Layer> {
        self.linear_with(name, in_features, out_features, true)
    }

    pub fn linear_with(
        &mut self,
        name: &str,
        in_features: usize,
        out_features: usize,
        bias: bool,
    ) -> Handle<Layer> {
        self.layer(
            name,
            LayerKind::Linear(LinearSpec {
                in_features,
                out_features,
                bias,
                init: None,
                bias_init: None,
            }),
        )
    }

    pub fn batchnorm(&mut self, name: &str, n: usize, affine: bool) -> Handle<Layer> {
        self.layer(
            name,
            LayerKind::BatchNorm(BatchNormSpec {
                num_features: n,
                eps: 1e-5,
                momentum: Some(0.1),
                affine,
            }),
        )
    }

    pub fn layernorm(&mut self, name: &str, n: usize) -> Handle<Layer> {
        self.layer(
            name,
            LayerKind::LayerNorm(LayerNormSpec {
                normalized_shape: n,
                eps: 1e-5,
                elementwise_affine: true,
            }),
        )
    }

    pub fn dropout(&mut self, name: &str, p: f64) -> Handle<Layer> {
        self.layer(name, LayerKind::Dropout(DropoutSpec { p }))
    }

    fn node(&mut self, kind: NodeKind, width: usize) -> Handle<Node> {
        self.model
            .nodes
            .append(Node { kind, width }, Span::default())
    }

    pub fn call(&mut self, layer: Handle<Layer>, arg: Handle<Node>) -> Handle<Node> {
        let width = match &self.model.layers[layer].kind {
            LayerKind::Linear(spec) => spec.out_features,
            _ => self.model.nodes[arg].width,
        };
        self.node(NodeKind::Call { layer, arg }, width)
    }

    pub fn act(&mut self, activation: Activation, arg: Handle<Node>) -> Handle<Node> {
        let width = self.model.nodes[arg].width;
        self.node(NodeKind::Activation { activation, arg }, width)
    }

    pub fn add(&mut self, lhs: Handle<Node>, rhs: Handle<Node>) -> Handle<Node> {
        let width = self.model.nodes[lhs].width;
        self.node(NodeKind::Add { lhs, rhs }, width)
    }

    pub fn finish(mut self, output: Handle<Node>, train: TrainConfig) -> Model {
        self.model.output = Some(output);
        self.model.train = Some(train);
        self.model
    }
}

pub fn train_config(loss: Loss, optimizer: Optimizer, batch: usize) -> TrainConfig {
    TrainConfig {
        loss,
        optimizer,
        batch,
        ..TrainConfig::default()
    }
}

/// Deterministic pseudo-random data in [-1, 1) (a small LCG: tests need
/// reproducible numbers, not statistical quality).
pub fn data(len: usize, seed: u64) -> Vec<f32> {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..len)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

/// Targets fitting `loss` for `batch` rows of `width` outputs.
pub fn targets(loss: Loss, batch: usize, width: usize, seed: u64) -> Vec<f32> {
    let raw = data(batch * width, seed);
    match loss {
        Loss::CrossEntropy => (0..batch).map(|i| (i % width) as f32).collect(),
        Loss::Bce | Loss::BceWithLogits => raw.iter().map(|v| f32::from(*v > 0.0)).collect(),
        _ => raw,
    }
}
