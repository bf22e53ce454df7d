pub mod analyze;
pub mod check;
pub mod emit;
pub mod explain;
pub mod export;
pub mod predict;
pub mod train;
