//! Generated code and the Plan interpreter run the same program: for
//! every example model and PyTorch fixture, the same seed gives the same
//! losses, gradients, parameters, statistics and outputs over ten steps
//! (and a step on a smaller batch).

use netc::runtime::rng::Rng;

use crate::common::batch;
use crate::models;
use netc::{Network, TensorData};
use netc_plan::Interpreter;

const STEPS: usize = 10;
const SEED: u64 = 7;
/// The bound; the two executors call the same kernel bodies, so
/// in practice they agree exactly.
const RELATIVE: f64 = 1e-6;

macro_rules! equivalent {
    ($test:ident, $module:ident :: $ty:ident, $path:tt) => {
        #[test]
        fn $test() {
            check(include_str!($path), models::$module::$ty::new(SEED));
        }
    };
}

equivalent!(water, water::WaterNet, "../../../../examples/water.nn");
equivalent!(
    breast_cancer,
    breast_cancer::BreastCancerNet,
    "../../../../examples/breast_cancer.nn"
);
equivalent!(digits, digits::DigitsNet, "../../../../examples/digits.nn");
equivalent!(
    regression,
    regression::WineFlavanoids,
    "../../../../examples/regression.nn"
);
equivalent!(
    torch_seed,
    torch_seed::SeedNet,
    "../../../../tests/fixtures/torch/seed.nn"
);
equivalent!(
    torch_acts_mse,
    acts_mse::ActsMse,
    "../../../../tests/fixtures/torch/acts_mse.nn"
);
equivalent!(
    torch_dropout,
    dropout_eval::DropoutEval,
    "../../../../tests/fixtures/torch/dropout_eval.nn"
);
equivalent!(
    torch_bce_logits,
    bce_logits::BceLogits,
    "../../../../tests/fixtures/torch/loss_bce_logits.nn"
);
equivalent!(
    torch_huber,
    huber::HuberLogSoftmax,
    "../../../../tests/fixtures/torch/loss_huber_log_softmax.nn"
);
equivalent!(
    torch_l1_softmax,
    l1_softmax::L1Softmax,
    "../../../../tests/fixtures/torch/loss_l1_softmax.nn"
);
equivalent!(
    torch_mlp_ce_clip,
    mlp_ce::MlpCe,
    "../../../../tests/fixtures/torch/mlp_ce.nn"
);
equivalent!(conv, conv::Conv, "../models/conv.nn");

fn close(what: &str, a: &[f32], b: &[f32]) {
    assert_eq!(a.len(), b.len(), "{what}: lengths differ");
    for (i, (&x, &y)) in a.iter().zip(b).enumerate() {
        let (x, y) = (f64::from(x), f64::from(y));
        let scale = x.abs().max(y.abs());
        assert!(
            (x - y).abs() <= RELATIVE * scale || (x.is_nan() && y.is_nan()),
            "{what}[{i}]: generated {x} vs interpreted {y}"
        );
    }
}

fn check(source: &str, mut generated: impl Network) {
    let model = &netc_testkit::valid_model(source);
    let config = model.train.clone().unwrap_or_default();
    let mut interpreted = Interpreter::from_model(model, &config, SEED).expect("a valid plan");
    let (inputs, outputs) = (generated.input_width(), generated.output_width());
    assert_eq!(
        (inputs, outputs),
        (interpreted.input_width(), interpreted.output_width())
    );
    assert_eq!(generated.parameter_names(), interpreted.parameter_names());
    compare_state(&generated, &interpreted, "after init");

    let mut rng = Rng::seed_from_u64(11);
    // Ten full batches, then one smaller batch.
    let rows = (0..STEPS).map(|_| config.batch).chain([config.batch - 3]);
    for (step, rows) in rows.enumerate() {
        let (x, y) = batch(&mut rng, rows, inputs, outputs, config.loss);
        let a = generated.train_step(&x, &y);
        let b = interpreted.train_step(&x, &y);
        close(&format!("loss of step {step}"), &[a], &[b]);
        assert!(a.is_finite(), "step {step}: loss {a}");
        assert_eq!(generated.first_non_finite(), interpreted.first_non_finite());
        compare_state(&generated, &interpreted, &format!("after step {step}"));
        for name in generated.parameter_names() {
            let (g, i) = (generated.gradient(name), interpreted.gradient(name));
            close(
                &format!("{name} gradient, step {step}"),
                g.unwrap_or(&[]),
                i.unwrap_or(&[]),
            );
        }
    }

    let rows = 2 * config.batch + 5;
    let (x, y) = batch(&mut rng, rows, inputs, outputs, config.loss);
    let (mut a, mut b) = (vec![0.0; rows * outputs], vec![0.0; rows * outputs]);
    generated.predict(&x, &mut a);
    interpreted.predict(&x, &mut b);
    close("eval outputs", &a, &b);
    close(
        "eval loss",
        &[generated.loss(&a, &y)],
        &[interpreted.loss(&b, &y)],
    );
}

fn compare_state(generated: &dyn Network, interpreted: &dyn Network, when: &str) {
    let (a, b) = (generated.state_dict(), interpreted.state_dict());
    assert_eq!(a.len(), b.len());
    for (a, b) in a.iter().zip(&b) {
        assert_eq!((a.name, a.shape), (b.name, b.shape));
        match (a.data, b.data) {
            (TensorData::F32(x), TensorData::F32(y)) => close(&format!("{} {when}", a.name), x, y),
            (TensorData::I64(x), TensorData::I64(y)) => assert_eq!(x, y, "{} {when}", a.name),
            _ => panic!("{} {when}: dtypes differ", a.name),
        }
    }
}

/// A non-finite input: both executors name the same first op.
#[test]
fn both_name_the_same_first_non_finite_op() {
    let source = include_str!("../../../../examples/regression.nn");
    let model = netc_testkit::valid_model(source);
    let config = model.train.clone().unwrap_or_default();
    let mut interpreted = Interpreter::from_model(&model, &config, SEED).expect("a valid plan");
    let mut generated = models::regression::WineFlavanoids::new(SEED);
    let mut rng = Rng::seed_from_u64(5);
    let (inputs, outputs) = (generated.input_width(), generated.output_width());
    let (mut x, y) = batch(&mut rng, config.batch, inputs, outputs, config.loss);
    x[3] = f32::INFINITY;
    let (a, b) = (generated.train_step(&x, &y), interpreted.train_step(&x, &y));
    assert!(a.is_nan() && b.is_nan());
    let first = generated.first_non_finite();
    assert!(first.is_some());
    assert_eq!(first, interpreted.first_non_finite());
}

mod dropped {
    netc::model!(path = "../models/dropped.nn");
}

/// A value that overflows only where dropout keeps it: both executors'
/// probes replay the step's own masks, so they name `drop` exactly when
/// the loss is not finite, and agree seed by seed.
#[test]
fn both_probes_replay_the_steps_dropout_masks() {
    let model = netc_testkit::valid_model(include_str!("../models/dropped.nn"));
    let config = model.train.clone().unwrap_or_default();
    let mut rng = Rng::seed_from_u64(3);
    let (mut x, y) = batch(&mut rng, 4, 5, 2, config.loss);
    x[0] = 3e38;
    let mut kept = 0;
    for seed in 0..40 {
        let mut generated = dropped::Dropped::new(seed);
        let mut interpreted = Interpreter::from_model(&model, &config, seed).expect("a valid plan");
        let loss = generated.train_step(&x, &y);
        assert_eq!(
            loss.to_bits(),
            interpreted.train_step(&x, &y).to_bits(),
            "seed {seed}"
        );
        let at = generated.first_non_finite().map(|n| n.location);
        if !loss.is_finite() {
            kept += 1;
            assert_eq!(at.as_deref(), Some("drop"), "seed {seed}");
        }
        assert_eq!(
            at,
            interpreted.first_non_finite().map(|n| n.location),
            "seed {seed}"
        );
    }
    assert!(kept > 0 && kept < 40, "kept {kept} of 40");
}
