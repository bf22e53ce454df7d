// NN004: fc2 expects 128 features, fc1 produces 64.
netc::model! {
    model Net {
        input x: 9
        fc1 = linear(9, 64)
        fc2 = linear(128, 1)
        forward {
            return fc2(relu(fc1(x)))
        }
    }
}

fn main() {}
