//! A global allocator that counts allocations, for proving that a piece
//! of code allocates nothing. The count is process-wide, so a test binary
//! using it should hold one test: another test thread would be counted.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The system allocator plus a count of `alloc` and `realloc` calls.
///
/// ```ignore
/// #[global_allocator]
/// static ALLOCATOR: CountingAllocator = CountingAllocator::new();
///
/// assert_eq!(ALLOCATOR.allocations_during(|| net.predict(&x, &mut out)), 0);
/// ```
pub struct CountingAllocator {
    allocations: AtomicUsize,
}

impl CountingAllocator {
    pub const fn new() -> Self {
        CountingAllocator {
            allocations: AtomicUsize::new(0),
        }
    }

    /// How many allocations (and reallocations) `f` made.
    pub fn allocations_during(&self, f: impl FnOnce()) -> usize {
        let before = self.allocations.load(Ordering::SeqCst);
        f();
        self.allocations.load(Ordering::SeqCst) - before
    }
}

impl Default for CountingAllocator {
    fn default() -> Self {
        Self::new()
    }
}

// SAFETY: forwards every call to the system allocator unchanged; the
// counter is the only addition, and an atomic add does not allocate.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        self.allocations.fetch_add(1, Ordering::SeqCst);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        self.allocations.fetch_add(1, Ordering::SeqCst);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}
