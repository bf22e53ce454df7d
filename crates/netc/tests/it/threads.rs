//! Every core, same bits: for every example model that compiles and the
//! benchmark workloads, 1, 2, 3 and 4 threads give bit-identical losses,
//! parameters, statistics and predictions (of a batch and a half, and of
//! one row) after 20 steps, on generated code and on the interpreter
//! alike (and the two agree). Then random models, batches and pool sizes
//! on the interpreter: the same bits as one thread.

use netc::ops::TrainConfig;
use netc::runtime::rng::Rng;
use netc::{Network, TensorData};
use netc_plan::Interpreter;

use crate::common::batch;
use crate::models;

const STEPS: usize = 20;
const SEED: u64 = 5;

/// What a run leaves: every loss, then every `state_dict` tensor, then
/// the eval outputs of a batch and a half, all as bits.
type Trace = Vec<u64>;

macro_rules! same_bits_on_every_thread_count {
    ($test:ident, $module:ident :: $ty:ident, $path:tt) => {
        #[test]
        fn $test() {
            check(
                include_str!($path),
                || Box::new(models::$module::$ty::new(SEED)),
                models::$module::$ty::train_config(),
            );
        }
    };
}

same_bits_on_every_thread_count!(water, water::WaterNet, "../../../../examples/water.nn");
same_bits_on_every_thread_count!(
    breast_cancer,
    breast_cancer::BreastCancerNet,
    "../../../../examples/breast_cancer.nn"
);
same_bits_on_every_thread_count!(digits, digits::DigitsNet, "../../../../examples/digits.nn");
same_bits_on_every_thread_count!(
    regression,
    regression::WineFlavanoids,
    "../../../../examples/regression.nn"
);
same_bits_on_every_thread_count!(lenet, lenet::LeNet, "../../../../examples/lenet.nn");
same_bits_on_every_thread_count!(
    fashion,
    fashion::FashionLeNet,
    "../../../../examples/fashion.nn"
);
same_bits_on_every_thread_count!(
    bench_seed,
    bench_seed::Seed,
    "../../../netc-bench/models/seed.nn"
);
same_bits_on_every_thread_count!(
    bench_mnist,
    bench_mnist::Mnist,
    "../../../netc-bench/models/mnist.nn"
);
same_bits_on_every_thread_count!(
    bench_deep,
    bench_deep::Deep,
    "../../../netc-bench/models/deep.nn"
);
same_bits_on_every_thread_count!(threaded, threaded::Threaded, "../models/threaded.nn");
same_bits_on_every_thread_count!(conv, conv::Conv, "../models/conv.nn");
same_bits_on_every_thread_count!(pooled, pooled::Pooled, "../models/pooled.nn");

fn check(source: &str, generated: impl Fn() -> Box<dyn Network>, config: TrainConfig) {
    let model = netc_testkit::valid_model(source);
    let interpreted = || -> Box<dyn Network> {
        Box::new(Interpreter::from_model(&model, &config, SEED).expect("a valid plan"))
    };
    let reference = trace(interpreted(), 1, &config, STEPS);
    for threads in 1..=4 {
        assert!(
            trace(interpreted(), threads, &config, STEPS) == reference,
            "interpreter, {threads} threads: not the bits of one"
        );
        assert!(
            trace(generated(), threads, &config, STEPS) == reference,
            "generated code, {threads} threads: not the interpreter's bits on one"
        );
    }
}

fn trace(mut net: Box<dyn Network>, threads: usize, config: &TrainConfig, steps: usize) -> Trace {
    net.set_threads(threads);
    assert_eq!(net.threads(), threads);
    let mut rng = Rng::seed_from_u64(11);
    let (inputs, outputs) = (net.input_width(), net.output_width());
    let mut bits = Vec::new();
    for _ in 0..steps {
        let (x, y) = batch(&mut rng, config.batch, inputs, outputs, config.loss);
        bits.push(u64::from(net.train_step(&x, &y).to_bits()));
    }
    for tensor in net.state_dict() {
        match tensor.data {
            TensorData::F32(values) => bits.extend(values.iter().map(|v| u64::from(v.to_bits()))),
            TensorData::I64(count) => bits.push(count as u64),
        }
    }
    let rows = config.batch + config.batch / 2;
    let (x, _) = batch(&mut rng, rows, inputs, outputs, config.loss);
    let mut out = vec![0.0; rows * outputs];
    net.predict(&x, &mut out);
    bits.extend(out.iter().map(|v| u64::from(v.to_bits())));
    // One row alone takes other kernels (a large layer split by outputs).
    net.predict(&x[..inputs], &mut out[..outputs]);
    bits.extend(out[..outputs].iter().map(|v| u64::from(v.to_bits())));
    bits
}

/// Models drawn at random (widths, normalisation, activation, dropout,
/// bias, loss, optimizer, batch) and trained a few steps on pools of 2–6
/// threads: past the examples' shapes, where a split's parts come out
/// ragged or empty.
mod random_models {
    use netc::ops::Activation;
    use proptest::prelude::{
        prop, prop_assert, prop_assume, proptest, ProptestConfig, Strategy, TestCaseError,
    };

    use super::*;

    /// One hidden layer: a linear layer, then its optional norm,
    /// activation and dropout.
    #[derive(Debug, Clone)]
    struct Hidden {
        width: usize,
        bias: bool,
        norm: Option<&'static str>,
        activation: &'static str,
        dropout: bool,
    }

    fn hidden() -> impl Strategy<Value = Hidden> {
        let names: Vec<&'static str> = Activation::ALL.iter().map(|a| a.name()).collect();
        (
            1usize..700,
            prop::bool::ANY,
            prop::sample::select(vec![None, Some("batchnorm"), Some("layernorm")]),
            prop::sample::select(names),
            prop::bool::weighted(0.3),
        )
            .prop_map(|(width, bias, norm, activation, dropout)| Hidden {
                width,
                bias,
                norm,
                activation,
                dropout,
            })
    }

    /// The model's source text, with `loss`, `optimizer` and `batch` as
    /// its train block.
    fn source(input: usize, layers: &[Hidden], out: usize, train: (&str, &str, usize)) -> String {
        let mut declarations = vec![format!("    input x: {input}")];
        let mut forward = vec!["        h = x".to_string()];
        let mut width = input;
        for (i, layer) in layers.iter().enumerate() {
            let w = layer.width;
            declarations.push(format!(
                "    fc{i} = linear({width}, {w}, bias={})",
                layer.bias
            ));
            forward.push(format!("        h = {}(fc{i}(h))", layer.activation));
            if let Some(norm) = layer.norm {
                declarations.push(format!("    norm{i} = {norm}({w})"));
                forward.push(format!("        h = norm{i}(h)"));
            }
            if layer.dropout {
                declarations.push(format!("    drop{i} = dropout(0.25)"));
                forward.push(format!("        h = drop{i}(h)"));
            }
            width = w;
        }
        declarations.push(format!("    out = linear({width}, {out})"));
        forward.push("        return out(h)".to_string());
        model_text(&declarations, &forward, train)
    }

    /// A model's text from its declaration and forward lines and its
    /// train block's loss, optimizer and batch.
    fn model_text(
        declarations: &[String],
        forward: &[String],
        train: (&str, &str, usize),
    ) -> String {
        let (loss, optimizer, batch) = train;
        format!(
            "model Random {{\n{}\n    forward {{\n{}\n    }}\n    train {{\n        \
             loss = {loss}\n        optimizer = {optimizer}\n        batch = {batch}\n    }}\n}}\n",
            declarations.join("\n"),
            forward.join("\n"),
        )
    }

    /// A convolution block: conv2d, its activation, an optional
    /// batchnorm2d and pooling.
    #[derive(Debug, Clone)]
    struct Conv {
        channels: usize,
        kernel: usize,
        stride: usize,
        padding: usize,
        activation: &'static str,
        norm: bool,
        pool: Option<&'static str>,
    }

    fn conv() -> impl Strategy<Value = Conv> {
        (
            (1usize..12, 1usize..=5, 1usize..=2, 0usize..=2),
            prop::sample::select(vec!["relu", "elu", "tanh", "gelu", "identity"]),
            prop::bool::ANY,
            prop::sample::select(vec![
                None,
                Some("max_pool2d(2)"),
                Some("avg_pool2d(3, stride=1, padding=1)"),
            ]),
        )
            .prop_map(
                |((channels, kernel, stride, padding), activation, norm, pool)| Conv {
                    channels,
                    kernel,
                    stride,
                    padding,
                    activation,
                    norm,
                    pool,
                },
            )
    }

    /// An image model: the convolution blocks, an adaptive average pool
    /// to `side`², flatten, and a linear layer that reads its input width.
    fn image_source(
        input: (usize, usize, usize),
        blocks: &[Conv],
        side: usize,
        out: usize,
        train: (&str, &str, usize),
    ) -> String {
        let (c, h, w) = input;
        let mut declarations = vec![format!("    input x: ({c}, {h}, {w})")];
        let mut forward = vec!["        h = x".to_string()];
        let mut channels = c;
        for (i, b) in blocks.iter().enumerate() {
            declarations.push(format!(
                "    conv{i} = conv2d({channels}, {}, {}, stride={}, padding={})",
                b.channels, b.kernel, b.stride, b.padding
            ));
            forward.push(format!("        h = {}(conv{i}(h))", b.activation));
            if b.norm {
                declarations.push(format!("    norm{i} = batchnorm2d({})", b.channels));
                forward.push(format!("        h = norm{i}(h)"));
            }
            if let Some(pool) = b.pool {
                declarations.push(format!("    pool{i} = {pool}"));
                forward.push(format!("        h = pool{i}(h)"));
            }
            channels = b.channels;
        }
        declarations.push(format!("    gap = adaptive_avg_pool2d({side})"));
        declarations.push(format!("    out = linear({out})"));
        forward.push("        return out(flatten(gap(h)))".to_string());
        model_text(&declarations, &forward, train)
    }

    /// Trains the model in `text` a few steps on one thread and on
    /// `threads`: the same bits. A draw the checker refuses (a softmax
    /// over one feature, an image smaller than its kernel) is no model.
    fn same_bits(text: &str, threads: usize) -> Result<(), TestCaseError> {
        let checked = netc_lang::check_file(text.as_bytes(), &Default::default());
        prop_assume!(!checked.valid_models().is_empty());
        let model = &checked.valid_models()[0];
        let config = model.train.clone().expect("a train block");
        let net = || -> Box<dyn Network> {
            Box::new(Interpreter::from_model(model, &config, SEED).expect("a valid plan"))
        };
        let one = trace(net(), 1, &config, 3);
        prop_assert!(trace(net(), threads, &config, 3) == one, "{text}");
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        #[test]
        fn random_models_train_to_the_bits_of_one_thread(
            input in 1usize..300,
            layers in prop::collection::vec(hidden(), 1..=3),
            (loss, out) in prop::sample::select(vec![
                ("cross_entropy", 2usize..12), ("bce_with_logits", 1..2), ("mse", 1..12),
                ("huber(delta=0.5)", 1..12), ("l1", 1..12),
            ]).prop_flat_map(|(loss, outs)| (proptest::strategy::Just(loss), outs)),
            optimizer in prop::sample::select(vec![
                "adam(lr=1e-3)", "adamw(lr=1e-3)", "sgd(lr=0.01, momentum=0.9, nesterov=true)",
                "sgd(lr=0.05)",
            ]),
            batch in 2usize..160,
            threads in 2usize..=6,
        ) {
            same_bits(&source(input, &layers, out, (loss, optimizer, batch)), threads)?;
        }

        #[test]
        fn random_image_models_train_to_the_bits_of_one_thread(
            input in (1usize..4, 4usize..28, 4usize..28),
            blocks in prop::collection::vec(conv(), 1..=2),
            (side, out) in (1usize..=3, 2usize..10),
            batch in 2usize..48,
            threads in 2usize..=6,
        ) {
            let train = ("cross_entropy", "adam(lr=1e-3)", batch);
            same_bits(&image_source(input, &blocks, side, out, train), threads)?;
        }
    }
}
