//! The runtime every executor links: kernels, losses, optimizers, init,
//! weights, data and the training loop. It knows nothing of the compiler.

pub mod clip;
pub mod data;
pub mod dim;
pub mod init;
pub mod kernels;
pub mod loss;
pub mod network;
pub mod ops;
pub mod optim;
pub mod rng;
pub mod simd;
pub mod step;
pub mod train;
pub mod weights;

pub use dim::{Const, Dim};
pub use network::{BatchError, Network, NonFinite, TensorData, TensorRef, WeightError};
pub use step::{Executor, StepState};
