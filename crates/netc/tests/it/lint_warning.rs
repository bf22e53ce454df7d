//! A lint is a warning, never an error: a model with an unused layer
//! (NN002) still compiles and trains. A plain test rather than a trybuild
//! `pass` case, which would make trybuild build (not just check) every
//! dependency a second time.

// The expansion's NN002 warning is what this model is about.
#![allow(deprecated)]

use netc::Network;

netc::model! {
    model Net {
        input x: 9
        fc1 = linear(9, 16)
        bn1 = batchnorm(16)
        fc2 = linear(16, 1)
        forward {
            x = elu(fc1(x))
            return fc2(x)
        }
        train {
            loss = mse
            batch = 4
        }
    }
}

#[test]
fn a_model_with_a_warning_compiles_and_trains() {
    let mut net = Net::new(0);
    let loss = net.train_step(&[0.5; 4 * Net::INPUTS], &[1.0; 4]);
    assert!(loss.is_finite());
}
