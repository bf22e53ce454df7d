// NN005: cross_entropy over a single logit.
netc::model! {
    model Classifier {
        input x: 9
        fc1 = linear(9, 16)
        out = linear(16, 1)
        forward {
            return out(relu(fc1(x)))
        }
        train {
            loss = cross_entropy
        }
    }
}

fn main() {}
