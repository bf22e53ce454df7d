/// A stateless elementwise (or row-wise, for the softmax family) function.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Activation {
    Relu,
    LeakyRelu {
        negative_slope: f64,
    },
    Elu {
        alpha: f64,
    },
    Selu,
    /// Exact (erf) GELU, PyTorch's `approximate='none'`.
    Gelu,
    Silu,
    Tanh,
    Sigmoid,
    Softplus {
        beta: f64,
        threshold: f64,
    },
    Identity,
    /// Row-wise over the feature axis.
    Softmax,
    /// Row-wise over the feature axis.
    LogSoftmax,
}

impl Activation {
    /// The name used in model files.
    pub fn name(&self) -> &'static str {
        match self {
            Activation::Relu => "relu",
            Activation::LeakyRelu { .. } => "leaky_relu",
            Activation::Elu { .. } => "elu",
            Activation::Selu => "selu",
            Activation::Gelu => "gelu",
            Activation::Silu => "silu",
            Activation::Tanh => "tanh",
            Activation::Sigmoid => "sigmoid",
            Activation::Softplus { .. } => "softplus",
            Activation::Identity => "identity",
            Activation::Softmax => "softmax",
            Activation::LogSoftmax => "log_softmax",
        }
    }

    /// Every activation name a model file may call.
    pub const NAMES: &'static [&'static str] = &[
        "relu",
        "leaky_relu",
        "elu",
        "selu",
        "gelu",
        "silu",
        "tanh",
        "sigmoid",
        "softplus",
        "identity",
        "softmax",
        "log_softmax",
    ];

    /// Softmax and log_softmax couple the features of a row; every other
    /// activation is elementwise.
    pub fn is_row_wise(&self) -> bool {
        matches!(self, Activation::Softmax | Activation::LogSoftmax)
    }
}

/// SELU's constants, from Klambauer et al. 2017 as PyTorch spells them.
pub const SELU_ALPHA: f64 = 1.673_263_242_354_377_3;
pub const SELU_SCALE: f64 = 1.050_700_987_355_480_5;
