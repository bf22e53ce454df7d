// NN038: `epoch` is not a train key (`epochs` is).
netc::model! {
    model Net {
        input x: 9
        fc1 = linear(9, 1)
        forward {
            return fc1(x)
        }
        train {
            loss = mse
            epoch = 100
        }
    }
}

fn main() {}
