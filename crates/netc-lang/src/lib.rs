//! The compiler's front half: model text → AST → checked IR + diagnostics.

pub mod analysis;
pub mod diagnostic;
pub mod ir;
pub mod render;
pub mod rules;

pub use diagnostic::{Diagnostic, Edit, Label, Severity};
