//! Every model file this binary's modules train, each expanded once: an
//! expansion is most of the binary's compile time.

// The models keep their lints on purpose; they are not these tests'.
#![allow(deprecated)]

pub mod water {
    netc::model!(path = "../../../../examples/water.nn");
}
pub mod breast_cancer {
    netc::model!(path = "../../../../examples/breast_cancer.nn");
}
pub mod digits {
    netc::model!(path = "../../../../examples/digits.nn");
}
pub mod regression {
    netc::model!(path = "../../../../examples/regression.nn");
}
pub mod lenet {
    netc::model!(path = "../../../../examples/lenet.nn");
}
pub mod fashion {
    netc::model!(path = "../../../../examples/fashion.nn");
}
pub mod torch_seed {
    netc::model!(path = "../../../../tests/fixtures/torch/seed.nn");
}
pub mod acts_mse {
    netc::model!(path = "../../../../tests/fixtures/torch/acts_mse.nn");
}
pub mod dropout_eval {
    netc::model!(path = "../../../../tests/fixtures/torch/dropout_eval.nn");
}
pub mod bce_logits {
    netc::model!(path = "../../../../tests/fixtures/torch/loss_bce_logits.nn");
}
pub mod huber {
    netc::model!(path = "../../../../tests/fixtures/torch/loss_huber_log_softmax.nn");
}
pub mod l1_softmax {
    netc::model!(path = "../../../../tests/fixtures/torch/loss_l1_softmax.nn");
}
pub mod mlp_ce {
    netc::model!(path = "../../../../tests/fixtures/torch/mlp_ce.nn");
}
pub mod bench_seed {
    netc::model!(path = "../../../netc-bench/models/seed.nn");
}
pub mod bench_mnist {
    netc::model!(path = "../../../netc-bench/models/mnist.nn");
}
pub mod bench_deep {
    netc::model!(path = "../../../netc-bench/models/deep.nn");
}
pub mod conv {
    netc::model!(path = "../models/conv.nn");
}
pub mod threaded {
    netc::model!(path = "../models/threaded.nn");
}
pub mod pooled {
    netc::model!(path = "../models/pooled.nn");
}
