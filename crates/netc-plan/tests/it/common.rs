//! Builds small models for the Plan tests as model text, layer by layer
//! and value by value, and checks it: lowering takes only a checked
//! model, so test models pass the same checker as users' files.
#![allow(dead_code)] // each test binary uses a different subset

use netc_lang::ValidModel;
use netc_ops::{Activation, Loss, Optimizer, TrainConfig};

/// Three convolutions at batch 8: padding, a depthwise stride-2 one, an
/// even kernel with `same` (asymmetric) padding, tanh between them.
pub const CONVOLUTIONS: &str = "
model Conv {
    input x: (2, 5, 5)
    conv1 = conv2d(2, 3, 3, padding=1)
    conv2 = conv2d(3, 3, 2, stride=2, groups=3)
    conv3 = conv2d(3, 2, 2, padding=same)
    forward {
        return conv3(tanh(conv2(tanh(conv1(x)))))
    }
    train {
        loss = mse
        optimizer = sgd(lr=0.1)
        batch = 8
    }
}
";

/// A declared layer.
#[derive(Clone, Copy)]
pub struct Layer(usize);

/// A value of the forward graph: the input or a statement's result.
#[derive(Clone, Copy)]
pub struct Value(usize);

pub struct ModelBuilder {
    name: String,
    input_width: usize,
    /// `name = kind(args)` of each layer.
    layers: Vec<(String, String)>,
    /// The expression of each value after the input.
    statements: Vec<String>,
}

impl ModelBuilder {
    pub fn new(name: &str, input_width: usize) -> Self {
        ModelBuilder {
            name: name.to_string(),
            input_width,
            layers: Vec::new(),
            statements: Vec::new(),
        }
    }

    pub fn input(&self) -> Value {
        Value(0)
    }

    fn layer(&mut self, name: &str, declaration: String) -> Layer {
        self.layers.push((name.to_string(), declaration));
        Layer(self.layers.len() - 1)
    }

    pub fn linear(&mut self, name: &str, in_features: usize, out_features: usize) -> Layer {
        self.linear_with(name, in_features, out_features, true)
    }

    pub fn linear_with(
        &mut self,
        name: &str,
        in_features: usize,
        out_features: usize,
        bias: bool,
    ) -> Layer {
        self.layer(
            name,
            format!("linear({in_features}, {out_features}, bias={bias})"),
        )
    }

    pub fn batchnorm(&mut self, name: &str, n: usize, affine: bool) -> Layer {
        self.layer(name, format!("batchnorm({n}, affine={affine})"))
    }

    pub fn layernorm(&mut self, name: &str, n: usize) -> Layer {
        self.layer(name, format!("layernorm({n})"))
    }

    pub fn dropout(&mut self, name: &str, p: f64) -> Layer {
        self.layer(name, format!("dropout(p={p:?})"))
    }

    fn value(&mut self, expression: String) -> Value {
        self.statements.push(expression);
        Value(self.statements.len())
    }

    pub fn call(&mut self, layer: Layer, arg: Value) -> Value {
        let call = format!("{}({})", self.layers[layer.0].0, variable(arg));
        self.value(call)
    }

    pub fn act(&mut self, activation: Activation, arg: Value) -> Value {
        let options: String = activation
            .parameters()
            .iter()
            .map(|(name, value)| format!(", {name}={value:?}"))
            .collect();
        let call = format!("{}({}{options})", activation.name(), variable(arg));
        self.value(call)
    }

    pub fn add(&mut self, lhs: Value, rhs: Value) -> Value {
        let sum = format!("{} + {}", variable(lhs), variable(rhs));
        self.value(sum)
    }

    /// The model text returning `output` and training with `train`,
    /// checked.
    pub fn finish(self, output: Value, train: TrainConfig) -> ValidModel {
        let mut text = format!(
            "model {} {{\n    input x: {}\n",
            self.name, self.input_width
        );
        for (name, declaration) in &self.layers {
            text.push_str(&format!("    {name} = {declaration}\n"));
        }
        text.push_str("    forward {\n");
        for (index, statement) in self.statements.iter().enumerate() {
            text.push_str(&format!("        v{} = {statement}\n", index + 1));
        }
        text.push_str(&format!("        return {}\n    }}\n", variable(output)));
        text.push_str(&train_block(&train));
        text.push_str("}\n");
        netc_testkit::valid_model(&text)
    }
}

fn variable(value: Value) -> String {
    match value.0 {
        0 => "x".to_string(),
        n => format!("v{n}"),
    }
}

/// `train { ... }` spelling every setting the Plan reads.
fn train_block(train: &TrainConfig) -> String {
    let loss = match train.loss {
        Loss::Huber { delta } => format!("huber(delta={delta:?})"),
        other => other.name().to_string(),
    };
    let optimizer = match train.optimizer {
        Optimizer::Sgd {
            lr,
            momentum,
            nesterov,
            weight_decay,
        } => format!(
            "sgd(lr={lr:?}, momentum={momentum:?}, nesterov={nesterov}, weight_decay={weight_decay:?})"
        ),
        Optimizer::Adam {
            lr,
            betas: (b1, b2),
            eps,
            weight_decay,
        }
        | Optimizer::AdamW {
            lr,
            betas: (b1, b2),
            eps,
            weight_decay,
        } => format!(
            "{}(lr={lr:?}, betas=({b1:?}, {b2:?}), eps={eps:?}, weight_decay={weight_decay:?})",
            train.optimizer.name()
        ),
    };
    let clip = train.clip_grad_norm.map_or(String::new(), |max| {
        format!("        clip_grad_norm = {max:?}\n")
    });
    format!(
        "    train {{\n        loss = {loss}\n        optimizer = {optimizer}\n        batch = {}\n        epochs = {}\n        seed = {}\n{clip}    }}\n",
        train.batch, train.epochs, train.seed
    )
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
