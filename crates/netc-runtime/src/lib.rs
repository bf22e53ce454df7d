//! The runtime every executor links: kernels, losses, optimizers,
//! clipping, init, the seeded RNG and the `Network` trait. It knows
//! nothing of the compiler; data, the training loop and weight files live
//! in `netc-train`.

pub mod clip;
pub mod fixed;
pub mod init;
pub mod kernels;
pub mod loss;
pub mod network;
pub mod optim;
pub mod rng;
pub mod simd;

pub use network::{Network, NonFinite, TensorData, TensorRef, WeightError};
