//! Reproduces the validation table of docs/lints-and-gradients.md: predicted R
//! against the simulated R (PyTorch, width 256, mean of 3 seeds) for 10
//! `linear(256, 256)` layers with an activation after the first 9.

use netc_lang::analysis::{analyze, Verdict};
use netc_lang::ir::{
    Arena, BatchNormSpec, Input, Layer, LayerKind, LinearSpec, Model, Node, NodeKind, Shape, Span,
};
use netc_ops::{Activation, FanMode, Init, Nonlinearity};

const WIDTH: usize = 256;

/// How a row of the table initialises its layers.
#[derive(Clone, Copy)]
enum Setup {
    /// The given init for every weight, no bias.
    NoBias(Init),
    /// `nn.Linear`'s default weight and bias.
    TorchDefault,
}

fn chain(activation: Activation, setup: Setup, depth: usize, batchnorm: bool) -> Model {
    let mut layers = Arena::new();
    let mut nodes = Arena::new();
    let span = Span::default();
    let mut x = nodes.append(
        Node {
            kind: NodeKind::Input,
            shape: Shape::Flat(WIDTH),
        },
        span,
    );
    for i in 1..=depth {
        let (init, bias) = match setup {
            Setup::NoBias(init) => (Some(init), false),
            Setup::TorchDefault => (None, true),
        };
        let fc = layers.append(
            Layer {
                name: format!("fc{i}"),
                kind: LayerKind::Linear(LinearSpec {
                    in_features: WIDTH,
                    out_features: WIDTH,
                    bias,
                    init,
                    bias_init: None,
                }),
            },
            span,
        );
        x = nodes.append(
            Node {
                kind: NodeKind::Call { layer: fc, arg: x },
                shape: Shape::Flat(WIDTH),
            },
            span,
        );
        if i == depth {
            break;
        }
        if batchnorm {
            let bn = layers.append(
                Layer {
                    name: format!("bn{i}"),
                    kind: LayerKind::BatchNorm(BatchNormSpec {
                        num_features: WIDTH,
                        eps: 1e-5,
                        momentum: Some(0.1),
                        affine: true,
                    }),
                },
                span,
            );
            x = nodes.append(
                Node {
                    kind: NodeKind::Call { layer: bn, arg: x },
                    shape: Shape::Flat(WIDTH),
                },
                span,
            );
        }
        x = nodes.append(
            Node {
                kind: NodeKind::Activation { activation, arg: x },
                shape: Shape::Flat(WIDTH),
            },
            span,
        );
    }
    Model {
        name: "Chain".into(),
        name_span: span,
        input: Input {
            name: "x".into(),
            shape: Shape::Flat(WIDTH),
            span,
        },
        layers,
        nodes,
        output: Some(x),
        train: None,
        train_span: None,
    }
}

fn kaiming() -> Init {
    Init::KAIMING_UNIFORM_DEFAULT
}

fn xavier() -> Init {
    Init::XavierUniform { gain: 1.0 }
}

fn lecun() -> Init {
    Init::KaimingNormal {
        a: 0.0,
        mode: FanMode::FanIn,
        nonlinearity: Nonlinearity::Linear,
    }
}

fn standard_normal() -> Init {
    Init::Normal {
        mean: 0.0,
        std: 1.0,
    }
}

fn assert_within_20_percent(label: &str, model: &Model, simulated: f64) {
    let r = analyze(model).r.expect("ten weight matrices give a ratio");
    let error = (r - simulated).abs() / simulated;
    println!("{label}: predicted {r:.3e}, simulated {simulated:.3e}");
    assert!(
        error <= 0.20,
        "{label}: predicted R = {r:.4e}, simulated {simulated:.4e} ({:.0}% off)",
        error * 100.0
    );
}

#[test]
fn plain_chains_match_the_simulated_ratios() {
    let rows: [(&str, Activation, Setup, f64); 11] = [
        (
            "relu+kaiming",
            Activation::Relu,
            Setup::NoBias(kaiming()),
            0.91,
        ),
        (
            "relu+torch default",
            Activation::Relu,
            Setup::TorchDefault,
            1.17e-2,
        ),
        (
            "tanh+xavier",
            Activation::Tanh,
            Setup::NoBias(xavier()),
            1.17,
        ),
        (
            "tanh+torch default",
            Activation::Tanh,
            Setup::TorchDefault,
            0.118,
        ),
        (
            "sigmoid+xavier",
            Activation::Sigmoid,
            Setup::NoBias(xavier()),
            3.6e-6,
        ),
        (
            "sigmoid N(0,1)",
            Activation::Sigmoid,
            Setup::NoBias(standard_normal()),
            7.6,
        ),
        (
            "tanh N(0,1)",
            Activation::Tanh,
            Setup::NoBias(standard_normal()),
            1.70e4,
        ),
        ("selu+lecun", Activation::Selu, Setup::NoBias(lecun()), 1.36),
        (
            "elu+kaiming",
            Activation::Elu { alpha: 1.0 },
            Setup::NoBias(kaiming()),
            1.19,
        ),
        (
            "gelu+kaiming",
            Activation::Gelu,
            Setup::NoBias(kaiming()),
            1.27,
        ),
        (
            "silu+kaiming",
            Activation::Silu,
            Setup::NoBias(kaiming()),
            1.30,
        ),
    ];
    for (label, activation, setup, simulated) in rows {
        assert_within_20_percent(label, &chain(activation, setup, 10, false), simulated);
    }
}

#[test]
fn batchnorm_chains_match_the_simulated_ratios() {
    let rows: [(&str, Activation, usize, f64); 8] = [
        ("relu-bn L=10", Activation::Relu, 10, 4.69),
        ("tanh-bn L=10", Activation::Tanh, 10, 2.13),
        ("sigmoid-bn L=10", Activation::Sigmoid, 10, 0.452),
        ("selu-bn L=10", Activation::Selu, 10, 1.41),
        ("gelu-bn L=10", Activation::Gelu, 10, 3.17),
        ("relu-bn L=20", Activation::Relu, 20, 29.7),
        ("tanh-bn L=20", Activation::Tanh, 20, 5.2),
        ("gelu-bn L=20", Activation::Gelu, 20, 11.1),
    ];
    for (label, activation, depth, simulated) in rows {
        let model = chain(activation, Setup::NoBias(kaiming()), depth, true);
        assert_within_20_percent(label, &model, simulated);
    }
}

#[test]
fn batchnorm_ratio_does_not_depend_on_the_init_scale() {
    let relu = Activation::Relu;
    let a = analyze(&chain(relu, Setup::NoBias(kaiming()), 10, true));
    let b = analyze(&chain(relu, Setup::NoBias(standard_normal()), 10, true));
    let (ra, rb) = (a.r.expect("ratio"), b.r.expect("ratio"));
    assert!((ra / rb - 1.0).abs() < 1e-3, "{ra} vs {rb}");
}

#[test]
fn verdicts_follow_the_autotrainer_thresholds() {
    let vanishing = analyze(&chain(
        Activation::Sigmoid,
        Setup::NoBias(xavier()),
        10,
        false,
    ));
    assert_eq!(vanishing.verdict, Verdict::Vanishing);
    let exploding = analyze(&chain(
        Activation::Tanh,
        Setup::NoBias(standard_normal()),
        10,
        false,
    ));
    assert_eq!(exploding.verdict, Verdict::Exploding);
    let healthy = analyze(&chain(
        Activation::Relu,
        Setup::NoBias(kaiming()),
        10,
        false,
    ));
    assert_eq!(healthy.verdict, Verdict::Healthy);
    // One row per linear, and per batchnorm when present.
    assert_eq!(healthy.rows.len(), 10);
    let with_bn = analyze(&chain(Activation::Relu, Setup::NoBias(kaiming()), 10, true));
    assert_eq!(with_bn.rows.len(), 19);
}

#[test]
fn relu_forward_scale_explodes_while_the_ratio_stays_one() {
    // "What R cannot see" (docs/lints-and-gradients.md): for bias-free relu
    // nets R ignores σ_w²; q does not.
    let model = chain(
        Activation::Relu,
        Setup::NoBias(standard_normal()),
        10,
        false,
    );
    let analysis = analyze(&model);
    let r = analysis.r.expect("ratio");
    assert!((r - 1.0).abs() < 0.05, "R = {r}");
    let q: Vec<f64> = analysis.weight_rows().map(|row| row.q).collect();
    assert!(q[9] / q[0] > 1e18, "q ratio {}", q[9] / q[0]);
}
