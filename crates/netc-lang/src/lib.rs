//! The compiler's front half: model text → AST → checked IR + diagnostics.

pub mod ir;
