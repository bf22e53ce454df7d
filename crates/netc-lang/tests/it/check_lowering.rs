//! What lowering puts in the IR: inferred widths, PyTorch defaults for
//! every argument left out, train settings, and the graph's invariants.

use netc_lang::ir::{LayerKind, Model, NodeKind};
use netc_lang::{check_source, has_errors};
use netc_ops::{Activation, FanMode, Init, Loss, LrSchedule, Nonlinearity, Optimizer, TrainConfig};

fn checked(source: &str) -> Model {
    let (mut program, diags) = check_source(source);
    assert!(!has_errors(&diags), "{diags:#?}");
    program.models.remove(0)
}

fn layer<'m>(model: &'m Model, name: &str) -> &'m LayerKind {
    &model
        .layers
        .iter()
        .find(|(_, l)| l.name == name)
        .unwrap_or_else(|| panic!("layer {name}"))
        .1
        .kind
}

fn linear(model: &Model, name: &str) -> netc_lang::ir::LinearSpec {
    match layer(model, name) {
        LayerKind::Linear(spec) => spec.clone(),
        other => panic!("{name} is {other:?}"),
    }
}

fn init_of(init: &str) -> Option<Init> {
    let source = format!(
        "model M {{ input x: 4 fc = linear(4, 2, init={init}) forward {{ return fc(x) }} }}"
    );
    linear(&checked(&source), "fc").init
}

#[test]
fn an_omitted_input_width_is_inferred_from_the_first_call() {
    let model = checked(
        "model M { input x: 9 a = linear(9, 5) b = linear(3) c = linear(out_features=2) forward { return c(b(a(x))) } }",
    );
    assert_eq!(
        (
            linear(&model, "b").in_features,
            linear(&model, "b").out_features
        ),
        (5, 3)
    );
    assert_eq!(
        (
            linear(&model, "c").in_features,
            linear(&model, "c").out_features
        ),
        (3, 2)
    );
}

#[test]
fn a_shared_layer_is_one_layer_called_twice() {
    let model = checked("model M { input x: 4 s = linear(4) forward { h = s(x) return s(h) } }");
    assert_eq!(model.layers.len(), 1);
    assert_eq!(linear(&model, "s").in_features, 4);
    let calls: Vec<_> = model
        .nodes
        .iter()
        .filter_map(|(_, n)| match n.kind {
            NodeKind::Call { layer, .. } => Some(layer),
            _ => None,
        })
        .collect();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0], calls[1]);
}

#[test]
fn the_graph_is_in_evaluation_order_from_the_input() {
    let model = checked(
        "model M { input x: 4 a = linear(4, 4) b = linear(4, 4) forward { h = relu(a(x)) r = b(h) + h + x return r } }",
    );
    let mut nodes = model.nodes.iter();
    let (first, input) = nodes.next().expect("node 0");
    assert_eq!(
        (first.index(), &input.kind, input.width()),
        (0, &NodeKind::Input, 4)
    );
    for (handle, node) in model.nodes.iter() {
        assert!(
            node.kind.operands().iter().all(|&op| op < handle),
            "{node:?}"
        );
        assert_eq!(node.width(), 4);
    }
    let output = model.output.expect("output");
    assert_eq!(output.index(), model.nodes.len() - 1);
    // `b(h) + h + x` is two adds, the second on top of the first.
    let NodeKind::Add { lhs, .. } = model.nodes[output].kind else {
        panic!("output is an add")
    };
    assert!(matches!(model.nodes[lhs].kind, NodeKind::Add { .. }));
}

#[test]
fn node_spans_cover_their_expressions() {
    let source = "model M { input x: 2 fc = linear(2, 2) forward { return relu(fc(x)) } }";
    let model = checked(source);
    let spans: Vec<&str> = model
        .nodes
        .iter()
        .map(|(h, _)| {
            let span = model.nodes.span(h);
            &source[span.start..span.end]
        })
        .collect();
    assert_eq!(spans, ["x", "fc(x)", "relu(fc(x))"]);
    let (fc, _) = model.layers.iter().next().expect("fc");
    let span = model.layers.span(fc);
    assert_eq!(&source[span.start..span.end], "fc");
}

#[test]
fn layer_defaults_are_pytorchs() {
    let model = checked(
        "model M { input x: 4 fc = linear(4, 4) bn = batchnorm(4) ln = layernorm(4) d = dropout() forward { return d(ln(bn(fc(x)))) } }",
    );
    let fc = linear(&model, "fc");
    assert!(fc.bias && fc.init.is_none() && fc.bias_init.is_none());
    let LayerKind::BatchNorm(bn) = layer(&model, "bn") else {
        panic!()
    };
    assert_eq!(
        (bn.num_features, bn.eps, bn.momentum, bn.affine),
        (4, 1e-5, Some(0.1), true)
    );
    let LayerKind::LayerNorm(ln) = layer(&model, "ln") else {
        panic!()
    };
    assert_eq!(
        (ln.normalized_shape, ln.eps, ln.elementwise_affine),
        (4, 1e-5, true)
    );
    let LayerKind::Dropout(d) = layer(&model, "d") else {
        panic!()
    };
    assert_eq!(d.p, 0.5);
}

#[test]
fn layer_arguments_by_position_and_keyword() {
    let model = checked(
        "model M { input x: 4 fc = linear(4, 4, false, init=orthogonal) bn = batchnorm(4, 1e-3, none, false) d = dropout(p=0.2) forward { return d(bn(fc(x))) } }",
    );
    let fc = linear(&model, "fc");
    assert!(!fc.bias);
    assert_eq!(fc.init, Some(Init::Orthogonal { gain: 1.0 }));
    let LayerKind::BatchNorm(bn) = layer(&model, "bn") else {
        panic!()
    };
    assert_eq!((bn.eps, bn.momentum, bn.affine), (1e-3, None, false));
    let LayerKind::Dropout(d) = layer(&model, "d") else {
        panic!()
    };
    assert_eq!(d.p, 0.2);
}

#[test]
fn inits_take_pytorchs_defaults() {
    assert_eq!(
        init_of("kaiming_uniform"),
        Some(Init::KAIMING_UNIFORM_DEFAULT)
    );
    assert_eq!(
        init_of("kaiming_uniform()"),
        Some(Init::KAIMING_UNIFORM_DEFAULT)
    );
    assert_eq!(
        init_of("kaiming_normal(a=0.2, mode=fan_out, nonlinearity=tanh)"),
        Some(Init::KaimingNormal {
            a: 0.2,
            mode: FanMode::FanOut,
            nonlinearity: Nonlinearity::Tanh
        })
    );
    assert_eq!(
        init_of("kaiming_uniform(nonlinearity=sigmoid)"),
        Some(Init::KaimingUniform {
            a: 0.0,
            mode: FanMode::FanIn,
            nonlinearity: Nonlinearity::Sigmoid
        })
    );
    assert_eq!(
        init_of("xavier_uniform(gain=1.6667)"),
        Some(Init::XavierUniform { gain: 1.6667 })
    );
    assert_eq!(
        init_of("xavier_normal(2.0)"),
        Some(Init::XavierNormal { gain: 2.0 })
    );
    assert_eq!(
        init_of("xavier_uniform"),
        Some(Init::XavierUniform { gain: 1.0 })
    );
    assert_eq!(
        init_of("orthogonal(0.5)"),
        Some(Init::Orthogonal { gain: 0.5 })
    );
    assert_eq!(
        init_of("uniform(-1, 1)"),
        Some(Init::Uniform { a: -1.0, b: 1.0 })
    );
    assert_eq!(init_of("uniform"), Some(Init::Uniform { a: 0.0, b: 1.0 }));
    assert_eq!(
        init_of("normal(std=0.02)"),
        Some(Init::Normal {
            mean: 0.0,
            std: 0.02
        })
    );
    assert_eq!(
        init_of("trunc_normal()"),
        Some(Init::TruncNormal {
            mean: 0.0,
            std: 1.0,
            a: -2.0,
            b: 2.0
        })
    );
    assert_eq!(init_of("zeros"), Some(Init::Zeros));
    assert_eq!(init_of("ones()"), Some(Init::Ones));
    assert_eq!(
        init_of("constant(0.1)"),
        Some(Init::Constant { value: 0.1 })
    );
    assert_eq!(
        init_of("constant(val=-2)"),
        Some(Init::Constant { value: -2.0 })
    );
}

#[test]
fn activation_options_after_the_value() {
    let model = checked(
        "model M { input x: 2 forward { a = leaky_relu(x, negative_slope=0.2) b = elu(a, alpha=0.5) c = softplus(b, beta=2, threshold=10) d = leaky_relu(c) return log_softmax(d) } }",
    );
    let activations: Vec<Activation> = model
        .nodes
        .iter()
        .filter_map(|(_, n)| match n.kind {
            NodeKind::Activation { activation, .. } => Some(activation),
            _ => None,
        })
        .collect();
    assert_eq!(
        activations,
        [
            Activation::LeakyRelu {
                negative_slope: 0.2
            },
            Activation::Elu { alpha: 0.5 },
            Activation::Softplus {
                beta: 2.0,
                threshold: 10.0
            },
            Activation::LeakyRelu {
                negative_slope: 0.01
            },
            Activation::LogSoftmax,
        ]
    );
}

fn train_of(entries: &str) -> TrainConfig {
    let source = format!("model M {{ input x: 2 fc = linear(2, 2) forward {{ return fc(x) }} train {{ {entries} }} }}");
    checked(&source).train.expect("train")
}

#[test]
fn train_settings_fill_netc_ops_defaults() {
    assert_eq!(train_of(""), TrainConfig::default());
    let config = train_of(
        "loss = cross_entropy optimizer = sgd(lr=0.1, momentum=0.9, nesterov=true, weight_decay=1e-4) batch = 16 epochs = 7 clip_grad_norm = 1.0 seed = 42 lr_schedule = step(step_size=10, gamma=0.5) data = \"../data/water_potability.csv\" target = \"Potability\"",
    );
    assert_eq!(
        config,
        TrainConfig {
            loss: Loss::CrossEntropy,
            optimizer: Optimizer::Sgd {
                lr: 0.1,
                momentum: 0.9,
                nesterov: true,
                weight_decay: 1e-4
            },
            batch: 16,
            epochs: 7,
            clip_grad_norm: Some(1.0),
            seed: 42,
            lr_schedule: Some(LrSchedule::Step {
                step_size: 10,
                gamma: 0.5
            }),
            data: Some("../data/water_potability.csv".to_string()),
            target: Some("Potability".to_string()),
        }
    );
}

#[test]
fn optimizers_bare_or_with_arguments() {
    assert_eq!(
        train_of("optimizer = adam").optimizer,
        Optimizer::adam_default()
    );
    assert_eq!(
        train_of("optimizer = adam()").optimizer,
        Optimizer::adam_default()
    );
    assert_eq!(
        train_of("optimizer = adam(lr=1e-2, betas=(0.8, 0.99))").optimizer,
        Optimizer::Adam {
            lr: 1e-2,
            betas: (0.8, 0.99),
            eps: 1e-8,
            weight_decay: 0.0
        }
    );
    assert_eq!(
        train_of("optimizer = adamw").optimizer,
        Optimizer::adamw_default()
    );
    assert_eq!(
        train_of("optimizer = sgd(0.05)").optimizer,
        Optimizer::sgd_default().with_lr(0.05)
    );
}

#[test]
fn losses_and_schedules() {
    assert_eq!(train_of("loss = huber").loss, Loss::Huber { delta: 1.0 });
    assert_eq!(
        train_of("loss = huber(delta=0.5)").loss,
        Loss::Huber { delta: 0.5 }
    );
    assert_eq!(train_of("loss = l1()").loss, Loss::L1);
    assert_eq!(
        train_of("lr_schedule = cosine()").lr_schedule,
        Some(LrSchedule::Cosine {
            t_max: None,
            eta_min: 0.0
        })
    );
    assert_eq!(
        train_of("lr_schedule = cosine(t_max=20, eta_min=1e-5)").lr_schedule,
        Some(LrSchedule::Cosine {
            t_max: Some(20),
            eta_min: 1e-5
        })
    );
    assert_eq!(
        train_of("lr_schedule = step(3)").lr_schedule,
        Some(LrSchedule::Step {
            step_size: 3,
            gamma: 0.1
        })
    );
}

#[test]
fn a_model_without_train_has_none() {
    let model = checked("model M { input x: 2 forward { return x } }");
    assert!(model.train.is_none() && model.train_span.is_none());
}
