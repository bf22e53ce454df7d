//! Why a Plan could not be turned into Rust.

use std::fmt;

/// A Plan the generator cannot express; the Plan builder never produces
/// one, so this is a compiler bug rather than a model error.
#[derive(Debug, Clone, PartialEq)]
pub enum CodegenError {
    /// An op writes a buffer it also reads or writes through another
    /// operand; generated code borrows each buffer once per op.
    Aliased { op: &'static str, buffer: String },
    /// An operand has the wrong kind for its place (e.g. an f32 slice
    /// where the Plan holds a counter).
    WrongKind {
        op: &'static str,
        buffer: String,
        expected: &'static str,
        found: &'static str,
    },
    /// A name that cannot become a Rust identifier.
    BadIdent(String),
    /// The generated tokens do not parse as a Rust file (for formatting).
    Unparsable(String),
}

impl fmt::Display for CodegenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CodegenError::Aliased { op, buffer } => {
                write!(f, "`{op}` uses buffer `{buffer}` twice")
            }
            CodegenError::WrongKind {
                op,
                buffer,
                expected,
                found,
            } => write!(
                f,
                "`{op}` needs a {expected} buffer, but `{buffer}` is a {found} buffer"
            ),
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
