pub mod analyze;
pub mod check;
pub mod emit;
pub mod explain;
pub mod fmt;
pub mod lsp;
pub mod predict;
pub mod train;
