//! The vocabulary every netc stage agrees on.
//!
//! The compiler lowers model text into these values and the runtime executes
//! them, so they live below both: the runtime must not depend on the compiler
//! (generated code links only the runtime), and the compiler must not
//! re-spell what the runtime implements. Defaults are PyTorch's.

mod activation;
mod init;
mod loss;
mod optimizer;
pub mod scalar;
mod train;

pub use activation::{Activation, SELU_ALPHA, SELU_SCALE};
pub use init::{erfc, normal_cdf, FanMode, Init, Nonlinearity};
pub use loss::Loss;
pub use optimizer::{LrSchedule, Optimizer};
pub use train::TrainConfig;
