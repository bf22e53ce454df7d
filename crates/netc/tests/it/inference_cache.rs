//! The generated type caches what its eval-mode forward derives from the
//! weights (packed linear panels, batchnorm scale and shift). Every way
//! the weights or statistics change must reach the next prediction, bit
//! for bit as the interpreter (which derives them per call) computes it.

use netc::runtime::rng::Rng;
use netc::Network;
use netc_plan::Interpreter;

use crate::models::water;

const SEED: u64 = 7;
const ROWS: usize = 45;

fn interpreter(seed: u64) -> Interpreter {
    let model = &netc_testkit::valid_model(include_str!("../../../../examples/water.nn"));
    Interpreter::from_model(model, &model.train.clone().unwrap_or_default(), seed)
        .expect("a valid plan")
}

fn inputs(rows: usize, seed: u64) -> Vec<f32> {
    let mut rng = Rng::seed_from_u64(seed);
    (0..rows * 9).map(|_| rng.normal() as f32).collect()
}

fn predictions(net: &mut dyn Network, x: &[f32]) -> Vec<u32> {
    let mut out = vec![0.0; x.len() / 9];
    net.predict(x, &mut out);
    out.iter().map(|v| v.to_bits()).collect()
}

/// Predictions of both executors, checked equal bit for bit.
fn agreed(generated: &mut water::WaterNet, interpreted: &mut Interpreter, x: &[f32]) -> Vec<u32> {
    let a = predictions(generated, x);
    assert_eq!(a, predictions(interpreted, x));
    a
}

fn train_both(generated: &mut water::WaterNet, interpreted: &mut Interpreter, seed: u64) {
    let x = inputs(32, seed);
    let y: Vec<f32> = (0..32).map(|i| (i % 2) as f32).collect();
    let (a, b) = (generated.train_step(&x, &y), interpreted.train_step(&x, &y));
    assert_eq!(a.to_bits(), b.to_bits());
}

#[test]
fn predictions_follow_every_change_of_the_weights() {
    let (mut generated, mut interpreted) = (water::WaterNet::new(SEED), interpreter(SEED));
    let x = inputs(ROWS, 1);
    let fresh = agreed(&mut generated, &mut interpreted, &x);

    // A train step moves the weights and the running statistics.
    train_both(&mut generated, &mut interpreted, 2);
    let trained = agreed(&mut generated, &mut interpreted, &x);
    assert_ne!(trained, fresh);

    // Weights changed through a borrow, a linear's and a batchnorm's.
    for name in ["fc1.weight", "bn2.weight", "fc3.bias"] {
        for net in [&mut generated as &mut dyn Network, &mut interpreted] {
            net.parameter_mut(name).expect("a parameter")[0] += 0.25;
        }
        let changed = agreed(&mut generated, &mut interpreted, &x);
        assert_ne!(changed, trained, "{name}");
    }

    // A whole state loaded from another model.
    let mut other = water::WaterNet::new(SEED + 1);
    train_both(&mut other, &mut interpreter(SEED + 1), 3);
    let state = other.state_dict();
    generated.load_state_dict(&state).expect("same model");
    interpreted.load_state_dict(&state).expect("same model");
    let loaded = agreed(&mut generated, &mut interpreted, &x);
    assert_eq!(loaded, predictions(&mut other, &x));
}

#[test]
fn one_sample_at_a_time_gives_the_batch_bits() {
    let mut net = water::WaterNet::new(SEED);
    train_both(&mut net, &mut interpreter(SEED), 4);
    let x = inputs(ROWS, 5);
    let batch = predictions(&mut net, &x);
    for (row, expected) in x.chunks_exact(9).zip(batch) {
        let row: &[f32; 9] = row.try_into().expect("9 inputs");
        assert_eq!(net.predict_one(row)[0].to_bits(), expected);
    }
}

mod wide {
    netc::model!(path = "../models/wide.nn");
}

#[test]
fn a_layer_without_a_panel_predicts_unpacked() {
    let model = &netc_testkit::valid_model(include_str!("../models/wide.nn"));
    let mut interpreted =
        Interpreter::from_model(model, &model.train.clone().unwrap_or_default(), SEED)
            .expect("a valid plan");
    let mut generated = wide::Wide::new(SEED);
    let mut rng = Rng::seed_from_u64(6);
    let x: Vec<f32> = (0..4 * 600).map(|_| rng.normal() as f32).collect();
    let y: Vec<f32> = (0..4 * 3).map(|_| rng.normal() as f32).collect();
    for step in 0..3 {
        let (mut a, mut b) = ([0.0f32; 12], [0.0f32; 12]);
        generated.predict(&x, &mut a);
        interpreted.predict(&x, &mut b);
        assert_eq!(a.map(f32::to_bits), b.map(f32::to_bits), "step {step}");
        generated.train_step(&x, &y);
        interpreted.train_step(&x, &y);
    }
}
