//! Gradient clipping keeps PyTorch's non-finite semantics on both
//! executors. `torch.nn.utils.clip_grad_norm_` computes
//! `clamp(max_norm / (total + 1e-6), max=1)`: a NaN total norm gives a NaN
//! coefficient, which multiplies every gradient — so one NaN gradient
//! spreads to every parameter the step updates (PyTorch 2.15:
//! `clip_grad_norm_` of gradients `[1, nan]` and `[3, 4]` returns `nan`
//! and leaves both `[nan, nan]`). A `min(coef, 1)` would turn the NaN
//! into 1 and leave the finite gradients unclipped.

use netc::Network;
use netc_plan::Interpreter;

netc::model!(path = "../models/clipped.nn");

const SOURCE: &str = include_str!("../models/clipped.nn");

fn interpreter() -> Interpreter {
    let model = &netc_testkit::valid_model(SOURCE);
    Interpreter::from_model(model, &model.train.clone().unwrap_or_default(), 5)
        .expect("a valid plan")
}

fn nan_gradient_step(net: &mut dyn Network) {
    // Positive fc1 weights: a -inf input gives -inf pre-activations,
    // which relu zeroes, so fc2 sees zeros and the loss is finite.
    for w in net.parameter_mut("fc1.weight").expect("fc1.weight") {
        *w = w.abs() + 0.1;
    }
    let loss = net.train_step(&[f32::NEG_INFINITY, 1.0], &[0.5, 0.25]);
    assert!(loss.is_finite(), "loss {loss}");
    let grad = net.gradient("fc1.weight").expect("a gradient");
    assert!(grad.iter().any(|g| g.is_nan()), "{grad:?}");
    assert!(net
        .gradient("fc2.weight")
        .expect("a gradient")
        .iter()
        .all(|g| g.is_finite()));
}

#[test]
fn a_nan_gradient_norm_reaches_every_parameter_on_both_executors() {
    let mut generated = Clipped::new(5);
    let mut interpreted = interpreter();
    for net in [&mut generated as &mut dyn Network, &mut interpreted] {
        nan_gradient_step(net);
        for name in net.parameter_names() {
            let values = net.parameter(name).expect("a parameter");
            assert!(values.iter().all(|v| v.is_nan()), "{name}: {values:?}");
        }
    }
}
