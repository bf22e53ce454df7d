//! The kernels, losses, optimizers, clipping and init against their
//! scalar references and PyTorch.
//!
//! The crate's one integration-test binary (one link, not one per file).
//! One module alone: `cargo test -p netc-runtime --test it -- <module>::`.

mod activation_sizes;
mod batchnorm2d;
mod batchnorm_narrow;
mod common;
mod conv2d;
mod conv2d_torch;
mod fresh_outputs;
mod grad_activations;
mod grad_layers;
mod grad_losses;
mod inference_cache;
mod inference_cache_alloc;
mod init_distributions;
mod init_rng;
mod kernels_alloc;
mod kernels_bench;
mod kernels_semantics;
mod linear_chains;
mod loss_sizes;
mod optim_bench;
mod optim_clip;
mod optim_hoisted;
mod optim_torch;
mod parallel_kernels;
mod pool2d_kernels;
mod pool_torch;
mod simd_math;
mod simd_paths;

use std::sync::{Mutex, PoisonError};

use netc_testkit::CountingAllocator;

/// Counts the allocations of a thread inside `allocations_during`, for the
/// `*_alloc` modules; other threads' allocations pass uncounted.
#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator::new();

/// One counted region at a time: the count is one number for the process,
/// so a per-thread scratch growing on another test thread's first large
/// call would show in the region this one measures at the same moment.
static COUNTED_REGION: Mutex<()> = Mutex::new(());

/// How many allocations `f` makes on this thread.
fn allocations(f: impl FnOnce()) -> usize {
    let _alone = COUNTED_REGION
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    ALLOCATOR.allocations_during(f)
}
