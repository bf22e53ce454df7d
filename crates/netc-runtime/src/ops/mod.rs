//! The op set: one operand struct and one `run` per Plan op kind.
//!
//! This is the only place an op's meaning is written down. The Plan
//! (netc-plan) names the op kinds and their buffers; the interpreter
//! borrows its buffers into one of these structs and calls `run`, in a
//! loop over the op list; generated code emits the same struct literal,
//! with its widths as [`Const`](crate::dim::Const)s, and the same `run`.
//! Neither executor does arithmetic of its own, so they agree by
//! construction. Every struct names its fields as the Plan's op does.
//!
//! Forward outputs overwrite; backward outputs (`dx`, `dw`, ...)
//! accumulate, so that a value read twice sums its gradients. A
//! gradient's first writer overwrites it where its op can ([`Fresh`]);
//! elsewhere a [`Zero`] clears it first.

mod conv;
mod elementwise;
mod linear;
mod loss;
mod norm;
mod pool;
mod update;

pub use crate::kernels::Fresh;
pub use conv::{Conv2d, Conv2dBackward};
pub use elementwise::{
    Accumulate, Activation, ActivationBackward, Add, Copy, Dropout, DropoutBackward, Zero,
};
pub use linear::{Linear, LinearBackward, LinearPacked, PackLinear};
pub use loss::{Loss, LossBackward};
pub use norm::{
    BatchNormAffine, BatchNormApply, BatchNormBackward, BatchNormEval, BatchNormTrain, LayerNorm,
    LayerNormBackward,
};
pub use pool::{
    AdaptiveAvgPool2d, AdaptiveAvgPool2dBackward, AvgPool2d, AvgPool2dBackward, MaxPool2d,
    MaxPool2dBackward,
};
pub use update::{ClipCoef, OptimizerStep, ScaleInto, TensorNorm, TotalNorm};
