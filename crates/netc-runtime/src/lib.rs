//! The runtime every executor links: kernels, losses, optimizers, init,
//! weights, data and the training loop. It knows nothing of the compiler.

pub mod data;
pub mod network;
pub mod train;
pub mod weights;

pub use network::{Network, NonFinite, TensorData, TensorRef, WeightError};
