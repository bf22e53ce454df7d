//! netc for Rust programs: one dependency for `netc::model!`, which
//! compiles a model file (or an inline model) into a type implementing
//! [`Network`], and for the runtime that type runs on (kernels, data
//! loading, the training loop).
//!
//! ```ignore
//! netc::model!(path = "../examples/water.nn");
//!
//! let mut net = WaterNet::new(0);
//! let loss = netc::Network::train_step(&mut net, &x, &y);
//! let p = net.predict_one(&[0.0; WaterNet::INPUTS]);
//! ```

pub use netc_macros::model;
pub use netc_ops as ops;
pub use netc_runtime as runtime;
pub use netc_runtime::{Network, NonFinite, TensorData, TensorRef, WeightError};
