//! A network's thread setting and the pool it owns.

use std::fmt;
use std::sync::{Arc, OnceLock};

use super::{Pool, MAX_PARTS};

/// The environment variable that sets the default thread count of every
/// network the process creates (a positive integer).
pub const THREADS_ENV: &str = "NETC_NUM_THREADS";

/// Threads a new network uses: [`THREADS_ENV`] when it holds a positive
/// integer, else the cores the process may use
/// (`std::thread::available_parallelism`), else 1. Read once per
/// process.
pub fn default_threads() -> usize {
    static DEFAULT: OnceLock<usize> = OnceLock::new();
    *DEFAULT.get_or_init(|| {
        std::env::var(THREADS_ENV)
            .ok()
            .and_then(|value| value.trim().parse::<usize>().ok())
            .filter(|&n| n > 0)
            .or_else(|| std::thread::available_parallelism().ok().map(Into::into))
            .unwrap_or(1)
    })
}

/// A network's thread count and its pool (none for one thread). A clone
/// gets a pool of its own, with the same count.
pub struct Threads {
    pool: Option<Arc<Pool>>,
}

impl Threads {
    /// `count` threads (0 counts as 1, more than [`MAX_PARTS`] as
    /// [`MAX_PARTS`]).
    pub fn new(count: usize) -> Threads {
        let count = count.min(MAX_PARTS);
        Threads {
            pool: (count > 1).then(|| Arc::new(Pool::new(count))),
        }
    }

    pub fn count(&self) -> usize {
        self.pool.as_ref().map_or(1, |pool| pool.threads())
    }

    /// The pool to [`install`](super::install) for a step.
    pub fn pool(&self) -> Option<&Arc<Pool>> {
        self.pool.as_ref()
    }
}

impl Default for Threads {
    fn default() -> Self {
        Threads::new(default_threads())
    }
}

impl Clone for Threads {
    fn clone(&self) -> Self {
        Threads::new(self.count())
    }
}

impl fmt::Debug for Threads {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Threads")
            .field("count", &self.count())
            .finish()
    }
}
