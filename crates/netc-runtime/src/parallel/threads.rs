//! A network's thread setting and the pool it owns.

use std::fmt;
use std::sync::OnceLock;

use super::{Pool, MAX_PARTS};

/// The environment variable that sets the default thread count of every
/// network the process creates (an integer in `1..=MAX_PARTS`).
pub const THREADS_ENV: &str = "NETC_NUM_THREADS";

/// Threads a new network uses: [`THREADS_ENV`] when it holds a thread
/// count (see [`env_threads`]), else the cores the process may use
/// (`std::thread::available_parallelism`), else 1. Read once per
/// process.
pub fn default_threads() -> usize {
    static DEFAULT: OnceLock<usize> = OnceLock::new();
    *DEFAULT.get_or_init(|| env_threads().ok().flatten().unwrap_or_else(cores))
}

/// The cores the process may use (`std::thread::available_parallelism`),
/// else 1. Read once per process: the probe reads cgroup files.
pub(super) fn cores() -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, usize::from))
}

/// The thread count [`THREADS_ENV`] sets: `Ok(None)` when it is unset or
/// blank, `Err(value)` when it is not an integer in `1..=MAX_PARTS`.
/// [`default_threads`] passes over a bad value; a command line reports it
/// (`netc train` refuses it as it refuses a bad `--threads`).
pub fn env_threads() -> Result<Option<usize>, String> {
    match std::env::var(THREADS_ENV) {
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(value)) => Err(value.to_string_lossy().into_owned()),
        Ok(value) => parse_threads(&value),
    }
}

fn parse_threads(value: &str) -> Result<Option<usize>, String> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    match value.parse::<usize>() {
        Ok(count) if (1..=MAX_PARTS).contains(&count) => Ok(Some(count)),
        _ => Err(value.to_string()),
    }
}

/// A network's thread count and its pool (none for one thread). A clone
/// gets a pool of its own, with the same count.
pub struct Threads {
    count: usize,
    /// `None` while lent to a step, or after a step that panicked
    /// dropped it.
    pool: Option<Box<Pool>>,
}

impl Threads {
    /// `count` threads (0 counts as 1, more than [`MAX_PARTS`] as
    /// [`MAX_PARTS`]).
    pub fn new(count: usize) -> Threads {
        let count = count.clamp(1, MAX_PARTS);
        Threads {
            count,
            pool: pool_of(count),
        }
    }

    pub fn count(&self) -> usize {
        self.count
    }

    /// The pool, taken out for a step or a prediction to
    /// [`install`](super::install), then handed back with
    /// [`Threads::give_back`]: moved rather than shared, so a
    /// single-row prediction touches no reference count. A pool that a
    /// panicking step dropped is made anew.
    #[inline]
    pub fn lend(&mut self) -> Option<Box<Pool>> {
        self.pool.take().or_else(|| pool_of(self.count))
    }

    #[inline]
    pub fn give_back(&mut self, pool: Option<Box<Pool>>) {
        self.pool = pool;
    }
}

fn pool_of(count: usize) -> Option<Box<Pool>> {
    (count > 1).then(|| Box::new(Pool::new(count)))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lent_pool_that_never_came_back_is_made_anew() {
        let mut threads = Threads::new(3);
        let pool = threads.lend();
        assert_eq!(pool.as_ref().map(|p| p.threads()), Some(3));
        drop(pool);
        let again = threads.lend();
        assert_eq!(again.as_ref().map(|p| p.threads()), Some(3));
        threads.give_back(again);
        assert!(Threads::new(1).lend().is_none(), "one thread: no pool");
        assert_eq!(Threads::new(0).count(), 1);
        assert_eq!(Threads::new(1000).count(), MAX_PARTS);
    }

    #[test]
    fn a_thread_count_is_an_integer_from_1_to_max_parts() {
        assert_eq!(parse_threads("4"), Ok(Some(4)));
        assert_eq!(parse_threads(" 64\n"), Ok(Some(MAX_PARTS)));
        assert_eq!(parse_threads(""), Ok(None), "blank is unset");
        assert_eq!(parse_threads("  "), Ok(None), "blank is unset");
        for bad in ["0", "65", "-2", "four", "2.5"] {
            assert_eq!(parse_threads(bad), Err(bad.to_string()), "{bad}");
        }
    }
}
