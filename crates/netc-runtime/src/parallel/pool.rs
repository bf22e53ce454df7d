//! A persistent pool of worker threads, woken per op.
//!
//! Workers start the first time an op is split (never for a model whose
//! ops all stay under the work thresholds), that split waiting until each
//! runs, and live until the pool is dropped. [`Pool::run`] publishes a job
//! and its number of parts, wakes as many workers as there are parts
//! besides its own, and claims parts itself like any worker: a part is run
//! by whichever thread claims it first. So the caller never waits for a
//! worker the system has not scheduled (on a loaded machine it runs every
//! part itself); it waits only for parts a worker has started. No
//! allocation, no spawn, no lock per job. A woken worker spins for
//! [`SPIN`] before it parks again, so the ops of one step reach it while
//! it is still awake; in a pool with more threads than cores it yields
//! its core between looks.
//!
//! Which thread runs a part never changes its result: a part's outputs
//! are computed by one call, in one order (see `crate::parallel`).

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::{self, JoinHandle, Thread};
use std::time::{Duration, Instant};

use super::threads::cores;

/// How long an idle worker spins before it parks.
const SPIN: Duration = Duration::from_micros(100);
/// Spins between two looks at the clock (or yields, for the caller).
const SPINS_PER_CHECK: u32 = 64;
/// Bits of [`Shared::claim`] for the job's parts and for the parts
/// claimed (parts ≤ 64).
const PART_BITS: u32 = 8;
/// The mask of one such field.
const PART_MASK: u64 = (1 << PART_BITS) - 1;

/// One part of a job: `job(part)`.
type Job<'a> = &'a (dyn Fn(usize) + Sync);

/// What the caller and the workers share. The words the caller writes
/// per job and those the workers write sit on separate cache lines.
#[repr(align(128))]
struct Shared {
    /// The job's generation, which wakes the workers.
    posted: AtomicU64,
    /// `generation, parts, parts claimed` in one word ([`claim_word`]):
    /// a thread claims the next part with a compare-exchange that fails
    /// once the generation moved on, so a worker that wakes late never
    /// touches a finished job. The job's part count is in the same word:
    /// kept beside it, a worker still claiming in a finished job could
    /// read the next job's larger count before that job's word was
    /// posted, claim a part the finished job does not have, and run the
    /// next job's part that its own claims hand out again (and count it
    /// done twice).
    claim: AtomicU64,
    /// The job: a pointer to a [`Job`] on the caller's stack, valid until
    /// `done` reaches `parts`.
    job: AtomicPtr<()>,
    shutdown: AtomicBool,
    /// The pool has more threads than the process has cores, so an idle
    /// worker's spin takes a core from a thread with a part to finish:
    /// it yields between its looks at the job (mnist on 8 threads of 2
    /// cores: 2.9–3.0 → 1.4–1.5 ms a step, a one-row prediction 105–187
    /// → 16 µs; unchanged on 2 threads). With a core each, spinning alone
    /// answers faster, and a worker that yielded to another process
    /// could be kept off its core for a whole time slice.
    oversubscribed: bool,
    /// Workers that have started running: their thread's start-up (std
    /// allocates a copy of the name there) is behind them.
    started: AtomicUsize,
    finished: Finished,
}

/// Parts finished, and whether one panicked.
#[repr(align(128))]
struct Finished {
    done: AtomicUsize,
    panicked: AtomicBool,
}

impl Shared {
    /// Before the first job: generation 0, nothing to claim.
    fn new(oversubscribed: bool) -> Shared {
        Shared {
            posted: AtomicU64::new(0),
            claim: AtomicU64::new(0),
            job: AtomicPtr::new(std::ptr::null_mut()),
            shutdown: AtomicBool::new(false),
            oversubscribed,
            started: AtomicUsize::new(0),
            finished: Finished {
                done: AtomicUsize::new(0),
                panicked: AtomicBool::new(false),
            },
        }
    }
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
    generation: AtomicU64,
}

impl Pool {
    /// A pool of `threads` (at least 1, at most 64); workers start on
    /// first use.
    pub fn new(threads: usize) -> Pool {
        Pool {
            threads: threads.clamp(1, 1 << (PART_BITS - 2)),
            workers: OnceLock::new(),
            busy: AtomicBool::new(false),
            generation: AtomicU64::new(0),
        }
    }

    /// Threads a job may use, the caller's included.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Runs `job(part)` once for every `part < parts` (at most
    /// [`Pool::threads`]) on this thread and the workers, and returns
    /// when all are done. A panic in any part is re-raised here after
    /// every part has finished.
    pub fn run(&self, parts: usize, job: Job<'_>) {
        assert!(parts <= self.threads, "pool: more parts than threads");
        if parts <= 1 || self.busy.swap(true, Ordering::Acquire) {
            (0..parts).for_each(job);
            return;
        }
        let workers = self
            .workers
            .get_or_init(|| Workers::start(self.threads - 1));
        let shared = &*workers.shared;
        let generation = self.generation.fetch_add(1, Ordering::Relaxed) + 1;
        // The job points at this local until every part is done: the wait
        // below returns only then, panics included.
        let local: Job<'_> = job;
        shared
            .job
            .store(&local as *const Job<'_> as *mut (), Ordering::Relaxed);
        shared.finished.done.store(0, Ordering::Relaxed);
        shared
            .claim
            .store(claim_word(generation, parts, 0), Ordering::Release);
        shared.posted.store(generation, Ordering::Release);
        for thread in &workers.threads[..parts - 1] {
            thread.unpark();
        }
        run_parts(shared, generation);
        wait_done(&shared.finished, parts);
        let panicked = shared.finished.panicked.swap(false, Ordering::Relaxed);
        self.busy.store(false, Ordering::Release);
        assert!(!panicked, "pool: a part of a split op panicked");
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
        // The caller is a thread of the pool too.
        let shared = Arc::new(Shared::new(count + 1 > cores()));
        let handles: Vec<JoinHandle<()>> = (0..count)
            .map(|index| {
                let shared = Arc::clone(&shared);
                thread::Builder::new()
                    .name(format!("netc-worker-{}", index + 1))
                    .spawn(move || work(&shared))
                    .expect("pool: cannot start a worker thread")
            })
            .collect();
        // Returns once every worker runs: a worker the system schedules
        // late would otherwise make its start-up allocation during some
        // later step, and a step allocates nothing.
        while shared.started.load(Ordering::Acquire) < count {
            thread::yield_now();
        }
        let threads = handles.iter().map(|h| h.thread().clone()).collect();
        Workers {
            shared,
            threads,
            handles,
        }
    }
}

/// A worker's life: wait for a new generation, run the parts it claims.
fn work(shared: &Shared) {
    shared.started.fetch_add(1, Ordering::Release);
    let mut seen = 0;
    while let Some(generation) = next_generation(shared, seen) {
        seen = generation;
        run_parts(shared, generation);
    }
}

/// Claims and runs parts of job `generation` until none is left (or the
/// job is over).
fn run_parts(shared: &Shared, generation: u64) {
    while let Some(part) = claim_part(shared, generation) {
        let pointer = shared.job.load(Ordering::Relaxed) as *const Job<'_>;
        // SAFETY: `Pool::run` stored a pointer to its local `Job` before
        // publishing `generation` in `claim` (the Acquire in `claim_part`
        // pairs with its Release), and keeps that local alive until
        // `done` counts every part, this one included, which is only
        // counted below, after the call.
        let job = unsafe { *pointer };
        let result = panic::catch_unwind(AssertUnwindSafe(|| job(part)));
        if result.is_err() {
            shared.finished.panicked.store(true, Ordering::Relaxed);
        }
        shared.finished.done.fetch_add(1, Ordering::Release);
    }
}

/// The next unclaimed part of job `generation`, now claimed by this
/// thread.
fn claim_part(shared: &Shared, generation: u64) -> Option<usize> {
    let mut claim = shared.claim.load(Ordering::Acquire);
    loop {
        let part = (claim & PART_MASK) as usize;
        let parts = ((claim >> PART_BITS) & PART_MASK) as usize;
        if claim >> (2 * PART_BITS) != generation || part >= parts {
            return None;
        }
        match shared.claim.compare_exchange_weak(
            claim,
            claim + 1,
            Ordering::Acquire,
            Ordering::Acquire,
        ) {
            Ok(_) => return Some(part),
            Err(now) => claim = now,
        }
    }
}

/// [`Shared::claim`] of job `generation` of `parts` parts with `claimed`
/// of them claimed. The generation keeps 48 bits: years of jobs at one a
/// microsecond.
fn claim_word(generation: u64, parts: usize, claimed: usize) -> u64 {
    generation << (2 * PART_BITS) | (parts as u64) << PART_BITS | claimed as u64
}

/// Spins, then parks, until a generation after `seen` is posted; `None`
/// once the pool shuts down.
fn next_generation(shared: &Shared, seen: u64) -> Option<u64> {
    let started = Instant::now();
    loop {
        for _ in 0..SPINS_PER_CHECK {
            if shared.shutdown.load(Ordering::Acquire) {
                return None;
            }
            let posted = shared.posted.load(Ordering::Acquire);
            if posted != seen {
                return Some(posted);
            }
            std::hint::spin_loop();
        }
        if shared.oversubscribed {
            thread::yield_now();
        }
        if started.elapsed() >= SPIN {
            // An unpark between the check above and this park leaves a
            // token, so the park returns at once: no wake-up is lost.
            thread::park();
        }
    }
}

/// Waits until `parts` parts are done (those left are running on
/// workers).
fn wait_done(finished: &Finished, parts: usize) {
    let mut spins = 0u32;
    while finished.done.load(Ordering::Acquire) < parts {
        spins += 1;
        if spins.is_multiple_of(SPINS_PER_CHECK) {
            // On a machine with more runnable threads than cores the
            // worker may be waiting for this core.
            thread::yield_now();
        } else {
            std::hint::spin_loop();
        }
    }
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
    fn workers_take_parts() {
        let pool = Pool::new(3);
        let caller = thread::current().id();
        let elsewhere = AtomicUsize::new(0);
        // Parts long enough that the caller cannot run them all before a
        // worker wakes.
        for _ in 0..20 {
            pool.run(3, &|_| {
                thread::sleep(Duration::from_millis(2));
                if thread::current().id() != caller {
                    elsewhere.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        assert!(elsewhere.load(Ordering::Relaxed) > 0);
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

    #[test]
    fn each_part_of_each_job_runs_once_while_jobs_follow_each_other() {
        // More workers than cores, and jobs of alternating sizes: a worker
        // still claiming in one job while the caller posts the next must
        // never run a part the next job's own claims hand out again.
        // Before the part count moved into the claim word, each of three
        // runs of a million rounds failed.
        let pool = Pool::new(8);
        let hits: Vec<AtomicUsize> = (0..8).map(|_| AtomicUsize::new(0)).collect();
        for round in 0..1_000_000 {
            let parts = if round % 2 == 0 { 2 } else { 8 };
            pool.run(parts, &|part| {
                hits[part].fetch_add(1, Ordering::Relaxed);
            });
            for (part, hit) in hits.iter().enumerate() {
                let expected = usize::from(part < parts);
                assert_eq!(
                    hit.swap(0, Ordering::Relaxed),
                    expected,
                    "round {round}, part {part}"
                );
            }
        }
    }

    #[test]
    fn a_late_claim_in_a_finished_job_gets_nothing() {
        let shared = Shared::new(false);
        let post = |generation, parts, claimed| {
            shared
                .claim
                .store(claim_word(generation, parts, claimed), Ordering::Release)
        };
        post(1, 2, 0);
        assert_eq!(claim_part(&shared, 1), Some(0));
        assert_eq!(claim_part(&shared, 1), Some(1));
        assert_eq!(claim_part(&shared, 1), None);
        // The next job, larger, is posted: job 1 still has no third part,
        // and job 2 hands out its parts from the first.
        post(2, 8, 0);
        assert_eq!(claim_part(&shared, 1), None);
        assert_eq!(claim_part(&shared, 2), Some(0));
    }
}
