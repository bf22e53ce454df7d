//! Every core, same bits: for every example model that compiles and the
//! benchmark workloads, 1, 2, 3 and 4 threads give bit-identical losses,
//! parameters, statistics and predictions after 20 steps, on generated
//! code and on the interpreter alike (and the two agree).

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
    let reference = trace(interpreted(), 1, &config);
    for threads in 1..=4 {
        assert!(
            trace(interpreted(), threads, &config) == reference,
            "interpreter, {threads} threads: not the bits of one"
        );
        assert!(
            trace(generated(), threads, &config) == reference,
            "generated code, {threads} threads: not the interpreter's bits on one"
        );
    }
}

fn trace(mut net: Box<dyn Network>, threads: usize, config: &TrainConfig) -> Trace {
    net.set_threads(threads);
    assert_eq!(net.threads(), threads);
    let mut rng = Rng::seed_from_u64(11);
    let (inputs, outputs) = (net.input_width(), net.output_width());
    let mut bits = Vec::new();
    for _ in 0..STEPS {
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
    bits
}
