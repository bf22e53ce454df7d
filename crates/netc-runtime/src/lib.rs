//! The runtime every executor links: the op set, the step driver,
//! kernels, losses, optimizers, clipping, init, the seeded RNG and the
//! `Network` trait. It knows nothing of the compiler; data, the training
//! loop and weight files live in `netc-train`.

pub mod clip;
pub mod dim;
pub mod init;
pub mod kernels;
pub mod loss;
pub mod network;
pub mod ops;
pub mod optim;
pub mod parallel;
pub mod rng;
pub mod simd;
pub mod step;

pub use dim::{Const, Dim};
pub use network::{BatchError, Network, NonFinite, TensorData, TensorRef, WeightError};
pub use step::{Executor, StepState};
