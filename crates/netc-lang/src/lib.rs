//! The compiler's front half: model text → AST → checked IR + diagnostics.

pub mod diagnostic;
pub mod ir;

pub use diagnostic::{Diagnostic, Edit, Label, Severity};
