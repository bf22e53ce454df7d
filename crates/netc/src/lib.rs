//! netc for Rust programs: one dependency for `netc::model!`, which
//! compiles a model file (or an inline model) into a type implementing
//! [`Network`], and for the runtime that type runs on (kernels, losses,
//! optimizers). The `train` feature adds `netc::train` (the `netc-train`
//! crate: CSV data, the training loop, metrics, safetensors weight files);
//! without it a model compiles no csv, flate2 or safetensors.
//!
//! ```ignore
//! netc::model!(path = "../examples/water.nn"); // relative to this file
//!
//! let mut net = WaterNet::new(0);
//! let loss = netc::Network::train_step(&mut net, &x, &y);
//! let p = net.predict_one(&[0.0; WaterNet::INPUTS]);
//! ```
//!
//! Each `model` becomes `pub struct <Name>` with `new(seed)` (the same
//! parameters as `netc train` for the same seed), the constants `INPUTS`,
//! `OUTPUTS`, `TARGETS` and `MAX_BATCH`, `predict_one`, `train_config()`
//! and [`Network`]. Its methods are the compiled Plan's ops as straight
//! calls into the runtime kernels with every width a literal; all buffers
//! are allocated in `new`, nothing after.
//!
//! **Batches.** Buffers are sized for the train block's `batch`
//! (`MAX_BATCH`). `train_step` takes any batch up to that; a larger one
//! (or rows that do not match) is refused: the loss is NaN, nothing
//! changes, and `first_non_finite` names the reason, so a training loop
//! stops with an explanation instead of misbehaving. `predict` takes any
//! number of rows (eval mode treats rows independently, so it runs them in
//! chunks of `MAX_BATCH`).
//!
//! **Diagnostics.** Errors in the model are compile errors: on the
//! offending token of an inline model, on the path literal (with
//! `file:line:col` and the snippet) for a model file. Lints are compiler
//! warnings, shown as a use of a deprecated constant named after the lint
//! (`warning: use of deprecated constant `_::NN018_bias_before_batchnorm`:
//! ...`); `#[allow(deprecated)]` on the enclosing module silences them.

pub use netc_macros::model;
pub use netc_ops as ops;
pub use netc_runtime as runtime;
pub use netc_runtime::{Network, NonFinite, TensorData, TensorRef, WeightError};
#[cfg(feature = "train")]
pub use netc_train as train;
