// NN034: no forward block.
netc::model! {
    model Net {
        input x: 9
        fc1 = linear(9, 16)
        fc2 = linear(16, 1)
    }
}

fn main() {}
