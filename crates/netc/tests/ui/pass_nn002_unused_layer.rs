// NN002 is a warning: the model still compiles and trains.
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

fn main() {
    let mut net = Net::new(0);
    let loss = net.train_step(&[0.5; 4 * Net::INPUTS], &[1.0; 4]);
    assert!(loss.is_finite());
}
