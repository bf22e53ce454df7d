// NN036: `rlu` is no activation.
netc::model! {
    model Net {
        input x: 9
        fc1 = linear(9, 16)
        fc2 = linear(16, 1)
        forward {
            return fc2(rlu(fc1(x)))
        }
    }
}

fn main() {}
