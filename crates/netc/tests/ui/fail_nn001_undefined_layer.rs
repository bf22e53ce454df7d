// NN001: `bc1` where only `bn1` exists; the caret must sit under `bc1`.
netc::model! {
    model Net2 {
        input x: 9
        fc1 = linear(9, 16)
        bn1 = batchnorm(16)
        forward {
            x = fc1(x)
            x = bc1(x)
            return elu(x)
        }
    }
}

fn main() {}
