//! Steady state allocates nothing: a counting global allocator sees no
//! allocation across 100 `train_step`s and repeated `predict`s once the
//! buffers exist.

use crate::common;

use crate::ALLOCATOR;
use common::{data, targets, train_config, ModelBuilder};
use netc_ops::{Activation, Loss, Optimizer};
use netc_plan::Interpreter;
use netc_runtime::Network;

#[test]
fn train_step_and_predict_allocate_nothing_after_warm_up() {
    // Every op kind: linear, batchnorm, layernorm, dropout, residual +,
    // a shared layer, clipping and Adam.
    let mut m = ModelBuilder::new("Everything", 6);
    let fc1 = m.linear("fc1", 6, 16);
    let bn1 = m.batchnorm("bn1", 16, true);
    let shared = m.linear("shared", 16, 16);
    let ln1 = m.layernorm("ln1", 16);
    let drop = m.dropout("drop", 0.2);
    let out_layer = m.linear("out", 16, 3);
    let x = m.input();
    let h = m.call(fc1, x);
    let h = m.call(bn1, h);
    let h = m.act(Activation::Relu, h);
    let r = m.call(shared, h);
    let r = m.act(Activation::Gelu, r);
    let r = m.call(shared, r);
    let h = m.add(h, r);
    let h = m.call(ln1, h);
    let h = m.call(drop, h);
    let out = m.call(out_layer, h);
    let mut train = train_config(Loss::CrossEntropy, Optimizer::adam_default(), 32);
    train.clip_grad_norm = Some(1.0);
    let model = m.finish(out, train.clone());

    let mut net = Interpreter::from_model(&model, &train, 3).expect("a valid plan");
    let x = data(32 * 6, 1);
    let y = targets(Loss::CrossEntropy, 32, 3, 2);
    let mut out = vec![0.0f32; 32 * 3];
    net.train_step(&x, &y);
    net.predict(&x, &mut out);

    let mut losses = [0.0f32; 100];
    let during_training = ALLOCATOR.allocations_during(|| {
        for loss in losses.iter_mut() {
            *loss = net.train_step(&x, &y);
        }
    });
    let during_prediction = ALLOCATOR.allocations_during(|| {
        for _ in 0..10 {
            net.predict(&x, &mut out);
        }
    });
    assert_eq!(during_training, 0, "allocations in 100 train steps");
    assert_eq!(during_prediction, 0, "allocations in 10 predictions");
    assert!(losses.iter().all(|l| l.is_finite()));
    assert!(losses[99] < losses[0], "training makes progress");

    // A smaller batch and a prediction of more rows than the batch (run
    // in chunks) allocate nothing either: the buffers never grow.
    let x = data(20 * 6, 5);
    let y = targets(Loss::CrossEntropy, 20, 3, 6);
    let many = data(70 * 6, 7);
    let mut many_out = vec![0.0f32; 70 * 3];
    assert_eq!(
        ALLOCATOR.allocations_during(|| {
            net.train_step(&x, &y);
            net.predict(&many, &mut many_out);
        }),
        0
    );
}
