//! `analyze` on image models against PyTorch: R simulated at
//! initialisation by `scripts/torch_reference/simulate_conv.py` for
//! 8-layer conv 3×3 stacks with and without pooling, committed as
//! `tests/fixtures/simulated_conv.json`. The fixture lists each model's
//! layers; the IR is built from that list, so both sides read one
//! statement of the models. Every case is compared; none is excluded.

use netc_lang::analysis::analyze;
use netc_lang::ir::LayerType;
use netc_lang::ir::{
    AdaptiveAvgPool2dSpec, Arena, BatchNormSpec, Conv2dPadding, Conv2dSpec, Input, Layer,
    LayerKind, LinearSpec, Model, Node, NodeKind, Pool2dSpec, Shape, Span,
};
use netc_ops::image::{ImageShape, PoolKind};
use netc_ops::{Activation, Init};
use serde_json::Value;

/// The tolerance of the MLP rows (analysis_validation.rs).
const TOLERANCE: f64 = 0.20;

/// The cases outside it, with their bound and the approximation that
/// makes the error (docs/lints-and-gradients.md, "Images").
const WIDER: [(&str, f64); 2] = [
    // 8×8 maps: 44% of the pixels are on the border, where zero padding
    // removes weight taps but not the bias, which dominates q with
    // PyTorch's default init; "positions alike" averages that out.
    ("relu+torch default", 0.30),
    // Batchnorm2d normalises each channel over all its pixels, so border
    // pixels (lower variance, "positions alike") stay smaller after it.
    ("relu+kaiming, batchnorm2d", 0.25),
];

fn fixture() -> Value {
    let path = format!(
        "{}/tests/fixtures/simulated_conv.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).expect("the fixture is JSON")
}

fn usize_at(value: &Value, index: usize) -> usize {
    value[index].as_u64().expect("an integer") as usize
}

fn init(spec: &Value) -> Option<Init> {
    match spec["init"].as_str().expect("init") {
        "kaiming" => Some(Init::KAIMING_UNIFORM_DEFAULT),
        "xavier" => Some(Init::XavierUniform { gain: 1.0 }),
        _ => None,
    }
}

/// The model a fixture case describes.
struct Builder {
    layers: Arena<Layer>,
    nodes: Arena<Node>,
    x: Handle,
}

type Handle = netc_lang::ir::Handle<Node>;

impl Builder {
    fn shape(&self) -> Shape {
        self.nodes[self.x].shape
    }

    fn image(&self) -> ImageShape {
        self.shape().image().expect("an image value")
    }

    fn push(&mut self, kind: NodeKind, shape: Shape) {
        self.x = self.nodes.append(Node { kind, shape }, Span::default());
    }

    fn call(&mut self, kind: LayerKind, shape: Shape) {
        let name = format!("l{}", self.layers.len());
        let layer = self.layers.append(Layer { name, kind }, Span::default());
        self.push(NodeKind::Call { layer, arg: self.x }, shape);
    }

    fn layer(&mut self, spec: &Value) {
        if let Some(conv) = spec.get("conv") {
            let (k, stride, pad) = (usize_at(conv, 2), usize_at(conv, 3), usize_at(conv, 4));
            let conv = Conv2dSpec {
                in_channels: usize_at(conv, 0),
                out_channels: usize_at(conv, 1),
                kernel_size: (k, k),
                stride: (stride, stride),
                padding: Conv2dPadding::Explicit(pad, pad),
                dilation: (1, 1),
                groups: 1,
                bias: spec["bias"].as_bool().expect("bias"),
                init: init(spec),
                bias_init: None,
            };
            let output = conv.geometry(self.image()).output().expect("fits");
            self.call(LayerKind::Conv2d(conv), Shape::Image(output));
        } else if let Some(linear) = spec.get("linear") {
            let out_features = usize_at(linear, 1);
            let linear = LinearSpec {
                in_features: usize_at(linear, 0),
                out_features,
                bias: spec["bias"].as_bool().expect("bias"),
                init: init(spec),
                bias_init: None,
            };
            self.call(LayerKind::Linear(linear), Shape::Flat(out_features));
        } else if let Some(features) = spec.get("batchnorm2d") {
            let batchnorm = BatchNormSpec {
                num_features: features.as_u64().expect("features") as usize,
                eps: 1e-5,
                momentum: Some(0.1),
                affine: true,
            };
            self.call(LayerKind::BatchNorm2d(batchnorm), self.shape());
        } else if let Some(name) = spec.get("act") {
            let activation = match name.as_str().expect("activation") {
                "relu" => Activation::Relu,
                "tanh" => Activation::Tanh,
                other => panic!("activation {other}"),
            };
            let arg = self.x;
            self.push(NodeKind::Activation { activation, arg }, self.shape());
        } else if let Some(k) = spec.get("max_pool2d") {
            self.pool(PoolKind::Max, k);
        } else if let Some(k) = spec.get("avg_pool2d") {
            let kind = PoolKind::Avg {
                count_include_pad: true,
            };
            self.pool(kind, k);
        } else if let Some(size) = spec.get("adaptive_avg_pool2d") {
            let output_size = (usize_at(size, 0), usize_at(size, 1));
            let output = ImageShape {
                height: output_size.0,
                width: output_size.1,
                ..self.image()
            };
            let adaptive = AdaptiveAvgPool2dSpec { output_size };
            self.call(LayerKind::AdaptiveAvgPool2d(adaptive), Shape::Image(output));
        } else if spec.get("flatten").is_some() {
            let flat = Shape::Flat(self.shape().numel());
            self.call(LayerKind::Flatten, flat);
        } else {
            panic!("unknown layer {spec}");
        }
    }

    fn pool(&mut self, kind: PoolKind, k: &Value) {
        let k = k.as_u64().expect("kernel") as usize;
        let pool = Pool2dSpec {
            kind,
            kernel_size: (k, k),
            stride: (k, k),
            padding: (0, 0),
            dilation: (1, 1),
        };
        let output = pool.geometry(self.image()).output().expect("fits");
        self.call(LayerKind::Pool2d(pool), Shape::Image(output));
    }
}

fn model(case: &Value) -> Model {
    let input = &case["input"];
    let shape = Shape::Image(ImageShape {
        channels: usize_at(input, 0),
        height: usize_at(input, 1),
        width: usize_at(input, 2),
    });
    let mut nodes = Arena::new();
    let x = nodes.append(
        Node {
            kind: NodeKind::Input,
            shape,
        },
        Span::default(),
    );
    let mut builder = Builder {
        layers: Arena::new(),
        nodes,
        x,
    };
    for spec in case["layers"].as_array().expect("layers") {
        builder.layer(spec);
    }
    Model {
        name: "Images".into(),
        name_span: Span::default(),
        input: Input {
            name: "x".into(),
            shape,
            span: Span::default(),
        },
        output: Some(builder.x),
        layers: builder.layers,
        nodes: builder.nodes,
        train: None,
        train_span: None,
    }
}

#[test]
fn conv_stacks_match_the_simulated_ratios() {
    let report = fixture();
    let results = report["results"].as_array().expect("results");
    assert!(results.len() >= 8, "{} simulated cases", results.len());
    let mut failures = Vec::new();
    for case in results {
        let name = case["name"].as_str().expect("name");
        let simulated = case["R"].as_f64().expect("R");
        let predicted = analyze(&model(case)).r.expect("two weight layers");
        let error = (predicted - simulated).abs() / simulated;
        println!(
            "{name}: predicted {predicted:.3e}, simulated {simulated:.3e}, {:.1}%",
            error * 100.0
        );
        let bound = WIDER
            .iter()
            .find(|(wider, _)| *wider == name)
            .map_or(TOLERANCE, |(_, bound)| *bound);
        if error > bound {
            failures.push(format!(
                "{name}: predicted {predicted:.4e}, simulated {simulated:.4e}"
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn conv_and_pool_layers_get_rows() {
    let report = fixture();
    let case = report["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|case| case["name"] == "relu+kaiming, max pool")
        .expect("the max pool case");
    let analysis = analyze(&model(case));
    let kinds: Vec<LayerType> = analysis.rows.iter().map(|row| row.kind).collect();
    assert_eq!(kinds.iter().filter(|&&k| k == LayerType::Conv2d).count(), 8);
    assert_eq!(
        kinds.iter().filter(|&&k| k == LayerType::MaxPool2d).count(),
        3
    );
    assert_eq!(kinds.last(), Some(&LayerType::Linear));
    // The first conv: kaiming's σ_w² = 2 on a unit input, less the taps
    // that fall on zero padding: 3×3 over 8 pixels reaches (22/24)² of them.
    let first = &analysis.rows[0];
    let want = 2.0 * (22.0f64 / 24.0).powi(2);
    assert!((first.q - want).abs() < 1e-12, "{} vs {want}", first.q);
    for row in &analysis.rows {
        let weighted = matches!(row.kind, LayerType::Linear | LayerType::Conv2d);
        assert_eq!(row.has_weights(), weighted, "{}", row.name);
        assert!(row.q > 0.0, "{}", row.name);
        assert_eq!(row.step.is_some(), weighted, "{}", row.name);
    }
}
