//! Helpers the netc-runtime test binaries share.
#![allow(dead_code)] // each test binary uses a different subset

use std::time::Instant;

use netc_ops::Activation;
use netc_runtime::rng::Rng;

/// `n` values uniform in `[lo, hi)`.
pub fn uniform(n: usize, lo: f64, hi: f64, rng: &mut Rng) -> Vec<f32> {
    (0..n).map(|_| rng.uniform(lo, hi) as f32).collect()
}

/// `n` values uniform in `[-1, 1)`.
pub fn random(n: usize, rng: &mut Rng) -> Vec<f32> {
    uniform(n, -1.0, 1.0, rng)
}

/// Best-of-`rounds` seconds per call, for the ignored benchmark tests.
pub fn time(rounds: usize, calls: usize, mut f: impl FnMut()) -> f64 {
    let mut best = f64::INFINITY;
    for _ in 0..rounds {
        let start = Instant::now();
        for _ in 0..calls {
            f();
        }
        best = best.min(start.elapsed().as_secs_f64() / calls as f64);
    }
    best
}

/// Every elementwise activation, with PyTorch's default parameters.
pub fn elementwise_activations() -> Vec<Activation> {
    Activation::ALL
        .into_iter()
        .filter(|activation| !activation.is_row_wise())
        .collect()
}
