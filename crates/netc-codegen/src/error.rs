//! Why a model or a Plan could not be turned into Rust.

use std::fmt;

use netc_plan::PlanError;

#[derive(Debug, Clone, PartialEq)]
pub enum CodegenError {
    /// The Plan validator refused the Plan (a compiler bug, reported
    /// rather than generating code that would not compile or panic).
    InvalidPlan(PlanError),
    /// A name that cannot become a Rust identifier.
    BadIdent(String),
    /// The generated tokens do not parse as a Rust file (for formatting).
    Unparsable(String),
}

impl fmt::Display for CodegenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CodegenError::InvalidPlan(error) => write!(f, "invalid plan: {error}"),
            CodegenError::BadIdent(name) => {
                write!(f, "`{name}` cannot be the name of a Rust type")
            }
            CodegenError::Unparsable(message) => {
                write!(f, "generated code does not parse: {message}")
            }
        }
    }
}

impl std::error::Error for CodegenError {}
