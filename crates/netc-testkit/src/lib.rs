//! What netc's test suites share, so each suite states only what it
//! tests: the counting allocator behind the "steady state allocates
//! nothing" tests, where the PyTorch fixtures live and how their
//! tolerances read, and checked models for tests that lower one.

mod alloc;
mod fixtures;
mod models;

pub use alloc::CountingAllocator;
pub use fixtures::{workspace_path, Tolerance};
pub use models::{valid_model, valid_models};
