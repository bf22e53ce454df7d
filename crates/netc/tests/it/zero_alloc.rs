//! After `new`, generated code allocates nothing: a counting global
//! allocator sees no allocation across many `train_step`s, `predict`s and
//! `predict_one`s.

use crate::ALLOCATOR;
use netc::Network;

// Every op kind: linear, batchnorm, layernorm, dropout, a residual `+`,
// a shared layer, softmax, cross-entropy, clipping and Adam.
netc::model! {
    model Everything {
        input x: 6
        fc1 = linear(6, 16)
        bn1 = batchnorm(16)
        shared = linear(16, 16)
        ln1 = layernorm(16)
        drop = dropout(0.2)
        out = linear(16, 3)
        forward {
            h = elu(bn1(fc1(x)))
            r = h + shared(relu(shared(h)))
            return out(drop(ln1(r)))
        }
        train {
            loss = cross_entropy
            optimizer = adam(lr=1e-3)
            clip_grad_norm = 1.0
            batch = 16
        }
    }
}

#[test]
fn train_step_and_predict_allocate_nothing_after_new() {
    let mut net = Everything::new(3);
    let x: Vec<f32> = (0..16 * Everything::INPUTS)
        .map(|i| (i as f32 * 0.37).sin())
        .collect();
    let y: Vec<f32> = (0..16).map(|i| (i % 3) as f32).collect();
    let mut out = vec![0.0; 40 * Everything::OUTPUTS];
    let many: Vec<f32> = x
        .iter()
        .cycle()
        .take(40 * Everything::INPUTS)
        .copied()
        .collect();
    let one = [0.25; Everything::INPUTS];

    let mut losses = [0.0f32; 50];
    let mut predicted = [0.0f32; Everything::OUTPUTS];
    let allocations = ALLOCATOR.allocations_during(|| {
        for (step, loss) in losses.iter_mut().enumerate() {
            // Full and smaller batches alike.
            let rows = if step % 5 == 4 { 9 } else { 16 };
            *loss = net.train_step(&x[..rows * Everything::INPUTS], &y[..rows]);
        }
        net.predict(&many, &mut out);
        predicted = net.predict_one(&one);
    });
    assert_eq!(allocations, 0);
    assert!(losses.iter().all(|l| l.is_finite()), "{losses:?}");
    assert!(losses[45] < losses[0], "{losses:?}");
    assert!(predicted.iter().all(|p| p.is_finite()));
}
