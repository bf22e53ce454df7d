// NN003: `fc1` declared twice.
netc::model! {
    model Net {
        input x: 4
        fc1 = linear(4, 8)
        fc1 = linear(8, 1)
        forward {
            return fc1(fc1(x))
        }
    }
}

fn main() {}
