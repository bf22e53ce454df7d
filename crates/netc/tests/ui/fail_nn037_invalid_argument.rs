// NN037: a linear layer with no outputs.
netc::model! {
    model Net {
        input x: 9
        fc1 = linear(9, 0)
        fc2 = linear(16, 1)
        forward {
            return fc2(relu(fc1(x)))
        }
    }
}

fn main() {}
