//! The facade's integration tests: generated code against the interpreter,
//! the `Network` contract, the inference cache, allocation, and the
//! macro's compile errors (trybuild).
//!
//! The crate's one integration-test binary (one link, not one per file).
//! One module alone: `cargo test -p netc --test it -- <module>::`.

mod clip_non_finite;
mod common;
mod equivalence;
mod inference_cache;
mod lint_warning;
mod models;
mod network_contract;
mod threads;
mod ui;
mod zero_alloc;

use netc_testkit::CountingAllocator;

/// Counts the allocations of a thread inside `allocations_during`, for the
/// `zero_alloc` module; other threads' allocations pass uncounted.
#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator::new();
