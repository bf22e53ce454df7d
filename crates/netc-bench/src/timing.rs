//! How a repeated operation is timed: warm up, then time chunks of calls and
//! take the median chunk. `scripts/torch_reference/bench_torch.py` does the
//! same, so the two sides' figures compare.

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

/// Times `op` as [`Timing`] describes.
pub fn measure(timing: &Timing, mut op: impl FnMut()) -> Sample {
    let start = Instant::now();
    let mut warm_calls = 0usize;
    while start.elapsed() < timing.warmup || warm_calls < 3 {
        op();
        warm_calls += 1;
    }
    let per_call_estimate = start.elapsed() / u32::try_from(warm_calls).unwrap_or(u32::MAX);
    let chunk = chunk_len(per_call_estimate, timing.chunk);

    let mut per_call = Vec::new();
    let mut timed = Duration::ZERO;
    while timed < timing.min_time || per_call.len() < timing.min_chunks {
        let t0 = Instant::now();
        for _ in 0..chunk {
            op();
        }
        let elapsed = t0.elapsed();
        per_call.push(elapsed.as_secs_f64() / chunk as f64);
        timed += elapsed;
    }
    let calls = per_call.len() * chunk;
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
}
