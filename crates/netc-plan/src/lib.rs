//! IR → Plan (autodiff, buffer scheduling) and the Plan interpreter.
//!
//! [`build_plan`] turns a checked model (a `netc_lang::ValidModel`) and
//! its train settings into a [`ValidPlan`]: named buffers and explicit
//! forward, cache, inference, backward and update op lists over the
//! runtime's ops, checked by the validator. The [`Interpreter`] runs a
//! valid Plan and implements `netc_runtime::Network`; the code generator
//! walks the same Plan to emit Rust.

mod display;
mod interpreter;
mod lower;
mod plan;
mod schedule;
mod validate;

pub use interpreter::Interpreter;
pub use lower::build_plan;
pub use plan::{
    Access, Buffer, BufferId, BufferKind, BufferLen, Fresh, Initializer, Op, OpKind, Operand, Plan,
    StateEntry, RUNTIME_OPS,
};
pub use validate::{PlanError, ValidPlan};
