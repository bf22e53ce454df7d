//! A global allocator that counts allocations, for proving that a piece
//! of code allocates nothing. [`CountingAllocator::allocations_during`]
//! counts only the thread running that code: the test harness's own
//! threads allocate at moments that depend on scheduling (its main
//! thread's first wait for a result can fall inside a counted region on
//! a loaded machine), which made process-wide counts flaky.
//! [`CountingAllocator::allocations_on_every_thread_during`] counts every
//! thread — the measured code's worker threads included — and is meant
//! for a test binary without the harness (`harness = false`), where no
//! other thread runs.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Whether every thread's allocations count, not only the measured one's.
static EVERY_THREAD: AtomicBool = AtomicBool::new(false);

thread_local! {
    /// Whether this thread is inside `allocations_during`. Const-initialised
    /// and without a destructor, so reading it from the allocator never
    /// allocates.
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    /// This thread's allocations while counted: `allocations_during`
    /// reads its own, so a test counting on another thread at the same
    /// time (the harness runs tests in parallel) cannot add to it.
    static THREAD_ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

/// Marks the current thread as counted until dropped, even if the
/// measured code panics.
struct Counted {
    before: bool,
}

impl Counted {
    fn start() -> Counted {
        Counted {
            before: COUNTING.with(|c| c.replace(true)),
        }
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        COUNTING.with(|c| c.set(self.before));
    }
}

/// Counts one allocation where one is being counted.
fn count(allocations: &AtomicUsize) {
    let this_thread = COUNTING.try_with(Cell::get).unwrap_or(false);
    if this_thread {
        // Ignored during thread teardown, when no count is being read.
        let _ = THREAD_ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
    }
    if this_thread || EVERY_THREAD.load(Ordering::Relaxed) {
        allocations.fetch_add(1, Ordering::SeqCst);
    }
}

/// Counts every thread until dropped, even if the measured code panics.
struct EveryThread;

impl EveryThread {
    fn start() -> EveryThread {
        EVERY_THREAD.store(true, Ordering::SeqCst);
        EveryThread
    }
}

impl Drop for EveryThread {
    fn drop(&mut self) {
        EVERY_THREAD.store(false, Ordering::SeqCst);
    }
}

/// The system allocator plus a count of the `alloc` and `realloc` calls
/// made by a thread inside [`CountingAllocator::allocations_during`].
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

    /// How many allocations (and reallocations) `f` made on this thread.
    pub fn allocations_during(&self, f: impl FnOnce()) -> usize {
        let before = THREAD_ALLOCATIONS.with(Cell::get);
        {
            let _counted = Counted::start();
            f();
        }
        THREAD_ALLOCATIONS.with(Cell::get) - before
    }

    /// How many allocations (and reallocations) any thread made while `f`
    /// ran on this one: `f`'s own and those of the threads it woke (a
    /// worker pool's). Only exact where no unrelated thread runs: in a
    /// test binary with `harness = false`.
    pub fn allocations_on_every_thread_during(&self, f: impl FnOnce()) -> usize {
        let before = self.allocations.load(Ordering::SeqCst);
        {
            let _counted = EveryThread::start();
            f();
        }
        self.allocations.load(Ordering::SeqCst) - before
    }
}

impl Default for CountingAllocator {
    fn default() -> Self {
        Self::new()
    }
}

// SAFETY: forwards every call to the system allocator unchanged; the
// counter is the only addition: an atomic add and a read of a
// const-initialised thread-local, neither of which allocates.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(&self.allocations);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(&self.allocations);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}
