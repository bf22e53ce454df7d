//! The vocabulary every netc stage agrees on.
//!
//! The compiler lowers model text into these values and the runtime executes
//! them, so they live below both: the runtime must not depend on the compiler
//! (generated code links only the runtime), and the compiler must not
//! re-spell what the runtime implements. Defaults are PyTorch's.

/// The `name()` of every item of a const array, as a const array: the
/// name tables are derived from the `ALL` lists, never kept by hand.
macro_rules! names_of {
    ($all:expr) => {{
        let all = &$all;
        let mut names = [""; $all.len()];
        let mut index = 0;
        while index < names.len() {
            names[index] = all[index].name();
            index += 1;
        }
        names
    }};
}

mod activation;
pub mod image;
mod init;
pub mod layer;
mod loss;
mod optimizer;
pub mod scalar;
mod train;

pub use activation::{Activation, DerivativeReads, SELU_ALPHA, SELU_SCALE};
pub use init::{FanMode, Init, Nonlinearity};
pub use loss::Loss;
pub use optimizer::{LrSchedule, Optimizer};
pub use train::TrainConfig;
