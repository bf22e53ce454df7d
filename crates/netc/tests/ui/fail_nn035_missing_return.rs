// NN035: the forward block never returns.
netc::model! {
    model Net2 {
        input x: 9
        fc1 = linear(9, 16)
        fc2 = linear(16, 1)
        forward {
            x = relu(fc1(x))
            x = sigmoid(fc2(x))
        }
    }
}

fn main() {}
