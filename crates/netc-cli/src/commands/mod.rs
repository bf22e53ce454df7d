pub mod analyze;
pub mod check;
pub mod explain;
pub mod predict;
pub mod train;
