//! A persistent pool of worker threads, woken per op.
//!
//! Workers start the first time an op is split (never for a model whose
//! ops all stay under the work thresholds) and live until the pool is
//! dropped. [`Pool::run`] hands part `w` of a job to worker `w` through
//! that worker's own mailbox, runs part 0 on the calling thread and
//! waits for the others: no allocation, no spawn, no lock. A woken
//! worker spins for [`SPIN`] before it parks again, so the ops of one
//! step reach it while it is still awake; the caller waits by spinning,
//! then yielding, since its own part is about as long as theirs.

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::{self, JoinHandle, Thread};
use std::time::{Duration, Instant};

/// How long an idle worker spins before it parks.
const SPIN: Duration = Duration::from_micros(100);
/// Spins between two looks at the clock (or yields, for the caller).
const SPINS_PER_CHECK: u32 = 64;

/// One part of a job: `job(part)`.
type Job<'a> = &'a (dyn Fn(usize) + Sync);

/// One worker's mailbox, on a cache line of its own so that posting to
/// one worker does not disturb another.
#[repr(align(128))]
struct Mailbox {
    /// The generation last posted; a worker runs a job when it changes.
    posted: AtomicU64,
    /// The generation last finished.
    finished: AtomicU64,
    /// The posted job: a pointer to a [`Job`] on the poster's stack,
    /// valid until `finished` reaches `posted`.
    job: AtomicPtr<()>,
    /// Whether the last job panicked on this worker.
    panicked: AtomicBool,
}

struct Shared {
    mailboxes: Box<[Mailbox]>,
    shutdown: AtomicBool,
}

struct Workers {
    shared: Arc<Shared>,
    threads: Vec<Thread>,
    handles: Vec<JoinHandle<()>>,
}

/// `threads − 1` workers plus the calling thread.
pub struct Pool {
    threads: usize,
    workers: OnceLock<Workers>,
    /// Set while a job runs: a nested [`Pool::run`] (a part that splits
    /// again) runs its parts in order on its own thread.
    busy: AtomicBool,
}

impl Pool {
    /// A pool of `threads` (at least 1); workers start on first use.
    pub fn new(threads: usize) -> Pool {
        Pool {
            threads: threads.max(1),
            workers: OnceLock::new(),
            busy: AtomicBool::new(false),
        }
    }

    /// Threads a job may use, the caller's included.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Runs `job(part)` for every `part < parts` (at most
    /// [`Pool::threads`]), part 0 on this thread and part `w` on worker
    /// `w`, and returns when all are done. A panic in any part is
    /// re-raised here after every part has finished.
    pub fn run(&self, parts: usize, job: Job<'_>) {
        assert!(parts <= self.threads, "pool: more parts than threads");
        if parts <= 1 || self.busy.swap(true, Ordering::Acquire) {
            (0..parts).for_each(job);
            return;
        }
        let workers = self
            .workers
            .get_or_init(|| Workers::start(self.threads - 1));
        // The mailboxes point at this local until every posted part is
        // done: `wait_all` below returns only then, panics included.
        let local: Job<'_> = job;
        let pointer = &local as *const Job<'_> as *mut ();
        let posted = &workers.shared.mailboxes[..parts - 1];
        for (mailbox, thread) in posted.iter().zip(&workers.threads) {
            mailbox.job.store(pointer, Ordering::Relaxed);
            mailbox.posted.fetch_add(1, Ordering::Release);
            thread.unpark();
        }
        let own = panic::catch_unwind(AssertUnwindSafe(|| job(0)));
        let worker_panicked = wait_all(posted);
        self.busy.store(false, Ordering::Release);
        if let Err(payload) = own {
            panic::resume_unwind(payload);
        }
        assert!(!worker_panicked, "pool: a worker's part panicked");
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        if let Some(workers) = self.workers.take() {
            workers.shared.shutdown.store(true, Ordering::Release);
            for thread in &workers.threads {
                thread.unpark();
            }
            for handle in workers.handles {
                // A worker catches its jobs' panics, so it cannot fail.
                let _ = handle.join();
            }
        }
    }
}

impl Workers {
    fn start(count: usize) -> Workers {
        let mailboxes = (0..count)
            .map(|_| Mailbox {
                posted: AtomicU64::new(0),
                finished: AtomicU64::new(0),
                job: AtomicPtr::new(std::ptr::null_mut()),
                panicked: AtomicBool::new(false),
            })
            .collect();
        let shared = Arc::new(Shared {
            mailboxes,
            shutdown: AtomicBool::new(false),
        });
        let handles: Vec<JoinHandle<()>> = (0..count)
            .map(|index| {
                let shared = Arc::clone(&shared);
                thread::Builder::new()
                    .name(format!("netc-worker-{}", index + 1))
                    .spawn(move || work(&shared, index))
                    .expect("pool: cannot start a worker thread")
            })
            .collect();
        let threads = handles.iter().map(|h| h.thread().clone()).collect();
        Workers {
            shared,
            threads,
            handles,
        }
    }
}

/// A worker's life: wait for a new generation in its mailbox, run its
/// part, report it finished.
fn work(shared: &Shared, index: usize) {
    let mailbox = &shared.mailboxes[index];
    let mut seen = 0;
    while let Some(generation) = next_generation(shared, mailbox, seen) {
        seen = generation;
        let pointer = mailbox.job.load(Ordering::Relaxed) as *const Job<'_>;
        // SAFETY: `Pool::run` stored a pointer to its local `Job` before
        // publishing this generation (the Acquire in `next_generation`
        // pairs with its Release), and keeps that local alive until this
        // worker stores `finished` below.
        let job = unsafe { *pointer };
        let result = panic::catch_unwind(AssertUnwindSafe(|| job(index + 1)));
        mailbox.panicked.store(result.is_err(), Ordering::Relaxed);
        mailbox.finished.store(generation, Ordering::Release);
    }
}

/// Spins, then parks, until the mailbox holds a generation after `seen`;
/// `None` once the pool shuts down.
fn next_generation(shared: &Shared, mailbox: &Mailbox, seen: u64) -> Option<u64> {
    let started = Instant::now();
    loop {
        for _ in 0..SPINS_PER_CHECK {
            if shared.shutdown.load(Ordering::Acquire) {
                return None;
            }
            let posted = mailbox.posted.load(Ordering::Acquire);
            if posted != seen {
                return Some(posted);
            }
            std::hint::spin_loop();
        }
        if started.elapsed() >= SPIN {
            // An unpark between the check above and this park leaves a
            // token, so the park returns at once: no wake-up is lost.
            thread::park();
        }
    }
}

/// Waits until every mailbox finished what was posted; whether a part
/// panicked.
fn wait_all(mailboxes: &[Mailbox]) -> bool {
    let mut panicked = false;
    for mailbox in mailboxes {
        let posted = mailbox.posted.load(Ordering::Relaxed);
        let mut spins = 0u32;
        while mailbox.finished.load(Ordering::Acquire) != posted {
            spins += 1;
            if spins.is_multiple_of(SPINS_PER_CHECK) {
                // On a machine with more runnable threads than cores the
                // worker may be waiting for this core.
                thread::yield_now();
            } else {
                std::hint::spin_loop();
            }
        }
        panicked |= mailbox.panicked.load(Ordering::Relaxed);
    }
    panicked
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[test]
    fn every_part_runs_once() {
        let pool = Pool::new(4);
        for parts in 0..=4 {
            let hits: Vec<AtomicUsize> = (0..4).map(|_| AtomicUsize::new(0)).collect();
            for _ in 0..100 {
                pool.run(parts, &|part| {
                    hits[part].fetch_add(1, Ordering::Relaxed);
                });
            }
            for (part, hit) in hits.iter().enumerate() {
                let expected = if part < parts { 100 } else { 0 };
                assert_eq!(hit.load(Ordering::Relaxed), expected, "part {part}");
            }
        }
    }

    #[test]
    fn parts_run_on_distinct_threads() {
        let pool = Pool::new(3);
        let ids: Vec<OnceLock<thread::ThreadId>> = (0..3).map(|_| OnceLock::new()).collect();
        pool.run(3, &|part| {
            ids[part].set(thread::current().id()).unwrap();
        });
        let ids: Vec<_> = ids.iter().map(|id| *id.get().unwrap()).collect();
        assert_eq!(ids[0], thread::current().id());
        assert!(ids[0] != ids[1] && ids[1] != ids[2] && ids[0] != ids[2]);
    }

    #[test]
    fn a_parked_worker_wakes() {
        let pool = Pool::new(2);
        let hits = AtomicUsize::new(0);
        pool.run(2, &|_| {
            hits.fetch_add(1, Ordering::Relaxed);
        });
        thread::sleep(SPIN * 20);
        pool.run(2, &|_| {
            hits.fetch_add(1, Ordering::Relaxed);
        });
        assert_eq!(hits.load(Ordering::Relaxed), 4);
    }

    #[test]
    fn a_worker_panic_reaches_the_caller_and_the_pool_survives() {
        let pool = Pool::new(2);
        let result = panic::catch_unwind(AssertUnwindSafe(|| {
            pool.run(2, &|part| assert!(part == 0, "part {part} fails"));
        }));
        assert!(result.is_err());
        let hits = AtomicUsize::new(0);
        pool.run(2, &|_| {
            hits.fetch_add(1, Ordering::Relaxed);
        });
        assert_eq!(hits.load(Ordering::Relaxed), 2);
    }

    #[test]
    fn a_nested_run_stays_on_its_thread() {
        let pool = Pool::new(2);
        let hits = AtomicUsize::new(0);
        pool.run(2, &|_| {
            pool.run(2, &|_| {
                hits.fetch_add(1, Ordering::Relaxed);
            });
        });
        assert_eq!(hits.load(Ordering::Relaxed), 4);
    }
}
