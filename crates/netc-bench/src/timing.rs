//! How a repeated operation is timed: warm up, then time chunks of calls and
//! take the median chunk; training steps start over from the untrained
//! network every [`STEPS_PER_START`] steps. `scripts/torch_reference/bench_torch.py`
//! does the same, so the two sides' figures compare.

use std::time::{Duration, Instant};

/// The knobs of one measurement.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// Calls before timing starts, to fill caches and finish lazy setup
    /// (the first training step allocates its buffers).
    pub warmup: Duration,
    /// A chunk of calls is timed as a whole so the clock's resolution and
    /// overhead vanish against it.
    pub chunk: Duration,
    /// Timed chunks continue until this much time has been measured.
    pub min_time: Duration,
    /// The median needs a few samples even when one chunk is long.
    pub min_chunks: usize,
}

impl Timing {
    pub fn with_min_time(min_time: Duration) -> Self {
        Timing {
            warmup: Duration::from_millis(100),
            chunk: Duration::from_millis(10),
            min_time,
            min_chunks: 5,
        }
    }
}

/// The result of timing one operation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// The median over chunks of the mean time per call.
    pub per_call: Duration,
    /// Calls that were timed (warm-up excluded).
    pub calls: usize,
}

/// Training steps timed from one starting state before a measurement
/// starts over from it (untimed), on both sides of `--compare`
/// (`scripts/torch_reference/bench_torch.py` uses the same number).
///
/// Without it the sides timed different stretches of training: the seed
/// step, ~230× faster than PyTorch's, ran ~300,000 steps of one batch
/// where PyTorch ran ~1,200, and that far in the loss is near zero, the
/// gradients of the biases ahead of batchnorm (rounding noise, about
/// 1e-20) square to subnormals, and Adam's microcode assists took a
/// tenth of the step (2.15 µs against 1.93 in the first 1,000 steps,
/// with the same bits PyTorch computes there).
pub const STEPS_PER_START: usize = 1000;

/// Times `op` as [`Timing`] describes.
pub fn measure(timing: &Timing, mut op: impl FnMut()) -> Sample {
    measure_from_start(timing, usize::MAX, &mut (), |_| op(), |_| {})
}

/// Times `op(state)` as [`Timing`] describes, calling `restart(state)`
/// (untimed) after every `calls_per_start` calls, so that every timed call
/// is among the first `calls_per_start` after a restart.
pub fn measure_from_start<S>(
    timing: &Timing,
    calls_per_start: usize,
    state: &mut S,
    mut op: impl FnMut(&mut S),
    mut restart: impl FnMut(&mut S),
) -> Sample {
    let calls_per_start = calls_per_start.max(1);
    let mut since_start = 0usize;
    // Up to `wanted` calls that fit before the next restart, restarting
    // first when none is left.
    let mut room = |state: &mut S, wanted: usize| {
        if since_start == calls_per_start {
            restart(state);
            since_start = 0;
        }
        let calls = wanted.min(calls_per_start - since_start);
        since_start += calls;
        calls
    };

    // The estimate only sizes the chunks: the rare restarts it includes
    // do not matter.
    let start = Instant::now();
    let mut warm_calls = 0usize;
    while start.elapsed() < timing.warmup || warm_calls < 3 {
        room(state, 1);
        op(state);
        warm_calls += 1;
    }
    let per_call_estimate = start.elapsed() / u32::try_from(warm_calls).unwrap_or(u32::MAX);
    let chunk = chunk_len(per_call_estimate, timing.chunk);

    let mut per_call = Vec::new();
    let mut calls = 0usize;
    let mut timed = Duration::ZERO;
    while timed < timing.min_time || per_call.len() < timing.min_chunks {
        let n = room(state, chunk);
        let t0 = Instant::now();
        for _ in 0..n {
            op(state);
        }
        let elapsed = t0.elapsed();
        per_call.push(elapsed.as_secs_f64() / n as f64);
        calls += n;
        timed += elapsed;
    }
    Sample {
        per_call: Duration::from_secs_f64(median(&mut per_call)),
        calls,
    }
}

/// Calls per chunk so that one chunk lasts about `target`.
fn chunk_len(per_call: Duration, target: Duration) -> usize {
    if per_call.is_zero() {
        return 1 << 20;
    }
    ((target.as_secs_f64() / per_call.as_secs_f64()).round() as usize).max(1)
}

/// The median of a non-empty sample (the mean of the middle two for an even
/// count, as Python's `statistics.median`).
fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), 2.5);
    }

    #[test]
    fn median_ignores_one_outlier() {
        assert_eq!(median(&mut [1.0, 1.0, 1000.0, 1.0, 1.0]), 1.0);
    }

    #[test]
    fn chunk_len_fills_the_target() {
        let len = chunk_len(Duration::from_micros(2), Duration::from_millis(10));
        assert_eq!(len, 5000);
        assert_eq!(
            chunk_len(Duration::from_secs(1), Duration::from_millis(10)),
            1
        );
    }

    #[test]
    fn measure_times_at_least_min_chunks_and_min_time() {
        let timing = Timing {
            warmup: Duration::from_millis(1),
            chunk: Duration::from_millis(1),
            min_time: Duration::from_millis(20),
            min_chunks: 5,
        };
        let mut calls = 0usize;
        let started = Instant::now();
        let sample = measure(&timing, || {
            calls += 1;
            std::thread::sleep(Duration::from_micros(200));
        });
        assert!(started.elapsed() >= Duration::from_millis(20));
        assert!(sample.calls >= 5 && sample.calls < calls);
        // Sleeping never returns early, so no chunk can average less.
        assert!(sample.per_call >= Duration::from_micros(200));
    }

    #[test]
    fn every_timed_call_is_among_the_first_after_a_restart() {
        let timing = Timing {
            warmup: Duration::from_millis(2),
            chunk: Duration::from_millis(1),
            min_time: Duration::from_millis(10),
            min_chunks: 5,
        };
        // (calls since the last restart, the most seen, restarts)
        let mut state = (0usize, 0usize, 0usize);
        let sample = measure_from_start(
            &timing,
            7,
            &mut state,
            |s| {
                s.0 += 1;
                s.1 = s.1.max(s.0);
                std::thread::sleep(Duration::from_micros(50));
            },
            |s| {
                s.0 = 0;
                s.2 += 1;
            },
        );
        assert_eq!(state.1, 7, "never more than 7 calls from one start");
        assert!(state.2 >= sample.calls / 7, "{state:?} {sample:?}");
        assert!(sample.per_call >= Duration::from_micros(50));
    }
}
