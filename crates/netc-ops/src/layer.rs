//! PyTorch's defaults for the arguments of the layers a model declares
//! (`nn.BatchNorm1d`, `nn.LayerNorm`, `nn.Dropout`). The layer kinds
//! themselves are the language's (netc-lang's IR); the numbers PyTorch
//! chose live here with its other defaults.

/// `nn.BatchNorm1d(eps=1e-5)`.
pub const BATCHNORM_EPS: f64 = 1e-5;
/// `nn.BatchNorm1d(momentum=0.1)`: the weight of the batch statistic in
/// the running averages.
pub const BATCHNORM_MOMENTUM: f64 = 0.1;
/// `nn.LayerNorm(eps=1e-5)`.
pub const LAYERNORM_EPS: f64 = 1e-5;
/// `nn.Dropout(p=0.5)`.
pub const DROPOUT_P: f64 = 0.5;
