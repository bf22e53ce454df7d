//! The shared test helpers themselves.
//!
//! The crate's one integration-test binary (one link, not one per file).
//! One module alone: `cargo test -p netc-testkit --test it -- <module>::`.

mod counting_allocator;
mod module_cycles;

use netc_testkit::CountingAllocator;

/// Counts the allocations of a thread inside `allocations_during`, for the
/// `counting_allocator` module; other threads' allocations pass uncounted.
#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator::new();
