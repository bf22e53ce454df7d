//! Plans and the interpreter: structure, gradients, PyTorch fixtures,
//! weights and allocation.
//!
//! The crate's one integration-test binary (one link, not one per file).
//! One module alone: `cargo test -p netc-plan --test it -- <module>::`.

mod common;
mod gradcheck;
mod interpreter;
mod plan_structure;
mod torch_fixtures;
mod weights;
mod zero_alloc;
mod zero_alloc_wide;

use netc_testkit::CountingAllocator;

/// Counts the allocations of a thread inside `allocations_during`, for the
/// `zero_alloc*` modules; other threads' allocations pass uncounted.
#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator::new();
