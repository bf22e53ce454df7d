//! Interpreter behaviour through the `Network` trait: modes, learning
//! rate, names, non-finite reports, initialisation.

use crate::common;

use common::{data, targets, train_config, ModelBuilder};
use netc_lang::ValidModel;
use netc_ops::{Activation, Loss, Optimizer};
use netc_plan::Interpreter;
use netc_runtime::{Network, NonFinite, TensorData};

fn model(dropout: f64) -> ValidModel {
    let mut m = ModelBuilder::new("Net", 5);
    let fc1 = m.linear("fc1", 5, 12);
    let bn1 = m.batchnorm("bn1", 12, true);
    let drop = m.dropout("drop", dropout);
    let fc2 = m.linear("fc2", 12, 2);
    let x = m.input();
    let h = m.call(fc1, x);
    let h = m.call(bn1, h);
    let h = m.act(Activation::Elu { alpha: 1.0 }, h);
    let h = m.call(drop, h);
    let out = m.call(fc2, h);
    m.finish(out, train_config(Loss::Mse, Optimizer::adam_default(), 16))
}

fn net(dropout: f64, seed: u64) -> Interpreter {
    let model = model(dropout);
    let train = model.train.clone().expect("train");
    Interpreter::from_model(&model, &train, seed).expect("a valid plan")
}

#[test]
fn state_dict_has_pytorch_names_shapes_and_order() {
    let net = net(0.5, 1);
    let entries: Vec<(String, Vec<usize>)> = net
        .state_dict()
        .iter()
        .map(|t| (t.name.to_string(), t.shape.to_vec()))
        .collect();
    let expected: Vec<(String, Vec<usize>)> = [
        ("fc1.weight", vec![12, 5]),
        ("fc1.bias", vec![12]),
        ("bn1.weight", vec![12]),
        ("bn1.bias", vec![12]),
        ("bn1.running_mean", vec![12]),
        ("bn1.running_var", vec![12]),
        ("bn1.num_batches_tracked", vec![]),
        ("fc2.weight", vec![2, 12]),
        ("fc2.bias", vec![2]),
    ]
    .into_iter()
    .map(|(n, s)| (n.to_string(), s))
    .collect();
    assert_eq!(entries, expected);
    assert_eq!(
        net.parameter_names(),
        [
            "fc1.weight",
            "fc1.bias",
            "bn1.weight",
            "bn1.bias",
            "fc2.weight",
            "fc2.bias"
        ]
    );
    assert!(net.parameter("bn1.running_mean").is_none());
}

#[test]
fn initialisation_follows_pytorch_defaults_and_the_seed() {
    let a = net(0.0, 1);
    let b = net(0.0, 1);
    let c = net(0.0, 2);
    let w = a.parameter("fc1.weight").expect("weight");
    assert_eq!(w, b.parameter("fc1.weight").expect("weight"));
    assert_ne!(w, c.parameter("fc1.weight").expect("weight"));
    // nn.Linear's default: U(±1/√fan_in) for weight and bias.
    let bound = 1.0 / 5f32.sqrt();
    assert!(w.iter().all(|v| v.abs() <= bound));
    assert!(w.iter().any(|v| v.abs() > bound / 2.0));
    assert!(a
        .parameter("fc1.bias")
        .expect("bias")
        .iter()
        .all(|v| v.abs() <= bound));
    assert!(a
        .parameter("bn1.weight")
        .expect("gamma")
        .iter()
        .all(|v| *v == 1.0));
    assert!(a
        .parameter("bn1.bias")
        .expect("beta")
        .iter()
        .all(|v| *v == 0.0));
    let state = a.state_dict();
    let var = state
        .iter()
        .find(|t| t.name == "bn1.running_var")
        .expect("var");
    assert!(matches!(var.data, TensorData::F32(v) if v.iter().all(|x| *x == 1.0)));
}

#[test]
fn predict_is_deterministic_and_dropout_acts_only_in_training() {
    let mut net = net(0.5, 3);
    let x = data(16 * 5, 4);
    let y = targets(Loss::Mse, 16, 2, 5);
    net.train_step(&x, &y);
    let first = net.last_output().to_vec();
    let mut a = vec![0.0; 32];
    let mut b = vec![0.0; 32];
    net.predict(&x, &mut a);
    net.predict(&x, &mut b);
    assert_eq!(a, b, "eval mode draws no dropout masks");
    // Eval over a smaller batch than the training one.
    let mut small = vec![0.0; 6];
    net.predict(&x[..15], &mut small);
    assert_eq!(small, a[..6]);
    // Train mode with p = 0.5 draws a fresh mask every step, so the same
    // batch gives a different output even before parameters moved much.
    net.set_learning_rate(0.0);
    net.train_step(&x, &y);
    assert_ne!(first, net.last_output());
}

#[test]
fn learning_rate_is_read_and_set() {
    let mut net = net(0.0, 1);
    assert_eq!(net.learning_rate(), 1e-3);
    net.set_learning_rate(0.0);
    assert_eq!(net.learning_rate(), 0.0);
    let before = net.parameter("fc2.weight").expect("w").to_vec();
    let x = data(16 * 5, 4);
    let y = targets(Loss::Mse, 16, 2, 5);
    net.train_step(&x, &y);
    assert_eq!(net.parameter("fc2.weight").expect("w"), before);
    net.set_learning_rate(1e-2);
    net.train_step(&x, &y);
    assert_ne!(net.parameter("fc2.weight").expect("w"), before);
}

#[test]
fn first_non_finite_names_the_op_that_produced_it() {
    let mut net = net(0.0, 1);
    let x = data(16 * 5, 4);
    let y = targets(Loss::Mse, 16, 2, 5);
    let loss = net.train_step(&x, &y);
    assert!(loss.is_finite());
    assert_eq!(net.first_non_finite(), None);
    net.parameter_mut("fc2.weight").expect("w")[3] = f32::NAN;
    let loss = net.train_step(&x, &y);
    assert!(loss.is_nan());
    assert_eq!(
        net.first_non_finite(),
        Some(NonFinite {
            location: "fc2".into()
        })
    );
}

#[test]
fn loss_of_predictions_matches_the_training_loss_without_batch_statistics() {
    // Without batchnorm or dropout, eval and train mode agree.
    let mut m = ModelBuilder::new("Plain", 3);
    let fc = m.linear("fc", 3, 4);
    let x = m.input();
    let h = m.call(fc, x);
    let out = m.act(Activation::LogSoftmax, h);
    let train = train_config(Loss::CrossEntropy, Optimizer::adam_default(), 8);
    let model = m.finish(out, train.clone());
    let mut net = Interpreter::from_model(&model, &train, 9).expect("a valid plan");
    assert_eq!(net.target_width(), 1);
    let x = data(8 * 3, 1);
    let y = targets(Loss::CrossEntropy, 8, 4, 2);
    let mut out = vec![0.0; 32];
    net.predict(&x, &mut out);
    let eval_loss = net.loss(&out, &y);
    let train_loss = net.train_step(&x, &y);
    assert_eq!(eval_loss, train_loss);
}

/// A value that overflows only where dropout keeps (and scales) it: the
/// loss is non-finite exactly when the step's mask kept it, so the probe
/// finds the dropout op only if it replays the step's own masks.
#[test]
fn the_probe_replays_the_steps_dropout_masks() {
    let mut m = ModelBuilder::new("Dropped", 5);
    let drop = m.dropout("drop", 0.5);
    let fc = m.linear("fc", 5, 2);
    let x = m.input();
    let h = m.call(drop, x);
    let out = m.call(fc, h);
    let train = train_config(Loss::Mse, Optimizer::adam_default(), 4);
    let model = m.finish(out, train.clone());
    let mut x = data(4 * 5, 7);
    x[0] = 3e38;
    let y = targets(Loss::Mse, 4, 2, 7);
    let (mut kept, mut dropped) = (0, 0);
    for seed in 0..40 {
        let mut net = Interpreter::from_model(&model, &train, seed).expect("a valid plan");
        let loss = net.train_step(&x, &y);
        if loss.is_finite() {
            dropped += 1;
            assert_eq!(net.first_non_finite(), None, "seed {seed}");
        } else {
            kept += 1;
            let at = net.first_non_finite().map(|n| n.location);
            assert_eq!(at.as_deref(), Some("drop"), "seed {seed}");
        }
    }
    assert!(kept > 0 && dropped > 0, "kept {kept}, dropped {dropped}");
}

/// The probe runs on a copy: a failed step leaves the running statistics
/// updated once, as an unchecked step does.
#[test]
fn the_probe_leaves_the_running_statistics_alone() {
    let x = data(16 * 5, 4);
    let y = targets(Loss::Mse, 16, 2, 5);
    let mut poisoned = net(0.0, 1);
    poisoned.parameter_mut("fc2.weight").expect("w")[3] = f32::NAN;
    assert!(poisoned.train_step(&x, &y).is_nan());
    assert!(poisoned.first_non_finite().is_some());
    let mut clean = net(0.0, 1);
    assert!(clean.train_step(&x, &y).is_finite());
    let stat = |n: &Interpreter, name: &str| -> Vec<f32> {
        let tensors = n.state_dict();
        let entry = tensors.iter().find(|t| t.name == name).expect("stat");
        match entry.data {
            TensorData::F32(values) => values.to_vec(),
            TensorData::I64(v) => vec![v as f32],
        }
    };
    // fc2 comes after bn1, so the poisoned weight cannot reach its statistics.
    for name in [
        "bn1.running_mean",
        "bn1.running_var",
        "bn1.num_batches_tracked",
    ] {
        assert_eq!(stat(&poisoned, name), stat(&clean, name), "{name}");
    }
}
