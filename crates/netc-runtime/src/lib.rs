//! The runtime every executor links: kernels, losses, optimizers, init,
//! weights, data and the training loop. It knows nothing of the compiler.

pub mod clip;
pub mod data;
pub mod fixed;
pub mod init;
pub mod kernels;
pub mod loss;
pub mod network;
pub mod optim;
pub mod rng;
pub mod simd;
pub mod train;
pub mod weights;

pub use network::{Network, NonFinite, TensorData, TensorRef, WeightError};
