//! Steady state allocates nothing on 64-wide layers too: their 64×64×64
//! products (batch 64) run on the stack-panel kernel, below
//! `BLOCKED_MIN_MACS`.

use crate::ALLOCATOR;
use netc_plan::Interpreter;
use netc_runtime::kernels::BLOCKED_MIN_MACS;
use netc_runtime::Network;

const WIDE: &str = "
model Wide {
    input x: 9
    fc1 = linear(9, 64)
    bn1 = batchnorm(64)
    fc2 = linear(64, 64)
    bn2 = batchnorm(64)
    fc3 = linear(64, 64)
    bn3 = batchnorm(64)
    out = linear(64, 1)
    forward {
        x = elu(bn1(fc1(x)))
        x = elu(bn2(fc2(x)))
        x = elu(bn3(fc3(x)))
        return out(x)
    }
    train {
        loss = bce_with_logits
        optimizer = adam(lr=1e-3)
        batch = 64
    }
}
";

fn values(n: usize, seed: u32) -> Vec<f32> {
    (0..n)
        .map(|i| ((i as u32).wrapping_mul(2_654_435_761) ^ seed) as f32 / u32::MAX as f32 - 0.5)
        .collect()
}

#[test]
fn a_64_wide_model_trains_and_predicts_without_allocating() {
    const { assert!(64 * 64 * 64 < BLOCKED_MIN_MACS) };
    let model = &netc_testkit::valid_model(WIDE);
    let train = model.train.clone().expect("the model has a train block");
    let mut net = Interpreter::from_model(model, &train, 7).expect("a valid plan");
    let x = values(64 * 9, 1);
    let y: Vec<f32> = values(64, 2).iter().map(|&v| f32::from(v > 0.0)).collect();
    let mut out = vec![0.0f32; 64];
    net.train_step(&x, &y);
    net.predict(&x, &mut out);

    let mut losses = [0.0f32; 20];
    let during_training = ALLOCATOR.allocations_during(|| {
        for loss in losses.iter_mut() {
            *loss = net.train_step(&x, &y);
        }
    });
    let during_prediction = ALLOCATOR.allocations_during(|| {
        net.predict(&x, &mut out);
        net.predict(&x[..9], &mut out[..1]);
    });
    assert_eq!(during_training, 0, "allocations in 20 train steps");
    assert_eq!(during_prediction, 0, "allocations in predictions");
    assert!(losses.iter().all(|l| l.is_finite()), "{losses:?}");
    assert!(losses[19] < losses[0], "{losses:?}");
}
