// NN000: a missing comma between `linear`'s arguments.
netc::model! {
    model Net {
        input x: 4
        fc1 = linear(4 2)
        forward {
            return fc1(x)
        }
    }
}

fn main() {}
