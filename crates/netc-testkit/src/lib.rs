//! What netc's test suites share, so each suite states only what it
//! tests: the counting allocator behind the "steady state allocates
//! nothing" tests, and where the PyTorch fixtures live and how their
//! tolerances read.

mod alloc;
mod fixtures;

pub use alloc::CountingAllocator;
pub use fixtures::{workspace_path, Tolerance};
