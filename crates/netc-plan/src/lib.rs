//! IR → Plan (autodiff, buffer scheduling) and the Plan interpreter.
//!
//! [`build_plan`] turns a checked model and its train settings into a
//! [`Plan`]: named buffers and explicit forward, inference, backward and
//! update op lists over the runtime's kernels. The [`Interpreter`] runs a
//! Plan and implements `netc_runtime::Network`; the code generator walks
//! the same Plan to emit Rust.

mod autodiff;
mod display;
mod interpreter;
mod plan;
mod schedule;
mod validate;

pub use autodiff::build_plan;
pub use interpreter::Interpreter;
pub use plan::{
    Access, Buffer, BufferId, BufferKind, BufferLen, Initializer, Op, OpKind, Operand, Plan,
    StateEntry, RUNTIME_OPS,
};
pub use validate::PlanError;
